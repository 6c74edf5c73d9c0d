//! Shared test fixtures: a small office, a console that has loaded it, and typing.

use chrono::{DateTime, Utc};
use firmware_config::sample::{office as sample_office, Size};
use firmware_config::Config;
use pbx::control::protocol::{Reply, Request};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::action::action;
use crate::app::{App, Command};

/// 10 employees, 2 groups, 2 schedules with 2 holidays, 2 entry points.
pub fn office() -> Config {
    let mut c = sample_office(
        Size {
            employees: 10,
            groups: 2,
            schedules: 2,
            holidays: 2,
        },
        1,
    );
    c.system.name = firmware_config::bounded::Text::new("Acme Sp. z o.o.").expect("fits");
    c
}

/// Monday 5 January 2026, 10:00 in Warsaw.
pub fn now() -> DateTime<Utc> {
    "2026-01-05T09:00:00Z".parse().expect("a time")
}

/// A console that has loaded [`office`] at revision 3.
pub fn loaded() -> App {
    let mut app = App::new("ola", now());
    let hello = Request::Hello {
        client: "test".into(),
        user: "ola".into(),
    };
    app.on_reply(
        &hello,
        Reply::Hello {
            version: 1,
            office: "Acme Sp. z o.o.".into(),
        },
    );
    app.on_reply(
        &Request::GetConfig,
        Reply::Config {
            revision: 3,
            config: Box::new(office()),
        },
    );
    app
}

/// Presses one key, as the event loop would.
pub fn press(app: &mut App, code: KeyCode) -> Vec<Command> {
    let key = KeyEvent::new(code, KeyModifiers::NONE);
    match action(key, app.mode()) {
        Some(a) => app.on_action(a),
        None => Vec::new(),
    }
}

/// Types `text`, one key per character.
pub fn type_text(app: &mut App, text: &str) -> Vec<Command> {
    text.chars()
        .flat_map(|c| press(app, KeyCode::Char(c)))
        .collect()
}

/// Tuesday 20 October 2026, 10:00 in Warsaw: the next 14 days hold the change to winter time
/// (Sunday 25 October).
pub fn autumn() -> DateTime<Utc> {
    "2026-10-20T08:00:00Z".parse().expect("a time")
}

/// [`office`] with hours-0 (entry-0's schedule, Warsaw, weekdays 08:00–16:00) made to show
/// every kind of day: Saturday off, Sunday 01:00–05:00 (across the change of clock), the
/// holiday "All Saints'" on Sunday 1 November 2026, and the night switch closed until
/// Wednesday 21 October 14:00; entry-1 has no schedule.
pub fn calendar_office() -> Config {
    use firmware_config::bounded::{List, Text};
    use firmware_config::schedule::{DaysOff, Forced, Holiday, NightSwitch};
    use firmware_config::time::Weekday;
    let mut c = office();
    if let Some(s) = c.schedules.as_mut_slice().first_mut() {
        s.days_off = DaysOff::Days(List::from_slice(&[Weekday::Sat]).expect("fits"));
        s.hours.sun = List::from_slice(&["01:00-05:00".parse().expect("a range")]).expect("fits");
        s.holidays
            .push(Holiday {
                name: Text::new("All Saints'").expect("fits"),
                start: "2026-11-01".parse().expect("a date"),
                end: None,
                yearly: true,
            })
            .expect("room");
        s.night_switch = Some(NightSwitch {
            state: Forced::Closed,
            until: "2026-10-21T12:00:00Z".parse().expect("an instant"),
        });
    }
    if let Some(e) = c.entry_points.as_mut_slice().get_mut(1) {
        e.schedule = None;
    }
    c
}

/// A console at `now` that has loaded [`calendar_office`], on the entry points' tab.
pub fn calendar_app(now: DateTime<Utc>) -> App {
    let mut app = loaded();
    app.now = now;
    app.on_reply(
        &Request::GetConfig,
        Reply::Config {
            revision: 4,
            config: Box::new(calendar_office()),
        },
    );
    type_text(&mut app, "5");
    app
}

