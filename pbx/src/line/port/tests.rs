//! A port driven like a real line, with generated audio: rings and FSK caller ID between
//! them, answered with the caller in E.164; busy tone from the exchange ends the call; an
//! outgoing call waits for generated dial tone and dials digits a separate DTMF receiver
//! decodes from the playback audio.

use firmware_config::system::ToneCountry;

use super::*;
use crate::line::dsp::fsk::testsig::{bits, modulate, to_i16, Burst};
use crate::line::dsp::tones::ToneGenerator;

const FRAME: usize = 160;

struct Line {
    port: Port,
    seen: Vec<PortOutput>,
}

impl Line {
    fn new(country: ToneCountry, rings: u8) -> Line {
        Line {
            port: Port::new(country, rings),
            seen: Vec::new(),
        }
    }

    fn pump(&mut self) {
        while let Some(o) = self.port.poll_output() {
            self.seen.push(o);
        }
    }

    /// Feeds `audio`, padded to whole frames.
    fn audio(&mut self, audio: &[i16]) {
        for chunk in audio.chunks(FRAME) {
            let mut frame = [0i16; FRAME];
            frame[..chunk.len()].copy_from_slice(chunk);
            self.port.captured(&frame);
            self.pump();
        }
    }

    fn quiet(&mut self, ms: usize) {
        self.audio(&vec![0; ms * 8]);
    }

    fn signal(&mut self, e: SignalEvent) {
        self.port.signal(e);
        self.pump();
    }

    fn ring(&mut self, on_ms: usize, off_ms: usize) {
        self.signal(SignalEvent::Ring(true));
        self.quiet(on_ms);
        self.signal(SignalEvent::Ring(false));
        self.quiet(off_ms);
    }

    fn take(&mut self) -> Vec<PortOutput> {
        std::mem::take(&mut self.seen)
    }
}

/// An MDMF caller-ID message (ETSI EN 300 659-3): date-time, number, name; with checksum.
fn mdmf(number: &str, name: &str) -> Vec<u8> {
    let mut body = vec![0x01, 8];
    body.extend_from_slice(b"11231430");
    body.push(0x02);
    body.push(number.len() as u8);
    body.extend_from_slice(number.as_bytes());
    body.push(0x07);
    body.push(name.len() as u8);
    body.extend_from_slice(name.as_bytes());
    let mut msg = vec![0x80, body.len() as u8];
    msg.extend(body);
    let sum = msg.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    msg.push(sum.wrapping_neg());
    msg
}

fn fsk(standard: crate::line::dsp::fsk::FskStandard, msg: &[u8]) -> Vec<i16> {
    let burst = Burst::new(standard);
    to_i16(&modulate(&burst, &bits(&burst, msg)))
}

#[test]
fn a_polish_call_with_fsk_caller_id_is_answered_and_ended_by_busy_tone() {
    let mut line = Line::new(ToneCountry::PL, 2);
    line.ring(1000, 400);
    line.audio(&fsk(
        crate::line::dsp::fsk::FskStandard::V23,
        &mdmf("221234567", "KOWALSKI JAN"),
    ));
    line.quiet(2500);
    assert!(
        line.take().is_empty(),
        "not answered before the second ring"
    );
    line.signal(SignalEvent::Ring(true));
    line.quiet(300);
    let out = line.take();
    let Some(PortOutput::Incoming(caller, Some(id))) = out
        .iter()
        .find(|o| matches!(o, PortOutput::Incoming(..)))
        .cloned()
    else {
        panic!("no incoming call: {out:?}");
    };
    assert_eq!(caller.to_string(), "+48221234567");
    assert_eq!(id.name.as_deref(), Some("KOWALSKI JAN"));
    assert_eq!(out[0], PortOutput::Hook(true), "{out:?}");
    assert!(out.contains(&PortOutput::Connected));
    line.signal(SignalEvent::Ring(false));

    // The caller hangs up: the exchange plays busy tone (425 Hz, 0.5 s on / 0.5 s off).
    let mut busy = ToneGenerator::for_tone(ToneCountry::PL, ToneKind::Busy);
    let mut tone = vec![0i16; 8000 * 3];
    busy.fill(&mut tone);
    line.audio(&tone);
    let out = line.take();
    assert!(
        out.contains(&PortOutput::Ended(EndReason::FarEnd)),
        "{out:?}"
    );
    assert!(out.contains(&PortOutput::Hook(false)), "{out:?}");
}

#[test]
fn a_us_call_with_bell_202_caller_id_who_gives_up_is_missed_with_the_number() {
    let mut line = Line::new(ToneCountry::US, 3);
    line.ring(2000, 500);
    line.audio(&fsk(
        crate::line::dsp::fsk::FskStandard::Bell202,
        &mdmf("2025550123", "DOE JOHN"),
    ));
    line.quiet(3000);
    line.ring(2000, 7000);
    let out = line.take();
    assert!(
        out.iter().any(
            |o| matches!(o, PortOutput::Missed(c, Some(_)) if c.to_string() == "+12025550123")
        ),
        "{out:?}"
    );
    assert!(
        !out.iter().any(|o| matches!(o, PortOutput::Hook(true))),
        "never answered"
    );
}

#[test]
fn an_outgoing_call_waits_for_dial_tone_and_dials_digits_a_receiver_decodes() {
    let mut line = Line::new(ToneCountry::DE, 2);
    line.port.dial("0301234567");
    line.pump();
    assert_eq!(line.take(), [PortOutput::Hook(true)]);
    let mut dial_tone = ToneGenerator::for_tone(ToneCountry::DE, ToneKind::Dial);
    let mut receiver = DtmfDetector::new(DtmfLimits::default());
    let mut dialled = String::new();
    let mut played = [0i16; FRAME];
    for _ in 0..200 {
        let mut frame = [0i16; FRAME];
        dial_tone.fill(&mut frame);
        line.port.captured(&frame);
        line.pump();
        if line.port.playback(&mut played) {
            receiver.process(&played, |e| {
                if let DtmfEvent::Started { digit, .. } = e {
                    dialled.push(digit);
                }
            });
        }
    }
    assert_eq!(dialled, "0301234567");
    assert!(line.take().contains(&PortOutput::Connected));
}

#[test]
fn no_dial_tone_is_a_fault_and_the_line_goes_back_on_hook() {
    let mut line = Line::new(ToneCountry::GB, 2);
    line.port.dial("123");
    line.quiet(3500);
    line.pump();
    assert_eq!(
        line.take(),
        [
            PortOutput::Hook(true),
            PortOutput::Hook(false),
            PortOutput::Ended(EndReason::NoDialTone)
        ]
    );
}
