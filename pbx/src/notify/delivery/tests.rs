use super::*;

const S: Duration = Duration::from_secs(1);

/// One POST as the virtual receiver saw it: when (after the start), which event, outcome.
type Attempt = (Duration, u64, Outcome);

/// Runs `machine` in virtual time from `t0` for `span`, answering each POST with `receiver`.
fn run(
    machine: &mut Delivery,
    t0: Instant,
    span: Duration,
    mut receiver: impl FnMut(Duration, u64) -> Outcome,
) -> (Vec<Attempt>, Vec<Settled>) {
    let mut attempts = Vec::new();
    let mut settled = Vec::new();
    let mut now = t0;
    loop {
        while let Some(id) = machine.poll_send(now) {
            let outcome = receiver(now - t0, id);
            attempts.push((now - t0, id, outcome));
            if let Some(s) = machine.result(now, id, outcome) {
                settled.push(s);
            }
        }
        match machine.poll_timeout() {
            Some(at) if at <= t0 + span => now = at,
            _ => return (attempts, settled),
        }
    }
}

fn ids(attempts: &[Attempt]) -> Vec<u64> {
    attempts.iter().map(|(_, id, _)| *id).collect()
}

#[test]
fn events_go_out_in_order_one_at_a_time() {
    let t0 = Instant::now();
    let mut m = Delivery::new(Backoff::default(), [10, 11], true);
    assert_eq!(m.poll_send(t0), Some(10));
    // Nothing else while 10 is in flight, however late it gets.
    assert_eq!(m.poll_send(t0 + 60 * S), None);
    m.push(12);
    assert_eq!(
        m.result(t0, 10, Outcome::Acknowledged),
        Some(Settled::Delivered(10))
    );
    let (attempts, settled) = run(&mut m, t0, S, |_, _| Outcome::Acknowledged);
    assert_eq!(ids(&attempts), [11, 12]);
    assert_eq!(settled, [Settled::Delivered(11), Settled::Delivered(12)]);
    assert_eq!(m.pending(), 0);
    assert_eq!(m.poll_timeout(), None);
}

#[test]
fn a_failing_receiver_holds_the_line_with_doubling_waits() {
    let t0 = Instant::now();
    let mut m = Delivery::new(Backoff::default(), [1, 2, 3], true);
    // Down for the first 10 s.
    let (attempts, _) = run(&mut m, t0, 60 * S, |at, _| {
        if at < 10 * S {
            Outcome::Failed
        } else {
            Outcome::Acknowledged
        }
    });
    let expected = [
        (Duration::ZERO, 1, Outcome::Failed),
        (S, 1, Outcome::Failed),
        (3 * S, 1, Outcome::Failed),
        (7 * S, 1, Outcome::Failed),
        (15 * S, 1, Outcome::Acknowledged),
        (15 * S, 2, Outcome::Acknowledged),
        (15 * S, 3, Outcome::Acknowledged),
    ];
    assert_eq!(attempts, expected);
}

#[test]
fn the_wait_doubles_up_to_five_minutes() {
    let b = Backoff::default();
    let waits: Vec<u64> = (1..=12).map(|n| b.after(n).as_secs()).collect();
    assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
    assert_eq!(b.after(u32::MAX), 300 * S);
    assert_eq!(b.after(0), S);
}

