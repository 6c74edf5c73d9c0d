//! Message-waiting indication (RFC 3842 over RFC 6665): phones subscribe to the
//! `message-summary` event and are told their employee's voicemail counts in NOTIFYs.
//!
//! A SUBSCRIBE with `Event: message-summary` from an authenticated employee device (the same
//! digest check as REGISTER and INVITE) is answered 200 with the granted `Expires` (at most
//! [`MAX_EXPIRES`]) and creates a subscription dialog; a NOTIFY follows at once
//! (`Subscription-State: active;expires=N`, body [`message_summary`]), again after every
//! refresh, and whenever the employee's counts change ([`Input::Mailboxes`]). `Expires: 0`
//! and expiry end it with a `terminated` NOTIFY; a NOTIFY answered 481 (or never answered)
//! ends it silently.
//!
//! The counts are the employee's: their own mailbox and those of the entry points whose
//! calls reach them ([`voicemail::mailboxes_of`]), over the mailboxes the shell last read
//! from the store. The subscriptions and counts are plain data (the [`Mwi`] state);
//! [`Endpoint`] glue below sends the NOTIFYs through client transactions.
//!
//! Decisions:
//! - **Which mailbox**: the authenticated device's employee, whatever the Request-URI says:
//!   a phone cannot watch a colleague's messages.
//! - A SUBSCRIBE for another event package gets 489 Bad Event before any authentication
//!   (nothing is revealed, and a phone probing for `presence` or `dialog` is not challenged
//!   for nothing).
//! - Intervals under [`MIN_EXPIRES`] get 423: a phone re-subscribing every second would
//!   cost a NOTIFY each time.

use std::collections::HashMap;
use std::sync::Arc;

use super::*;
use crate::routing::Mailbox;
use crate::sip::dialog::Dialog;
use crate::voicemail::{self, message_summary, Mailboxes, MESSAGE_SUMMARY_TYPE};

/// The event package.
pub const EVENT: &str = "message-summary";
/// The longest subscription granted (and the default when the SUBSCRIBE names none; RFC 3842
/// §5 suggests one hour).
pub const MAX_EXPIRES: u32 = 3600;
/// The shortest subscription accepted.
pub const MIN_EXPIRES: u32 = 60;

/// A subscription's key: its Call-ID and our tag.
type SubKey = (String, String);

/// A NOTIFY due: the subscription, the (new, heard) counts, and the seconds left (`None`:
/// the subscription ends).
type Due = (SubKey, (usize, usize), Option<u32>);

/// One phone's subscription.
#[derive(Debug, Clone)]
struct Subscription {
    /// Whose messages.
    employee: Extension,
    /// The subscription's dialog (we are its UAS).
    dialog: Dialog,
    /// When it lapses without a refresh.
    expires_at: DateTime<Utc>,
    /// The counts last sent; `None` when a NOTIFY is due anyway (new or refreshed).
    notified: Option<(usize, usize)>,
    /// A `terminated` NOTIFY is due, then the subscription is forgotten.
    ending: bool,
}

/// The subscriptions and what their counts come from.
#[derive(Debug, Default)]
pub(super) struct Mwi {
    /// By (Call-ID, our tag).
    subs: HashMap<SubKey, Subscription>,
    /// The subscription each NOTIFY we sent belongs to, by branch.
    by_branch: HashMap<String, SubKey>,
    /// The mailboxes each employee is told about.
    access: HashMap<Extension, Vec<Mailbox>>,
    /// Every mailbox's messages, as the shell last read them.
    mailboxes: Arc<Mailboxes>,
    /// The voicemail number (the account named in the summary).
    number: Option<Extension>,
    /// Numbers NOTIFY branches.
    counter: u64,
}

impl Mwi {
    /// Takes the voicemail number and the mailboxes of each employee from a configuration.
    pub(super) fn configure(&mut self, config: &Config) {
        self.access = voicemail::access(config);
        self.number = config.system.voicemail_number.clone();
    }

    /// An employee's (new, heard) counts.
    fn counts(&self, employee: &Extension) -> (usize, usize) {
        let boxes = self.access.get(employee).map(Vec::as_slice);
        self.mailboxes.counts(boxes.unwrap_or_default())
    }

    /// When the next subscription lapses.
    pub(super) fn poll_timeout(&self) -> Option<DateTime<Utc>> {
        self.subs.values().map(|s| s.expires_at).min()
    }

