//! Voicemail messages: where they are kept ([`store`]) and how a phone is told it has some
//! (an RFC 3842 message summary, [`message_summary`]).
//!
//! The media engine records a message into the WAV file [`store::VoicemailStore::new_recording_path`]
//! names; the call layer then saves its [`Message`] metadata beside it.

pub mod store;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::routing::Mailbox;

pub use store::{StoreError, VoicemailStore};

/// One message's metadata (stored as JSON beside its WAV file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Its id, unique in its mailbox (letters, digits and `-`; names both files).
    pub id: String,
    /// Whose mailbox.
    pub mailbox: Mailbox,
    /// Who called: an E.164 number, an extension, or `withheld`.
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
