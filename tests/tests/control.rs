//! The control socket of the real daemon, spoken to with a plain `std` Unix socket client and
//! JSON written by hand (so the wire format itself is checked, not only our types): owner-only
//! permissions; a change is saved, audited, stored across a restart and applied to calls at
//! once; a change on an old revision is a conflict; an invalid one names its fields; garbage
//! is answered with an error.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

use centrala_e2e::baresip::{AnswerMode, Phone, PhoneConfig};
use centrala_e2e::control::Client;
use centrala_e2e::pbx::{add_employee, group_mut, import, Pbx};
use centrala_e2e::ssh::whoami;
use firmware_config::group::{Distribution, Unanswered};
use serde_json::{json, Value};

/// Replaces a group over `client`.
fn replace_group(client: &mut Client, base: u64, group: &Value) -> Value {
    client.ask(json!({
        "request": "replace",
        "base": base,
        "item": {"kind": "group", "value": group},
    }))
}

fn socket(pbx: &Pbx) -> PathBuf {
    pbx.dir().join("control.sock")
}

fn group<'a>(config: &'a Value, name: &str) -> &'a Value {
    config["groups"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["name"] == name))
        .unwrap_or_else(|| panic!("no group {name} in {config}"))
}

/// Employees 101–103 in "office" (in order), 104 not a member yet, 105 calls.
fn start() -> Pbx {
    Pbx::start_with(|c| {
        add_employee(c, "104", "Four");
        add_employee(c, "105", "Caller Five");
        let g = group_mut(c, "office");
        g.distribution = Distribution::InOrder;
        g.ring_time_secs = 20;
        g.unanswered = Unanswered::WaitForAgent;
    })
}