    /// Marks every subscription lapsed at `now` for its `terminated` NOTIFY.
    fn expire(&mut self, now: DateTime<Utc>) {
        for s in self.subs.values_mut() {
            if s.expires_at <= now {
                s.ending = true;
            }
        }
    }

    /// The NOTIFYs due, as (subscription key, counts, seconds left or `None` to terminate).
    fn due(&self, now: DateTime<Utc>) -> Vec<Due> {
        let mut due = Vec::new();
        for (key, s) in &self.subs {
            let counts = self.counts(&s.employee);
            if s.ending {
                due.push((key.clone(), counts, None));
            } else if s.notified != Some(counts) {
                let left = (s.expires_at - now).num_seconds().max(0);
                let left = u32::try_from(left).unwrap_or(MAX_EXPIRES);
                due.push((key.clone(), counts, Some(left)));
            }
        }
        due.sort_by(|a, b| a.0.cmp(&b.0));
        due
    }
}

/// The interval a SUBSCRIBE asks for: its `Expires` header, or [`MAX_EXPIRES`] when absent;
/// `Err` with the answer when it is malformed.
fn requested_expires(p: &Pending) -> Result<u32, Reply> {
    let value = p.header(|h| match h {
        Header::Expires(e) => Some(e.value()),
        _ => None,
    });
    match value {
        None => Ok(MAX_EXPIRES),
        Some(v) => crate::sip::message::parse_seconds(v)
            .ok_or_else(|| Reply::new(400, "Bad Request (malformed Expires)")),
    }
}

/// Whether the `Event` header names the message-summary package (parameters ignored).
fn is_message_summary(event: Option<&str>) -> bool {
    event
        .and_then(|e| e.split(';').next())
        .is_some_and(|e| e.trim().eq_ignore_ascii_case(EVENT))
}

impl Endpoint {
    /// A SUBSCRIBE, in a dialog or outside one.
    pub(super) fn subscribe(&mut self, p: &Pending) -> Reply {
        let event = message::header(&p.parsed, "Event");
        if !is_message_summary(event) {
            return Reply::new(489, "Bad Event")
                .with(Header::Other("Allow-Events".into(), EVENT.into()));
        }
        let who = match self.authenticate(p) {
            Ok(who) => who,
            Err(reply) => return reply,
        };
        let expires = match requested_expires(p) {
            Ok(e) => e,
            Err(reply) => return reply,
        };
        if expires != 0 && expires < MIN_EXPIRES {
            return Reply::new(423, "Interval Too Brief")
                .with(h::MinExpires::new(MIN_EXPIRES.to_string()).into());
        }
        let granted = expires.min(MAX_EXPIRES);
        let key = match &p.parsed.head.to_tag {
            Some(tag) => (p.parsed.head.call_id.clone(), tag.clone()),
            None => (p.parsed.head.call_id.clone(), self.tag(&p.parsed.head)),
        };
        let contact = match self.mwi.subs.get_mut(&key) {
            Some(s) => {
                if s.dialog
                    .remote_cseq
                    .is_some_and(|c| p.parsed.head.cseq <= c)
                {
                    return Reply::new(500, "Server Internal Error (CSeq out of order)");
                }
                s.dialog.remote_cseq = Some(p.parsed.head.cseq);
                s.contact_refreshed(self.now, granted)
            }
            None if p.parsed.head.to_tag.is_some() => return no_dialog(),
            None => match self.new_subscription(p, &key, who.extension, granted) {
                Ok(contact) => contact,
                Err(reply) => return reply,
            },
        };
        Reply::new(200, "OK")
            .with(h::Expires::new(granted.to_string()).into())
            .with(h::Contact::new(format!("<{contact}>")).into())
    }

    /// Creates a subscription's dialog; returns our Contact URI.
    fn new_subscription(
        &mut self,
        p: &Pending,
        key: &SubKey,
        employee: Extension,
        granted: u32,
    ) -> Result<String, Reply> {
        let transport = tx_transport(p.transport);
        let Some(via) = self.b2bua.local().sip(transport) else {
            return Err(Reply::new(500, "Server Internal Error (no local address)"));
        };
        let contact = format!("sip:{via}");
        let peer = Destination {
            addr: p.from,
            transport,
        };
        let dialog = Dialog::as_uas(&p.parsed, peer, &key.1, &via.to_string(), &contact)
            .filter(|d| crate::sip::b2bua::usable_target(&d.remote_target))
            .ok_or_else(|| Reply::new(400, "Bad Request (no usable Contact)"))?;
        let mut sub = Subscription {
            employee,
            dialog,
            expires_at: self.now,
            notified: None,
            ending: false,
        };
        sub.contact_refreshed(self.now, granted);
        self.mwi.subs.insert(key.clone(), sub);
        Ok(contact)
    }

