//! One FXO port: the line state machine ([`Fxo`]) joined with the DSP that listens to the
//! line, sans-IO. Its clock is the line's own audio: every captured frame advances time by
//! its samples, so a test drives a whole call with generated audio and signalling events, and
//! the daemon's shell only moves frames, events and commands.
//!
//! While the line is on hook and the state machine asks for caller ID, the FSK receiver
//! (V.23, or Bell 202 on US lines) and the DTMF receiver (DTMF caller ID, `A…C` / `D…#`) read
//! the audio. Off hook, the tone detector reports dial, busy, reorder and ringback to the
//! state machine, and DTMF the far end sends is reported as digits. Digits to dial are
//! generated into the playback audio ([`Port::playback`]). What is played is remembered
//! ([`Port::played`]) so the echo of it can be taken out of what the line sends the call
//! ([`Port::clean`], see [`EchoPath`]).

use std::collections::VecDeque;
use std::time::Duration;

use firmware_config::system::ToneCountry;

use super::caller::caller_of;
use super::dsp::callerid::{parse_dtmf, Absence, CallerId, DtmfFormat, FskCallerIdReceiver};
use super::dsp::dtmf::{DialParams, DtmfDetector, DtmfEvent, DtmfGenerator, DtmfLimits};
use super::dsp::fsk::{FskConfig, FskStandard};
use super::dsp::tones::{ToneDetector, ToneEvent, ToneKind};
use super::dsp::SAMPLE_RATE;
use super::echo_path::{EchoPath, BULK_DELAY};
use super::fxo::{EndReason, Fxo, Heard, Input, LineCaller, Output};
use super::signal_socket::SignalEvent;
use crate::routing::Caller;

/// The longest DTMF caller-ID string collected.
const MAX_DTMF_ID: usize = 32;

/// What the port asks its shell (and the switch) to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortOutput {
    /// Operate the hook relay: off hook (`true`) or on hook.
    Hook(bool),
    /// An incoming call was answered: the caller for the router, and the caller ID as
    /// decoded (for the diagnostics), if any came.
    Incoming(Caller, Option<CallerId>),
    /// The line rang and stopped before it was answered.
    Missed(Caller, Option<CallerId>),
    /// The call's audio flows: bridge the line.
    Connected,
    /// The far end sent a DTMF digit during the call.
    Digit(char),
    /// The call is over.
    Ended(EndReason),
    /// The tone detector's verdict changed (for the diagnostics).
    Heard(Heard),
    /// A line check heard dial tone (the line is released again).
    DialToneOk,
}

/// One FXO port.
#[derive(Debug)]
pub struct Port {
    country: ToneCountry,
    fxo: Fxo,
    samples: u64,
    listening: bool,
    off_hook: bool,
    fsk: FskCallerIdReceiver,
    dtmf: DtmfDetector,
    dtmf_id: String,
    tones: ToneDetector,
    dialler: DtmfGenerator,
    caller_id: Option<CallerId>,
    echo: EchoPath,
    out: VecDeque<PortOutput>,
}

impl Port {
    /// A port for a line of `country` answering after `rings_before_answer` rings.
    pub fn new(country: ToneCountry, rings_before_answer: u8) -> Port {
        let standard = match country {
            ToneCountry::US => FskStandard::Bell202,
            _ => FskStandard::V23,
        };
        let mut port = Port {
            country,
            fxo: Fxo::new(country, rings_before_answer),
            samples: 0,
            listening: false,
            off_hook: false,
            fsk: FskCallerIdReceiver::new(FskConfig::new(standard)),
            dtmf: DtmfDetector::new(DtmfLimits::default()),
            dtmf_id: String::with_capacity(MAX_DTMF_ID),
            tones: ToneDetector::new(country),
            dialler: DtmfGenerator::new(DialParams::default()),
            caller_id: None,
            echo: EchoPath::new(BULK_DELAY),
            out: VecDeque::new(),
        };
        port.drain();
        port
    }

    /// The port's time: the audio captured so far.
    pub fn now(&self) -> Duration {
        Duration::from_micros(self.samples * 1_000_000 / u64::from(SAMPLE_RATE))
    }

    /// Whether the line is quiet and on hook: free for a call.
    pub fn idle(&self) -> bool {
        matches!(self.fxo.state(), super::fxo::State::Idle)
    }

    /// The last caller ID decoded on this line (kept for the diagnostics).
    pub fn last_caller_id(&self) -> Option<&CallerId> {
        self.caller_id.as_ref()
    }

    /// The signalling backend reported `event` (stamped with the port's time).
    pub fn signal(&mut self, event: SignalEvent) {
        let input = match event {
            SignalEvent::Ring(on) => Input::Ring(on),
            SignalEvent::LoopCurrent(on) => Input::LoopCurrent(on),
        };
        self.fxo.handle_input(self.now(), input);
        self.drain();
    }

    /// The switch dials `number` out on this line.
    pub fn dial(&mut self, number: &str) {
        self.fxo
            .handle_input(self.now(), Input::Dial(number.to_owned()));
        self.drain();
    }

    /// Checks the line: seize it, confirm dial tone, release it ([`PortOutput::DialToneOk`],
    /// or [`PortOutput::Ended`] with no dial tone).
    pub fn check(&mut self) {
        self.fxo.handle_input(self.now(), Input::Check);
        self.drain();
    }

    /// The switch ends the call.
    pub fn hang_up(&mut self) {
        self.fxo.handle_input(self.now(), Input::HangUp);
        self.drain();
    }

