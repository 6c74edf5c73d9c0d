//! The console for real (issue 7): the daemon runs; an admin logs in over SSH with a key whose
//! forced command opens `centrala-console` straight away, in tmux at 80×24; the test types
//! keys like a person. It adds a holiday, opens an entry point's calendar and has a moment
//! explained, and changes a group (distribution and a new member),
//! then checks the screen, the stored configuration after a daemon restart, the audit log,
//! and that a SIP call placed afterwards follows the new rule. Two consoles editing the same
//! group: the second save is refused as a conflict and nothing is lost.
//!
//! Needs sshd, ssh, tmux and baresip (`scripts/setup.sh` installs them).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use centrala_e2e::baresip::{AnswerMode, Phone, PhoneConfig};
use centrala_e2e::bin;
use centrala_e2e::pbx::{add_employee, Pbx};
use centrala_e2e::ssh::{whoami, SshServer};
use centrala_e2e::tmux::Terminal;
use serde_json::Value;

/// The configuration as the daemon holds it, read over the control socket.
fn stored_config(socket: &Path) -> Value {
    let mut stream = UnixStream::connect(socket).expect("connect to the control socket");
    stream
        .write_all(b"{\"v\":1,\"id\":1,\"request\":\"get_config\"}\n")
        .expect("send");
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).expect("reply");
    let reply: Value = serde_json::from_str(&line).expect("JSON");
    reply["reply"]["config"].clone()
}

fn group<'a>(config: &'a Value, name: &str) -> &'a Value {
    config["groups"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["name"] == name))
        .unwrap_or_else(|| panic!("no group {name}: {config}"))
}

/// Opens the console over SSH (forced command) in a fresh 80×24 tmux terminal.
fn console(server: &SshServer, key: &centrala_e2e::ssh::ClientKey) -> Terminal {
    let terminal = Terminal::start(&server.ssh_command(key, None), 80, 24);
    terminal.wait_for(&["1 Dashboard", "rev "]);
    terminal
}

/// Esc on its own, with a pause: Esc followed at once by a key reads as Alt+key.
fn escape(t: &Terminal) {
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
}

fn add_holiday(t: &Terminal) {
    t.keys(&["4"]);
    t.wait_for(&["Schedules", "office-hours"]);
    t.keys(&["Enter"]);
    t.wait_for(&["Schedule 'office-hours'", "a  add holiday"]);
    t.keys(&["a"]);
    t.wait_for(&["New holiday: name"]);
    t.type_text("Christmas Eve");
    t.keys(&["Enter"]);
    t.wait_for(&["date"]);
    t.type_text("2026-12-24");
    t.keys(&["Enter"]);
    t.wait_for(&["every year?"]);
    t.keys(&["BSpace"]);
    t.type_text("y");
    t.keys(&["Enter"]);
    t.wait_for(&["Christmas Eve: 2026-12-24, every year"]);
    t.keys(&["s"]);
    t.wait_for(&["Save schedule 'office-hours'?", "Christmas Eve"]);
    t.keys(&["Enter"]);
    t.wait_for(&["Saved"]);
}

/// Opens group `office` and changes its distribution once (in order → evenly) and adds 104.
fn change_office(t: &Terminal) {
    t.keys(&["3"]);
    t.wait_for(&["Queue groups", "office"]);
    t.keys(&["Enter"]);
    t.wait_for(&["Group 'office'", "Distribution"]);
    t.keys(&["Down"]);
    t.keys(&["Enter"]);
    t.wait_for(&["*Distribution     evenly"]);
    t.keys(&["a"]);
    t.wait_for(&["Add a member"]);
    t.type_text("104");
    t.wait_for(&["1 of 1"]);
    t.keys(&["Enter"]);
    t.wait_for(&["104 Four"]);
    t.keys(&["s"]);
    t.wait_for(&["Save group 'office'?", "+ member 104"]);
}

#[test]
fn an_admin_over_ssh_adds_a_holiday_and_changes_a_group_and_the_pbx_follows() {
    let mut pbx = Pbx::start_with(|c| add_employee(c, "104", "Four"));
    let socket = pbx.dir().join("control.sock");
    let forced = format!(
        "{} --socket {}",
        bin("centrala-console").display(),
        socket.display()
    );
    let (server, keys) = SshServer::start(&[Some(forced.as_str()), Some(forced.as_str())]);
    let ala = console(&server, &keys[0]);

    add_holiday(&ala);
    escape(&ala);

    // The reception's next 14 days, and why a moment in them is what it is (the test office
    // detaches entry points from their schedules, so: always open).
    ala.keys(&["5"]);
    ala.wait_for(&["Entry points", "reception"]);
    ala.keys(&["c"]);
    ala.wait_for(&["Calendar of 'reception'", "always open"]);
    ala.keys(&["Enter"]);
    ala.wait_for(&["Explanation", "entry point 'reception' at", "route:"]);
    escape(&ala);
    escape(&ala);
    escape(&ala);

    // A second admin opens the same group before the first saves.
    let ola = console(&server, &keys[1]);
    ola.keys(&["3"]);
    ola.wait_for(&["Queue groups", "office"]);
    ola.keys(&["Enter"]);
    ola.wait_for(&["Group 'office'"]);

    change_office(&ala);
    ala.keys(&["Enter"]);
    ala.wait_for(&["Saved"]);
    ala.wait_for(&["evenly"]);

    // Ola's edit was made on the old revision: refused as a conflict, nothing overwritten.
    ola.keys(&["Down", "Enter"]);
    ola.wait_for(&["*Distribution"]);
    ola.keys(&["s"]);
    ola.wait_for(&["Save group 'office'?"]);
    ola.keys(&["Enter"]);
    ola.wait_for(&["Conflict", "group 'office'", "r reloads"]);
    drop(ola);

    // Stored: the daemon has both changes after a restart.
    pbx.restart();
    let config = stored_config(&socket);
    let office = group(&config, "office");
    assert_eq!(office["distribution"], "evenly", "{office}");
    assert!(
        office["members"]
            .as_array()
            .is_some_and(|m| m.iter().any(|x| x == "104")),
        "{office}"
    );
    let holidays = config["schedules"][0]["holidays"].to_string();
    assert!(holidays.contains("Christmas Eve"), "{holidays}");

    // Audited: who and what, for both changes; the conflict wrote nothing.
    let audit = std::fs::read_to_string(pbx.dir().join("data").join("audit.log")).expect("audit");
    let lines: Vec<&str> = audit.lines().collect();
    assert_eq!(lines.len(), 2, "{audit}");
    let user = whoami();
    assert!(lines[0].contains("schedule 'office-hours'") && lines[0].contains(&user));
    assert!(lines[1].contains("group 'office'") && lines[1].contains("\"104\""));

    // Applied: a call to the group rings the new member, the only one with a phone.
    let mut four =
        Phone::start(PhoneConfig::registered("104", pbx.port()).answer(AnswerMode::Manual));
    four.wait_registered();
    let mut caller = Phone::start(PhoneConfig::registered("101", pbx.port()));
    caller.wait_registered();
    caller.dial(&pbx.uri("100"));
    four.wait_event("CALL_INCOMING");
    caller.hangup();
    drop(ala);
    pbx.stop();
}
