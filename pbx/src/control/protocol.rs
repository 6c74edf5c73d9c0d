//! The control protocol between the daemon and the console: newline-delimited JSON over a Unix
//! socket, one object per line, versioned.
//!
//! The client sends [`ClientMessage`]s (`{"v":1,"id":7,"request":"get_config"}`); the daemon
//! answers each with one [`ServerMessage::Reply`] carrying the same `id`, and, after
//! [`Request::Subscribe`], pushes [`ServerMessage::Event`]s on the same connection.
//!
//! Every change of the configuration names the revision it was based on (`base`): when the
//! configuration moved on since, the change is refused with [`Reply::Conflict`] naming what
//! changed, so two admins never silently overwrite each other. A change that does not validate
//! is refused with [`Reply::Invalid`], one problem per field.
//!
//! The CRM's contacts are not part of the configuration and have no revision: they are listed
//! with [`Request::Contacts`], changed one at a time with [`Request::SaveContact`] and
//! [`Request::RemoveContact`] (last write wins), and imported with
//! [`Request::ImportContacts`] (answered with a report; `dry_run` first to show it).
//!
//! How full the data directory's stores are is read with [`Request::Storage`]; subscribers
//! are sent [`Event::Storage`] when it changes.

use chrono::{DateTime, Utc};
use firmware_config::employee::{Employee, Presence};
use firmware_config::entry::EntryPoint;
use firmware_config::group::QueueGroup;
use firmware_config::number::{Extension, PhoneNumber};
use firmware_config::outbound::Outbound;
use firmware_config::schedule::{NightSwitch, Schedule};
use firmware_config::storage::{Storage, Store};
use firmware_config::system::{System, Webhook};
use firmware_config::Config;
use serde::{Deserialize, Serialize};

use crate::routing::crm::import::ImportFormat;
use crate::routing::crm::{Activity, ContactDraft, ImportReport};

/// The protocol version this build speaks; a message of another version is refused.
pub const VERSION: u32 = 1;

/// The longest line either side accepts, in bytes (a whole configuration fits with room).
pub const MAX_LINE: usize = 1 << 20;

/// A configuration's revision: the store's generation counter, increased by every save.
pub type Revision = u64;

/// One request from a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientMessage {
    /// The protocol version ([`VERSION`]).
    pub v: u32,
    /// Chosen by the client; the reply carries it back.
    pub id: u64,
    /// What is asked.
    #[serde(flatten)]
    pub request: Request,
}

