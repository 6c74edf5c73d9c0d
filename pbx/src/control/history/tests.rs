use super::*;
use crate::routing::{CallId, Caller, EndCause, GroupStats as RouterStats, Outcome, Transfer};
use crate::voicemail::Message;
use firmware_config::number::PhoneNumber;

fn demo() -> Config {
    match firmware_config::default::factory_default() {
        Ok((config, _)) => config,
        Err(e) => panic!("no randomness: {e:?}"),
    }
}

fn ext(s: &str) -> Extension {
    Extension::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_600_000 + secs, 0).unwrap_or_else(|| panic!("a time"))
}

fn number(s: &str) -> PhoneNumber {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

fn record(call: u64, outcome: Outcome, answered_by: Option<&str>) -> CallRecord {
    CallRecord {
        call: CallId(call),
        caller: Caller::Number(number("+48601111111")),
        entry: Some("reception".into()),
        offered_at: at(call as i64 * 60),
        groups: vec!["office".into()],
        offered_to: vec![ext("101"), ext("102")],
        answered_by: answered_by.map(ext),
        answered_at: answered_by.map(|_| at(call as i64 * 60 + 12)),
        ended_at: at(call as i64 * 60 + 100),
        wait_ms: 12_400,
        talk_ms: if answered_by.is_some() { 87_600 } else { 0 },
        transfers: Vec::new(),
        outcome,
        after_hours: false,
    }
}

fn view(r: &CallRecord) -> RecordView {
    let line = record_line(r).unwrap_or_else(|e| panic!("{e}"));
    parse_record(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

fn parse(line: &str) -> RecordView {
    parse_record(line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

#[test]
fn a_router_record_reads_back_as_its_view() {
    let mut r = record(7, Outcome::Answered, Some("102"));
    r.transfers.push(Transfer {
        from: ext("102"),
        to: ext("103"),
        at: at(500),
        attended: true,
    });
    let v = view(&r);
    assert_eq!(v.call, 7);
    assert_eq!(v.at, at(420));
    assert_eq!(v.caller, "+48601111111");
    assert_eq!(v.entry.as_deref(), Some("reception"));
    assert_eq!(v.groups, ["office"]);
    assert_eq!(v.answered_by, Some(ext("102")));
    assert_eq!(
        (v.wait_s, v.talk_s),
        (12, 88),
        "rounded to the nearest second"
    );
    assert_eq!(v.outcome, "answered");
    assert!(!v.missed && !v.after_hours);
}

#[test]
fn outcomes_read_in_words_and_say_which_calls_were_missed() {
    let cases = [
        (Outcome::Missed, "missed", true),
        (Outcome::Voicemail, "voicemail", true),
        (
            Outcome::Forwarded {
                to: number("+48221234567"),
            },
            "forwarded to +48221234567",
            false,
        ),
        (
            Outcome::Rejected {
                cause: EndCause::ClosedHangUp,
            },
            "rejected (closed hang up)",
            true,
        ),
        (
            Outcome::Rejected {
                cause: EndCause::NotFound,
            },
            "rejected (not found)",
            false,
        ),
        (
            Outcome::TransferFailed { to: ext("103") },
            "transfer to 103 failed",
            false,
        ),
    ];
    for (outcome, text, missed) in cases {
        let v = view(&record(1, outcome, None));
        assert_eq!((v.outcome.as_str(), v.missed), (text, missed));
    }
    let mut r = record(2, Outcome::Missed, None);
    r.caller = Caller::Withheld;
    r.after_hours = true;
    let v = view(&r);
    assert_eq!(v.caller, "withheld");
    assert!(v.after_hours);
    r.caller = Caller::Extension(ext("101"));
    assert_eq!(view(&r).caller, "101");
}

#[test]
fn damaged_or_foreign_lines_are_refused() {
    assert!(parse_record("").is_err());
    assert!(parse_record("{\"call\":1}").is_err());
    let good = record_line(&record(1, Outcome::Missed, None)).unwrap_or_default();
    assert!(parse_record(&good[..good.len() / 2]).is_err(), "cut short");
    let odd = good.replace("\"missed\"", "\"eaten\"");
    assert!(parse_record(&odd).is_err(), "unknown outcome");
    let extra = good.replacen('{', "{\"future_field\":[1,2],", 1);
    assert_eq!(parse(&extra).call, 1, "fields added later are ignored");
}

#[test]
fn history_is_newest_first_filtered_and_bounded() {
    let mut h = History::new();
    for call in 0..(HISTORY_KEPT as u64 + 10) {
        let outcome = if call % 3 == 0 {
            Outcome::Missed
        } else {
            Outcome::Answered
        };
        let mut r = record(call, outcome, Some("101"));
        if call % 2 == 0 {
            r.groups = vec!["sales".into(), "office".into()];
        } else {
            r.groups.clear();
        }
        h.add_record(view(&r));
    }
    assert_eq!(h.records_kept(), HISTORY_KEPT);
    let last = HISTORY_KEPT as u64 + 9;
    let all = h.records(3, false, None);
    let calls: Vec<u64> = all.iter().map(|r| r.call).collect();
    assert_eq!(calls, [last, last - 1, last - 2]);
    let missed = h.records(1000, true, None);
    assert!(missed.iter().all(|r| r.call % 3 == 0 && r.missed));
    let kept = 10..=last;
    assert_eq!(missed.len(), kept.filter(|c| c % 3 == 0).count());
    let sales = h.records(1000, false, Some("sales"));
    assert_eq!(sales.len(), HISTORY_KEPT / 2);
    assert!(sales.iter().all(|r| r.call % 2 == 0));
    let both = h.records(2, true, Some("sales"));
    let calls: Vec<u64> = both.iter().map(|r| r.call).collect();
    assert_eq!(
        calls,
        [504, 498],
        "multiples of 6: missed and through sales"
    );
    assert!(h.records(0, false, None).is_empty());
    assert_eq!(h.records(5, false, Some("nobody")), []);
    assert_eq!(
        h.records(1000, false, None).last().map(|r| r.call),
        Some(10),
        "the oldest ten are forgotten"
    );
}

#[test]
fn notifications_are_newest_first_and_bounded() {
    let mut h = History::new();
    for i in 0..(NOTIFICATIONS_KEPT as i64 + 5) {
        h.add_notification(NotificationView {
            at: at(i),
            employees: vec![ext("101")],
            text: format!("n{i}"),
        });
    }
    assert_eq!(h.notifications_kept(), NOTIFICATIONS_KEPT);
    let texts: Vec<String> = h.notifications(2).into_iter().map(|n| n.text).collect();
    let newest = NOTIFICATIONS_KEPT + 4;
    assert_eq!(texts, [format!("n{newest}"), format!("n{}", newest - 1)]);
}

#[test]
fn statistics_list_every_configured_group_then_removed_ones() {
    let config = demo();
    let mut stats = Statistics::new();
    stats.insert(
        "gone".into(),
        RouterStats {
            offered: 1,
            missed: 1,
            longest_wait_ms: 30_000,
            ..RouterStats::default()
        },
    );
    let history = History::new();
    let sources = Sources {
        statistics: &stats,
        config: &config,
        mailboxes: None,
    };
    let Some(Reply::Statistics { groups }) = answer(&Request::Statistics, &history, sources) else {
        panic!("statistics answer statistics");
    };
    let names: Vec<&str> = groups.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(names, ["office", "gone"]);
    assert_eq!(groups[0].offered, 0, "a quiet group shows zeros");
    assert_eq!((groups[1].missed, groups[1].longest_wait_s), (1, 30));

    stats.insert(
        "office".into(),
        RouterStats {
            offered: 3,
            answered: 2,
            missed: 1,
            forwarded: 0,
            total_wait_ms: 41_000,
            longest_wait_ms: 45_000,
            total_talk_ms: 181_000,
        },
    );
    let groups = statistics(&stats, &config);
    assert_eq!(
        groups[0],
        GroupStats {
            group: "office".into(),
            offered: 3,
            answered: 2,
            missed: 1,
            average_wait_s: 21,
            longest_wait_s: 45,
            average_talk_s: 91,
        }
    );
}

fn message(mailbox: Mailbox, id: &str, secs: i64, heard: bool) -> Message {
    Message {
        id: id.into(),
        mailbox,
        caller: "+48601111111".into(),
        entry: None,
        received_at: at(secs),
        duration_ms: 4_600,
        heard,
    }
}

#[test]
fn voicemail_lists_an_employees_mailboxes_or_all_newest_first() {
    let config = demo();
    let entry = config.entry_points[0].name.to_string();
    let mut boxes = Mailboxes::new();
    let own = Mailbox::Employee(ext("101"));
    let other = Mailbox::Employee(ext("102"));
    let shared = Mailbox::Entry(entry.clone());
    boxes.insert(
        own.clone(),
        vec![
            message(own.clone(), "a", 10, true),
            message(own, "b", 30, false),
        ],
    );
    boxes.insert(other.clone(), vec![message(other, "c", 40, false)]);
    boxes.insert(shared.clone(), vec![message(shared, "d", 20, false)]);
    let stats = Statistics::new();
    let history = History::new();
    let ask = |employee: Option<&str>| {
        let sources = Sources {
            statistics: &stats,
            config: &config,
            mailboxes: Some(&boxes),
        };
        let request = Request::Voicemail {
            employee: employee.map(ext),
        };
        answer(&request, &history, sources)
    };
    let ids = |reply: Option<Reply>| match reply {
        Some(Reply::Voicemail { messages }) => messages
            .into_iter()
            .map(|m| format!("{}:{}", m.mailbox, m.id))
            .collect::<Vec<_>>(),
        other => panic!("not a voicemail list: {other:?}"),
    };
    let shared = format!("entry '{entry}'");
    // The demo's entry point rings the office group, which 101 is a member of.
    assert_eq!(
        ids(ask(Some("101"))),
        ["101:b".to_owned(), format!("{shared}:d"), "101:a".into()]
    );
    assert_eq!(
        ids(ask(None)),
        [
            "102:c".to_owned(),
            "101:b".into(),
            format!("{shared}:d"),
            "101:a".into()
        ]
    );
    match ask(Some("199")) {
        Some(Reply::Error { message }) => assert!(message.contains("199"), "{message}"),
        other => panic!("an unknown employee is an error: {other:?}"),
    }
    let Some(Reply::Voicemail { messages }) = ask(Some("102")) else {
        panic!("a list");
    };
    assert_eq!(messages[0].duration_s, 5);
    assert!(!messages[0].heard);
}

#[test]
fn other_requests_are_not_answered_here() {
    let config = demo();
    let stats = Statistics::new();
    let sources = Sources {
        statistics: &stats,
        config: &config,
        mailboxes: None,
    };
    assert_eq!(answer(&Request::Status, &History::new(), sources), None);
    assert_eq!(answer(&Request::GetConfig, &History::new(), sources), None);
    let none = answer(
        &Request::Voicemail { employee: None },
        &History::new(),
        sources,
    );
    assert_eq!(
        none,
        Some(Reply::Voicemail {
            messages: Vec::new()
        })
    );
}