#[test]
fn a_change_is_saved_audited_applied_to_calls_and_stored() {
    let mut pbx = start();
    let path = socket(&pbx);
    let mode = std::fs::metadata(&path)
        .expect("socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the control socket is owner only");

    let mut watcher = Client::connect(&path);
    assert_eq!(
        watcher.ask(json!({"request": "subscribe"}))["reply"],
        "subscribed"
    );

    let mut ala = Client::connect(&path);
    let hello = ala.hello("ala");
    assert_eq!(hello["reply"], "hello", "{hello}");
    assert_eq!(hello["version"], 1);
    let (base, config) = ala.config();
    let before = group(&config, "office").clone();
    assert_eq!(before["distribution"], "in_order");

    let mut office = before.clone();
    office["distribution"] = json!("simultaneously");
    // Last in the list, behind 101–103 who have no phones here: with `simultaneously` the
    // router must still ring 104 (it used to end the pass at the first member who could not
    // take the call).
    office["members"]
        .as_array_mut()
        .expect("members")
        .push(json!("104"));
    let saved = replace_group(&mut ala, base, &office);
    assert_eq!(saved, json!({"reply": "saved", "revision": base + 1}));

    // Subscribers are told.
    let event = loop {
        let m = watcher.receive().expect("an event");
        if m["event"]["event"] == "config_changed" {
            break m["event"].clone();
        }
    };
    assert_eq!(event["by"], format!("{} (as ala)", whoami()));
    assert_eq!(event["revision"], base + 1);
    assert_eq!(event["changed"], json!(["group 'office'"]));

    // The audit log: who, what, before and after.
    let audit = std::fs::read_to_string(pbx.dir().join("data/audit.log")).expect("audit log");
    let entries: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(entries.len(), 1, "{audit}");
    let entry = &entries[0];
    // Named by the login the kernel reports, with the console's own name for itself beside it.
    assert_eq!(entry["by"], format!("{} (as ala)", whoami()));
    assert_eq!(entry["revision"], base + 1);
    assert_eq!(entry["changed"], json!(["group 'office'"]));
    assert!(
        entry["at"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{entry}"
    );
    assert_eq!(entry["items"][0]["before"], before);
    assert_eq!(entry["items"][0]["after"], office);

    // A second admin working on the old revision is refused, naming what changed.
    let mut ola = Client::connect(&path);
    ola.hello("ola");
    let mut theirs = before.clone();
    theirs["ring_time_secs"] = json!(45);
    let conflict = replace_group(&mut ola, base, &theirs);
    assert_eq!(
        conflict,
        json!({"reply": "conflict", "current": base + 1, "changed": ["group 'office'"]})
    );

    // An invalid change names its fields and stores nothing.
    let mut bad = office.clone();
    bad["ring_time_secs"] = json!(0);
    bad["members"]
        .as_array_mut()
        .expect("members")
        .push(json!("555"));
    let invalid = replace_group(&mut ola, base + 1, &bad);
    assert_eq!(invalid["reply"], "invalid", "{invalid}");
    let paths: Vec<&str> = invalid["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["path"].as_str())
        .collect();
    assert!(
        paths.contains(&"group 'office', field 'ring_time_secs'"),
        "{invalid}"
    );
    assert!(
        paths.iter().any(|p| p.contains("field 'members")),
        "{invalid}"
    );

    // Garbage is answered with an error; the connection and the daemon go on.
    ola.send_line("{ this is not a request");
    let garbage = ola.receive().expect("an answer to garbage");
    assert_eq!(garbage["reply"]["reply"], "error", "{garbage}");
    ola.send_line(r#"{"v":1,"id":77,"request":"format_disk"}"#);
    let unknown = ola.receive().expect("an answer");
    assert_eq!(unknown["id"], 77);
    assert_eq!(unknown["reply"]["reply"], "error", "{unknown}");
    let (now, config) = ola.config();
    assert_eq!(now, base + 1, "nothing more was stored");
    assert_eq!(group(&config, "office"), &office);
    drop(ola);

    // The running switch follows the change at once: 104, the new member, is rung.
    let mut four =
        Phone::start(PhoneConfig::registered("104", pbx.port()).answer(AnswerMode::Manual));
    four.wait_registered();
    pbx.wait_for_all(&["phone registered", "user=104"]);
    let status = ala.ask(json!({"request": "status"}));
    assert_eq!(status["reply"], "status", "{status}");
    let registered: Vec<&Value> = status["registrations"]
        .as_array()
        .expect("registrations")
        .iter()
        .filter(|r| r["extension"] == "104")
        .collect();
    assert_eq!(registered.len(), 1, "{status}");
    let mut caller =
        Phone::start(PhoneConfig::registered("105", pbx.port()).answer(AnswerMode::Auto));
    caller.wait_registered();
    caller.dial(&pbx.uri("100"));
    let rung = four.next_event_of(&["CALL_INCOMING"], Duration::from_secs(10));
    pbx.drain_log();
    assert!(
        rung.is_some(),
        "104 was not rung after joining the group\n{}",
        pbx.log_text()
    );
    pbx.wait_for_all(&["ringing", "employee=104"]);
    let status = ala.ask(json!({"request": "status"}));
    let calls = status["calls"].as_array().expect("calls");
    assert_eq!(calls.len(), 1, "{status}");
    assert_eq!(calls[0]["caller"], "105", "{status}");
    assert_eq!(calls[0]["state"], "ringing 104 in office", "{status}");
    let office_queue = status["queues"]
        .as_array()
        .and_then(|q| q.iter().find(|q| q["group"] == "office"))
        .expect("the office queue");
    assert_eq!(
        office_queue["waiting"].as_array().map(Vec::len),
        Some(1),
        "{status}"
    );
    // The subscriber is shown the ringing call too (a paced status event).
    let pushed = loop {
        let m = watcher.receive().expect("a status event with the call");
        let event = &m["event"];
        let ringing = event["calls"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["state"] == "ringing 104 in office"));
        if event["event"] == "status" && ringing {
            break event.clone();
        }
    };
    assert!(
        pushed["registrations"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["user"] == "105")),
        "{pushed}"
    );
    caller.hangup();
    drop(caller);
    drop(four);

    // The call is in the history (missed: the caller hung up while 104 rang) and in the
    // office's statistics.
    pbx.wait_for_all(&[
        "call record",
        "\"caller\":{\"kind\":\"extension\",\"value\":\"105\"}",
    ]);
    let missed = ala.ask(json!({
        "request": "history", "limit": 10, "missed_only": true, "group": "office"
    }));
    let record = only_record(&missed);
    assert_eq!(record["missed"], true, "{missed}");
    assert_eq!(record["answered_by"], Value::Null, "{missed}");
    let stats = ala.ask(json!({"request": "statistics"}));
    assert_eq!(stats["reply"], "statistics", "{stats}");
    let office_stats = stats["groups"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["group"] == "office"))
        .expect("the office's statistics");
    assert_eq!(
        (&office_stats["offered"], &office_stats["missed"]),
        (&json!(1), &json!(1)),
        "{stats}"
    );

    // Stored: after a restart the daemon runs on the change, and still knows the call.
    drop(ala);
    drop(watcher);
    pbx.restart();
    let mut again = Client::connect(&path);
    let (revision, config) = again.config();
    assert_eq!(revision, base + 1);
    assert_eq!(group(&config, "office"), &office);
    let history = again.ask(json!({"request": "history", "limit": 10}));
    assert_eq!(
        only_record(&history),
        record,
        "the same record after a restart"
    );
    pbx.stop();
}

