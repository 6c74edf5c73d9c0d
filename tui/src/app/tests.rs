//! Keys → actions → state: what the administrator's keys do to the console and what it sends.

use firmware_config::employee::Presence;
use firmware_config::group::{Distribution, QueueGroup, Unanswered};
use firmware_config::schedule::{Forced, Schedule};
use firmware_config::time::Weekday;
use pbx::control::protocol::{Event, FieldProblem, Item, Reply, Request};
use ratatui::crossterm::event::KeyCode;

use super::*;
use crate::testing::{loaded, press, type_text};

/// The one Replace the commands hold: its base and item.
fn replaced(commands: &[Command]) -> (Revision, Item) {
    match commands {
        [Command::Send(Request::Replace { base, item })] => (*base, item.clone()),
        other => panic!("expected one Replace, got {other:?}"),
    }
}

fn group_of(item: Item) -> QueueGroup {
    match item {
        Item::Group(g) => *g,
        other => panic!("expected a group, got {other:?}"),
    }
}

fn schedule_of(item: Item) -> Schedule {
    match item {
        Item::Schedule(s) => *s,
        other => panic!("expected a schedule, got {other:?}"),
    }
}

/// Opens group-0's editor.
fn edit_group() -> App {
    let mut app = loaded();
    type_text(&mut app, "3");
    press(&mut app, KeyCode::Enter);
    assert!(matches!(app.editor, Some(Editor::Group(_))));
    app
}

/// Opens hours-0's editor.
fn edit_schedule() -> App {
    let mut app = loaded();
    type_text(&mut app, "4");
    press(&mut app, KeyCode::Enter);
    assert!(matches!(app.editor, Some(Editor::Schedule(_))));
    app
}

/// Saves: s shows the difference, Enter sends.
fn save(app: &mut App) -> Vec<Command> {
    type_text(app, "s");
    assert!(
        matches!(app.overlay, Some(Overlay::Confirm { .. })),
        "s shows the difference first"
    );
    press(app, KeyCode::Enter)
}

fn confirm_lines(app: &App) -> Vec<String> {
    match &app.overlay {
        Some(Overlay::Confirm { changes, .. }) => changes.iter().map(|c| c.to_string()).collect(),
        other => panic!("expected the difference, got {other:?}"),
    }
}

#[test]
fn the_session_starts_with_hello_config_status_storage_and_subscribe() {
    let app = App::new("ola", crate::testing::now());
    let sent: Vec<Request> = app
        .start()
        .iter()
        .filter_map(|c| c.request().cloned())
        .collect();
    assert!(matches!(&sent[0], Request::Hello { user, .. } if user == "ola"));
    assert_eq!(
        sent[1..],
        [
            Request::GetConfig,
            Request::Status,
            Request::Storage,
            Request::Subscribe
        ]
    );
}

#[test]
fn changing_the_distribution_sends_the_group_with_it() {
    let mut app = edit_group();
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "s");
    assert_eq!(
        confirm_lines(&app),
        ["distribution: in order (first member first) → evenly (round robin)"]
    );
    let (base, item) = replaced(&press(&mut app, KeyCode::Enter));
    assert_eq!(base, 3);
    let g = group_of(item);
    assert_eq!(g.distribution, Distribution::Evenly);
    assert_eq!(g.name.as_str(), "group-0");
}

#[test]
fn adding_a_member_picks_from_employees_not_yet_in_the_group() {
    let mut app = edit_group();
    type_text(&mut app, "a");
    let Some(Overlay::Picker(p)) = &app.overlay else {
        panic!("a opens the employee picker")
    };
    // group-0 has 1000..1007; 1008 and 1009 are left.
    assert_eq!(p.choices.len(), 2);
    type_text(&mut app, "1009");
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    let g = group_of(replaced(&save(&mut app)).1);
    assert_eq!(g.members.len(), 9);
    assert_eq!(g.members.last().map(|m| m.as_str()), Some("1009"));
}

