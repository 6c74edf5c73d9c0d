//! The calendar's keys → state, and the days it reads from the router's schedule rules.

use chrono::{DateTime, NaiveDate, Utc};
use pbx::routing::crm::Crm;
use pbx::routing::explain::explain;
use ratatui::crossterm::event::KeyCode;

use super::*;
use crate::app::{Tab, Tone};
use crate::testing::{autumn, calendar_app, press, type_text};

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().expect("a time")
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

/// The console with entry-0's calendar open at `now`.
fn opened(now: DateTime<Utc>) -> App {
    let mut app = calendar_app(now);
    type_text(&mut app, "c");
    app
}

fn cal(app: &App) -> &Calendar {
    app.calendar.as_ref().expect("the calendar is open")
}

fn view(app: &App) -> View {
    let config = app.config.as_ref().expect("loaded");
    cal(app).view(config, app.now).expect("the entry exists")
}

fn moment(app: &App) -> DateTime<Utc> {
    cal(app).moment(app.config.as_ref().expect("loaded"), app.now)
}

#[test]
fn c_opens_the_selected_entry_point_s_calendar_at_the_current_time() {
    let app = opened(autumn());
    let c = cal(&app);
    assert_eq!((c.entry.as_str(), c.day, c.minute), ("entry-0", 0, 10 * 60));
    assert_eq!(moment(&app), autumn());
    assert_eq!(app.mode(), crate::action::Mode::Calendar);

    let mut app = calendar_app(autumn());
    type_text(&mut app, "jc");
    assert_eq!(cal(&app).entry, "entry-1");

    let mut app = calendar_app(autumn());
    type_text(&mut app, "4c");
    assert_eq!(app.tab, Tab::Schedules);
    assert!(
        app.calendar.is_none(),
        "c only opens calendars of entry points"
    );
}

#[test]
fn up_and_down_move_by_day_within_the_fourteen() {
    let mut app = opened(autumn());
    press(&mut app, KeyCode::Up);
    assert_eq!(cal(&app).day, 0);
    for _ in 0..20 {
        press(&mut app, KeyCode::Down);
    }
    assert_eq!(cal(&app).day, DAYS - 1);
    type_text(&mut app, "k");
    assert_eq!(cal(&app).day, DAYS - 2);
}

#[test]
fn left_and_right_move_by_the_hour_and_across_midnight() {
    let mut app = opened(utc("2026-10-20T08:37:00Z"));
    assert_eq!(cal(&app).minute, 10 * 60 + 37);
    press(&mut app, KeyCode::Left);
    assert_eq!(cal(&app).minute, 10 * 60, "first to the whole hour");
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Right);
    assert_eq!(cal(&app).minute, 12 * 60);
    assert_eq!(app.tab, Tab::Entries, "arrows do not change the screen");
    for _ in 0..12 {
        press(&mut app, KeyCode::Right);
    }
    assert_eq!((cal(&app).day, cal(&app).minute), (1, 0));
    press(&mut app, KeyCode::Left);
    assert_eq!((cal(&app).day, cal(&app).minute), (0, 23 * 60));
}

#[test]
fn a_typed_time_and_enter_explain_that_moment_as_centrala_explain_does() {
    let mut app = opened(autumn());
    press(&mut app, KeyCode::Down);
    type_text(&mut app, "13:30");
    assert_eq!(cal(&app).typed, "13:30");
    press(&mut app, KeyCode::Enter);
    assert_eq!(cal(&app).minute, 13 * 60 + 30);
    assert!(cal(&app).typed.is_empty());
    // Wednesday 21 October 13:30 CEST.
    let at = utc("2026-10-21T11:30:00Z");
    assert_eq!(moment(&app), at);
    let config = app.config.as_ref().expect("loaded");
    let expected = explain(config, &Crm::default(), "entry-0", at, None)
        .expect("entry-0 exists")
        .to_text();
    assert_eq!(cal(&app).explanation.as_deref(), Some(expected.as_str()));
    assert!(expected.contains("night switch"), "{expected}");

    // With the panel open, moving explains the new moment: 14:00, the switch is over.
    press(&mut app, KeyCode::Right);
    let text = cal(&app).explanation.clone().expect("still shown");
    assert!(text.contains("open: Wednesday 08:00-16:00"), "{text}");
}

#[test]
fn a_time_in_the_repeated_hour_is_its_first_occurrence() {
    let mut app = opened(autumn());
    for _ in 0..5 {
        press(&mut app, KeyCode::Down);
    }
    type_text(&mut app, "0230");
    press(&mut app, KeyCode::Enter);
    assert_eq!(moment(&app), utc("2026-10-25T00:30:00Z"), "02:30 CEST");
    let text = cal(&app).explanation.clone().expect("explained");
    assert!(text.contains("02:30:00 CEST"), "{text}");
    assert!(text.contains("open: Sunday 01:00-05:00"), "{text}");
}

#[test]
fn a_time_that_is_not_one_is_refused_and_changes_nothing() {
    for bad in ["25:00", "12:60", "1:2", "12345", ":"] {
        let mut app = opened(autumn());
        type_text(&mut app, bad);
        press(&mut app, KeyCode::Enter);
        let note = app.note.clone().expect("a reason");
        assert_eq!(note.tone, Tone::Bad, "{bad}");
        assert!(note.text.contains("HH:MM"), "{bad}: {}", note.text);
        assert_eq!(cal(&app).minute, 10 * 60, "{bad}");
        assert!(cal(&app).explanation.is_none(), "{bad}");
    }
}