/// The one record of a history reply, checked to be the call from 105 through the office.
fn only_record(reply: &Value) -> Value {
    assert_eq!(reply["reply"], "history", "{reply}");
    let records = reply["records"].as_array().expect("records");
    assert_eq!(records.len(), 1, "{reply}");
    let record = records[0].clone();
    assert_eq!(record["caller"], "105", "{reply}");
    assert_eq!(record["groups"], json!(["office"]), "{reply}");
    record
}

#[test]
fn a_line_over_the_limit_is_refused_and_the_daemon_goes_on() {
    let pbx = start();
    let path = socket(&pbx);
    let mut c = Client::connect(&path);
    let long = "x".repeat((1 << 20) + 16);
    c.send_line(&long);
    let answer = c.receive().expect("an answer");
    assert_eq!(answer["reply"]["reply"], "error", "{answer}");
    assert!(c.receive().is_none(), "the connection is closed");
    let mut d = Client::connect(&path);
    let (revision, _) = d.config();
    assert!(revision >= 1);
    pbx.stop();
}

#[test]
fn an_import_while_the_daemon_runs_is_never_overwritten_by_a_console_change() {
    let mut pbx = start();
    let path = socket(&pbx);
    let mut ala = Client::connect(&path);
    ala.hello("ala");
    let (base, config) = ala.config();
    let mut imported: firmware_config::Config =
        serde_json::from_value(config.clone()).expect("the configuration as the daemon sent it");
    imported.system.name = "Imported office".try_into().expect("fits");
    let file = pbx.dir().join("imported.toml");
    let out = import(pbx.dir(), &imported, &file);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("a daemon is running"), "{said}");

    // A console change made on what the daemon runs would replace the import: refused.
    let mut office = group(&config, "office").clone();
    office["ring_time_secs"] = json!(33);
    let refused = replace_group(&mut ala, base, &office);
    assert_eq!(refused["reply"], "error", "{refused}");
    let why = refused["message"].as_str().unwrap_or_default();
    assert!(why.contains("changed outside the daemon"), "{why}");

    // After a restart the daemon runs the import, untouched.
    pbx.restart();
    let (_, now) = Client::connect(&path).config();
    assert_eq!(now["system"]["name"], "Imported office");
    assert_eq!(group(&now, "office")["ring_time_secs"], 20);
    pbx.stop();
}
