//! Voicemail calls: leaving a message (the router's `Voicemail`) and an employee listening
//! to their messages by dialling the voicemail number.
//!
//! Leaving a message: the caller is answered, every fork still ringing is cancelled, the
//! greeting plays (the admin's file, or the built-in one), then the beep, then what the caller
//! says is recorded until [`RECORD_LIMIT`] or [`RECORD_SILENCE`] of silence; then "goodbye"
//! and BYE. A caller who hangs up while recording keeps the message. The message's metadata
//! waits in a map keyed by the media leg, so the engine's `Recorded` (which may come after
//! the call is gone: a BYE closes the leg) still finds it; the shell is then asked to save it
//! ([`Change::Save`]), or to delete a recording under [`voicemail::MIN_MESSAGE_MS`].
//!
//! Listening: "you have new messages" (or "no messages"), then each message — unheard ones
//! first, newest first — followed by the menu: 1 next, 2 again, 7 delete ("message deleted",
//! then the next). After the last: "end of messages", "goodbye", BYE. A message played is
//! marked heard ([`Change::MarkHeard`]).
//!
//! Decisions:
//! - **The recording's path is computed here, without the disk**: the id is the time (so ids
//!   sort by time, like the store's) and a keyed hash of the B2BUA's counter
//!   ([`B2bua::id`]); the secret is random at every start, so an id taken before a restart
//!   is not drawn again (a 64-bit collision is negligible). The path follows from data
//!   directory, mailbox and id ([`voicemail::message_file`]), the same function the store
//!   uses. This keeps the B2BUA sans-IO without a round trip to the shell before recording.
//! - **The voicemail number is recognised here**, when the INVITE arrives, not by the router:
//!   listening to one's own mailbox is a service of the phone system, not a call to route —
//!   no queue, no call record, no missed-call statistics, no CRM — so the router never sees
//!   it. Only an employee's phone can listen (an outside caller dialling the number reaches
//!   the router, which answers 404).
//! - **The listing comes with the mailboxes the shell last read** ([`B2bua::set_mailboxes`],
//!   fed after every change of the store), so starting to listen needs no round trip either.
//!   Changes made meanwhile by another session (a colleague deleting a shared entry point's
//!   message) are found by the store (a missing message is logged, nothing else).

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::media::{Prompt, RecordEnd};
use crate::routing::Mailbox;
use crate::voicemail::{self, Change, Mailboxes, Message};

/// The longest message: two minutes, enough for a name, a number and a reason, and short
/// enough that a forgotten line does not fill the disk (about 1 MB of 8 kHz 16-bit PCM).
pub const RECORD_LIMIT: Duration = Duration::from_secs(120);
/// How long a caller may stay silent before the recording ends (and "goodbye" plays): long
/// enough for a pause to think, short enough that a caller who left without hanging up
/// (or an answering machine) does not leave two minutes of silence.
pub const RECORD_SILENCE: Duration = Duration::from_secs(5);

/// The B2BUA's voicemail state.
#[derive(Debug, Default)]
pub(super) struct Voicemail {
    /// The number employees dial to listen.
    number: Option<Extension>,
    /// The mailboxes each employee listens to.
    access: HashMap<Extension, Vec<Mailbox>>,
    /// Every mailbox's messages, as the shell last read them.
    mailboxes: Arc<Mailboxes>,
    /// Calls in voicemail.
    sessions: HashMap<CallId, Session>,
    /// Recordings under way: the message each becomes, by the leg recorded.
    recordings: HashMap<LegId, Message>,
}

/// One call in voicemail.
#[derive(Debug)]
enum Session {
    /// A caller leaving a message.
    Leave {
        /// The caller's leg.
        leg: LegId,
        /// Where it stands.
        step: LeaveStep,
        /// Whose mailbox.
        mailbox: Mailbox,
    },
    /// An employee listening.
    Listen {
        /// The employee's leg.
        leg: LegId,
        /// Where it stands.
        step: ListenStep,
        /// The messages, in the order they are played.
        messages: Vec<Message>,
        /// The message being played (or next).
        at: usize,
    },
}