/// What a client can ask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum Request {
    /// Introduces the client; `user` is who the audit log names for its changes.
    Hello {
        /// The client program, e.g. `centrala-console 0.1.0`.
        client: String,
        /// The person (the login name of the SSH session).
        user: String,
    },
    /// The configuration and its revision.
    GetConfig,
    /// Adds or replaces one item (matched by its name or extension).
    Replace {
        /// The revision the change was made on.
        base: Revision,
        /// The new item.
        item: Item,
    },
    /// Removes one item.
    Remove {
        /// The revision the change was made on.
        base: Revision,
        /// Which item.
        key: ItemKey,
    },
    /// Sets an employee's presence (available, break, away…).
    SetPresence {
        /// The revision the change was made on.
        base: Revision,
        /// Whose.
        employee: Extension,
        /// The new presence.
        presence: Presence,
    },
    /// Forces a schedule open or closed until a time, or ends the override (`None`).
    SetNightSwitch {
        /// The revision the change was made on.
        base: Revision,
        /// The schedule's name.
        schedule: String,
        /// The override.
        night_switch: Option<NightSwitch>,
    },
    /// What is happening now: registrations, calls, callers waiting, lines.
    Status,
    /// Pushes [`Event`]s on this connection from now on.
    Subscribe,
    /// How full each store of the data directory is (answered with [`Reply::Storage`]).
    Storage,
    /// Every analog line's diagnostics (answered with [`Reply::Lines`]).
    Lines,
    /// Runs a line's health check now (seize, confirm dial tone, release) when the line is
    /// free; the result shows in [`Request::Lines`]. Answered with [`Reply::CheckStarted`].
    CheckLine {
        /// The line's name.
        line: String,
    },
    /// Recent call records, newest first (answered with [`Reply::History`]).
    History {
        /// At most this many (the daemon keeps [`HISTORY_KEPT`]).
        limit: usize,
        /// Only calls nobody answered ([`RecordView::missed`]).
        #[serde(default)]
        missed_only: bool,
        /// Only calls that went through this queue group.
        #[serde(default)]
        group: Option<String>,
    },
    /// Per-group statistics since the daemon started (answered with [`Reply::Statistics`]).
    Statistics,
    /// Voicemail messages, newest first: one employee's mailboxes (their own and those of
    /// the entry points whose calls reach them), or every mailbox (answered with
    /// [`Reply::Voicemail`]).
    Voicemail {
        /// Whose; every mailbox when `None`.
        #[serde(default)]
        employee: Option<Extension>,
    },
    /// Recent notifications, newest first (answered with [`Reply::Notifications`]).
    Notifications {
        /// At most this many (the daemon keeps [`NOTIFICATIONS_KEPT`]).
        limit: usize,
    },
    /// The CRM's contacts and leads (answered with [`Reply::Contacts`]).
    Contacts {
        /// Only those whose name, company, number or responsible employee contains this
        /// (case ignored; digits are looked for in the numbers); all when `None`.
        #[serde(default)]
        search: Option<String>,
    },
    /// Adds a contact (`id` none) or edits one (answered with [`Reply::ContactSaved`] or
    /// [`Reply::Invalid`]). An edit keeps the contact's activities.
    SaveContact {
        /// The contact as typed (numbers in any usual form).
        contact: ContactDraft,
    },
    /// Removes a contact (answered with [`Reply::ContactRemoved`] or [`Reply::Invalid`]).
    RemoveContact {
        /// The contact's id (named so: `id` is the message's).
        contact: u64,
    },
    /// Imports contacts from a file's text (answered with [`Reply::Imported`]): new numbers
    /// become contacts, a known number's record is merged into its contact, records that
    /// cannot be imported are listed with their line or card and why.
    ImportContacts {
        /// The file's format.
        format: ImportFormat,
        /// The file's text (UTF-8).
        text: String,
        /// Only report what would happen; nothing is stored.
        #[serde(default)]
        dry_run: bool,
    },
}

/// The most rows [`Reply::Contacts`] carries (a search narrows the rest down).
pub const CONTACTS_LISTED: usize = 1000;

/// How many call records the daemon keeps in memory for [`Request::History`].
pub const HISTORY_KEPT: usize = 500;

/// How many notifications the daemon keeps in memory for [`Request::Notifications`].
pub const NOTIFICATIONS_KEPT: usize = 200;

/// One item of the configuration that can be replaced as a whole (boxed: the items are large
/// and of very different sizes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Item {
    /// An employee, by extension.
    Employee(Box<Employee>),
    /// A queue group, by name.
    Group(Box<QueueGroup>),
    /// A schedule, by name.
    Schedule(Box<Schedule>),
    /// An entry point (with its CRM options), by name.
    EntryPoint(Box<EntryPoint>),
    /// The system settings.
    System(Box<System>),
    /// The webhook (none to remove it).
    Webhook(Option<Box<Webhook>>),
    /// The outside-call limits.
    Outbound(Box<Outbound>),
    /// The storage limits (applied at once, no restart).
    Storage(Box<Storage>),
}

/// Names an item to remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum ItemKey {
    /// An employee.
    Employee(Extension),
    /// A queue group.
    Group(String),
    /// A schedule.
    Schedule(String),
    /// An entry point.
    EntryPoint(String),
}

/// One message from the daemon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The answer to the request with this `id`.
    Reply {
        /// The request's id.
        id: u64,
        /// The answer.
        reply: Reply,
    },
    /// Something happened (after [`Request::Subscribe`]).
    Event {
        /// What.
        event: Event,
    },
}

