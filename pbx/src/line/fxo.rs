//! One analog line (FXO port) as a sans-IO state machine: fed the signalling backend's ring
//! and loop-current edges, what the line's audio detectors heard (caller ID, call-progress
//! tones) and the switch's requests, with the time of each; it answers with what to do (take
//! the line off hook, listen for caller ID, dial digits, offer a call, end one) and when it
//! next needs the time.
//!
//! Incoming: idle → ringing (each ring qualified by the country's cadence: a burst shorter than
//! [`Cadence::min_burst`] is a stray pulse, bursts closer than [`Cadence::max_gap`] are one
//! ring) → caller ID collected (it arrives before the first ring in GB, between the first and
//! second elsewhere) → answered after `rings_before_answer` rings (off hook, the call is
//! offered to the switch) → connected → ended by either side. A line that stops ringing before
//! it is answered is a missed call, caller ID and all.
//!
//! Outgoing: seize (off hook) → dial tone within [`DIAL_TONE_WAIT`] (else the line is reported
//! faulty and released) → the number dialled as DTMF → connected (an analog line gives no
//! answer signal: connected means dialled) → ended by busy/reorder tone, loss of loop current
//! or the switch.

use std::collections::VecDeque;
use std::time::Duration;

use firmware_config::system::ToneCountry;

/// How long a seized line may take to give dial tone.
pub const DIAL_TONE_WAIT: Duration = Duration::from_secs(3);

/// How long dial tone must last before digits are sent.
pub const DIAL_TONE_SETTLE: Duration = Duration::from_millis(300);

/// How long the line waits after dialling before it counts as connected.
pub const AFTER_DIALLING: Duration = Duration::from_millis(500);

/// A country's ringing, as the line sees it on its ring-detect input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cadence {
    /// A burst shorter than this is a stray pulse, not ringing.
    pub min_burst: Duration,
    /// Bursts closer than this are one ring (GB rings twice per cycle).
    pub max_gap: Duration,
    /// No ring for this long after the last one: the caller gave up.
    pub gave_up: Duration,
    /// Whether caller ID comes before the first ring (GB) rather than after it.
    pub caller_id_first: bool,
}

impl Cadence {
    /// The ringing of `country`: PL and DE 1 s on / 4 s off, GB 0.4+0.2+0.4 s on / 2 s off,
    /// US 2 s on / 4 s off.
    pub fn of(country: ToneCountry) -> Cadence {
        let ms = Duration::from_millis;
        match country {
            ToneCountry::PL | ToneCountry::DE => Cadence {
                min_burst: ms(200),
                max_gap: ms(600),
                gave_up: ms(6500),
                caller_id_first: false,
            },
            ToneCountry::GB => Cadence {
                min_burst: ms(150),
                max_gap: ms(600),
                gave_up: ms(4500),
                caller_id_first: true,
            },
            ToneCountry::US => Cadence {
                min_burst: ms(200),
                max_gap: ms(600),
                gave_up: ms(6500),
                caller_id_first: false,
            },
        }
    }
}

/// Who called, as the line's caller-ID decoder read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineCaller {
    /// The number as sent (national or international; the switch normalises it).
    pub number: Option<String>,
    /// The name, when sent.
    pub name: Option<String>,
    /// The network said the number is withheld (private).
    pub withheld: bool,
}

/// A call-progress tone the line's detector heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// Continuous dial tone.
    DialTone,
    /// Busy tone.
    Busy,
    /// Reorder / congestion tone.
    Reorder,
    /// Ringback.
    Ringback,
    /// No tone any more.
    Quiet,
}

/// Something that happened to the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// The ring-detect input changed.
    Ring(bool),
    /// Loop current appeared or went (far-end hang-up on lines that signal it).
    LoopCurrent(bool),
    /// The caller-ID decoder read a message.
    CallerId(LineCaller),
    /// The tone detector's verdict changed.
    Tone(Heard),
    /// The switch dials `number` out on this line.
    Dial(String),
    /// The switch ends the call (its SIP side hung up, or it refused the call).
    HangUp,
    /// The last digit asked for by [`Output::SendDigits`] has been played to the line.
    DigitsSent,
    /// Check the line: seize it, confirm dial tone ([`Output::DialToneOk`]) and release it.
    /// An empty [`Input::Dial`] does the same.
    Check,
}

/// Why a call on the line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The far end hung up (busy or reorder tone after the call, or loop current lost).
    FarEnd,
    /// The switch hung up.
    Switch,
    /// The number dialled was busy.
    Busy,
    /// No dial tone: the line is dead or in use.
    NoDialTone,
}

