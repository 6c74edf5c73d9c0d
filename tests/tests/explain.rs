//! `centrala explain` as an administrator runs it, on an exported configuration.

use std::process::Command;

use centrala_e2e::bin;

fn explain(config: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(bin("centrala"))
        .arg("explain")
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("run centrala explain");
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), s(&out.stdout), s(&out.stderr))
}

fn demo_office(dir: &std::path::Path) -> std::path::PathBuf {
    let out = Command::new(bin("centrala"))
        .arg("--config-dir")
        .arg(dir)
        .args(["config", "export"])
        .output()
        .expect("export");
    assert!(out.status.success());
    let file = dir.join("office.toml");
    std::fs::write(&file, out.stdout).expect("write");
    file
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

#[test]
fn explains_open_hours_closed_evenings_and_days_off_as_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = demo_office(dir.path());
    let cases = [
        ("2026-11-23T10:00:00+01:00", true, "in_range"),
        ("2026-11-23T17:00:00+01:00", false, "outside_hours"),
        ("2026-11-28T11:00:00+01:00", false, "day_off"),
        // Summer time: 09:30 CEST is 07:30 UTC.
        ("2026-07-01T07:30:00Z", true, "in_range"),
        ("2026-07-01T06:30:00Z", false, "outside_hours"),
    ];
    for (at, open, kind) in cases {
        let (ok, out, err) = explain(
            &file,
            &[
                "--entry",
                "reception",
                "--at",
                at,
                "--from",
                "601 222 333",
                "--json",
            ],
        );
        assert!(ok, "{err}");
        let v = json(&out);
        assert_eq!(v["open"], open, "{at}: {out}");
        assert_eq!(v["reason_detail"]["kind"], kind, "{at}: {out}");
        assert!(v["reason"].is_string() && v["route"].is_object(), "{out}");
        if !open {
            assert_eq!(v["route"]["kind"], "after_hours");
            assert_eq!(v["crm"]["case"], "lead_created", "{out}");
        } else {
            assert_eq!(v["route"]["group"], "office");
        }
    }
}

#[test]
fn explains_in_text_and_refuses_bad_arguments_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = demo_office(dir.path());
    let (ok, out, _) = explain(
        &file,
        &["--entry", "reception", "--at", "2026-11-23T18:30:00+01:00"],
    );
    assert!(ok);
    assert!(
        out.contains("closed: outside working hours") && out.contains("voicemail"),
        "{out}"
    );
    let (ok, _, err) = explain(
        &file,
        &["--entry", "lobby", "--at", "2026-11-23T18:30:00+01:00"],
    );
    assert!(
        !ok && err.contains("no entry point named 'lobby'") && err.contains("reception"),
        "{err}"
    );
    let (ok, _, err) = explain(&file, &["--entry", "reception", "--at", "tomorrow"]);
    assert!(!ok && err.contains("RFC 3339"), "{err}");
    let (ok, _, err) = explain(
        &file,
        &[
            "--entry",
            "reception",
            "--at",
            "2026-11-23T18:30:00+01:00",
            "--from",
            "12ab",
        ],
    );
    assert!(!ok && err.contains("--from"), "{err}");
}
