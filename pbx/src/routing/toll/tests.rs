//! The guard in virtual time: the demo office (employees 101–103, +48 70x blocked, every
//! country allowed, 2 / 4 calls at once and 20 / 60 an hour per employee / office).

use chrono::TimeZone;
use firmware_config::default::factory_default;
use firmware_config::number::CountryCode;

use super::*;

fn office() -> Config {
    factory_default().expect("randomness").0
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

fn minutes(m: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(m)
}

fn ext(s: &str) -> Extension {
    Extension::parse(s).unwrap()
}

fn num(s: &str) -> PhoneNumber {
    PhoneNumber::parse_international(s).unwrap()
}

/// An ordinary Warsaw number.
fn warsaw() -> PhoneNumber {
    num("+48 22 123 45 67")
}

/// A guard for the demo office after `change`.
fn guard_with(change: impl FnOnce(&mut Config)) -> TollGuard {
    let mut config = office();
    change(&mut config);
    TollGuard::new(&config)
}

/// Admits `n` calls by `by` at `at`, with ids from `first`, each released straight away.
fn short_calls(g: &mut TollGuard, at: DateTime<Utc>, by: Option<&str>, first: u64, n: u64) {
    let by = by.map(ext);
    for id in first..first + n {
        g.admit(at, CallId(id), by.as_ref(), &warsaw())
            .unwrap_or_else(|r| panic!("call {id} refused: {r}"));
        g.release(CallId(id));
    }
}

#[test]
fn an_employee_within_the_limits_is_admitted_and_counted() {
    let mut g = TollGuard::new(&office());
    assert_eq!(
        g.admit(t0(), CallId(1), Some(&ext("101")), &warsaw()),
        Ok(())
    );
    assert_eq!(
        g.admit(t0(), CallId(2), None, &num("+1 212 555 0123")),
        Ok(())
    );
    assert_eq!(g.active_calls(), 2);
    assert_eq!(g.remembered(), (2, 1));
}

#[test]
fn an_extension_that_is_no_employee_is_refused() {
    let mut g = TollGuard::new(&office());
    let r = g.admit(t0(), CallId(1), Some(&ext("999")), &warsaw());
    assert_eq!(r, Err(Refusal::NotAnEmployee(ext("999"))));
    assert_eq!(g.active_calls(), 0);
}

#[test]
fn a_limit_of_0_turns_outside_calls_off() {
    for off in [
        (|c: &mut Config| c.outbound.max_concurrent = 0) as fn(&mut Config),
        |c| c.outbound.max_per_hour = 0,
    ] {
        let mut g = guard_with(off);
        for by in [None, Some(ext("101"))] {
            let r = g.admit(t0(), CallId(1), by.as_ref(), &warsaw());
            assert_eq!(r, Err(Refusal::OutsideCallsOff));
        }
    }
}

#[test]
fn a_per_employee_limit_of_0_bars_employees_but_not_forwarding() {
    for off in [
        (|c: &mut Config| c.outbound.max_concurrent_per_employee = 0) as fn(&mut Config),
        |c| c.outbound.max_per_hour_per_employee = 0,
    ] {
        let mut g = guard_with(off);
        let r = g.admit(t0(), CallId(1), Some(&ext("102")), &warsaw());
        assert_eq!(
            r,
            Err(Refusal::EmployeesMayNotCallOut {
                employee: ext("102")
            })
        );
        assert_eq!(g.admit(t0(), CallId(2), None, &warsaw()), Ok(()));
    }
}

#[test]
fn a_country_outside_the_allowed_list_is_refused() {
    let mut g = guard_with(|c| {
        let poland = CountryCode::new(48).unwrap();
        c.system.allowed_country_codes.push(poland).unwrap();
    });
    let berlin = num("+49 30 12345678");
    let r = g.admit(t0(), CallId(1), Some(&ext("101")), &berlin);
    assert_eq!(
        r,
        Err(Refusal::CountryNotAllowed {
            number: berlin.clone(),
            country: CountryCode::new(49).unwrap(),
        })
    );
    // Forwarding is held to the same list.
    assert!(g.admit(t0(), CallId(2), None, &berlin).is_err());
    assert_eq!(g.admit(t0(), CallId(3), None, &warsaw()), Ok(()));
    assert_eq!(g.active_calls(), 1);
}

#[test]
fn an_empty_allowed_list_allows_every_country() {
    let mut g = TollGuard::new(&office());
    let numbers = [
        "+1 212 555 0123",
        "+49 30 12345678",
        "+81 3 1234 5678",
        "+998 71 123 45 67",
    ];
    for (i, n) in numbers.iter().enumerate() {
        let id = CallId(i as u64);
        assert_eq!(g.admit(t0(), id, None, &num(n)), Ok(()), "{n}");
        g.release(id);
    }
}

#[test]
fn a_blocked_prefix_is_refused_for_employees_and_forwarding() {
    let mut g = guard_with(|c| {
        c.outbound
            .blocked_prefixes
            .push("+1 900".parse().unwrap())
            .unwrap()
    });
    let premium = num("+48 701 234 567");
    for by in [Some(ext("103")), None] {
        let r = g.admit(t0(), CallId(1), by.as_ref(), &premium);
        assert_eq!(
            r,
            Err(Refusal::BlockedPrefix {
                number: premium.clone(),
                prefix: "+4870".into(),
            })
        );
    }
    let r = g.admit(t0(), CallId(2), None, &num("+1 900 555 0123"));
    assert!(matches!(r, Err(Refusal::BlockedPrefix { ref prefix, .. }) if prefix == "+1900"));
    // A neighbouring range is not blocked.
    assert_eq!(
        g.admit(t0(), CallId(3), None, &num("+48 601 234 567")),
        Ok(())
    );
}

#[test]
fn an_employee_has_at_most_2_calls_at_once_and_release_frees_one() {
    let mut g = TollGuard::new(&office());
    let anna = ext("101");
    for id in 1..=2 {
        assert_eq!(g.admit(t0(), CallId(id), Some(&anna), &warsaw()), Ok(()));
    }
    let r = g.admit(minutes(1), CallId(3), Some(&anna), &warsaw());
    assert_eq!(
        r,
        Err(Refusal::TooManyConcurrentForEmployee {
            employee: anna.clone(),
            limit: 2
        })
    );
    // Someone else may still call out.
    assert_eq!(
        g.admit(minutes(1), CallId(4), Some(&ext("102")), &warsaw()),
        Ok(())
    );
    g.release(CallId(1));
    assert_eq!(
        g.admit(minutes(2), CallId(3), Some(&anna), &warsaw()),
        Ok(())
    );
}

#[test]
fn the_office_has_at_most_4_calls_at_once_forwarding_included() {
    let mut g = TollGuard::new(&office());
    for id in 1..=3 {
        assert_eq!(g.admit(t0(), CallId(id), None, &warsaw()), Ok(()));
    }
    assert_eq!(
        g.admit(t0(), CallId(4), Some(&ext("101")), &warsaw()),
        Ok(())
    );
    for by in [None, Some(ext("102"))] {
        let r = g.admit(t0(), CallId(5), by.as_ref(), &warsaw());
        assert_eq!(r, Err(Refusal::TooManyConcurrent { limit: 4 }));
    }
    g.release(CallId(2));
    assert_eq!(
        g.admit(t0(), CallId(5), Some(&ext("102")), &warsaw()),
        Ok(())
    );
}

#[test]
fn release_is_idempotent_and_ignores_unknown_ids() {
    let mut g = guard_with(|c| {
        c.outbound.max_concurrent = 1;
        c.outbound.max_concurrent_per_employee = 1;
    });
    g.release(CallId(42));
    assert_eq!(g.admit(t0(), CallId(1), None, &warsaw()), Ok(()));
    g.release(CallId(42));
    assert_eq!(g.active_calls(), 1);
    g.release(CallId(1));
    g.release(CallId(1));
    assert_eq!(g.active_calls(), 0);
    assert_eq!(g.admit(t0(), CallId(2), None, &warsaw()), Ok(()));
    assert_eq!(
        g.admit(t0(), CallId(3), None, &warsaw()),
        Err(Refusal::TooManyConcurrent { limit: 1 })
    );
}

#[test]
fn an_id_in_progress_is_not_counted_twice() {
    let mut g = guard_with(|c| c.outbound.max_concurrent = 1);
    assert_eq!(g.admit(t0(), CallId(1), None, &warsaw()), Ok(()));
    assert_eq!(g.admit(t0(), CallId(1), None, &warsaw()), Ok(()));
    assert_eq!(g.remembered(), (1, 0));
    // The number rules still hold for it.
    assert!(g
        .admit(t0(), CallId(1), None, &num("+48 701 234 567"))
        .is_err());
}

#[test]
fn an_employees_hourly_limit_slides_with_the_window() {
    let mut g = TollGuard::new(&office());
    // 10 calls at 10:00 and 10 at 10:30: the 20 an hour are used up.
    short_calls(&mut g, t0(), Some("101"), 0, 10);
    short_calls(&mut g, minutes(30), Some("101"), 100, 10);
    let anna = ext("101");
    let refused = Err(Refusal::TooManyThisHourForEmployee {
        employee: anna.clone(),
        limit: 20,
        until: minutes(60),
    });
    assert_eq!(
        g.admit(minutes(45), CallId(200), Some(&anna), &warsaw()),
        refused
    );
    let almost = minutes(60) - TimeDelta::seconds(1);
    assert_eq!(
        g.admit(almost, CallId(200), Some(&anna), &warsaw()),
        refused
    );
    // Others are not affected.
    short_calls(&mut g, minutes(45), Some("102"), 300, 1);
    // At 11:00 the ten calls of 10:00 leave the window; the ten of 10:30 still count.
    short_calls(&mut g, minutes(60), Some("101"), 400, 10);
    let r = g.admit(minutes(61), CallId(500), Some(&anna), &warsaw());
    assert!(
        matches!(r, Err(Refusal::TooManyThisHourForEmployee { until, .. }) if until == minutes(90)),
        "{r:?}"
    );
}

#[test]
fn the_offices_hourly_limit_counts_forwarding_and_every_employee() {
    let mut g = TollGuard::new(&office());
    short_calls(&mut g, t0(), None, 0, 30);
    short_calls(&mut g, minutes(10), Some("101"), 100, 15);
    short_calls(&mut g, minutes(20), Some("102"), 200, 15);
    let refused = Err(Refusal::TooManyThisHour {
        limit: 60,
        until: minutes(60),
    });
    assert_eq!(g.admit(minutes(30), CallId(300), None, &warsaw()), refused);
    let r = g.admit(minutes(30), CallId(300), Some(&ext("103")), &warsaw());
    assert_eq!(r, refused);
    // At 11:00 the 30 forwarded calls have left the window; 101 has 5 of its own 20 left.
    short_calls(&mut g, minutes(60), Some("101"), 400, 5);
}

#[test]
fn refused_calls_are_not_counted() {
    let mut g = guard_with(|c| c.outbound.max_per_hour = 1);
    for id in 0..5 {
        let _ = g.admit(t0(), CallId(id), None, &num("+48 701 234 567"));
    }
    assert_eq!(g.remembered(), (0, 0));
    assert_eq!(g.admit(t0(), CallId(9), None, &warsaw()), Ok(()));
}

#[test]
fn a_new_configuration_keeps_the_counts() {
    let mut g = TollGuard::new(&office());
    short_calls(&mut g, t0(), Some("101"), 0, 5);
    for id in 10..12 {
        assert_eq!(g.admit(t0(), CallId(id), None, &warsaw()), Ok(()));
    }
    let mut tighter = office();
    tighter.outbound.max_concurrent = 2;
    tighter.outbound.max_concurrent_per_employee = 1;
    tighter.outbound.max_per_hour_per_employee = 5;
    g.configure(&tighter);
    assert_eq!(
        g.admit(minutes(1), CallId(20), None, &warsaw()),
        Err(Refusal::TooManyConcurrent { limit: 2 })
    );
    g.release(CallId(10));
    let r = g.admit(minutes(1), CallId(20), Some(&ext("101")), &warsaw());
    assert!(
        matches!(r, Err(Refusal::TooManyThisHourForEmployee { limit: 5, .. })),
        "{r:?}"
    );
    assert_eq!(
        g.admit(minutes(1), CallId(20), Some(&ext("102")), &warsaw()),
        Ok(())
    );
    g.configure(&office());
    g.release(CallId(20));
    assert_eq!(
        g.admit(minutes(2), CallId(21), Some(&ext("101")), &warsaw()),
        Ok(())
    );
}

#[test]
fn a_lowered_hourly_limit_waits_for_enough_calls_to_leave_the_window() {
    let mut g = TollGuard::new(&office());
    for m in 0..10 {
        short_calls(&mut g, minutes(m), None, m as u64 * 10, 1);
    }
    let mut tighter = office();
    tighter.outbound.max_per_hour = 4;
    tighter.outbound.max_per_hour_per_employee = 4;
    g.configure(&tighter);
    // Ten in the window, four allowed: room once the calls of 10:00–10:06 have left.
    let r = g.admit(minutes(10), CallId(100), None, &warsaw());
    assert_eq!(
        r,
        Err(Refusal::TooManyThisHour {
            limit: 4,
            until: minutes(66)
        })
    );
    assert!(g.admit(minutes(65), CallId(100), None, &warsaw()).is_err());
    assert_eq!(g.admit(minutes(66), CallId(100), None, &warsaw()), Ok(()));
}

#[test]
fn an_employee_removed_from_the_configuration_is_refused() {
    let mut g = TollGuard::new(&office());
    assert_eq!(
        g.admit(t0(), CallId(1), Some(&ext("103")), &warsaw()),
        Ok(())
    );
    let mut smaller = office();
    smaller.employees.retain(|e| e.extension.as_str() != "103");
    smaller.groups.as_mut_slice()[0]
        .members
        .retain(|m| m.as_str() != "103");
    g.configure(&smaller);
    let r = g.admit(t0(), CallId(2), Some(&ext("103")), &warsaw());
    assert_eq!(r, Err(Refusal::NotAnEmployee(ext("103"))));
    // Its call in progress still counts until it ends.
    assert_eq!(g.active_calls(), 1);
}

#[test]
fn memory_stays_bounded_over_days_of_calls() {
    let mut g = TollGuard::new(&office());
    let mut id = 0;
    for hour in 0..48 {
        for m in 0..60 {
            let at = minutes(hour * 60 + m);
            for by in [None, Some(ext("101")), Some(ext("102"))] {
                id += 1;
                if g.admit(at, CallId(id), by.as_ref(), &warsaw()).is_ok() {
                    g.release(CallId(id));
                }
            }
            let (office, employees) = g.remembered();
            assert!(office <= 60 && employees <= 40, "{office} {employees}");
        }
    }
    // An hour of quiet forgets everything.
    let _ = g.admit(
        minutes(48 * 60 + 61),
        CallId(0),
        None,
        &num("+48 701 234 567"),
    );
    assert_eq!(g.remembered(), (0, 0));
}

#[test]
fn refusals_read_well_in_a_log_and_a_warning_header() {
    let texts = [
        Refusal::NotAnEmployee(ext("999")).to_string(),
        Refusal::OutsideCallsOff.to_string(),
        Refusal::CountryNotAllowed {
            number: num("+49 30 12345678"),
            country: CountryCode::new(49).unwrap(),
        }
        .to_string(),
        Refusal::BlockedPrefix {
            number: num("+48 701 234 567"),
            prefix: "+4870".into(),
        }
        .to_string(),
        Refusal::TooManyThisHourForEmployee {
            employee: ext("101"),
            limit: 20,
            until: minutes(60),
        }
        .to_string(),
    ];
    assert_eq!(
        texts[2],
        "calls to +49 are not allowed (system.allowed_country_codes); +493012345678 was refused"
    );
    assert_eq!(
        texts[3],
        "+48701234567 starts with the blocked prefix +4870 (outbound.blocked_prefixes)"
    );
    assert_eq!(
        texts[4],
        "101 has made 20 outside call(s) in the last 60 minutes \
         (outbound.max_per_hour_per_employee); the next may go out at 2026-11-23T11:00:00Z"
    );
    for t in &texts {
        assert!(!t.contains('"') && !t.contains('\n'), "{t}");
    }
}
