//! `centrala config ...` as an administrator runs it: real processes, real files.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use centrala_e2e::bin;

fn centrala(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(bin("centrala"))
        .arg("--config-dir")
        .arg(dir)
        .args(args)
        .env("RUST_LOG", "info")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start centrala");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("wait for centrala")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn first_export_creates_the_demo_office_with_fresh_passwords() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = centrala(dir.path(), &["config", "export"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let toml = text(&out.stdout);
    for needle in [
        "extension = \"101\"",
        "extension = \"103\"",
        "Europe/Warsaw",
        "after_hours = \"voicemail\"",
        "09:00-17:00",
    ] {
        assert!(toml.contains(needle), "export lacks {needle}:\n{toml}");
    }
    let log = text(&out.stderr);
    assert!(log.contains("SIP password generated"), "{log}");
    // A second run loads what the first stored: same passwords, and none shown again.
    let again = centrala(dir.path(), &["config", "export"], None);
    assert_eq!(text(&again.stdout), toml);
    assert!(!text(&again.stderr).contains("SIP password generated"));
    // Another appliance gets other passwords.
    let other = tempfile::tempdir().expect("tempdir");
    let out2 = centrala(other.path(), &["config", "export"], None);
    assert_ne!(text(&out2.stdout), toml);
}

#[test]
fn export_then_import_round_trips() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exported = centrala(dir.path(), &["config", "export"], None);
    assert!(exported.status.success());
    let first = text(&exported.stdout);
    let imported = centrala(dir.path(), &["config", "import", "-"], Some(&first));
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    assert!(
        text(&imported.stderr).contains("generation 2"),
        "{}",
        text(&imported.stderr)
    );
    let second = centrala(dir.path(), &["config", "export"], None);
    assert_eq!(text(&second.stdout), first);
}

fn with_group_loop(toml: &str) -> String {
    // The demo's one group waits for an agent; add two groups forwarding to each other.
    format!(
        "{toml}\n[[groups]]\nname = \"sales\"\nnumber = \"300\"\nmembers = [\"101\"]\n\
         distribution = \"in_order\"\nring_time_secs = 20\nunanswered = {{ forward_to_group = \"support\" }}\n\
         \n[[groups]]\nname = \"support\"\nnumber = \"301\"\nmembers = [\"102\"]\n\
         distribution = \"evenly\"\nring_time_secs = 20\nunanswered = {{ forward_to_group = \"sales\" }}\n"
    )
}

#[test]
fn check_refuses_a_queue_loop_and_an_invalid_number_naming_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = text(&centrala(dir.path(), &["config", "export"], None).stdout);
    let bad = with_group_loop(&base).replacen(
        "name = \"Anna Nowak\"",
        "name = \"Anna Nowak\"\nmobile = \"+48 22 12x 45 67\"",
        1,
    );
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, &bad).expect("write");
    let out = centrala(
        dir.path(),
        &["config", "check", file.to_str().expect("utf-8")],
        None,
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("'x'") && err.contains("line "),
        "invalid number not named: {err}"
    );

    let looped = with_group_loop(&base);
    std::fs::write(&file, &looped).expect("write");
    let out = centrala(
        dir.path(),
        &["config", "check", file.to_str().expect("utf-8")],
        None,
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("sales → support → sales"),
        "loop not named: {err}"
    );
    assert!(
        err.contains("group 'sales'") && err.contains("line "),
        "{err}"
    );
}

#[test]
fn a_refused_import_keeps_the_stored_configuration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let before = text(&centrala(dir.path(), &["config", "export"], None).stdout);
    for bad in [
        with_group_loop(&before),
        before.replace("ring_time_secs = 20", "ring_time_secs = \"twenty\""),
        before.replace("[system]", "[system]\ncolour = \"blue\""),
        "this is not toml".to_string(),
    ] {
        let out = centrala(dir.path(), &["config", "import", "-"], Some(&bad));
        assert!(!out.status.success(), "accepted:\n{bad}");
        assert!(text(&out.stderr).contains("line "), "{}", text(&out.stderr));
    }
    let after = text(&centrala(dir.path(), &["config", "export"], None).stdout);
    assert_eq!(after, before);
}

#[test]
fn check_accepts_a_valid_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = text(&centrala(dir.path(), &["config", "export"], None).stdout);
    let file = dir.path().join("good.toml");
    std::fs::write(&file, base).expect("write");
    let out = centrala(
        dir.path(),
        &["config", "check", file.to_str().expect("utf-8")],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("valid (3 employees, 1 groups"));
}