/// Finished calls for the History tab, newest first: an answered one, a missed one after
/// hours, one forwarded, one to voicemail (the sample office's `group-0`, `entry-0`).
pub fn records() -> Vec<pbx::control::protocol::RecordView> {
    use pbx::control::protocol::RecordView;
    let at = |mins: i64| now() - chrono::Duration::minutes(mins);
    let ext = |s: &str| s.parse().expect("an extension");
    let record = |call: u64, mins: i64, caller: &str, outcome: &str| RecordView {
        call,
        at: at(mins),
        caller: caller.into(),
        entry: Some("entry-0".into()),
        groups: vec!["group-0".into()],
        answered_by: None,
        wait_s: 34,
        talk_s: 0,
        outcome: outcome.into(),
        missed: false,
        after_hours: false,
    };
    vec![
        RecordView {
            answered_by: Some(ext("1001")),
            wait_s: 12,
            talk_s: 754,
            ..record(14, 5, "+48221234567", "answered")
        },
        RecordView {
            missed: true,
            after_hours: true,
            entry: None,
            groups: vec!["group-1".into()],
            ..record(13, 600, "withheld", "missed")
        },
        RecordView {
            wait_s: 20,
            ..record(12, 700, "+48601111111", "forwarded to +48601999999")
        },
        RecordView {
            missed: true,
            answered_by: None,
            entry: None,
            groups: Vec::new(),
            ..record(11, 1500, "1003", "voicemail")
        },
    ]
}

/// Statistics of the sample office's two groups.
pub fn group_stats() -> Vec<pbx::control::protocol::GroupStats> {
    use pbx::control::protocol::GroupStats;
    vec![
        GroupStats {
            group: "group-0".into(),
            offered: 42,
            answered: 38,
            missed: 3,
            average_wait_s: 14,
            longest_wait_s: 95,
            average_talk_s: 260,
        },
        GroupStats {
            group: "group-1".into(),
            offered: 0,
            answered: 0,
            missed: 0,
            average_wait_s: 0,
            longest_wait_s: 0,
            average_talk_s: 0,
        },
    ]
}

/// Two voicemail messages, the newest not yet heard.
pub fn messages() -> Vec<pbx::control::protocol::VoicemailView> {
    use pbx::control::protocol::VoicemailView;
    let message = |id: &str, mins: i64, heard: bool| VoicemailView {
        mailbox: "entry 'entry-0'".into(),
        id: id.into(),
        caller: "+48221234567".into(),
        entry: Some("entry-0".into()),
        received_at: now() - chrono::Duration::minutes(mins),
        duration_s: 37,
        heard,
    };
    vec![
        message("b", 30, false),
        VoicemailView {
            mailbox: "1002".into(),
            entry: None,
            caller: "anonymous".into(),
            ..message("a", 4000, true)
        },
    ]
}

/// Two notifications of missed calls.
pub fn notifications() -> Vec<pbx::control::protocol::NotificationView> {
    use pbx::control::protocol::NotificationView;
    let ext = |s: &str| s.parse().expect("an extension");
    vec![
        NotificationView {
            at: now() - chrono::Duration::minutes(600),
            employees: vec![ext("1000"), ext("1001")],
            text: "Missed call from a withheld number (after hours)".into(),
        },
        NotificationView {
            at: now() - chrono::Duration::minutes(1500),
            employees: vec![ext("1002")],
            text: "Missed call from extension 1003 on entry 'entry-0' (no answer)".into(),
        },
    ]
}