impl Session {
    fn leg(&self) -> LegId {
        match self {
            Session::Leave { leg, .. } | Session::Listen { leg, .. } => *leg,
        }
    }
}

/// Where a caller leaving a message stands: what plays or happens now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LeaveStep {
    Greeting,
    Beep,
    Recording,
    Goodbye,
}

/// Where an employee listening stands: what plays now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListenStep {
    Intro,
    Message,
    Menu,
    Deleted,
    End,
    Goodbye,
}

impl B2bua {
    /// Sets the voicemail number (`system.voicemail_number`) and the mailboxes each employee
    /// listens to ([`voicemail::access`]).
    pub fn set_voicemail(
        &mut self,
        number: Option<Extension>,
        access: HashMap<Extension, Vec<Mailbox>>,
    ) {
        self.vm.number = number;
        self.vm.access = access;
    }

    /// The mailboxes as the shell last read them (after every change of the store).
    pub fn set_mailboxes(&mut self, mailboxes: Arc<Mailboxes>) {
        self.vm.mailboxes = mailboxes;
    }

    /// Starts listening when an employee dialled the voicemail number; `false` otherwise
    /// (the call goes to the router).
    pub(super) fn dialled_voicemail(&mut self, id: CallId, caller: &Caller, dialled: &str) -> bool {
        let Caller::Extension(employee) = caller else {
            return false;
        };
        if self.vm.number.as_ref().map(Extension::as_str) != Some(dialled) {
            return false;
        }
        if let Some(call) = self.calls.get_mut(&id) {
            call.routed = true;
        }
        let mut messages: Vec<Message> = self
            .vm
            .access
            .get(employee)
            .into_iter()
            .flatten()
            .flat_map(|m| self.vm.mailboxes.messages(m).iter().cloned())
            .collect();
        // Unheard first, newest first.
        messages
            .sort_by(|a, b| (a.heard, b.received_at, &b.id).cmp(&(b.heard, a.received_at, &a.id)));
        let new = messages.iter().filter(|m| !m.heard).count();
        self.answer_caller(id);
        let Some(leg) = self.calls.get(&id).map(|c| c.a.media.leg) else {
            return true;
        };
        let intro = if new > 0 {
            Prompt::NewMessages
        } else {
            Prompt::NoMessages
        };
        self.play(leg, intro);
        self.event(CallEvent::Voicemail {
            call: id,
            what: format!(
                "{employee} listens to {} messages ({new} new)",
                messages.len()
            ),
        });
        let session = Session::Listen {
            leg,
            step: ListenStep::Intro,
            messages,
            at: 0,
        };
        self.vm.sessions.insert(id, session);
        true
    }