/// What the line asks its shell to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Operate the hook relay: off hook (`true`) or on hook.
    OffHook(bool),
    /// Run the caller-ID decoder on the line's audio (or stop it).
    ListenCallerId(bool),
    /// An incoming call was answered: offer it to the switch.
    Incoming(LineCaller),
    /// The line rang and stopped before it was answered.
    Missed(LineCaller),
    /// Play these DTMF digits to the line.
    SendDigits(String),
    /// A check ([`Input::Check`]) heard dial tone; the line is released.
    DialToneOk,
    /// The call's audio flows: bridge the line to the SIP side.
    Connected,
    /// The call is over (the line is back on hook).
    Ended(EndReason),
}

/// Where the line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// On hook, quiet.
    Idle,
    /// Ringing: rings counted so far, and whether a ring burst is on.
    Ringing {
        /// Qualified rings so far.
        rings: u8,
        /// When the current burst began, if the ring input is on.
        burst_since: Option<Duration>,
        /// When the last burst ended.
        last_burst_end: Duration,
        /// Whether the current ring was counted already.
        counted: bool,
    },
    /// Off hook with an incoming call offered to the switch.
    Answered,
    /// Seized for an outgoing call, waiting for dial tone.
    Seized {
        /// When.
        since: Duration,
        /// When dial tone began, once it did.
        dial_tone: Option<Duration>,
        /// What to dial.
        number: String,
    },
    /// Digits going out; connected [`AFTER_DIALLING`] after the last one.
    Dialled {
        /// When the last digit was played (`None` while digits are still going out).
        at: Option<Duration>,
    },
    /// The call's audio flows.
    Connected,
}

/// One FXO line.
#[derive(Debug)]
pub struct Fxo {
    cadence: Cadence,
    rings_before_answer: u8,
    state: State,
    caller: LineCaller,
    out: VecDeque<Output>,
}

impl Fxo {
    /// A line of `country`, answering after `rings_before_answer` rings (at least one).
    pub fn new(country: ToneCountry, rings_before_answer: u8) -> Fxo {
        let cadence = Cadence::of(country);
        let mut line = Fxo {
            cadence,
            rings_before_answer: rings_before_answer.max(1),
            state: State::Idle,
            caller: LineCaller::default(),
            out: VecDeque::new(),
        };
        if cadence.caller_id_first {
            line.out.push_back(Output::ListenCallerId(true));
        }
        line
    }

    /// Where the line is.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Feeds one input that happened at `now`.
    pub fn handle_input(&mut self, now: Duration, input: Input) {
        match input {
            Input::Ring(on) => self.on_ring(now, on),
            Input::CallerId(caller) => self.on_caller_id(caller),
            Input::Tone(heard) => self.on_tone(now, heard),
            Input::LoopCurrent(false) if self.in_call() => self.end(EndReason::FarEnd),
            Input::LoopCurrent(_) => {}
            Input::Dial(number) => self.on_dial(now, number),
            Input::HangUp if self.in_call() || self.seized() => self.end(EndReason::Switch),
            Input::HangUp => {}
            Input::Check => self.on_dial(now, String::new()),
            Input::DigitsSent => {
                if let State::Dialled { at: at @ None } = &mut self.state {
                    *at = Some(now);
                }
            }
        }
    }

    /// Tells the line the time is `now` (at or after [`Fxo::poll_timeout`]).
    pub fn handle_timeout(&mut self, now: Duration) {
        match self.state.clone() {
            State::Ringing {
                burst_since: None,
                last_burst_end,
                ..
            } if now >= last_burst_end + self.cadence.gave_up => {
                let caller = std::mem::take(&mut self.caller);
                self.out.push_back(Output::Missed(caller));
                self.become_idle();
            }
            State::Ringing {
                burst_since: Some(since),
                counted: false,
                ..
            } if now >= since + self.cadence.min_burst => self.count_ring(),
            State::Seized {
                since,
                dial_tone: None,
                ..
            } if now >= since + DIAL_TONE_WAIT => self.end(EndReason::NoDialTone),
            State::Seized {
                dial_tone: Some(from),
                number,
                ..
            } if now >= from + DIAL_TONE_SETTLE && number.is_empty() => {
                // A check: dial tone is there; release the line.
                self.out.push_back(Output::DialToneOk);
                self.out.push_back(Output::OffHook(false));
                self.become_idle();
            }
            State::Seized {
                dial_tone: Some(from),
                number,
                ..
            } if now >= from + DIAL_TONE_SETTLE => {
                self.out.push_back(Output::SendDigits(number));
                self.state = State::Dialled { at: None };
            }
            State::Dialled { at: Some(at) } if now >= at + AFTER_DIALLING => {
                self.out.push_back(Output::Connected);
                self.state = State::Connected;
            }
            _ => {}
        }
    }