/// The answer to a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// To [`Request::Hello`].
    Hello {
        /// The daemon's protocol version.
        version: u32,
        /// The office's name.
        office: String,
    },
    /// The configuration.
    Config {
        /// Its revision.
        revision: Revision,
        /// The configuration itself.
        config: Box<Config>,
    },
    /// A change was validated, stored, audited and applied.
    Saved {
        /// The new revision.
        revision: Revision,
    },
    /// The change was based on an old revision: nothing was saved.
    Conflict {
        /// The revision now.
        current: Revision,
        /// What changed since the change's base, in words (e.g. `group 'sales'`).
        changed: Vec<String>,
    },
    /// The change does not validate: nothing was saved.
    Invalid {
        /// Every problem, by field.
        problems: Vec<FieldProblem>,
    },
    /// To [`Request::Status`].
    Status(Status),
    /// To [`Request::Storage`].
    Storage(StorageReport),
    /// To [`Request::CheckLine`]: the line will be checked as soon as it is free.
    CheckStarted {
        /// The line.
        line: String,
    },
    /// To [`Request::Lines`]: each configured line, in configuration order.
    Lines {
        /// The lines.
        lines: Vec<LineDiagnostics>,
    },
    /// Subscribed: events follow.
    Subscribed,
    /// To [`Request::History`]: call records, newest first.
    History {
        /// The records.
        records: Vec<RecordView>,
    },
    /// To [`Request::Statistics`]: one row per queue group, by name.
    Statistics {
        /// The groups.
        groups: Vec<GroupStats>,
    },
    /// To [`Request::Voicemail`]: messages, newest first.
    Voicemail {
        /// The messages.
        messages: Vec<VoicemailView>,
    },
    /// To [`Request::Notifications`]: notifications, newest first.
    Notifications {
        /// The notifications.
        notifications: Vec<NotificationView>,
    },
    /// To [`Request::Contacts`]: contacts by name, then leads, newest activity first.
    Contacts {
        /// At most [`CONTACTS_LISTED`] of them.
        contacts: Vec<ContactView>,
        /// How many matched in all.
        total: usize,
    },
    /// To [`Request::SaveContact`]: the contact as stored (boxed: a reply stays small).
    ContactSaved {
        /// With its id.
        contact: Box<ContactView>,
    },
    /// To [`Request::RemoveContact`].
    ContactRemoved {
        /// The contact removed.
        id: u64,
    },
    /// To [`Request::ImportContacts`]: what was done, or with `dry_run`, would be done.
    Imported {
        /// Added, merged, unchanged, refused (with place and reason).
        report: ImportReport,
    },
    /// The request could not be served (malformed, unknown item, storage failure).
    Error {
        /// Why, for a person.
        message: String,
    },
}

/// One validation problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    /// Where, e.g. `group 'sales', field 'members[2]'`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// What the daemon is doing now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// When this was taken.
    pub at: Option<DateTime<Utc>>,
    /// Registered phones.
    pub registrations: Vec<RegistrationView>,
    /// Calls in progress.
    pub calls: Vec<CallView>,
    /// Callers waiting, per queue group.
    pub queues: Vec<QueueView>,
    /// Analog lines and their state.
    pub lines: Vec<LineView>,
}

/// How full the data directory's stores are, as last measured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageReport {
    /// When it was measured (none before the first measurement).
    pub at: Option<DateTime<Utc>>,
    /// The warning level, in percent of a limit.
    pub warn_percent: u8,
    /// Each limited store.
    pub stores: Vec<StoreUsage>,
    /// What else the daemon keeps there, unlimited (the CRM's journal, notifications), in
    /// bytes.
    pub other_bytes: u64,
}

impl StorageReport {
    /// The stores at or above the warning level.
    pub fn warnings(&self) -> impl Iterator<Item = &StoreUsage> {
        self.stores.iter().filter(|s| s.warning)
    }
}

