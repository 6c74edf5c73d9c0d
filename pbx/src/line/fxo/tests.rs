//! The line state machine in virtual time: ringing qualified per country, caller ID, answer,
//! missed calls, outgoing calls with dial tone, and every way a call ends.

use std::time::Duration;

use firmware_config::system::ToneCountry;

use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A line and its virtual clock; the timers it asks for are run as time passes.
struct Bench {
    line: Fxo,
    now: Duration,
    seen: Vec<Output>,
}

impl Bench {
    fn new(country: ToneCountry, rings: u8) -> Bench {
        let mut b = Bench {
            line: Fxo::new(country, rings),
            now: Duration::ZERO,
            seen: Vec::new(),
        };
        b.drain();
        b
    }

    fn drain(&mut self) {
        while let Some(o) = self.line.poll_output() {
            self.seen.push(o);
        }
    }

    /// Lets `d` pass, running every timer due on the way.
    fn wait(&mut self, d: Duration) {
        let until = self.now + d;
        while let Some(t) = self.line.poll_timeout().filter(|t| *t <= until) {
            self.now = t.max(self.now);
            self.line.handle_timeout(self.now);
            self.drain();
        }
        self.now = until;
    }

    fn input(&mut self, input: Input) {
        self.line.handle_input(self.now, input);
        self.drain();
    }

    /// One burst of ringing `on` long, then `off` of quiet.
    fn burst(&mut self, on: u64, off: u64) {
        self.input(Input::Ring(true));
        self.wait(ms(on));
        self.input(Input::Ring(false));
        self.wait(ms(off));
    }

    fn take(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.seen)
    }
}

fn caller() -> LineCaller {
    LineCaller {
        number: Some("221234567".into()),
        name: Some("KOWALSKI JAN".into()),
        withheld: false,
    }
}

#[test]
fn a_polish_call_is_answered_on_the_second_ring_with_the_caller_id_sent_between() {
    let mut b = Bench::new(ToneCountry::PL, 2);
    assert!(
        b.take().is_empty(),
        "caller ID is not listened for before ringing in PL"
    );
    b.burst(1000, 500);
    assert_eq!(b.take(), [Output::ListenCallerId(true)]);
    b.input(Input::CallerId(caller()));
    b.wait(ms(3500));
    b.input(Input::Ring(true));
    assert!(b.take().is_empty(), "the ring is not qualified yet");
    b.wait(ms(200));
    assert_eq!(
        b.take(),
        [
            Output::ListenCallerId(false),
            Output::OffHook(true),
            Output::Incoming(caller()),
            Output::Connected,
        ]
    );
    assert_eq!(b.line.state(), &State::Answered);
}

#[test]
fn a_stray_pulse_is_not_a_call() {
    let mut b = Bench::new(ToneCountry::DE, 1);
    b.burst(80, 10_000);
    assert!(b.take().is_empty());
    assert_eq!(b.line.state(), &State::Idle);
}

#[test]
fn gb_rings_twice_per_cycle_and_counts_it_as_one_ring_with_caller_id_before_it() {
    let mut b = Bench::new(ToneCountry::GB, 2);
    assert_eq!(b.take(), [Output::ListenCallerId(true)]);
    b.input(Input::CallerId(caller()));
    // One GB ring: 0.4 s on, 0.2 s off, 0.4 s on, 2 s off.
    b.burst(400, 200);
    b.burst(400, 2000);
    assert!(b.take().is_empty(), "one ring so far: not answered");
    assert!(matches!(b.line.state(), State::Ringing { rings: 1, .. }));
    b.burst(400, 0);
    let out = b.take();
    assert!(out.contains(&Output::Incoming(caller())), "{out:?}");
}

#[test]
fn a_caller_who_gives_up_is_a_missed_call_with_the_caller_id() {
    let mut b = Bench::new(ToneCountry::PL, 4);
    b.burst(1000, 4000);
    b.input(Input::CallerId(caller()));
    b.burst(1000, 6000);
    assert!(b.take().iter().all(|o| !matches!(o, Output::Missed(_))));
    b.wait(ms(600));
    let out = b.take();
    assert!(out.contains(&Output::Missed(caller())), "{out:?}");
    assert_eq!(b.line.state(), &State::Idle);
}