#[test]
fn members_are_removed_and_reordered() {
    let mut app = edit_group();
    for _ in 0..5 {
        press(&mut app, KeyCode::Down); // Number, Distribution, RingTime, Unanswered → member 1, 2
    }
    type_text(&mut app, "K"); // member 2 (1001) up
    type_text(&mut app, "x"); // the row follows it: remove 1001
    let g = group_of(replaced(&save(&mut app)).1);
    let members: Vec<&str> = g.members.iter().map(|m| m.as_str()).collect();
    assert_eq!(
        members,
        ["1000", "1002", "1003", "1004", "1005", "1006", "1007"]
    );
}

#[test]
fn the_unanswered_action_can_point_at_an_employee() {
    let mut app = edit_group();
    for _ in 0..3 {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "employee");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "1004");
    press(&mut app, KeyCode::Enter);
    let g = group_of(replaced(&save(&mut app)).1);
    assert_eq!(
        g.unanswered,
        Unanswered::ForwardToEmployee("1004".parse().expect("ext"))
    );
}

#[test]
fn adding_a_holiday_asks_name_dates_and_repetition() {
    let mut app = edit_schedule();
    type_text(&mut app, "a");
    type_text(&mut app, "Christmas");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "2026-12-24..2026-12-26");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "y");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "s");
    assert_eq!(
        confirm_lines(&app),
        ["+ holiday 'Christmas': 2026-12-24..2026-12-26, every year"]
    );
    let (base, item) = replaced(&press(&mut app, KeyCode::Enter));
    assert_eq!(base, 3);
    let h = schedule_of(item)
        .holidays
        .last()
        .cloned()
        .expect("a holiday");
    assert_eq!(h.name.as_str(), "Christmas");
    assert_eq!(h.start.to_string(), "2026-12-24");
    assert_eq!(h.end.map(|d| d.to_string()).as_deref(), Some("2026-12-26"));
    assert!(h.yearly);
}

#[test]
fn bad_input_shows_the_reason_and_changes_nothing() {
    let mut app = edit_schedule();
    let before = app.editor.clone();
    // Monday's hours.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    let Some(Overlay::Input(i)) = &app.overlay else {
        panic!("a field")
    };
    assert_eq!(i.text, "08:00-16:00");
    for _ in 0..11 {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "25:00-17:00");
    press(&mut app, KeyCode::Enter);
    let Some(Overlay::Input(i)) = &app.overlay else {
        panic!("still open")
    };
    assert!(
        i.error.as_deref().is_some_and(|e| e.contains("25:00")),
        "{:?}",
        i.error
    );
    press(&mut app, KeyCode::Esc);
    // An empty holiday name.
    type_text(&mut app, "a");
    press(&mut app, KeyCode::Enter);
    let Some(Overlay::Input(i)) = &app.overlay else {
        panic!("still open")
    };
    assert!(i.error.as_deref().is_some_and(|e| e.contains("empty")));
    press(&mut app, KeyCode::Esc);
    // An unknown time zone: the picker finds nothing.
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "Mars/Olympus");
    press(&mut app, KeyCode::Enter);
    let Some(Overlay::Picker(p)) = &app.overlay else {
        panic!("still open")
    };
    assert!(p
        .error
        .as_deref()
        .is_some_and(|e| e.contains("nothing matches")));
    press(&mut app, KeyCode::Esc);
    let mut after = app.editor.clone();
    if let (Some(Editor::Schedule(a)), Some(Editor::Schedule(b))) = (&mut after, &before) {
        a.row = b.row;
    }
    assert_eq!(after, before, "nothing changed");
    type_text(&mut app, "s");
    assert!(app.overlay.is_none(), "nothing to save");
}

#[test]
fn a_bad_ring_time_is_refused_locally() {
    let mut app = edit_group();
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "abc");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    let Some(Overlay::Input(i)) = &app.overlay else {
        panic!("still open")
    };
    assert!(i
        .error
        .as_deref()
        .is_some_and(|e| e.contains("not a number")));
}