    /// The router sent the call to voicemail: answer, stop ringing, play the greeting.
    pub(super) fn leave_message(&mut self, id: CallId, mailbox: Mailbox, greeting: Option<String>) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.routed = true;
        call.ringing.clear();
        call.deferred.clear();
        let forks = call.forks.len();
        for i in 0..forks {
            self.drop_fork(id, i);
        }
        self.answer_caller(id);
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.a.state != CallerState::Answered {
            return; // gone already (or never answerable: no SDP)
        }
        let leg = call.a.media.leg;
        let source = match greeting {
            Some(file) => Source::File {
                path: self.data_path(&file),
                fallback: Prompt::Greeting,
            },
            None => Source::Prompt(Prompt::Greeting),
        };
        self.media(Command::Play { leg, source });
        self.event(CallEvent::Voicemail {
            call: id,
            what: format!("greeting for the mailbox of {}", mailbox_name(&mailbox)),
        });
        let step = LeaveStep::Greeting;
        let session = Session::Leave { leg, step, mailbox };
        self.vm.sessions.insert(id, session);
    }

    /// A file named in the configuration: relative ones are under the data directory.
    fn data_path(&self, file: &str) -> PathBuf {
        let p = PathBuf::from(file);
        if p.is_absolute() {
            p
        } else {
            self.data_dir.join(p)
        }
    }

    fn play(&mut self, leg: LegId, prompt: Prompt) {
        let source = Source::Prompt(prompt);
        self.media(Command::Play { leg, source });
    }

    /// The caller hung up: a recording under way ends (the message is kept when `Recorded`
    /// comes), and the session is over.
    pub(super) fn voicemail_caller_left(&mut self, id: CallId) {
        let Some(session) = self.vm.sessions.remove(&id) else {
            return;
        };
        if let Session::Leave {
            leg,
            step: LeaveStep::Recording,
            ..
        } = session
        {
            self.media(Command::StopRecording { leg });
        }
    }

    /// How many recordings still await the engine's `Recorded` (whose message is saved then).
    pub fn recordings(&self) -> usize {
        self.vm.recordings.len()
    }

    /// Forgets a removed call's session (its recording, if any, is still awaited by leg).
    pub(super) fn voicemail_removed(&mut self, id: CallId) {
        self.vm.sessions.remove(&id);
    }

    /// A media event about voicemail: a prompt or file played out, a recording ended, a digit.
    pub(super) fn voicemail_media(&mut self, event: media::Event) {
        match event {
            media::Event::PlayFinished { leg } => {
                if let Some(id) = self.session_of(leg) {
                    self.played(id);
                }
            }
            media::Event::Recorded {
                leg,
                duration_ms,
                ended,
                ..
            } => self.recorded(leg, duration_ms, ended),
            media::Event::Dtmf { leg, digit } => {
                if let Some(id) = self.session_of(leg) {
                    self.digit(id, digit);
                }
            }
            media::Event::OpenFailed { .. } => {}
        }
    }

    fn session_of(&self, leg: LegId) -> Option<CallId> {
        let mut sessions = self.vm.sessions.iter();
        sessions.find_map(|(id, s)| (s.leg() == leg).then_some(*id))
    }

    /// What plays next when something finished playing.
    fn played(&mut self, id: CallId) {
        let Some(session) = self.vm.sessions.get_mut(&id) else {
            return;
        };
        match session {
            Session::Leave { leg, step, mailbox } => {
                let leg = *leg;
                match *step {
                    LeaveStep::Greeting => {
                        *step = LeaveStep::Beep;
                        self.play(leg, Prompt::Beep);
                    }
                    LeaveStep::Beep => {
                        *step = LeaveStep::Recording;
                        let mailbox = mailbox.clone();
                        self.start_recording(id, leg, mailbox);
                    }
                    LeaveStep::Recording => {}
                    LeaveStep::Goodbye => self.hang_up(id, "voicemail: message recorded"),
                }
            }
            Session::Listen { leg, step, at, .. } => {
                let (leg, at) = (*leg, *at);
                match *step {
                    ListenStep::Intro | ListenStep::Deleted => self.play_message(id, at),
                    ListenStep::Message => {
                        *step = ListenStep::Menu;
                        self.play(leg, Prompt::Menu);
                    }
                    ListenStep::Menu => {} // waits for a digit
                    ListenStep::End => {
                        *step = ListenStep::Goodbye;
                        self.play(leg, Prompt::Goodbye);
                    }
                    ListenStep::Goodbye => self.hang_up(id, "voicemail: listening ended"),
                }
            }
        }
    }

    fn start_recording(&mut self, id: CallId, leg: LegId, mailbox: Mailbox) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let caller = call.caller.to_string();
        let stamp = self.now.format("%Y%m%d-%H%M%S-%3f").to_string();
        let message_id = format!("{stamp}-{}", self.id("voicemail"));
        let path = voicemail::message_file(&self.data_dir, &mailbox, &message_id, "wav");
        let entry = match &mailbox {
            Mailbox::Entry(name) => Some(name.clone()),
            Mailbox::Employee(_) => None,
        };
        let message = Message {
            id: message_id,
            mailbox,
            caller,
            entry,
            received_at: self.now,
            duration_ms: 0,
            heard: false,
        };
        self.vm.recordings.insert(leg, message);
        self.media(Command::Record {
            leg,
            path,
            limit: RECORD_LIMIT,
            silence: RECORD_SILENCE,
        });
    }

    /// A recording ended: the shell saves (or discards) it; a caller still there hears
    /// "goodbye".
    fn recorded(&mut self, leg: LegId, duration_ms: u32, ended: RecordEnd) {
        let Some(mut message) = self.vm.recordings.remove(&leg) else {
            return;
        };
        if let RecordEnd::Failed(why) = &ended {
            self.event(CallEvent::Failed {
                call: self.session_of(leg),
                why: format!("voicemail recording failed: {why}"),
            });
        }
        let (mailbox, id) = (message.mailbox.clone(), message.id.clone());
        let change = if duration_ms < voicemail::MIN_MESSAGE_MS {
            Change::Discard { mailbox, id }
        } else {
            message.duration_ms = duration_ms;
            Change::Save(message)
        };
        self.act(Action::Voicemail(change));
        let Some(call) = self.session_of(leg) else {
            return;
        };
        if let Some(Session::Leave { step, .. }) = self.vm.sessions.get_mut(&call) {
            if *step == LeaveStep::Recording {
                *step = LeaveStep::Goodbye;
                self.play(leg, Prompt::Goodbye);
            }
        }
    }

    /// Plays message `at` of a listening session, or "end of messages" after the last.
    fn play_message(&mut self, id: CallId, at: usize) {
        let data_dir = self.data_dir.clone();
        let Some(Session::Listen {
            leg,
            step,
            messages,
            at: current,
        }) = self.vm.sessions.get_mut(&id)
        else {
            return;
        };
        let leg = *leg;
        *current = at;
        let Some(message) = messages.get_mut(at) else {
            *step = if messages.is_empty() {
                ListenStep::Goodbye
            } else {
                ListenStep::End
            };
            let prompt = if messages.is_empty() {
                Prompt::Goodbye
            } else {
                Prompt::EndOfMessages
            };
            self.play(leg, prompt);
            return;
        };
        *step = ListenStep::Message;
        let path = voicemail::message_file(&data_dir, &message.mailbox, &message.id, "wav");
        let change = (!message.heard).then(|| Change::MarkHeard {
            mailbox: message.mailbox.clone(),
            id: message.id.clone(),
        });
        message.heard = true;
        let source = Source::File {
            path,
            fallback: Prompt::Beep,
        };
        self.media(Command::Play { leg, source });
        if let Some(change) = change {
            self.act(Action::Voicemail(change));
        }
    }

    /// A digit while listening: 1 next, 2 again, 7 delete.
    fn digit(&mut self, id: CallId, digit: char) {
        let Some(Session::Listen {
            leg,
            step,
            messages,
            at,
        }) = self.vm.sessions.get_mut(&id)
        else {
            return;
        };
        if !matches!(*step, ListenStep::Message | ListenStep::Menu) {
            return;
        }
        let (leg, now) = (*leg, *at);
        match digit {
            '1' => self.play_message(id, now + 1),
            '2' => self.play_message(id, now),
            '7' => {
                if now >= messages.len() {
                    return;
                }
                let gone = messages.remove(now);
                *step = ListenStep::Deleted;
                self.play(leg, Prompt::Deleted);
                self.act(Action::Voicemail(Change::Delete {
                    mailbox: gone.mailbox,
                    id: gone.id,
                }));
            }
            _ => {}
        }
    }

    /// Ends an answered voicemail call from our side (BYE).
    fn hang_up(&mut self, id: CallId, why: &str) {
        self.vm.sessions.remove(&id);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.a.state != CallerState::Answered {
            return;
        }
        call.a.state = CallerState::Gone;
        call.a.unacked = None;
        self.send_bye(id, Side::Caller);
        self.event(CallEvent::Ended {
            call: id,
            why: why.to_owned(),
        });
        self.wind_down(id);
    }
}

/// A mailbox as the log names it.
pub(super) fn mailbox_name(mailbox: &Mailbox) -> String {
    match mailbox {
        Mailbox::Employee(e) => format!("employee {e}"),
        Mailbox::Entry(name) => format!("entry point {name:?}"),
    }
}