    /// One frame captured from the line: listened to, and time moves on.
    pub fn captured(&mut self, frame: &[i16]) {
        if self.listening {
            self.listen_for_caller_id(frame);
        }
        if self.off_hook {
            self.listen_off_hook(frame);
        }
        self.samples += frame.len() as u64;
        let now = self.now();
        // Timers fire at the first frame boundary at or after them (20 ms resolution).
        while let Some(due) = self.fxo.poll_timeout().filter(|t| *t <= now) {
            self.fxo.handle_timeout(now);
            self.drain();
            if self.fxo.poll_timeout() == Some(due) {
                break;
            }
        }
    }

    /// Fills `out` with the digits being dialled; `false` when there are none (the bridge
    /// plays the call's audio instead).
    pub fn playback(&mut self, out: &mut [i16]) -> bool {
        if self.dialler.is_idle() {
            return false;
        }
        self.dialler.fill(out);
        if self.dialler.is_idle() {
            self.fxo.handle_input(self.now(), Input::DigitsSent);
            self.drain();
        }
        true
    }

    /// `frame` was written to the line (digits or the call's audio).
    pub fn played(&mut self, frame: &[i16]) {
        self.echo.played(frame);
    }

    /// The captured `frame` as the call should hear it: without the echo of what was played.
    pub fn clean(&mut self, captured: &[i16], out: &mut [i16]) {
        self.echo.clean(captured, out);
    }

    /// The echo canceller's ERLE now, in dB (for the diagnostics).
    pub fn erle_db(&self) -> Option<f32> {
        self.echo.erle_db()
    }

    /// The next thing for the shell to do.
    pub fn poll_output(&mut self) -> Option<PortOutput> {
        self.out.pop_front()
    }

    fn listen_for_caller_id(&mut self, frame: &[i16]) {
        if let Some(Ok(id)) = self.fsk.process(frame) {
            self.heard_caller_id(id);
        }
        let mut digits = Vec::new();
        self.dtmf.process(frame, |e| {
            if let DtmfEvent::Started { digit, .. } = e {
                digits.push(digit);
            }
        });
        for digit in digits {
            if self.dtmf_id.len() < MAX_DTMF_ID {
                self.dtmf_id.push(digit);
            }
            if matches!(digit, 'C' | '#') {
                if let Ok(id) = parse_dtmf(&self.dtmf_id, DtmfFormat::Auto) {
                    self.heard_caller_id(id);
                }
                self.dtmf_id.clear();
            }
        }
    }

    fn heard_caller_id(&mut self, id: CallerId) {
        let caller = LineCaller {
            number: id.number.clone(),
            name: id.name.clone(),
            withheld: matches!(id.absence, Some(Absence::Private | Absence::Unavailable)),
        };
        self.caller_id = Some(id);
        self.fxo.handle_input(self.now(), Input::CallerId(caller));
        self.drain();
    }

    fn listen_off_hook(&mut self, frame: &[i16]) {
        let mut heard = Vec::new();
        self.tones.process(frame, |e| {
            heard.push(match e {
                ToneEvent::Detected { tone, .. } => match tone {
                    ToneKind::Dial => Heard::DialTone,
                    ToneKind::Busy => Heard::Busy,
                    ToneKind::Reorder => Heard::Reorder,
                    ToneKind::Ringback => Heard::Ringback,
                },
                ToneEvent::Ended { .. } => Heard::Quiet,
            })
        });
        let connected = matches!(self.fxo.state(), super::fxo::State::Connected);
        let mut digits = Vec::new();
        if connected && self.dialler.is_idle() {
            self.dtmf.process(frame, |e| {
                if let DtmfEvent::Started { digit, .. } = e {
                    digits.push(digit);
                }
            });
        }
        for h in heard {
            self.out.push_back(PortOutput::Heard(h));
            self.fxo.handle_input(self.now(), Input::Tone(h));
            self.drain();
        }
        self.out.extend(digits.into_iter().map(PortOutput::Digit));
    }

    /// Takes the state machine's outputs: the ones about listening and dialling are the
    /// port's own; the rest go to the shell.
    fn drain(&mut self) {
        while let Some(o) = self.fxo.poll_output() {
            match o {
                Output::ListenCallerId(on) => {
                    if on && !self.listening {
                        self.fsk.reset();
                        self.dtmf_id.clear();
                    }
                    self.listening = on;
                }
                Output::SendDigits(digits) => {
                    if let Err(e) = self.dialler.dial(&digits) {
                        tracing::warn!(%digits, error = %e, "number not dialled");
                    }
                }
                Output::OffHook(on) => {
                    self.off_hook = on;
                    if !on {
                        self.dialler.cancel();
                    }
                    self.tones = ToneDetector::new(self.country);
                    self.out.push_back(PortOutput::Hook(on));
                }
                Output::Incoming(c) => {
                    let caller = caller_of(&c, self.country);
                    self.out
                        .push_back(PortOutput::Incoming(caller, self.caller_id.clone()));
                }
                Output::Missed(c) => {
                    let caller = caller_of(&c, self.country);
                    self.out
                        .push_back(PortOutput::Missed(caller, self.caller_id.clone()));
                }
                Output::Connected => self.out.push_back(PortOutput::Connected),
                Output::DialToneOk => self.out.push_back(PortOutput::DialToneOk),
                Output::Ended(why) => self.out.push_back(PortOutput::Ended(why)),
            }
        }
    }
}

#[cfg(test)]
mod tests;
