//! Storage bounds on the real daemon, with tiny limits set through `centrala config import`:
//! the audit log rotates within its limit (the oldest generation removed first) also after the
//! limit is lowered over the control socket (no restart); the `storage` request reports what
//! each store holds and warns at the configured level, subscribers are told once, and old call
//! records found at start are reported over their limit.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use centrala_e2e::control::Client;
use centrala_e2e::pbx::{group_mut, Pbx};
use serde_json::{json, Value};

fn data(pbx: &Pbx) -> PathBuf {
    pbx.dir().join("data")
}

/// The bytes of a log and its rotated generations, and whether a fifth file exists.
fn log_bytes(path: &Path) -> (u64, bool) {
    let generation = |n: usize| {
        let mut name = path.as_os_str().to_owned();
        if n > 0 {
            name.push(format!(".{n}"));
        }
        PathBuf::from(name)
    };
    let bytes = (0..4)
        .map(|n| std::fs::metadata(generation(n)).map_or(0, |m| m.len()))
        .sum();
    (bytes, generation(4).exists())
}

fn store<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["stores"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["store"] == name))
        .unwrap_or_else(|| panic!("no store {name} in {report}"))
}

/// Asks for the storage report until `ready` holds (the daemon measures within seconds of a
/// write), or fails after 15 s.
fn report_until(client: &mut Client, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let report = client.ask(json!({"request": "storage"}));
        assert_eq!(report["reply"], "storage", "{report}");
        // Before the first measurement the report is empty.
        if !report["at"].is_null() && ready(&report) {
            return report;
        }
        assert!(Instant::now() < deadline, "never: {report}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Changes the group's ring time back and forth `times` times (one audit line each).
fn change_group(client: &mut Client, times: usize) {
    for n in 0..times {
        let (base, config) = client.config();
        let mut office = config["groups"][0].clone();
        office["ring_time_secs"] = json!(20 + (n % 2) * 10);
        let reply = client.ask(json!({
            "request": "replace", "base": base,
            "item": {"kind": "group", "value": office},
        }));
        assert_eq!(reply["reply"], "saved", "{reply}");
    }
}

#[test]
fn the_audit_log_stays_within_a_lowered_limit_and_the_warning_is_reported_once() {
    let pbx = Pbx::start_with(|c| {
        c.storage.audit_kib = 256;
        c.storage.calls_kib = 64;
        group_mut(c, "office").ring_time_secs = 20;
    });
    let socket = pbx.dir().join("control.sock");
    let audit = data(&pbx).join("audit.log");
    let mut watcher = Client::connect(&socket);
    assert_eq!(
        watcher.ask(json!({"request": "subscribe"}))["reply"],
        "subscribed"
    );
    let mut ala = Client::connect(&socket);
    ala.hello("ala");
    let first = report_until(&mut ala, |r| !r["at"].is_null());
    assert_eq!(store(&first, "audit")["limit_bytes"], 256 * 1024);
    assert_eq!(store(&first, "calls")["limit_bytes"], 64 * 1024);
    assert_eq!(store(&first, "voicemail")["warning"], false);

    // About 100 KiB of audit lines: under 256 KiB, nothing removed, no warning.
    while log_bytes(&audit).0 < 100 * 1024 {
        change_group(&mut ala, 10);
    }
    let (before, _) = log_bytes(&audit);
    assert!(before < 256 * 1024);

    // The admin lowers the limit to 64 KiB and the warning to half of it: the next line (the
    // change itself) trims the log, oldest generation first, without a restart.
    let (base, config) = ala.config();
    let mut storage = config["storage"].clone();
    storage["audit_kib"] = json!(64);
    storage["warn_percent"] = json!(50);
    let reply = ala.ask(json!({
        "request": "replace", "base": base,
        "item": {"kind": "storage", "value": storage},
    }));
    assert_eq!(reply["reply"], "saved", "{reply}");
    let (after, fifth) = log_bytes(&audit);
    assert!(after <= 64 * 1024, "{after} bytes after lowering the limit");
    assert!(!fifth, "at most four files");
    let tail = std::fs::read_to_string(&audit).expect("audit log");
    assert!(tail.contains("storage limits"), "the newest line is kept");

    // More changes: still within 64 KiB, and at or above 50 % the store is reported warned.
    change_group(&mut ala, 60);
    let (bytes, fifth) = log_bytes(&audit);
    assert!(bytes <= 64 * 1024 && !fifth, "{bytes}");
    let warned = report_until(&mut ala, |r| store(r, "audit")["warning"] == true);
    let audit_report = store(&warned, "audit");
    assert_eq!(audit_report["limit_bytes"], 64 * 1024);
    assert!(
        audit_report["removed"].as_u64().unwrap_or(0) >= 1,
        "{warned}"
    );
    assert!(audit_report["used_bytes"].as_u64().unwrap_or(u64::MAX) <= 64 * 1024);

    // The subscriber was told once, in words, and got the report.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut notices = Vec::new();
    let mut reports = 0;
    while Instant::now() < deadline && (notices.is_empty() || reports == 0) {
        let Some(m) = watcher.receive() else { break };
        match m["event"]["event"].as_str() {
            Some("notification") => notices.push(m["event"]["text"].to_string()),
            Some("storage") => reports += 1,
            _ => {}
        }
    }
    assert!(
        notices
            .iter()
            .any(|t| t.contains("Storage: audit log") && t.contains("of 64 KiB")),
        "{notices:?}"
    );
    change_group(&mut ala, 10);
    std::thread::sleep(Duration::from_secs(3));
    ala.ask(json!({"request": "storage"}));
    let log = pbx.stop();
    let alerts = log.matches("Storage: audit log").count();
    assert_eq!(
        alerts, 1,
        "one alert while it stays above the level:\n{log}"
    );
}

#[test]
fn call_records_found_over_their_limit_at_start_are_reported_at_once() {
    let mut pbx = Pbx::start_with(|c| c.storage.calls_kib = 64);
    let calls = data(&pbx).join("calls.jsonl");
    let line = r#"{"call":1,"caller":{"kind":"withheld"},"entry":null,"offered_at":"2027-01-15T08:00:00Z","groups":[],"answered_by":null,"wait_ms":1000,"talk_ms":0,"outcome":{"kind":"missed"}}"#;
    let mut text = String::new();
    while text.len() < 100 * 1024 {
        text.push_str(line);
        text.push('\n');
    }
    std::fs::write(&calls, &text).expect("old records");
    pbx.restart();
    let mut client = Client::connect(&pbx.dir().join("control.sock"));
    let report = report_until(&mut client, |r| store(r, "calls")["warning"] == true);
    let calls_report = store(&report, "calls");
    assert_eq!(calls_report["used_bytes"], text.len() as u64);
    assert_eq!(report["warn_percent"], 90);
    let history = client.ask(json!({"request": "history", "limit": 3}));
    assert_eq!(
        history["records"].as_array().map(Vec::len),
        Some(3),
        "{history}"
    );
    let log = pbx.stop();
    assert!(log.contains("Storage: call records"), "{log}");
}
