//! Bad input in the console's editors, typed for real (issue 7): `centrala-console --socket`
//! runs in tmux at 80×24 against the running daemon, and the test types what an admin might
//! get wrong — an extension with a letter, a taken extension, an empty name, a mobile number
//! with a letter, 25:00 in the weekly hours, a time zone that does not exist, a date that does
//! not exist, a ring time out of range, and a group number the daemon refuses because an
//! employee has it. Each shows its reason on the screen; afterwards the daemon's revision is
//! unchanged, nothing was audited, and the stored configuration after a restart is the one
//! it started with.

use std::time::Duration;

use centrala_e2e::bin;
use centrala_e2e::control::Client;
use centrala_e2e::pbx::Pbx;
use centrala_e2e::tmux::Terminal;

/// Esc on its own, with a pause: Esc followed at once by a key reads as Alt+key.
fn escape(t: &Terminal) {
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
}

/// Erases the input field (its text is shorter than 12 characters) and types `text`, Enter.
fn retype(t: &Terminal, text: &str) {
    for _ in 0..12 {
        t.keys(&["BSpace"]);
    }
    t.type_text(text);
    t.keys(&["Enter"]);
}

/// A new employee: the extension, the name and the mobile number, each wrong first.
fn new_employee(t: &Terminal) {
    t.keys(&["2"]);
    t.wait_for(&["Employees", "101"]);
    t.keys(&["a"]);
    t.wait_for(&["New employee: extension"]);
    retype(t, "12a");
    t.wait_for(&["'12a': an extension may contain only digits"]);
    retype(t, "101");
    t.wait_for(&["extension 101 is already taken"]);
    retype(t, "104");
    t.wait_for(&["New employee 104: name"]);
    t.keys(&["Enter"]);
    t.wait_for(&["the name is empty"]);
    retype(t, "Jan Nowy");
    t.wait_for(&["New employee 104 (unsaved)"]);
    escape(t);
    t.keys(&["Down", "Enter"]);
    t.wait_for(&["Mobile number"]);
    retype(t, "600 12x 345");
    t.wait_for(&["'x' at position 7 is not allowed in a phone number"]);
    escape(t);
    // Leaving the editor: the first Esc warns, the second discards.
    escape(t);
    t.wait_for(&["Unsaved changes"]);
    escape(t);
    t.wait_for(&["Employees", "Anna Nowak", "delete"]);
}

/// The office hours: 25:00, a time zone that does not exist, a holiday without a name and on
/// a day that does not exist.
fn schedule(t: &Terminal) {
    t.keys(&["4"]);
    t.wait_for(&["Schedules", "office-hours"]);
    t.keys(&["Enter"]);
    t.wait_for(&["Schedule 'office-hours'", "Hours mon"]);
    t.keys(&["Down", "Down", "Enter"]);
    t.wait_for(&["Hours on mon"]);
    retype(t, "08:00-25:00");
    t.wait_for(&["'25:00' is not a time of day"]);
    escape(t);
    t.keys(&["Up", "Up", "Enter"]);
    t.wait_for(&["Time zone (type to search)"]);
    t.type_text("Mars/Olympus");
    t.wait_for(&["nothing matches 'Mars/Olympus'"]);
    t.keys(&["Enter"]);
    t.wait_for(&["nothing matches 'Mars/Olympus'", "search: Mars/Olympus"]);
    escape(t);
    t.keys(&["a"]);
    t.wait_for(&["New holiday: name"]);
    t.keys(&["Enter"]);
    t.wait_for(&["the name is empty"]);
    retype(t, "Wigilia");
    t.wait_for(&["Holiday 'Wigilia': date"]);
    retype(t, "2026-02-30");
    t.wait_for(&["2026-02-30 does not exist"]);
    escape(t);
    escape(t);
    t.wait_for(&["Schedules", "office-hours"]);
}

/// The group: a ring time out of range, then a number the daemon refuses on save.
fn group(t: &Terminal) {
    t.keys(&["3"]);
    t.wait_for(&["Queue groups", "office"]);
    t.keys(&["Enter"]);
    t.wait_for(&["Group 'office'", "Ring time"]);
    t.keys(&["Down", "Down", "Enter"]);
    t.wait_for(&["Ring time (seconds)"]);
    retype(t, "500");
    t.wait_for(&["500 s is out of range: between 5 and 120 s"]);
    escape(t);
    t.keys(&["Up", "Up", "Enter"]);
    t.wait_for(&["Group number"]);
    retype(t, "101");
    t.wait_for(&["*Number           101"]);
    t.keys(&["s"]);
    t.wait_for(&["Save group 'office'?", "number: 100 → 101"]);
    t.keys(&["Enter"]);
    t.wait_for(&[
        "Not saved. The daemon refused:",
        "field 'number': the number 101 is already used by",
        "nothing was lost",
    ]);
    escape(t);
    t.wait_for(&["Group 'office' (unsaved)", "*Number           101"]);
    escape(t);
    escape(t);
    t.wait_for(&["Queue groups"]);
}

#[test]
fn bad_input_in_every_editor_shows_its_reason_and_saves_nothing() {
    let mut pbx = Pbx::start();
    let socket = pbx.dir().join("control.sock");
    let mut client = Client::connect(&socket);
    let (revision, before) = client.config();
    let command = format!(
        "{} --socket {}",
        bin("centrala-console").display(),
        socket.display()
    );
    let t = Terminal::start(&command, 80, 24);
    t.wait_for(&["1 Dashboard", "rev "]);

    new_employee(&t);
    schedule(&t);
    group(&t);
    t.keys(&["q"]);

    let (now, config) = client.config();
    assert_eq!(now, revision, "a refused edit changed the revision");
    assert_eq!(config, before);
    let audit = pbx.dir().join("data").join("audit.log");
    let audited = std::fs::read_to_string(&audit).unwrap_or_default();
    assert!(audited.is_empty(), "nothing may be audited:\n{audited}");

    drop(client);
    pbx.restart();
    let (_, stored) = Client::connect(&socket).config();
    assert_eq!(stored, before, "the stored configuration changed");
    pbx.stop();
}
