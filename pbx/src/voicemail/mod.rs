//! Voicemail messages: where they are kept ([`store`]) and how a phone is told it has some
//! (an RFC 3842 message summary, [`message_summary`]).
//!
//! The call layer (sans-IO, [`crate::sip::b2bua`]) chooses a message's id and WAV path with
//! the pure [`message_file`] (no disk access), the media engine records into that file, and
//! the call layer asks the shell for every change of the store as a [`Change`] (save the
//! metadata, discard a recording too short to keep, mark heard, delete). The shell carries it
//! out with [`VoicemailStore::apply`] and feeds the new [`Mailboxes`] (read with
//! [`VoicemailStore::read_all`]) back to the endpoint, which tells subscribed phones
//! (message-waiting indication) and gives listening employees their messages.
//!
//! Who hears of which mailbox: [`mailboxes_of`] (their own, and the entry points whose calls
//! reach them).

pub mod store;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use firmware_config::entry::Destination;
use firmware_config::group::Unanswered;
use firmware_config::number::Extension;
use firmware_config::Config;
use serde::{Deserialize, Serialize};

use crate::routing::Mailbox;

pub use store::{mailbox_dir, StoreError, VoicemailStore};

/// The directory of the store under the data directory.
pub const STORE_DIR: &str = "voicemail";

/// A recording shorter than this is not kept (a caller who hung up at the beep).
pub const MIN_MESSAGE_MS: u32 = 1000;

/// The file of message `id` in `mailbox` under `data_dir`, with extension `ext` (`wav` or
/// `json`): `<data_dir>/voicemail/<mailbox_dir>/<id>.<ext>`. Pure: touches no disk, so the
/// sans-IO call layer can name a recording's file. `id` must be [`store::valid_id`].
pub fn message_file(data_dir: &Path, mailbox: &Mailbox, id: &str, ext: &str) -> PathBuf {
    data_dir
        .join(STORE_DIR)
        .join(mailbox_dir(mailbox))
        .join(format!("{id}.{ext}"))
}

/// What the call layer asks the shell to do to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A message was recorded into its WAV file: save its metadata beside it.
    Save(Message),
    /// A recording too short to keep (under [`MIN_MESSAGE_MS`]): delete its WAV file.
    Discard {
        /// Whose mailbox.
        mailbox: Mailbox,
        /// The message id its file was named with.
        id: String,
    },
    /// An employee listened to a message.
    MarkHeard {
        /// Whose mailbox.
        mailbox: Mailbox,
        /// The message.
        id: String,
    },
    /// An employee deleted a message.
    Delete {
        /// Whose mailbox.
        mailbox: Mailbox,
        /// The message.
        id: String,
    },
}

/// Every mailbox's messages (oldest first), as the shell last read them from the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mailboxes {
    boxes: HashMap<Mailbox, Vec<Message>>,
}

impl Mailboxes {
    /// No messages anywhere.
    pub fn new() -> Mailboxes {
        Mailboxes::default()
    }

    /// Sets a mailbox's messages.
    pub fn insert(&mut self, mailbox: Mailbox, messages: Vec<Message>) {
        self.boxes.insert(mailbox, messages);
    }

    /// A mailbox's messages (none when unknown).
    pub fn messages(&self, mailbox: &Mailbox) -> &[Message] {
        self.boxes
            .get(mailbox)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The (new, heard) counts over several mailboxes.
    pub fn counts(&self, mailboxes: &[Mailbox]) -> (usize, usize) {
        let all = mailboxes.iter().flat_map(|m| self.messages(m));
        all.fold((0, 0), |(new, old), m| {
            if m.heard {
                (new, old + 1)
            } else {
                (new + 1, old)
            }
        })
    }
}

/// The mailboxes an employee is told about and listens to: their own, then (in the
/// configuration's order) every entry point's whose calls reach them — the entry point's
/// employee, or the members of its group and of the groups that group's unanswered calls go
/// on to (SPEC §4: "stored for the entry point's employees").
pub fn mailboxes_of(config: &Config, employee: &Extension) -> Vec<Mailbox> {
    let mut boxes = vec![Mailbox::Employee(employee.clone())];
    for entry in config.entry_points.iter() {
        let reaches = match &entry.destination {
            Destination::Employee(e) => e == employee,
            Destination::Group(g) => group_reaches(config, g.as_str(), employee),
        };
        if reaches {
            boxes.push(Mailbox::Entry(entry.name.to_string()));
        }
    }
    boxes
}

/// Whether a call entering group `name` can ring `employee` (following forwards to other
/// groups, each group once).
fn group_reaches(config: &Config, name: &str, employee: &Extension) -> bool {
    let mut seen = HashSet::new();
    let mut next = Some(name.to_owned());
    while let Some(name) = next.take() {
        if !seen.insert(name.clone()) {
            break;
        }
        let Some(group) = config.group(&name) else {
            break;
        };
        if group.members.iter().any(|m| m == employee) {
            return true;
        }
        if let Unanswered::ForwardToGroup(g) = &group.unanswered {
            next = Some(g.to_string());
        }
    }
    false
}

/// [`mailboxes_of`] for every employee of the configuration.
pub fn access(config: &Config) -> HashMap<Extension, Vec<Mailbox>> {
    config
        .employees
        .iter()
        .map(|e| (e.extension.clone(), mailboxes_of(config, &e.extension)))
        .collect()
}

/// One message's metadata (stored as JSON beside its WAV file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Its id, unique in its mailbox (letters, digits and `-`; names both files).
    pub id: String,
    /// Whose mailbox.
    pub mailbox: Mailbox,
    /// Who called: an E.164 number with `+`, an extension, or `anonymous`.
    pub caller: String,
    /// The entry point the call came in on, if any.
    pub entry: Option<String>,
    /// When it was left.
    pub received_at: DateTime<Utc>,
    /// Its length in milliseconds.
    pub duration_ms: u32,
    /// Whether someone listened to it.
    pub heard: bool,
}

