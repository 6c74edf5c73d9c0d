//! The issue's "done when", walked through for real: over SSH (a forced-command key opens the
//! console straight away, in tmux at 80×24) an admin sets the office hours, adds a holiday and
//! puts a new employee in a group, pressing only keys the help bar shows at that moment — every
//! key press below first checks that the bottom line offers it. The daemon's configuration
//! must then hold all three changes. The key presses are counted and printed.

use std::cell::Cell;
use std::time::{Duration, Instant};

use centrala_e2e::bin;
use centrala_e2e::control::Client;
use centrala_e2e::pbx::Pbx;
use centrala_e2e::ssh::SshServer;
use centrala_e2e::tmux::Terminal;
use serde_json::Value;

/// A terminal whose key presses are checked against the help bar and counted.
struct Admin {
    t: Terminal,
    presses: Cell<usize>,
}

impl Admin {
    /// Presses `key` (a tmux key name) once the help bar (the bottom line) offers `offered`
    /// (e.g. `Enter  edit`; the bar may pack its spaces tighter when the keys are many).
    fn press(&self, key: &str, offered: &str) {
        let want = squeeze(offered);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let screen = self.t.screen();
            let help = screen.lines().last().unwrap_or_default();
            if squeeze(help).contains(&want) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the help bar does not offer '{offered}':\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        self.t.keys(&[key]);
        self.presses.set(self.presses.get() + 1);
        if key == "Escape" {
            // Esc followed at once by a key reads as Alt+key.
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// Types `text` into the open field (each character counts as a key press).
    fn type_text(&self, text: &str) {
        self.t.wait_for(&["Enter  accept"]);
        self.t.type_text(text);
        self.presses.set(self.presses.get() + text.chars().count());
    }

    /// Types `text` into a search field.
    fn search(&self, text: &str) {
        self.t.wait_for(&["type  search"]);
        self.t.type_text(text);
        self.presses.set(self.presses.get() + text.chars().count());
    }

    fn wait_for(&self, needles: &[&str]) -> String {
        self.t.wait_for(needles)
    }
}

/// `s` with every run of spaces made one.
fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Monday to Friday 08:00–16:00: Monday typed, then copied to the other open days.
fn office_hours(a: &Admin) {
    a.press("4", "1-9/Tab screens");
    a.wait_for(&["office-hours"]);
    a.press("Enter", "Enter  edit");
    a.wait_for(&["Schedule 'office-hours'"]);
    a.press("Down", "↑↓  move");
    a.press("Down", "↑↓  move");
    a.press("Enter", "Enter  hours");
    a.wait_for(&["Hours on mon"]);
    for _ in 0..11 {
        a.press("BSpace", "Bksp  erase");
    }
    a.type_text("08:00-16:00");
    a.press("Enter", "Enter  accept");
    a.press("w", "w  copy to week");
    a.wait_for(&["mon hours copied to tue, wed, thu, fri"]);
}

/// Christmas, both days, every year; then the schedule is saved.
fn holiday(a: &Admin) {
    a.press("a", "a  add holiday");
    a.wait_for(&["New holiday: name"]);
    a.type_text("Boże Narodzenie");
    a.press("Enter", "Enter  accept");
    a.wait_for(&["date"]);
    a.type_text("2026-12-25..2026-12-26");
    a.press("Enter", "Enter  accept");
    a.wait_for(&["every year?"]);
    a.press("BSpace", "Bksp  erase");
    a.type_text("y");
    a.press("Enter", "Enter  accept");
    a.press("s", "s  save");
    a.wait_for(&["Save schedule 'office-hours'?", "Boże Narodzenie"]);
    a.press("Enter", "Enter/s  save");
    a.wait_for(&["Saved schedule 'office-hours'"]);
    a.press("Escape", "Esc  close");
}

/// Employee 105, saved.
fn new_employee(a: &Admin) {
    a.press("2", "1-9/Tab screens");
    a.press("a", "a  add");
    a.wait_for(&["New employee: extension"]);
    a.type_text("105");
    a.press("Enter", "Enter  accept");
    a.type_text("Marta Zielińska");
    a.press("Enter", "Enter  accept");
    a.wait_for(&["New employee 105 (unsaved)"]);
    a.press("s", "s  save");
    a.press("Enter", "Enter/s  save");
    a.wait_for(&["Saved employee 105"]);
    a.press("Escape", "Esc  close");
}

/// Marta joins the office group.
fn into_group(a: &Admin) {
    a.press("3", "1-9/Tab screens");
    a.wait_for(&["Queue groups", "office"]);
    a.press("Enter", "Enter  edit");
    a.press("a", "a  add member");
    a.search("Marta");
    a.wait_for(&["105 Marta"]);
    a.press("Enter", "Enter  pick");
    a.press("s", "s  save");
    a.wait_for(&["+ member 105"]);
    a.press("Enter", "Enter/s  save");
    a.wait_for(&["Saved group 'office'"]);
    a.press("Escape", "Esc  close");
}

fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn a_new_admin_sets_hours_adds_a_holiday_and_puts_a_new_employee_in_a_group_by_the_help_bar() {
    let pbx = Pbx::start();
    let socket = pbx.dir().join("control.sock");
    let forced = format!(
        "{} --socket {}",
        bin("centrala-console").display(),
        socket.display()
    );
    let (server, keys) = SshServer::start(&[Some(forced.as_str())]);
    let started = Instant::now();
    let admin = Admin {
        t: Terminal::start(&server.ssh_command(&keys[0], None), 80, 24),
        presses: Cell::new(0),
    };
    admin.wait_for(&["1 Dashboard", "rev "]);

    office_hours(&admin);
    holiday(&admin);
    new_employee(&admin);
    into_group(&admin);
    println!(
        "walkthrough: {} key presses (typed text included), {:.1} s by the test",
        admin.presses.get(),
        started.elapsed().as_secs_f64()
    );

    let (_, config) = Client::connect(&socket).config();
    let hours = &config["schedules"][0];
    for day in ["mon", "tue", "wed", "thu", "fri"] {
        assert_eq!(
            texts(&hours["hours"][day]),
            [r#""08:00-16:00""#],
            "{day}: {hours}"
        );
    }
    assert!(hours["holidays"].to_string().contains("Boże Narodzenie"));
    let office = config["groups"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["name"] == "office"))
        .cloned()
        .unwrap_or_default();
    assert!(
        texts(&office["members"]).contains(&r#""105""#.to_string()),
        "{office}"
    );
    let employees = config["employees"].to_string();
    assert!(employees.contains("Marta Zielińska"), "{employees}");
    drop(admin);
    pbx.stop();
}