#[test]
fn the_time_zone_picker_searches() {
    let mut app = edit_schedule();
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "new york");
    let Some(Overlay::Picker(p)) = &app.overlay else {
        panic!("a picker")
    };
    let found: Vec<String> = p.visible().iter().map(|c| c.key.clone()).collect();
    assert!(found.iter().any(|k| k == "America/New_York"), "{found:?}");
    press(&mut app, KeyCode::Enter);
    let s = schedule_of(replaced(&save(&mut app)).1);
    assert_eq!(s.time_zone.as_str(), found[0]);
}

#[test]
fn a_day_off_toggles_and_none_means_open_seven_days() {
    use firmware_config::schedule::DaysOff;
    let mut app = edit_schedule();
    for _ in 0..8 {
        press(&mut app, KeyCode::Down); // Sunday
    }
    type_text(&mut app, "o");
    let Some(Editor::Schedule(e)) = &app.editor else {
        panic!()
    };
    assert!(matches!(&e.draft.days_off, DaysOff::Days(d) if d.len() == 1));
    type_text(&mut app, "o");
    let Some(Editor::Schedule(e)) = &app.editor else {
        panic!()
    };
    assert_eq!(e.draft.days_off, DaysOff::OpenSevenDays);
}

#[test]
fn saved_moves_the_revision_and_the_editor_on() {
    let mut app = edit_group();
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    let sent = save(&mut app);
    let Some(request) = sent[0].request() else {
        panic!("expected a request, got {sent:?}")
    };
    app.on_reply(request, Reply::Saved { revision: 4 });
    assert_eq!(app.revision, Some(4));
    let Some(Editor::Group(e)) = &app.editor else {
        panic!()
    };
    assert_eq!((e.base, &e.original), (4, &e.draft));
    assert_eq!(
        app.config
            .as_ref()
            .and_then(|c| c.group("group-0"))
            .map(|g| g.distribution),
        Some(Distribution::Evenly)
    );
    assert!(app
        .note
        .as_ref()
        .is_some_and(|n| n.tone == Tone::Good && n.text.contains("revision 4")));
    // Our own save's event does not reload.
    let ev = Event::ConfigChanged {
        revision: 4,
        by: "ola".into(),
        changed: vec![],
    };
    assert!(app.on_event(ev).is_empty());
}

#[test]
fn a_conflict_offers_a_reload_that_keeps_the_edit() {
    let mut app = edit_group();
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    let sent = save(&mut app);
    let Some(request) = sent[0].request() else {
        panic!("expected a request, got {sent:?}")
    };
    app.on_reply(
        request,
        Reply::Conflict {
            current: 5,
            changed: vec!["group 'group-0'".into()],
        },
    );
    assert!(matches!(
        app.overlay,
        Some(Overlay::Conflict { current: 5, .. })
    ));
    assert!(app
        .note
        .as_ref()
        .is_some_and(|n| n.tone == Tone::Bad && n.text.contains("group 'group-0'")));
    let reload = type_text(&mut app, "r");
    assert_eq!(reload, [Command::Send(Request::GetConfig)]);
    // Meanwhile someone set the ring time to 60 s.
    let mut theirs = crate::testing::office();
    theirs.groups.as_mut_slice()[0].ring_time_secs = 60;
    app.on_reply(
        &Request::GetConfig,
        Reply::Config {
            revision: 5,
            config: Box::new(theirs),
        },
    );
    let Some(Editor::Group(e)) = &app.editor else {
        panic!("still editing")
    };
    assert_eq!(e.base, 5);
    assert_eq!(
        e.draft.distribution,
        Distribution::Evenly,
        "the edit is kept"
    );
    type_text(&mut app, "s");
    let lines = confirm_lines(&app);
    assert!(
        lines.iter().any(|l| l == "ring time: 60 s → 15 s"),
        "the difference shows theirs: {lines:?}"
    );
    let (base, _) = replaced(&press(&mut app, KeyCode::Enter));
    assert_eq!(base, 5);
}