#[test]
fn a_receiver_down_for_an_hour_gets_everything_within_five_minutes_of_its_return() {
    let t0 = Instant::now();
    let mut m = Delivery::new(Backoff::default(), 1..=50, true);
    let back = 3600 * S;
    let (attempts, settled) = run(&mut m, t0, 2 * back, |at, _| {
        if at < back {
            Outcome::Failed
        } else {
            Outcome::Acknowledged
        }
    });
    let failed = attempts.iter().filter(|a| a.2 == Outcome::Failed).count();
    // 1+2+…+256 s ≈ 8.5 min, then every 5 min: about 20 attempts in the hour, not thousands.
    assert!((15..=25).contains(&failed), "{failed}");
    let delivered: Vec<u64> = settled
        .iter()
        .filter_map(|s| match s {
            Settled::Delivered(id) => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(delivered, (1..=50).collect::<Vec<_>>());
    let first_ack = attempts
        .iter()
        .find(|a| a.2 == Outcome::Acknowledged)
        .map(|a| a.0);
    assert!(first_ack.is_some_and(|t| t >= back && t <= back + 300 * S));
}

#[test]
fn a_refused_event_is_set_aside_and_the_next_goes() {
    let t0 = Instant::now();
    let mut m = Delivery::new(Backoff::default(), [1, 2, 3], true);
    let (attempts, settled) = run(&mut m, t0, S, |_, id| {
        if id == 2 {
            Outcome::Refused
        } else {
            Outcome::Acknowledged
        }
    });
    assert_eq!(ids(&attempts), [1, 2, 3]);
    assert_eq!(
        settled,
        [
            Settled::Delivered(1),
            Settled::Refused(2),
            Settled::Delivered(3)
        ]
    );
}

#[test]
fn the_backoff_starts_over_after_a_success() {
    let t0 = Instant::now();
    let mut m = Delivery::new(Backoff::default(), [1, 2], true);
    let mut tries = 0;
    let (attempts, _) = run(&mut m, t0, 60 * S, |_, _| {
        tries += 1;
        match tries {
            1 | 2 | 4 => Outcome::Failed,
            _ => Outcome::Acknowledged,
        }
    });
    let times: Vec<(u64, u64)> = attempts.iter().map(|a| (a.0.as_secs(), a.1)).collect();
    // 1 fails at 0 and 1 (waits 1 s, 2 s), is acknowledged at 3; 2 fails at 3, waits 1 s.
    assert_eq!(times, [(0, 1), (1, 1), (3, 1), (3, 2), (4, 2)]);
}

#[test]
fn statuses_are_classified() {
    for s in [200, 201, 202, 204, 299] {
        assert_eq!(classify(s), Outcome::Acknowledged, "{s}");
    }
    for s in [100, 301, 302, 408, 429, 500, 502, 503, 504, 600] {
        assert_eq!(classify(s), Outcome::Failed, "{s}");
    }
    for s in [400, 401, 403, 404, 405, 410, 413, 415, 422, 499] {
        assert_eq!(classify(s), Outcome::Refused, "{s}");
    }
}

#[test]
fn nothing_goes_out_without_a_webhook() {
    let t0 = Instant::now();
    let mut m = Delivery::new(Backoff::default(), [1], false);
    assert_eq!(m.poll_send(t0), None);
    assert_eq!(m.poll_timeout(), None);
    m.set_enabled(true);
    assert_eq!(m.poll_send(t0), Some(1));
}

#[test]
fn a_new_configuration_is_tried_at_once() {
    let t0 = Instant::now();
    let mut m = Delivery::new(Backoff::default(), [1], true);
    let mut now = t0;
    for _ in 0..8 {
        assert_eq!(m.poll_send(now), Some(1));
        let settled = m.result(now, 1, Outcome::Failed);
        let Some(Settled::Retry { at, .. }) = settled else {
            panic!("{settled:?}");
        };
        assert_eq!(m.poll_timeout(), Some(at));
        now = at;
    }
    // The 8th failure was 128 s before `now`; a new URL does not wait that out.
    let early = now - 100 * S;
    assert_eq!(m.poll_send(early), None);
    m.set_enabled(true);
    assert_eq!(m.poll_send(early), Some(1));
    assert_eq!(
        m.result(early, 1, Outcome::Failed),
        Some(Settled::Retry {
            id: 1,
            failures: 1,
            at: early + S
        })
    );
}

#[test]
fn a_forgotten_event_is_not_sent_and_its_late_result_is_ignored() {
    let t0 = Instant::now();
    let mut m = Delivery::new(Backoff::default(), [1, 2, 3], true);
    m.forget(2);
    assert_eq!(m.poll_send(t0), Some(1));
    m.forget(1);
    assert_eq!(m.result(t0, 1, Outcome::Acknowledged), None);
    assert_eq!(m.result(t0, 7, Outcome::Acknowledged), None);
    assert_eq!(m.poll_send(t0), Some(3));
    assert_eq!(m.pending(), 1);
}
