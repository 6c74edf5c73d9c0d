use super::*;
use chrono::TimeZone;

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + secs, 0)
        .single()
        .unwrap_or_default()
}

#[test]
fn a_line_that_fits_the_current_quarter_is_appended_as_it_is() {
    let plan = rotation(100, &[1000, 1000, 1000], 50, 4000);
    assert_eq!(
        plan,
        Rotation {
            rotate: false,
            keep: 3
        }
    );
}

#[test]
fn a_full_quarter_rotates_and_the_oldest_generation_falls_off() {
    // 990 + 20 passes the 1000-byte quarter: rotate; [990, 1000, 1000] + 20 fits 4000.
    let plan = rotation(990, &[1000, 1000, 1000], 20, 4000);
    assert_eq!(
        plan,
        Rotation {
            rotate: true,
            keep: 3
        }
    );
}

#[test]
fn a_lower_limit_keeps_only_the_newest_generations_that_fit() {
    // 1 MiB in four files, limit now 64 KiB: only the current file and the newest fit.
    let plan = rotation(300_000, &[300_000, 300_000, 300_000], 100, 64 * 1024);
    assert!(plan.rotate);
    assert_eq!(plan.keep, 0, "{plan:?}");
    let plan = rotation(1000, &[10_000, 60_000, 60_000], 100, 64 * 1024);
    assert_eq!(
        plan,
        Rotation {
            rotate: false,
            keep: 1
        }
    );
}

#[test]
fn an_empty_file_is_never_rotated_even_for_a_huge_line() {
    let plan = rotation(0, &[0, 0, 0], 10_000, 4000);
    assert_eq!(
        plan,
        Rotation {
            rotate: false,
            keep: 0
        }
    );
}

#[test]
fn simulated_appends_never_pass_the_limit() {
    for limit in [4000u64, 65_536, 100_003] {
        let (mut current, mut older) = (0u64, [0u64; 3]);
        for n in 0..5000u64 {
            let incoming = 50 + (n * 37) % 400;
            let plan = rotation(current, &older, incoming, limit);
            if plan.rotate {
                older = [current, older[0], older[1]];
                current = 0;
            }
            for size in &mut older[plan.keep..] {
                *size = 0;
            }
            current += incoming;
            let total = current + older.iter().sum::<u64>();
            assert!(total <= limit, "limit {limit}, line {n}: {total}");
            assert!(current <= limit / 4 || older == [0; 3]);
        }
    }
}

fn message(key: &'static str, bytes: u64, heard: bool, secs: i64) -> Candidate<&'static str> {
    Candidate {
        key,
        bytes,
        heard,
        received_at: at(secs),
    }
}

#[test]
fn heard_messages_go_first_oldest_first_and_no_more_than_needed() {
    let all = [
        message("unheard-old", 100, false, 0),
        message("heard-new", 100, true, 30),
        message("heard-old", 100, true, 10),
        message("unheard-new", 100, false, 20),
    ];
    assert_eq!(voicemail_victims(&all, 500, 500), Vec::<&str>::new());
    assert_eq!(voicemail_victims(&all, 501, 500), ["heard-old"]);
    assert_eq!(
        voicemail_victims(&all, 650, 500),
        ["heard-old", "heard-new"]
    );
    assert_eq!(
        voicemail_victims(&all, 750, 500),
        ["heard-old", "heard-new", "unheard-old"]
    );
    // However full, only the candidates can go.
    assert_eq!(voicemail_victims(&all, 10_000, 10).len(), 4);
}

fn usage(bytes: [u64; 4]) -> Usage {
    Usage {
        stores: bytes,
        other: 7,
    }
}

fn limits() -> Storage {
    Storage {
        calls_kib: 100,
        audit_kib: 100,
        voicemail_kib: 1000,
        outbox_kib: 100,
        warn_percent: 90,
    }
}

#[test]
fn a_store_crossing_the_warning_level_is_alerted_once_until_it_falls_back() {
    let t0 = Instant::now();
    let mut m = Monitor::new(t0);
    assert!(m.due(t0));
    let quiet = m.scanned(t0, at(0), &usage([0; 4]), &limits(), [0; 4]);
    assert!(quiet.crossed.is_empty());
    assert_eq!(quiet.report.warnings().count(), 0);
    assert_eq!(quiet.report.other_bytes, 7);
    // Voicemail at 92 %: one alert, in words.
    let full = usage([0, 0, 942_080, 0]);
    let first = m.scanned(t0, at(60), &full, &limits(), [0, 0, 2, 0]);
    assert_eq!(first.crossed.len(), 1);
    assert_eq!(
        warning_text(&first.crossed[0]),
        "Storage: voicemail 92 % of 1000 KiB"
    );
    assert_eq!(first.report.stores[2].removed, 2);
    // Still above a minute later: marked, not alerted again.
    let again = m.scanned(t0, at(120), &full, &limits(), [0; 4]);
    assert!(again.crossed.is_empty());
    assert_eq!(again.report.warnings().count(), 1);
    // Below, then above again: a new alert.
    m.scanned(t0, at(180), &usage([0; 4]), &limits(), [0; 4]);
    let back = m.scanned(t0, at(240), &full, &limits(), [0; 4]);
    assert_eq!(back.crossed.len(), 1);
}

#[test]
fn the_warning_level_is_the_configured_share_of_the_limit() {
    let mut l = limits();
    let calls = 100 * 1024;
    assert!(!at_warning(calls * 89 / 100, calls, 90));
    assert!(at_warning(calls * 90 / 100, calls, 90));
    l.warn_percent = 50;
    let t0 = Instant::now();
    let mut m = Monitor::new(t0);
    let half = m.scanned(t0, at(0), &usage([calls / 2, 0, 0, 0]), &l, [0; 4]);
    assert_eq!(half.crossed.len(), 1);
    assert_eq!(half.crossed[0].store, Store::Calls);
    assert_eq!(percent(calls / 2, calls), 50);
    assert_eq!(percent(5, 0), 0);
}

#[test]
fn stores_are_measured_each_minute_and_soon_after_a_write() {
    let t0 = Instant::now();
    let mut m = Monitor::new(t0);
    m.scanned(t0, at(0), &usage([0; 4]), &limits(), [0; 4]);
    assert_eq!(m.poll_timeout(), t0 + SCAN_EVERY);
    assert!(!m.due(t0 + Duration::from_secs(1)));
    let write = t0 + Duration::from_secs(10);
    m.written(write);
    assert_eq!(m.poll_timeout(), write + WRITE_DELAY);
    // A later write does not push the measurement further away.
    m.written(write + Duration::from_secs(1));
    assert_eq!(m.poll_timeout(), write + WRITE_DELAY);
    assert!(m.due(write + WRITE_DELAY));
}