#[test]
fn esc_closes_the_panel_then_clears_the_time_then_the_calendar() {
    let mut app = opened(autumn());
    press(&mut app, KeyCode::Enter);
    assert!(cal(&app).explanation.is_some());
    type_text(&mut app, "12");
    press(&mut app, KeyCode::Backspace);
    assert_eq!(cal(&app).typed, "1");
    press(&mut app, KeyCode::Esc);
    assert!(cal(&app).explanation.is_none());
    assert_eq!(cal(&app).typed, "1");
    press(&mut app, KeyCode::Esc);
    assert!(cal(&app).typed.is_empty());
    press(&mut app, KeyCode::Esc);
    assert!(app.calendar.is_none());
    assert_eq!(app.mode(), crate::action::Mode::Normal);
}

#[test]
fn typed_times_read_as_minutes_after_midnight() {
    assert_eq!(parse_time("14:30"), Some(870));
    assert_eq!(parse_time("9:05"), Some(545));
    assert_eq!(parse_time("1430"), Some(870));
    assert_eq!(parse_time("905"), Some(545));
    assert_eq!(parse_time("7"), Some(420));
    assert_eq!(parse_time("00:00"), Some(0));
    assert_eq!(parse_time("23:59"), Some(1439));
    for bad in [
        "", "24:00", "25:00", "12:60", "1:2", "12345", ":", "1:234", "a1:00",
    ] {
        assert_eq!(parse_time(bad), None, "{bad}");
    }
}

#[test]
fn the_days_show_the_switch_the_day_off_the_holiday_and_the_change_of_clock() {
    let app = opened(autumn());
    let v = view(&app);
    assert_eq!(v.zone, "Europe/Warsaw");
    assert_eq!(v.days.len(), DAYS);
    assert_eq!(v.days[0].date, date("2026-10-20"));
    assert_eq!(v.days[13].date, date("2026-11-02"));
    let by = |d: &str| v.days.iter().find(|x| x.date == date(d)).expect("shown");

    let tue = by("2026-10-20");
    assert_eq!(tue.kind, "switch: closed");
    assert!(tue.open.is_empty());
    let wed = by("2026-10-21");
    assert_eq!(wed.kind, "switch: closed→14:00");
    assert_eq!(wed.open, vec!["14:00–16:00"]);
    assert_eq!(wed.hours[13], Hour::Closed);
    assert_eq!(wed.hours[14], Hour::Open);
    let thu = by("2026-10-22");
    assert_eq!(
        (thu.kind.as_str(), thu.open.clone()),
        ("working day", vec!["08:00–16:00".to_string()])
    );
    let sat = by("2026-10-24");
    assert_eq!((sat.kind.as_str(), sat.open.len()), ("day off", 0));
    // 01:00 CEST to 05:00 CET: five hours, the 02:00 hour twice.
    let sun = by("2026-10-25");
    assert_eq!(sun.open, vec!["01:00–05:00"]);
    assert_eq!(
        &sun.hours[0..6],
        &[
            Hour::Closed,
            Hour::Open,
            Hour::Open,
            Hour::Open,
            Hour::Open,
            Hour::Closed
        ]
    );
    let all_saints = by("2026-11-01");
    assert_eq!(all_saints.kind, "holiday 'All Saints''");
    assert!(all_saints.open.is_empty());
    assert!(v.scheduled);
    assert!(v.status.contains("night switch"), "{}", v.status);
}

#[test]
fn in_spring_the_skipped_hour_shows_and_the_range_opens_after_it() {
    let mut app = opened(utc("2026-03-25T09:00:00Z"));
    if let Some(s) = app
        .config
        .as_mut()
        .and_then(|c| c.schedules.as_mut_slice().first_mut())
    {
        s.night_switch = None;
    }
    let v = view(&app);
    let sun = v
        .days
        .iter()
        .find(|d| d.date == date("2026-03-29"))
        .expect("shown");
    assert_eq!(sun.hours[2], Hour::Skipped);
    assert_eq!(sun.hours[1], Hour::Open);
    assert_eq!(sun.open, vec!["01:00–05:00"]);
}

#[test]
fn an_entry_point_without_a_schedule_is_always_open() {
    let mut app = calendar_app(autumn());
    type_text(&mut app, "jc");
    let v = view(&app);
    assert!(!v.scheduled);
    assert_eq!(v.zone, "UTC");
    assert!(v
        .days
        .iter()
        .all(|d| d.kind == "always open" && d.hours == [Hour::Open; 24]));
    press(&mut app, KeyCode::Enter);
    let text = cal(&app).explanation.clone().expect("explained");
    assert!(text.contains("no schedule, always open"), "{text}");
}

#[test]
fn a_calendar_whose_entry_point_is_removed_shows_nothing_and_closes() {
    let mut app = opened(autumn());
    if let Some(c) = &mut app.config {
        c.entry_points.retain(|e| e.name.as_str() != "entry-0");
    }
    let config = app.config.as_ref().expect("loaded");
    assert!(cal(&app).view(config, app.now).is_none());
    press(&mut app, KeyCode::Esc);
    assert!(app.calendar.is_none());
}