/// [`office`] with every System-tab section filled in: an outside prefix `0`, outside calls
/// to Poland and Germany only, and a signed webhook.
pub fn settings_office() -> Config {
    use firmware_config::bounded::{List, Text};
    use firmware_config::number::CountryCode;
    use firmware_config::system::Webhook;
    let mut c = office();
    c.system.outbound_prefix = Some(Text::new("0").expect("fits"));
    let codes = [48, 49].map(|n| CountryCode::new(n).expect("assigned"));
    c.system.allowed_country_codes = List::from_slice(&codes).expect("fits");
    c.webhook = Some(Webhook {
        url: Text::new("https://crm.example.com/centrala").expect("fits"),
        secret: Some(Text::new("s3cret-s3cret").expect("fits")),
        timeout_ms: 5000,
    });
    c
}

/// A console that has loaded [`settings_office`] at revision 3, on the System tab.
pub fn settings_app() -> App {
    let mut app = loaded();
    app.on_reply(
        &Request::GetConfig,
        Reply::Config {
            revision: 3,
            config: Box::new(settings_office()),
        },
    );
    type_text(&mut app, "7");
    app
}

/// A storage report: voicemail at 92 % of 256 MiB (warned, 3 old messages removed), the
/// rest far below their limits.
pub fn storage_report() -> pbx::control::protocol::StorageReport {
    use firmware_config::storage::{Storage, Store};
    use pbx::control::protocol::{StorageReport, StoreUsage};
    let limits = Storage::default();
    let used = [1_258_291, 104_858, 247_000_000, 0];
    let stores = Store::ALL
        .into_iter()
        .zip(used)
        .map(|(store, used_bytes)| StoreUsage {
            store,
            used_bytes,
            limit_bytes: limits.bytes(store),
            removed: if store == Store::Voicemail { 3 } else { 0 },
            warning: store == Store::Voicemail,
        })
        .collect();
    StorageReport {
        at: Some(now()),
        warn_percent: 90,
        stores,
        other_bytes: 40_000,
    }
}

/// Two contacts and a lead, as the daemon lists them.
pub fn contacts() -> Vec<pbx::control::protocol::ContactView> {
    use firmware_config::number::{Extension, PhoneNumber};
    use pbx::control::protocol::{ContactKind, ContactView};
    let number = |n: &str| PhoneNumber::parse_international(n).expect("a number");
    let call = pbx::routing::crm::Activity {
        at: "2026-01-03T17:30:00Z".parse().expect("a time"),
        entry: Some("entry-0".into()),
        note: "missed call after hours".into(),
    };
    vec![
        ContactView {
            kind: ContactKind::Contact,
            id: 1,
            name: "Jan Kowalczyk".into(),
            company: Some("Budimex".into()),
            numbers: vec![number("+48601234567"), number("+48221234567")],
            responsible: Some(Extension::parse("1001").expect("an extension")),
            activities: 2,
            last_activity: Some(call.clone()),
        },
        ContactView {
            kind: ContactKind::Contact,
            id: 2,
            name: "Maria Zając".into(),
            company: None,
            numbers: vec![number("+48501000111")],
            responsible: None,
            activities: 0,
            last_activity: None,
        },
        ContactView {
            kind: ContactKind::Lead,
            id: 7,
            name: String::new(),
            company: None,
            numbers: vec![number("+48698765432")],
            responsible: None,
            activities: 1,
            last_activity: Some(call),
        },
    ]
}

/// [`loaded`] on the Contacts tab with [`contacts`] listed.
pub fn contacts_app() -> App {
    let mut app = loaded();
    type_text(&mut app, "8");
    let rows = contacts();
    app.on_reply(
        &Request::Contacts { search: None },
        Reply::Contacts {
            total: rows.len(),
            contacts: rows,
        },
    );
    app
}

/// An event on a line `secs` seconds before [`now`].
fn line_event(secs: i64, what: &str) -> pbx::control::protocol::LineEventView {
    pbx::control::protocol::LineEventView {
        at: now() - chrono::Duration::seconds(secs),
        what: what.into(),
    }
}