    /// The mailboxes changed (the shell read the store again): tell whoever's counts changed.
    pub(super) fn mailboxes_changed(&mut self, mailboxes: Arc<Mailboxes>) {
        self.b2bua.set_mailboxes(Arc::clone(&mailboxes));
        self.mwi.mailboxes = mailboxes;
        self.mwi_flush();
    }

    /// Sends every NOTIFY due: new, refreshed, changed counts, ended.
    pub(super) fn mwi_flush(&mut self) {
        self.mwi.expire(self.now);
        for (key, (new, old), left) in self.mwi.due(self.now) {
            let branch = self.mwi_branch();
            let account = self.mwi_account(&key);
            let Some(sub) = self.mwi.subs.get_mut(&key) else {
                continue;
            };
            let state = match left {
                Some(left) => format!("active;expires={left}"),
                None => "terminated;reason=timeout".to_owned(),
            };
            let body = message_summary(new, old, &account);
            let bytes = sub.dialog.request_with(
                "NOTIFY",
                &branch,
                &[("Event", EVENT), ("Subscription-State", &state)],
                Some((MESSAGE_SUMMARY_TYPE, body.as_bytes())),
            );
            let to = sub.dialog.peer;
            sub.notified = Some((new, old));
            if left.is_none() {
                self.mwi.subs.remove(&key);
            } else {
                self.mwi.by_branch.insert(branch.clone(), key);
            }
            let request = tx::OutgoingRequest {
                key: tx::ClientKey::new(branch, Method::Notify),
                to,
                bytes,
            };
            let now = self.tx_now();
            let _ = self
                .transactions
                .handle_input(now, tx::Input::Send(request));
        }
        self.drain();
    }

    /// What the transaction layer reports about our NOTIFYs; anything else is given back.
    pub(super) fn mwi_claim(&mut self, output: tx::Output) -> Option<tx::Output> {
        let (key, failed) = match &output {
            tx::Output::Response { key, code, .. } => (key, matches!(code, 481 | 408)),
            tx::Output::Timeout {
                key: tx::Key::Client(key),
                ..
            }
            | tx::Output::TransportError {
                key: tx::Key::Client(key),
            } => (key, true),
            _ => return Some(output),
        };
        if key.method != Method::Notify {
            return Some(output);
        }
        let Some(sub) = self.mwi.by_branch.remove(&key.branch) else {
            return Some(output); // the B2BUA's (a transfer's NOTIFY)
        };
        if failed {
            self.mwi.subs.remove(&sub);
        }
        None
    }

    /// The account a summary names: the voicemail number (what to call to listen), else the
    /// employee's extension, at our address.
    fn mwi_account(&self, key: &SubKey) -> String {
        let Some(sub) = self.mwi.subs.get(key) else {
            return String::new();
        };
        let user = self.mwi.number.as_ref().unwrap_or(&sub.employee);
        format!("sip:{user}@{}", sub.dialog.via)
    }

    /// A fresh NOTIFY branch: a keyed hash of a counter.
    fn mwi_branch(&mut self) -> String {
        self.mwi.counter += 1;
        let mut hash = Sha256::new();
        hash.update(self.secret);
        hash.update(b"mwi-branch\0");
        hash.update(self.mwi.counter.to_be_bytes());
        let d = hash.finalize();
        let hex: String = d[..8].iter().map(|b| format!("{b:02x}")).collect();
        format!("{}{hex}", tx::MAGIC_COOKIE)
    }
}

impl Subscription {
    /// A SUBSCRIBE (new or refresh) granted `granted` seconds; 0 ends the subscription.
    /// Returns our Contact URI.
    fn contact_refreshed(&mut self, now: DateTime<Utc>, granted: u32) -> String {
        self.expires_at = now + TimeDelta::seconds(i64::from(granted));
        self.notified = None;
        self.ending = granted == 0;
        self.dialog.contact.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_message_summary_package_is_taken() {
        assert!(is_message_summary(Some("message-summary")));
        assert!(is_message_summary(Some(" Message-Summary ;id=1")));
        assert!(!is_message_summary(Some("presence")));
        assert!(!is_message_summary(Some("message-summaryx")));
        assert!(!is_message_summary(None));
    }
}
