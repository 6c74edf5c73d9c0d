//! Notifications as SIP MESSAGE (RFC 3428): the router's [`Notification`]s (a missed call, the
//! CRM case it became) sent as one line of plain text to every registered phone of each
//! employee told, so the display of a desk phone or softphone shows it.
//!
//! Decisions:
//! - **Page mode, one request per contact**, each in its own client transaction, sent where
//!   the phone's REGISTER came from (its NAT binding; for TCP, its connection). A phone that
//!   does not take MESSAGE answers 405/501 and nothing else happens: the webhook and the
//!   console carry the same event.
//! - The sender is `sip:centrala@<our address>` with the office's name as display name, so a
//!   phone lists the messages under one conversation.
//! - No `Contact` (RFC 3428 §4: a MESSAGE does not set up a dialog).

use super::*;
use crate::routing::Notification;
use crate::sip::message::RequestWriter;
use crate::sip::transaction::ClientKey;

impl Endpoint {
    /// Sends `notification` as a MESSAGE to every registered phone of its employees.
    pub(super) fn notify_phones(&mut self, notification: &Notification) {
        let text = crate::notify::text(notification);
        let mut sent = 0;
        for employee in &notification.employees {
            for binding in self.registrar.contacts_of(self.now, employee) {
                if self.send_notice(&binding, &text) {
                    sent += 1;
                }
            }
        }
        self.emit(Event::Notified {
            employees: notification.employees.clone(),
            phones: sent,
            text,
        });
        self.drain();
    }

    /// One MESSAGE to one phone; false when it cannot be addressed.
    fn send_notice(&mut self, binding: &Binding, text: &str) -> bool {
        let transport = tx_transport(binding.transport);
        let Some(via) = self.b2bua.local().sip(transport) else {
            return false;
        };
        if rsip::Uri::try_from(binding.contact.as_str()).is_err() {
            return false;
        }
        let branch = format!("{}{}", tx::MAGIC_COOKIE, self.fresh_id("notice-branch"));
        let tag = self.fresh_id("notice-tag");
        let call_id = format!("{}@centrala", self.fresh_id("notice-call"));
        let name = self.config.system.name.as_str().replace(['"', '\\'], "");
        let protocol = match transport {
            tx::Transport::Udp => "UDP",
            tx::Transport::Tcp => "TCP",
        };
        let bytes = RequestWriter::new("MESSAGE", &binding.contact)
            .header(
                "Via",
                &format!("SIP/2.0/{protocol} {via};branch={branch};rport"),
            )
            .header(
                "From",
                &format!("\"{name}\" <sip:centrala@{via}>;tag={tag}"),
            )
            .header("To", &format!("<sip:{}@{via}>", binding.extension))
            .header("Call-ID", &call_id)
            .header("CSeq", "1 MESSAGE")
            .finish(Some(("text/plain;charset=UTF-8", text.as_bytes())));
        self.notices.insert(
            branch.clone(),
            (binding.extension.clone(), binding.contact.clone()),
        );
        let request = tx::OutgoingRequest {
            key: ClientKey::new(branch, Method::Message),
            to: Destination {
                addr: binding.source,
                transport,
            },
            bytes,
        };
        let now = self.tx_now();
        let _ = self
            .transactions
            .handle_input(now, tx::Input::Send(request));
        true
    }

    /// Takes what the transaction layer reports about a notification's MESSAGE (logged as
    /// [`Event::NoticeAnswered`]); gives anything else back.
    pub(super) fn notice_claim(&mut self, output: tx::Output) -> Option<tx::Output> {
        let (key, code) = match &output {
            tx::Output::Response { key, code, .. } if *code >= 200 => (key, *code),
            tx::Output::Response { key, .. } if key.method == Method::Message => return None,
            tx::Output::Timeout {
                key: tx::Key::Client(key),
                ..
            } => (key, 408),
            tx::Output::TransportError {
                key: tx::Key::Client(key),
            } => (key, 503),
            _ => return Some(output),
        };
        if key.method != Method::Message {
            return Some(output);
        }
        let (employee, contact) = self.notices.remove(&key.branch)?;
        self.emit(Event::NoticeAnswered {
            employee,
            contact,
            status: code,
        });
        None
    }

    /// A fresh identifier: a keyed hash of a counter, as 16 hex digits.
    fn fresh_id(&mut self, label: &str) -> String {
        use sha2::{Digest, Sha256};
        self.counter += 1;
        let mut hash = Sha256::new();
        hash.update(self.secret);
        hash.update(label.as_bytes());
        hash.update(self.counter.to_be_bytes());
        let d = hash.finalize();
        d[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
}