/// An RFC 3842 `application/simple-message-summary` body for a mailbox with `new` and `old`
/// voice messages, naming `account` (a SIP URI, e.g. `sip:101@pbx.example`) as the account
/// to call; no urgent messages.
pub fn message_summary(new: usize, old: usize, account: &str) -> String {
    let waiting = if new > 0 { "yes" } else { "no" };
    format!(
        "Messages-Waiting: {waiting}\r\nMessage-Account: {account}\r\nVoice-Message: {new}/{old} (0/0)\r\n"
    )
}

/// The media type of [`message_summary`]'s body.
pub const MESSAGE_SUMMARY_TYPE: &str = "application/simple-message-summary";

#[cfg(test)]
mod tests {
    use super::*;

    const OFFICE: &str = r#"
trunks = []
lines = []

[system]
name = "Test office"
default_country_code = 48
tone_country = "PL"
control_socket = "/run/centrala/control.sock"
data_dir = "/var/lib/centrala"
allowed_country_codes = []
sip_listen = [{ transport = "udp", address = "127.0.0.1:5060" }]
rtp_ports = { first = 10000, last = 10999 }

[[employees]]
extension = "101"
name = "Anna"
devices = [{ username = "101", password = "secret-101" }]

[[employees]]
extension = "102"
name = "Piotr"
devices = [{ username = "102", password = "secret-102" }]

[[employees]]
extension = "103"
name = "Ewa"
devices = [{ username = "103", password = "secret-103" }]

[[groups]]
name = "front"
number = "100"
members = ["101"]
distribution = "in_order"
ring_time_secs = 20
unanswered = { forward_to_group = "back" }

[[groups]]
name = "back"
number = "110"
members = ["102"]
distribution = "in_order"
ring_time_secs = 20
unanswered = "wait_for_agent"

[[entry_points]]
name = "reception"
source = { internal = "200" }
destination = { group = "front" }

[[entry_points]]
name = "boss-line"
source = { internal = "201" }
destination = { employee = "103" }
"#;

    fn ext(e: &str) -> Extension {
        Extension::parse(e).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn an_employee_hears_of_their_box_and_the_entry_points_that_reach_them() {
        let config = firmware_config::text::import(OFFICE).unwrap_or_else(|e| panic!("{e}"));
        let reception = Mailbox::Entry("reception".into());
        let boss = Mailbox::Entry("boss-line".into());
        assert_eq!(
            mailboxes_of(&config, &ext("101")),
            [Mailbox::Employee(ext("101")), reception.clone()]
        );
        // Through the front group's forward to the back group.
        assert_eq!(
            mailboxes_of(&config, &ext("102")),
            [Mailbox::Employee(ext("102")), reception.clone()]
        );
        assert_eq!(
            mailboxes_of(&config, &ext("103")),
            [Mailbox::Employee(ext("103")), boss.clone()]
        );
        let all = access(&config);
        assert_eq!(all.len(), 3);
        assert_eq!(all.get(&ext("103")).map(Vec::len), Some(2));

        let message = |mailbox: &Mailbox, heard| Message {
            id: "m".into(),
            mailbox: mailbox.clone(),
            caller: "anonymous".into(),
            entry: None,
            received_at: DateTime::<Utc>::MIN_UTC,
            duration_ms: 1000,
            heard,
        };
        let mut boxes = Mailboxes::new();
        boxes.insert(reception.clone(), vec![message(&reception, false)]);
        boxes.insert(boss.clone(), vec![message(&boss, true)]);
        let own = Mailbox::Employee(ext("102"));
        boxes.insert(own.clone(), vec![message(&own, false), message(&own, true)]);
        assert_eq!(boxes.counts(&mailboxes_of(&config, &ext("102"))), (2, 1));
        assert_eq!(boxes.counts(&mailboxes_of(&config, &ext("103"))), (0, 1));
        assert_eq!(boxes.counts(&[]), (0, 0));
    }

    #[test]
    fn message_files_are_named_without_the_disk() {
        let path = message_file(
            Path::new("/data"),
            &Mailbox::Entry("a/b".into()),
            "20270115-080000-000-1",
            "wav",
        );
        assert_eq!(
            path,
            Path::new("/data/voicemail/entry-a_2fb/20270115-080000-000-1.wav")
        );
        let store = VoicemailStore::new("/data");
        let mb = Mailbox::Entry("a/b".into());
        assert_eq!(
            store.wav_path(&mb, "20270115-080000-000-1").ok(),
            Some(path)
        );
    }

    #[test]
    fn the_summary_follows_rfc_3842() {
        assert_eq!(
            message_summary(2, 8, "sip:101@pbx.example"),
            "Messages-Waiting: yes\r\nMessage-Account: sip:101@pbx.example\r\nVoice-Message: 2/8 (0/0)\r\n"
        );
        let none = message_summary(0, 3, "sip:101@pbx.example");
        assert!(none.starts_with("Messages-Waiting: no\r\n"), "{none}");
        assert!(none.contains("Voice-Message: 0/3 (0/0)\r\n"));
    }
}