/// One limited store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreUsage {
    /// Which.
    pub store: Store,
    /// What it holds, in bytes.
    pub used_bytes: u64,
    /// Its limit, in bytes.
    pub limit_bytes: u64,
    /// Items removed (old log files, voicemail messages, outbox events) since the daemon
    /// started, to keep within the limit.
    pub removed: u64,
    /// At or above the warning level.
    pub warning: bool,
}

/// A registered phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationView {
    /// The employee.
    pub extension: Extension,
    /// The device's user name.
    pub user: String,
    /// Its contact URI.
    pub contact: String,
    /// When the registration lapses without a refresh.
    pub expires_at: DateTime<Utc>,
}

/// A call in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallView {
    /// The call's id.
    pub id: u64,
    /// Who calls, as text (a number, an extension, `withheld`).
    pub caller: String,
    /// Where it stands, as text (`ringing 101`, `talking to 102`, `waiting in sales`…).
    pub state: String,
    /// Since when.
    pub since: DateTime<Utc>,
}

/// The callers waiting in one queue group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    /// The group.
    pub group: String,
    /// Waiting calls, longest waiting first: call id and since when.
    pub waiting: Vec<(u64, DateTime<Utc>)>,
}

/// An analog line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineView {
    /// The line's name.
    pub name: String,
    /// Its state, as text (`idle`, `ringing`, `in call`, `unplugged`…).
    pub state: String,
}

/// What an installer needs to see of one analog line, live.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LineDiagnostics {
    /// The line's name.
    pub name: String,
    /// Its state, as text (`idle`, `ringing`, `in call`, `down: …`).
    pub state: String,
    /// The audio devices' state: `up (8000 Hz, 160-sample periods)` or why they are down.
    pub audio: String,
    /// The level of what the line sends us over the last 200 ms, dBFS (none without audio).
    pub rx_dbfs: Option<f32>,
    /// The level of what we play to the line over the last 200 ms, dBFS.
    pub tx_dbfs: Option<f32>,
    /// The echo canceller's ERLE now, dB (none while it has nothing to measure).
    pub erle_db: Option<f32>,
    /// Ring, loop-current (polarity), hook and tone events, oldest first (the last 30).
    pub events: Vec<LineEventView>,
    /// The last caller ID received, raw and decoded.
    pub caller_id: Option<CallerIdView>,
    /// What the jitter buffer did in the current or last call.
    pub jitter: JitterView,
    /// The last health check's result.
    pub health: Option<HealthView>,
    /// When the next health check runs (none when the line has none configured).
    pub next_health_check: Option<DateTime<Utc>>,
}

/// One event on a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineEventView {
    /// When.
    pub at: DateTime<Utc>,
    /// What, in words (`ring on`, `ring off after 1.0 s`, `loop current lost`, `off hook`,
    /// `busy tone`…).
    pub what: String,
}

/// A caller ID as received and as decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerIdView {
    /// When it was received.
    pub at: DateTime<Utc>,
    /// The message as received: FSK bytes in hex (type through checksum), or DTMF digits.
    pub raw: String,
    /// The number, as sent.
    pub number: Option<String>,
    /// The name, as sent.
    pub name: Option<String>,
    /// The exchange's date and time (`MM-DD HH:MM`).
    pub when: Option<String>,
    /// Why the number or name is missing (`withheld`, `unavailable`).
    pub missing: Option<String>,
}

/// Jitter-buffer counters of a line's call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JitterView {
    /// Packets received.
    pub received: u64,
    /// Packets that came too late to play.
    pub late: u64,
    /// Frames concealed for a missing packet.
    pub concealed: u64,
    /// Frames dropped to follow the clock drift.
    pub drift_drops: u64,
    /// Times the buffer ran dry.
    pub underruns: u64,
}

/// The result of a line health check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthView {
    /// When it ran.
    pub at: DateTime<Utc>,
    /// Whether the line gave dial tone.
    pub ok: bool,
    /// What happened, in words.
    pub detail: String,
}