#[test]
fn busy_tone_or_lost_loop_current_after_answering_ends_the_call() {
    for end in [Input::Tone(Heard::Busy), Input::LoopCurrent(false)] {
        let mut b = Bench::new(ToneCountry::US, 1);
        b.burst(2000, 0);
        b.take();
        b.input(end.clone());
        assert_eq!(
            b.take(),
            [
                Output::OffHook(false),
                Output::Ended(EndReason::FarEnd),
                Output::ListenCallerId(false),
            ],
            "{end:?}"
        );
    }
}

#[test]
fn the_switch_hanging_up_puts_the_line_on_hook() {
    let mut b = Bench::new(ToneCountry::PL, 1);
    b.burst(1000, 0);
    b.take();
    b.input(Input::HangUp);
    assert_eq!(
        b.take()[..2],
        [Output::OffHook(false), Output::Ended(EndReason::Switch)]
    );
}

#[test]
fn an_outgoing_call_waits_for_dial_tone_dials_and_connects() {
    let mut b = Bench::new(ToneCountry::PL, 2);
    b.input(Input::Dial("601234567".into()));
    assert_eq!(
        b.take(),
        [Output::ListenCallerId(false), Output::OffHook(true)]
    );
    b.wait(ms(400));
    b.input(Input::Tone(Heard::DialTone));
    b.wait(ms(299));
    assert!(b.take().is_empty(), "dial tone must settle first");
    b.wait(ms(1));
    assert_eq!(b.take(), [Output::SendDigits("601234567".into())]);
    b.wait(ms(5000));
    assert!(
        b.take().is_empty(),
        "not connected while digits are going out"
    );
    b.input(Input::DigitsSent);
    b.wait(AFTER_DIALLING - ms(1));
    assert!(b.take().is_empty());
    b.wait(ms(1));
    assert_eq!(b.take(), [Output::Connected]);
    b.input(Input::Tone(Heard::Busy));
    assert!(b.take().contains(&Output::Ended(EndReason::FarEnd)));
}

#[test]
fn no_dial_tone_is_a_line_fault_and_the_line_is_released() {
    let mut b = Bench::new(ToneCountry::DE, 2);
    b.input(Input::Dial("123".into()));
    b.take();
    b.wait(DIAL_TONE_WAIT);
    assert_eq!(
        b.take()[..2],
        [Output::OffHook(false), Output::Ended(EndReason::NoDialTone)]
    );
    assert_eq!(b.line.state(), &State::Idle);
}

#[test]
fn a_busy_number_ends_the_call_as_busy() {
    let mut b = Bench::new(ToneCountry::PL, 2);
    b.input(Input::Dial("601234567".into()));
    b.input(Input::Tone(Heard::DialTone));
    b.wait(DIAL_TONE_SETTLE);
    b.input(Input::Tone(Heard::Busy));
    assert!(b.take().contains(&Output::Ended(EndReason::Busy)));
}

#[test]
fn dialling_on_a_ringing_line_is_refused() {
    let mut b = Bench::new(ToneCountry::PL, 3);
    b.burst(1000, 100);
    b.take();
    b.input(Input::Dial("123".into()));
    assert_eq!(b.take(), [Output::Ended(EndReason::Switch)]);
    assert!(matches!(b.line.state(), State::Ringing { .. }));
}

#[test]
fn a_check_seizes_the_line_confirms_dial_tone_and_releases_it() {
    let mut b = Bench::new(ToneCountry::PL, 2);
    b.input(Input::Check);
    assert_eq!(
        b.take(),
        [Output::ListenCallerId(false), Output::OffHook(true)]
    );
    b.wait(ms(200));
    b.input(Input::Tone(Heard::DialTone));
    b.wait(DIAL_TONE_SETTLE);
    let out = b.take();
    assert_eq!(out[..2], [Output::DialToneOk, Output::OffHook(false)]);
    assert_eq!(b.line.state(), &State::Idle);
}

#[test]
fn a_check_without_dial_tone_is_a_line_fault() {
    let mut b = Bench::new(ToneCountry::GB, 2);
    b.input(Input::Check);
    b.take();
    b.wait(DIAL_TONE_WAIT);
    let out = b.take();
    assert!(
        out.contains(&Output::Ended(EndReason::NoDialTone)),
        "{out:?}"
    );
    assert!(!out.contains(&Output::DialToneOk));
}