#[test]
fn an_invalid_reply_shows_every_problem_and_keeps_the_edit() {
    let mut app = edit_group();
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    let draft = app.editor.clone();
    let sent = save(&mut app);
    let Some(request) = sent[0].request() else {
        panic!("expected a request, got {sent:?}")
    };
    let problems = vec![
        FieldProblem {
            path: "group 'group-0', field 'number'".into(),
            message: "taken".into(),
        },
        FieldProblem {
            path: "group 'group-0', field 'members[2]'".into(),
            message: "unknown".into(),
        },
    ];
    app.on_reply(
        request,
        Reply::Invalid {
            problems: problems.clone(),
        },
    );
    assert_eq!(app.overlay, Some(Overlay::Problems(problems)));
    press(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none());
    assert_eq!(app.editor, draft);
    assert_eq!(app.revision, Some(3));
}

#[test]
fn presence_cycles_with_one_key() {
    let mut app = loaded();
    type_text(&mut app, "2");
    press(&mut app, KeyCode::Down); // 1001, on a break
    let sent = type_text(&mut app, "p");
    assert_eq!(
        sent,
        [Command::Send(Request::SetPresence {
            base: 3,
            employee: "1001".parse().expect("ext"),
            presence: Presence::Off
        })]
    );
}

#[test]
fn the_night_switch_closes_until_a_time_in_the_schedules_zone() {
    let mut app = loaded();
    type_text(&mut app, "4n");
    type_text(&mut app, "14:00");
    let sent = press(&mut app, KeyCode::Enter);
    match &sent[..] {
        [Command::Send(Request::SetNightSwitch {
            base: 3,
            schedule,
            night_switch: Some(n),
        })] => {
            assert_eq!(schedule, "hours-0");
            assert_eq!(n.state, Forced::Closed);
            assert_eq!(n.until.to_string(), "2026-01-05T13:00:00Z");
        }
        other => panic!("{other:?}"),
    }
    type_text(&mut app, "n");
    let sent = press(&mut app, KeyCode::Enter);
    assert!(matches!(
        &sent[..],
        [Command::Send(Request::SetNightSwitch {
            night_switch: None,
            ..
        })]
    ));
}

#[test]
fn leaving_an_edited_editor_asks_first() {
    let mut app = edit_group();
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Esc);
    assert!(app.editor.is_some());
    press(&mut app, KeyCode::Esc);
    assert!(app.editor.is_none());
}

#[test]
fn someone_elses_change_reloads_the_lists() {
    let mut app = loaded();
    let ev = Event::ConfigChanged {
        revision: 4,
        by: "jan".into(),
        changed: vec!["schedule 'hours-0'".into()],
    };
    assert_eq!(app.on_event(ev), [Command::Send(Request::GetConfig)]);
    assert!(app
        .note
        .as_ref()
        .is_some_and(|n| n.text.contains("jan changed schedule 'hours-0'")));
}

#[test]
fn a_new_employee_is_added_and_then_put_in_a_group() {
    let mut app = loaded();
    type_text(&mut app, "2a");
    type_text(&mut app, "1000");
    press(&mut app, KeyCode::Enter);
    let Some(Overlay::Input(i)) = &app.overlay else {
        panic!("still asking")
    };
    assert!(i
        .error
        .as_deref()
        .is_some_and(|e| e.contains("already taken")));
    for _ in 0..4 {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "1010");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "Anna Nowak");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "s");
    let lines = confirm_lines(&app);
    assert!(
        lines.contains(&"+ extension: 1010".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"+ name: Anna Nowak".to_string()),
        "{lines:?}"
    );
    let sent = press(&mut app, KeyCode::Enter);
    let (base, item) = replaced(&sent);
    assert_eq!(base, 3);
    let Item::Employee(e) = item else {
        panic!("an employee")
    };
    assert_eq!(e.devices[0].username.as_str(), "1010");
    assert!(e.devices[0].password.len() >= 16);
    let Some(request) = sent[0].request() else {
        panic!("expected a request, got {sent:?}")
    };
    app.on_reply(request, Reply::Saved { revision: 4 });
    press(&mut app, KeyCode::Esc);
    assert!(app.editor.is_none(), "saved: nothing to ask");

    type_text(&mut app, "3");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "a");
    type_text(&mut app, "anna");
    press(&mut app, KeyCode::Enter);
    let (base, item) = replaced(&save(&mut app));
    assert_eq!(base, 4);
    assert_eq!(
        group_of(item).members.last().map(|m| m.as_str()),
        Some("1010")
    );
}