/// One finished call, as the history shows it (taken from the router's call record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordView {
    /// The call's id (unique while the daemon runs).
    pub call: u64,
    /// When it arrived.
    pub at: DateTime<Utc>,
    /// Who called, as text (an E.164 number, an extension, `withheld`).
    pub caller: String,
    /// The entry point it came in on (none for a dialled extension or group).
    pub entry: Option<String>,
    /// Queue groups it went through, in order.
    pub groups: Vec<String>,
    /// Who answered (the first employee, when it was transferred).
    pub answered_by: Option<Extension>,
    /// Seconds from arrival to answer (or to the end when not answered).
    pub wait_s: u64,
    /// Seconds of conversation.
    pub talk_s: u64,
    /// How it ended, in words (`answered`, `missed`, `voicemail`, `forwarded to +48…`…).
    pub outcome: String,
    /// Nobody answered it and it was neither passed on to an outside number nor a wrong
    /// number: someone should call back.
    pub missed: bool,
    /// It came outside working hours.
    pub after_hours: bool,
}

/// One queue group's statistics since the daemon started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupStats {
    /// The group.
    pub group: String,
    /// Calls that entered it.
    pub offered: u64,
    /// Calls a member answered.
    pub answered: u64,
    /// Calls that ended in it unanswered.
    pub missed: u64,
    /// Average wait of answered calls, in seconds.
    pub average_wait_s: u64,
    /// The longest wait of an answered or missed call, in seconds.
    pub longest_wait_s: u64,
    /// Average talk time of answered calls, in seconds.
    pub average_talk_s: u64,
}

/// One voicemail message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoicemailView {
    /// Whose mailbox, as text (`101`, or `entry 'reception'`).
    pub mailbox: String,
    /// The message's id in its mailbox.
    pub id: String,
    /// Who called (an E.164 number, an extension, `anonymous`).
    pub caller: String,
    /// The entry point the call came in on.
    pub entry: Option<String>,
    /// When it was left.
    pub received_at: DateTime<Utc>,
    /// Its length in seconds.
    pub duration_s: u64,
    /// Whether someone listened to it.
    pub heard: bool,
}

/// One notification employees were sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationView {
    /// When.
    pub at: DateTime<Utc>,
    /// Who was told.
    pub employees: Vec<Extension>,
    /// The one-line text.
    pub text: String,
}

/// A contact or a lead, as the console lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactView {
    /// Which of the two.
    pub kind: ContactKind,
    /// Its id (contacts and leads are numbered apart).
    pub id: u64,
    /// The name (empty for a lead).
    pub name: String,
    /// The company.
    pub company: Option<String>,
    /// Its numbers, E.164.
    pub numbers: Vec<PhoneNumber>,
    /// The responsible employee.
    pub responsible: Option<Extension>,
    /// How many activities (calls) it has.
    pub activities: usize,
    /// The latest of them.
    pub last_activity: Option<Activity>,
}

/// A contact or a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    /// A known person or company.
    Contact,
    /// A number known from a call only.
    Lead,
}

/// Something that happened, pushed to subscribers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The configuration was changed (by a console, or an import).
    ConfigChanged {
        /// The new revision.
        revision: Revision,
        /// Who changed it.
        by: String,
        /// What changed, in words.
        changed: Vec<String>,
    },
    /// The live state changed (a call, a registration, a queue).
    Status(Status),
    /// The stores were measured and something changed (a warning, a limit, a percent).
    Storage(StorageReport),
    /// Employees were notified (a missed call), as text.
    Notification {
        /// Who was told.
        employees: Vec<Extension>,
        /// The one-line text.
        text: String,
    },
}

/// Reads one line as a client message, checking the version.
pub fn decode_request(line: &str) -> Result<ClientMessage, DecodeError> {
    if line.len() > MAX_LINE {
        return Err(DecodeError::TooLong(line.len()));
    }
    let message: ClientMessage =
        serde_json::from_str(line).map_err(|e| DecodeError::Json(e.to_string()))?;
    if message.v != VERSION {
        return Err(DecodeError::Version(message.v));
    }
    Ok(message)
}