    /// The next thing for the shell to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When the line next needs [`Fxo::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Duration> {
        match &self.state {
            State::Ringing {
                burst_since: Some(since),
                counted: false,
                ..
            } => Some(*since + self.cadence.min_burst),
            State::Ringing {
                burst_since: None,
                last_burst_end,
                ..
            } => Some(*last_burst_end + self.cadence.gave_up),
            State::Seized {
                since,
                dial_tone: None,
                ..
            } => Some(*since + DIAL_TONE_WAIT),
            State::Seized {
                dial_tone: Some(from),
                ..
            } => Some(*from + DIAL_TONE_SETTLE),
            State::Dialled { at: Some(at) } => Some(*at + AFTER_DIALLING),
            _ => None,
        }
    }

    fn on_ring(&mut self, now: Duration, on: bool) {
        match (&mut self.state, on) {
            (State::Idle, true) => {
                self.state = State::Ringing {
                    rings: 0,
                    burst_since: Some(now),
                    last_burst_end: now,
                    counted: false,
                };
            }
            (
                State::Ringing {
                    burst_since,
                    last_burst_end,
                    counted,
                    ..
                },
                true,
            ) if burst_since.is_none() => {
                // A burst close to the last one belongs to the same ring (GB's double ring).
                if now.saturating_sub(*last_burst_end) > self.cadence.max_gap {
                    *counted = false;
                }
                *burst_since = Some(now);
            }
            (
                State::Ringing {
                    burst_since,
                    last_burst_end,
                    counted,
                    rings,
                },
                false,
            ) => {
                let Some(since) = burst_since.take() else {
                    return;
                };
                *last_burst_end = now;
                let long_enough = now.saturating_sub(since) >= self.cadence.min_burst;
                let (counted, rings) = (*counted, *rings);
                if long_enough && !counted {
                    self.count_ring();
                } else if rings == 0 && !counted {
                    // A stray pulse on an idle line: nothing rang.
                    self.state = State::Idle;
                    return;
                }
                self.after_ring_ended();
            }
            _ => {}
        }
    }

    /// A ring qualified: counted; caller ID is listened for after the first.
    fn count_ring(&mut self) {
        let State::Ringing { rings, counted, .. } = &mut self.state else {
            return;
        };
        *rings = rings.saturating_add(1);
        *counted = true;
        let rings = *rings;
        if rings >= self.rings_before_answer {
            self.answer();
        } else if rings == 2 && !self.cadence.caller_id_first {
            // Caller ID comes between the first and second ring only.
            self.out.push_back(Output::ListenCallerId(false));
        }
    }

    /// The first ring ended: caller ID comes now (outside GB).
    fn after_ring_ended(&mut self) {
        if let State::Ringing { rings: 1, .. } = self.state {
            if !self.cadence.caller_id_first {
                self.out.push_back(Output::ListenCallerId(true));
            }
        }
    }

    fn answer(&mut self) {
        self.out.push_back(Output::ListenCallerId(false));
        self.out.push_back(Output::OffHook(true));
        self.out
            .push_back(Output::Incoming(std::mem::take(&mut self.caller)));
        self.out.push_back(Output::Connected);
        self.state = State::Answered;
    }

    fn on_caller_id(&mut self, caller: LineCaller) {
        if matches!(self.state, State::Idle | State::Ringing { .. }) {
            self.caller = caller;
        }
    }

    fn on_tone(&mut self, now: Duration, heard: Heard) {
        match (&mut self.state, heard) {
            (State::Seized { dial_tone, .. }, Heard::DialTone) => {
                dial_tone.get_or_insert(now);
            }
            (State::Seized { dial_tone, .. }, Heard::Quiet) => *dial_tone = None,
            (State::Seized { .. }, Heard::Busy | Heard::Reorder) => self.end(EndReason::NoDialTone),
            (State::Dialled { .. }, Heard::Busy | Heard::Reorder) => self.end(EndReason::Busy),
            (State::Answered | State::Connected, Heard::Busy | Heard::Reorder) => {
                self.end(EndReason::FarEnd)
            }
            _ => {}
        }
    }

    fn on_dial(&mut self, now: Duration, number: String) {
        if self.state != State::Idle {
            self.out.push_back(Output::Ended(EndReason::Switch));
            return;
        }
        self.out.push_back(Output::ListenCallerId(false));
        self.out.push_back(Output::OffHook(true));
        self.state = State::Seized {
            since: now,
            dial_tone: None,
            number,
        };
    }

    fn in_call(&self) -> bool {
        matches!(
            self.state,
            State::Answered | State::Connected | State::Dialled { .. }
        )
    }

    fn seized(&self) -> bool {
        matches!(self.state, State::Seized { .. })
    }

    fn end(&mut self, reason: EndReason) {
        self.out.push_back(Output::OffHook(false));
        self.out.push_back(Output::Ended(reason));
        self.become_idle();
    }

    fn become_idle(&mut self) {
        self.state = State::Idle;
        self.caller = LineCaller::default();
        let listen = self.cadence.caller_id_first;
        self.out.push_back(Output::ListenCallerId(listen));
    }
}

#[cfg(test)]
mod tests;