#[test]
fn an_employee_is_edited_field_by_field() {
    let mut app = loaded();
    type_text(&mut app, "2");
    press(&mut app, KeyCode::Enter);
    // Name: empty is refused.
    press(&mut app, KeyCode::Enter);
    for _ in 0..20 {
        press(&mut app, KeyCode::Backspace);
    }
    press(&mut app, KeyCode::Enter);
    let Some(Overlay::Input(i)) = &app.overlay else {
        panic!("still asking")
    };
    assert!(i.error.as_deref().is_some_and(|e| e.contains("empty")));
    type_text(&mut app, "Jan Kowalski");
    press(&mut app, KeyCode::Enter);
    // Mobile: a national number gets the office's country code.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    for _ in 0..20 {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "601 234 567");
    press(&mut app, KeyCode::Enter);
    // The phone's password: too short, then a good one.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "short");
    press(&mut app, KeyCode::Enter);
    let Some(Overlay::Input(i)) = &app.overlay else {
        panic!("still asking")
    };
    assert!(i.error.as_deref().is_some_and(|e| e.contains("too short")));
    type_text(&mut app, "-but-longer");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "s");
    let lines = confirm_lines(&app);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("phone '1000': password #")),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("short-but-longer")),
        "never shown in the difference"
    );
    let Item::Employee(e) = replaced(&press(&mut app, KeyCode::Enter)).1 else {
        panic!()
    };
    assert_eq!(e.name.as_str(), "Jan Kowalski");
    assert_eq!(
        e.mobile.map(|m| m.to_string()).as_deref(),
        Some("+48601234567")
    );
    assert_eq!(e.devices[0].password.as_str(), "short-but-longer");
}

#[test]
fn w_copies_a_days_hours_to_every_open_day_but_not_to_days_off() {
    let mut app = edit_schedule();
    // Rows: time zone, days off, mon…
    type_text(&mut app, "jj");
    press(&mut app, KeyCode::Enter);
    for _ in 0..20 {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "07:30-15:30");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "jjjjjjokkkkkk"); // sunday off, back to monday
    type_text(&mut app, "w");
    let Some(Editor::Schedule(e)) = &app.editor else {
        panic!("the schedule editor")
    };
    let on = |d: Weekday| {
        e.draft
            .hours
            .day(d)
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for day in [
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
    ] {
        assert_eq!(on(day), "07:30-15:30", "{day}");
    }
    assert_eq!(
        on(Weekday::Sun),
        on_original(&app, Weekday::Sun),
        "sun is a day off"
    );
    let note = app
        .note
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert_eq!(note, "mon hours copied to tue, wed, thu, fri, sat");
}

fn on_original(app: &App, day: Weekday) -> String {
    let Some(Editor::Schedule(e)) = &app.editor else {
        panic!("the schedule editor")
    };
    e.original
        .hours
        .day(day)
        .iter()
        .map(|r| r.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn an_entry_point_is_sent_to_another_group_and_schedule() {
    use firmware_config::entry::Destination;
    let mut app = loaded();
    type_text(&mut app, "5");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "group-1");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "always");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter); // lookup on → off
    type_text(&mut app, "s");
    assert_eq!(
        confirm_lines(&app),
        [
            "goes to: group group-0 → group group-1",
            "schedule: hours-0 → none: always open",
            "CRM lookup: on → off"
        ]
    );
    let Item::EntryPoint(e) = replaced(&press(&mut app, KeyCode::Enter)).1 else {
        panic!("an entry point")
    };
    assert_eq!(
        e.destination,
        Destination::Group("group-1".try_into().expect("fits"))
    );
    assert_eq!(e.schedule, None);
    assert!(!e.crm.lookup);
}