/// `line1`, idle after an incoming call that rang twice: its FSK caller ID (MDMF with date,
/// number and name), the ring and hook events, and a health check that passed last night.
pub fn idle_line() -> pbx::control::protocol::LineDiagnostics {
    use pbx::control::protocol::{CallerIdView, HealthView, JitterView, LineDiagnostics};
    LineDiagnostics {
        name: "line1".into(),
        state: "idle".into(),
        audio: "up (8000 Hz, 160-sample periods)".into(),
        rx_dbfs: Some(-71.5),
        tx_dbfs: None,
        erle_db: None,
        events: vec![
            line_event(300, "ring on"),
            line_event(299, "ring off after 1.0 s"),
            line_event(297, "caller ID: 221234567 (FSK)"),
            line_event(295, "ring on"),
            line_event(294, "ring off after 1.0 s"),
            line_event(294, "off hook"),
            line_event(112, "heard Busy"),
            line_event(112, "on hook"),
            line_event(111, "loop current lost (polarity)"),
            line_event(110, "loop current back"),
        ],
        caller_id: Some(CallerIdView {
            at: now() - chrono::Duration::seconds(297),
            raw: "80 23 01 08 30 31 30 35 31 30 30 31 02 09 32 32 31 32 33 34 35 36 37 07 0c \
                  4a 41 4e 20 4b 4f 57 41 4c 53 4b 49 80"
                .into(),
            number: Some("221234567".into()),
            name: Some("JAN KOWALSKI".into()),
            when: Some("01-05 10:01".into()),
            missing: None,
        }),
        jitter: JitterView {
            received: 5410,
            late: 2,
            concealed: 3,
            drift_drops: 1,
            underruns: 0,
        },
        health: Some(HealthView {
            at: "2026-01-05T02:00:03Z".parse().expect("a time"),
            ok: true,
            detail: "dial tone after 0.4 s".into(),
        }),
        next_health_check: Some("2026-01-06T02:00:00Z".parse().expect("a time")),
    }
}

/// `line2`, whose audio works but whose check found no dial tone (unplugged at the wall),
/// after one skipped while the line was busy.
pub fn dead_line() -> pbx::control::protocol::LineDiagnostics {
    use pbx::control::protocol::{HealthView, LineDiagnostics};
    LineDiagnostics {
        name: "line2".into(),
        state: "idle".into(),
        audio: "up (8000 Hz, 160-sample periods)".into(),
        rx_dbfs: Some(-88.0),
        tx_dbfs: None,
        erle_db: None,
        events: vec![
            line_event(600, "health check waits: the line is busy or down"),
            line_event(20, "health check started"),
            line_event(20, "off hook"),
            line_event(17, "health check: no dial tone within 3 s"),
            line_event(17, "on hook"),
        ],
        caller_id: None,
        health: Some(HealthView {
            at: now() - chrono::Duration::seconds(17),
            ok: false,
            detail: "no dial tone within 3 s".into(),
        }),
        next_health_check: Some("2026-01-06T02:00:00Z".parse().expect("a time")),
        ..LineDiagnostics::default()
    }
}

/// [`idle_line`] five minutes into an answered call: both levels, the echo canceller
/// converged, the jitter buffer's counters.
pub fn line_in_call() -> pbx::control::protocol::LineDiagnostics {
    use pbx::control::protocol::{JitterView, LineDiagnostics};
    let mut line = LineDiagnostics {
        state: "busy".into(),
        rx_dbfs: Some(-23.4),
        tx_dbfs: Some(-31.0),
        erle_db: Some(27.8),
        jitter: JitterView {
            received: 6012,
            late: 4,
            concealed: 7,
            drift_drops: 2,
            underruns: 1,
        },
        ..idle_line()
    };
    line.events.truncate(6);
    line
}

/// [`loaded`], on the Lines tab, having received `lines`.
pub fn lines_app(lines: Vec<pbx::control::protocol::LineDiagnostics>) -> App {
    let mut app = loaded();
    let sent = type_text(&mut app, "9");
    assert_eq!(
        sent,
        [Command::Send(Request::Lines)],
        "the tab asks at once"
    );
    app.on_reply(&Request::Lines, Reply::Lines { lines });
    app
}