/// Why a line is not a request this daemon serves.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Longer than [`MAX_LINE`].
    #[error("the line is {0} bytes long, more than {MAX_LINE}")]
    TooLong(usize),
    /// Not JSON, or not a known request.
    #[error("not a request: {0}")]
    Json(String),
    /// Another protocol version.
    #[error("protocol version {0} is not spoken here (this daemon speaks {VERSION})")]
    Version(u32),
}

/// One message as a line (JSON without a newline inside, then `\n`).
pub fn encode_line<T: Serialize>(message: &T) -> String {
    let mut line = serde_json::to_string(message).unwrap_or_else(|e| {
        // Only our own types are encoded; they always serialize. Say so rather than panic.
        format!("{{\"type\":\"reply\",\"id\":0,\"reply\":{{\"reply\":\"error\",\"message\":\"cannot encode: {e}\"}}}}")
    });
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_read_as_documented() {
        let m = decode_request(r#"{"v":1,"id":7,"request":"get_config"}"#).expect("decodes");
        assert_eq!(m.id, 7);
        assert_eq!(m.request, Request::GetConfig);
        let m = decode_request(
            r#"{"v":1,"id":8,"request":"remove","base":3,"key":{"kind":"group","value":"sales"}}"#,
        )
        .expect("decodes");
        assert_eq!(
            m.request,
            Request::Remove {
                base: 3,
                key: ItemKey::Group("sales".into())
            }
        );
    }

    #[test]
    fn history_requests_read_with_their_filters_optional() {
        let m =
            decode_request(r#"{"v":1,"id":9,"request":"history","limit":50}"#).expect("decodes");
        assert_eq!(
            m.request,
            Request::History {
                limit: 50,
                missed_only: false,
                group: None
            }
        );
        let m = decode_request(
            r#"{"v":1,"id":9,"request":"history","limit":5,"missed_only":true,"group":"sales"}"#,
        )
        .expect("decodes");
        assert_eq!(
            m.request,
            Request::History {
                limit: 5,
                missed_only: true,
                group: Some("sales".into())
            }
        );
        let m = decode_request(r#"{"v":1,"id":9,"request":"voicemail","employee":"101"}"#)
            .expect("decodes");
        assert!(
            matches!(m.request, Request::Voicemail { employee: Some(e) } if e.as_str() == "101")
        );
        for line in [
            r#"{"v":1,"id":9,"request":"statistics"}"#,
            r#"{"v":1,"id":9,"request":"storage"}"#,
            r#"{"v":1,"id":9,"request":"voicemail"}"#,
            r#"{"v":1,"id":9,"request":"notifications","limit":3}"#,
        ] {
            assert!(decode_request(line).is_ok(), "{line}");
        }
        assert!(decode_request(r#"{"v":1,"id":9,"request":"history"}"#).is_err());
        assert!(decode_request(r#"{"v":1,"id":9,"request":"voicemail","employee":"1"}"#).is_err());
    }

    #[test]
    fn bad_lines_are_refused_with_the_reason() {
        assert!(matches!(
            decode_request(r#"{"v":2,"id":1,"request":"status"}"#),
            Err(DecodeError::Version(2))
        ));
        assert!(matches!(
            decode_request(r#"{"v":1,"id":1,"request":"format_disk"}"#),
            Err(DecodeError::Json(_))
        ));
        assert!(matches!(
            decode_request("not json"),
            Err(DecodeError::Json(_))
        ));
    }

    #[test]
    fn a_whole_configuration_round_trips_through_a_reply_line() {
        let (config, _) = firmware_config::default::factory_default().expect("randomness");
        let reply = ServerMessage::Reply {
            id: 1,
            reply: Reply::Config {
                revision: 4,
                config: Box::new(config.clone()),
            },
        };
        let line = encode_line(&reply);
        assert!(line.ends_with('\n') && !line[..line.len() - 1].contains('\n'));
        let back: ServerMessage = serde_json::from_str(&line).expect("decodes");
        assert_eq!(back, reply);
    }
}
