//! A SIP dialog (RFC 3261 §12): what one side of a call needs to send requests inside it.
//!
//! Centrala is a B2BUA, so every call has two dialogs: one with the caller, where Centrala is
//! the UAS, and one with the phone that answered, where it is the UAC. Both are the same
//! data; only how they are created differs ([`Dialog::as_uas`], [`Dialog::as_uac`]).
//!
//! Decisions:
//! - **Where requests go**: to the address the peer's messages come from (the caller's
//!   INVITE, the callee's REGISTER), not to its Contact host, so phones behind NAT work.
//! - **Routes**: loose routing only (RFC 3261 §16.12.1.1). A strict router (a Record-Route
//!   without `;lr`) is treated as loose; such proxies are from before 2002.

use super::address::{address_uri, split_params};
use super::message::{self, RequestWriter};
use super::transaction::{Bytes, Destination};
use super::wire::Parsed;

/// One dialog, seen from Centrala's side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    /// The Call-ID.
    pub call_id: String,
    /// Our tag (To in the caller's dialog, From in the callee's).
    pub local_tag: String,
    /// The peer's tag; empty until the peer answered (callee side).
    pub remote_tag: String,
    /// Our address: the From (or To) value without the tag.
    pub local_uri: String,
    /// The peer's address, without the tag.
    pub remote_uri: String,
    /// The CSeq number of the last request we sent in the dialog.
    pub local_cseq: u32,
    /// The CSeq number of the last request the peer sent, if any.
    pub remote_cseq: Option<u32>,
    /// Where requests go (the peer's Contact URI).
    pub remote_target: String,
    /// Route headers for requests, in order.
    pub route_set: Vec<String>,
    /// Where requests are sent.
    pub peer: Destination,
    /// Our Via sent-by (`ip:port`) for this dialog's transport.
    pub via: String,
    /// Our Contact URI.
    pub contact: String,
    /// The CSeq number of the INVITE we sent to start the dialog (its CANCEL and its 2xx's
    /// ACK carry it); 1 unless a challenge made us send it again.
    pub invite_cseq: u32,
}

impl Dialog {
    /// The dialog of a request we answer (the caller's INVITE): our tag `local_tag`.
    pub fn as_uas(
        invite: &Parsed,
        peer: Destination,
        local_tag: &str,
        via: &str,
        contact: &str,
    ) -> Option<Dialog> {
        let to = message::header(invite, "To")?;
        let from = message::header(invite, "From")?;
        let target = message::header(invite, "Contact").map(address_uri)?;
        Some(Dialog {
            call_id: invite.head.call_id.clone(),
            local_tag: local_tag.to_owned(),
            remote_tag: invite.head.from_tag.clone().unwrap_or_default(),
            local_uri: without_tag(to),
            remote_uri: without_tag(from),
            local_cseq: 0,
            remote_cseq: Some(invite.head.cseq),
            remote_target: target.to_owned(),
            route_set: message::header_values(invite, "Record-Route")
                .map(str::to_owned)
                .collect(),
            peer,
            via: via.to_owned(),
            contact: contact.to_owned(),
            invite_cseq: 0,
        })
    }

    /// The dialog of an INVITE we send; completed by [`Dialog::confirm`] from the answer.
    #[allow(clippy::too_many_arguments)]
    pub fn as_uac(
        call_id: String,
        local_tag: String,
        local_uri: String,
        remote_uri: String,
        target: String,
        peer: Destination,
        via: String,
        contact: String,
    ) -> Dialog {
        Dialog {
            call_id,
            local_tag,
            remote_tag: String::new(),
            local_uri,
            remote_uri,
            local_cseq: 0,
            remote_cseq: None,
            remote_target: target,
            route_set: Vec::new(),
            peer,
            via,
            contact,
            invite_cseq: 1,
        }
    }

    /// Takes the peer's tag, Contact and Record-Route (reversed) from a response to our
    /// INVITE.
    pub fn confirm(&mut self, response: &Parsed) {
        if let Some(tag) = &response.head.to_tag {
            self.remote_tag = tag.clone();
        }
        if let Some(contact) = message::header(response, "Contact") {
            let uri = address_uri(contact);
            if !uri.is_empty() && rsip::Uri::try_from(uri).is_ok() {
                self.remote_target = uri.to_owned();
            }
        }
        let mut routes: Vec<String> = message::header_values(response, "Record-Route")
            .map(str::to_owned)
            .collect();
        routes.reverse();
        self.route_set = routes;
    }

    /// A new request in the dialog with the next CSeq and `branch`, optionally with SDP.
    pub fn request(&mut self, method: &str, branch: &str, sdp: Option<&str>) -> Bytes {
        self.local_cseq += 1;
        let cseq = self.local_cseq;
        self.write(method, cseq, branch, sdp)
    }

    /// A new request in the dialog with the next CSeq, extra headers and an optional body
    /// (content type, bytes): NOTIFY, MESSAGE and the like.
    pub fn request_with(
        &mut self,
        method: &str,
        branch: &str,
        extra: &[(&str, &str)],
        body: Option<(&str, &[u8])>,
    ) -> Bytes {
        self.local_cseq += 1;
        let mut w = self.start(method, self.local_cseq, branch);
        for (name, value) in extra {
            w = w.header(name, value);
        }
        w.finish(body)
    }

    /// The ACK for a 2xx to our INVITE with CSeq `cseq` (a transaction of its own).
    pub fn ack(&self, cseq: u32, branch: &str) -> Bytes {
        self.write("ACK", cseq, branch, None)
    }

    /// The INVITE that starts the dialog (CSeq 1, no To tag).
    pub fn invite(&mut self, branch: &str, sdp: &str, extra: &[(&str, String)]) -> Bytes {
        self.local_cseq = 0;
        self.invite_again(branch, sdp, extra)
    }

    /// The starting INVITE once more with the next CSeq (after a 401/407 challenge, with
    /// credentials among `extra`; RFC 3261 §22.2): same Call-ID and From tag, no To tag.
    pub fn invite_again(&mut self, branch: &str, sdp: &str, extra: &[(&str, String)]) -> Bytes {
        self.local_cseq += 1;
        self.invite_cseq = self.local_cseq;
        let mut w = self.start("INVITE", self.invite_cseq, branch);
        for (name, value) in extra {
            w = w.header(name, value);
        }
        w.header("Allow", super::endpoint::ALLOW)
            .finish(Some(("application/sdp", sdp.as_bytes())))
    }

    /// The CANCEL of the INVITE with `branch` (same Request-URI, Via branch and CSeq number,
    /// RFC 3261 §9.1).
    pub fn cancel(&self, branch: &str) -> Bytes {
        let w = RequestWriter::new("CANCEL", &self.remote_target)
            .header("Via", &self.via_value(branch))
            .header(
                "From",
                &format!("{};tag={}", self.local_uri, self.local_tag),
            )
            .header("To", &self.remote_uri)
            .header("Call-ID", &self.call_id)
            .header("CSeq", &format!("{} CANCEL", self.invite_cseq));
        w.finish(None)
    }

    /// Whether a request's tags put it in this dialog (it comes from the peer).
    pub fn matches(&self, request: &Parsed) -> bool {
        request.head.call_id == self.call_id
            && request.head.to_tag.as_deref() == Some(self.local_tag.as_str())
    }

    fn via_value(&self, branch: &str) -> String {
        let transport = match self.peer.transport {
            super::transaction::Transport::Udp => "UDP",
            super::transaction::Transport::Tcp => "TCP",
        };
        format!("SIP/2.0/{transport} {};branch={branch};rport", self.via)
    }

    fn start(&self, method: &str, cseq: u32, branch: &str) -> RequestWriter {
        let mut w =
            RequestWriter::new(method, &self.remote_target).header("Via", &self.via_value(branch));
        for route in &self.route_set {
            w = w.header("Route", route);
        }
        let to = if self.remote_tag.is_empty() {
            self.remote_uri.clone()
        } else {
            format!("{};tag={}", self.remote_uri, self.remote_tag)
        };
        w.header(
            "From",
            &format!("{};tag={}", self.local_uri, self.local_tag),
        )
        .header("To", &to)
        .header("Call-ID", &self.call_id)
        .header("CSeq", &format!("{cseq} {method}"))
        .header("Contact", &format!("<{}>", self.contact))
    }

    fn write(&self, method: &str, cseq: u32, branch: &str, sdp: Option<&str>) -> Bytes {
        let w = self.start(method, cseq, branch);
        w.finish(sdp.map(|s| ("application/sdp", s.as_bytes())))
    }
}

/// A From/To value without its `tag` parameter.
fn without_tag(value: &str) -> String {
    let mut parts = split_params(value);
    let mut out = parts.next().unwrap_or_default().trim().to_owned();
    for p in parts {
        let name = p.split('=').next().unwrap_or_default().trim();
        if !name.eq_ignore_ascii_case("tag") {
            out.push(';');
            out.push_str(p.trim());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::transaction::Transport;
    use crate::sip::wire;

    fn peer() -> Destination {
        Destination {
            addr: "10.0.0.5:5062".parse().expect("addr"),
            transport: Transport::Udp,
        }
    }

    #[test]
    fn a_uas_dialog_sends_bye_to_the_callers_contact_through_its_routes() {
        let invite = wire::parse(
            b"INVITE sip:102@10.0.0.1 SIP/2.0\r\n\
            Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKa\r\n\
            From: \"Anna\" <sip:101@10.0.0.1>;tag=f1\r\n\
            To: <sip:102@10.0.0.1>\r\n\
            Call-ID: c1\r\nCSeq: 3 INVITE\r\n\
            Contact: <sip:101@10.0.0.5:5062;ob>\r\n\
            Record-Route: <sip:a.example;lr>\r\nRecord-Route: <sip:b.example;lr>\r\n\
            Content-Length: 0\r\n\r\n",
        )
        .expect("parses");
        let mut d = Dialog::as_uas(
            &invite,
            peer(),
            "t1",
            "10.0.0.1:5060",
            "sip:102@10.0.0.1:5060",
        )
        .expect("dialog");
        let bye = d.request("BYE", "z9hG4bKbye", None);
        let bye = wire::parse(&bye).expect("bye parses");
        assert_eq!(message::request_uri(&bye), Some("sip:101@10.0.0.5:5062;ob"));
        assert_eq!(bye.head.from_tag.as_deref(), Some("t1"));
        assert_eq!(bye.head.to_tag.as_deref(), Some("f1"));
        assert_eq!(bye.head.cseq, 1);
        let routes: Vec<&str> = message::header_values(&bye, "Route").collect();
        assert_eq!(routes, ["<sip:a.example;lr>", "<sip:b.example;lr>"]);
        let from = message::header(&bye, "From").expect("from");
        assert!(from.starts_with("<sip:102@10.0.0.1>"), "{from}");
    }

    #[test]
    fn a_uac_dialog_is_confirmed_by_the_answer() {
        let mut d = Dialog::as_uac(
            "cid".into(),
            "ours".into(),
            "\"Anna\" <sip:101@10.0.0.1>".into(),
            "<sip:102@10.0.0.1>".into(),
            "sip:102@10.0.0.7:5060".into(),
            peer(),
            "10.0.0.1:5060".into(),
            "sip:centrala@10.0.0.1:5060".into(),
        );
        let invite = d.invite("z9hG4bKinv", "v=0\r\n", &[]);
        let invite = wire::parse(&invite).expect("invite parses");
        assert_eq!(invite.head.to_tag, None);
        let cancel = wire::parse(&d.cancel("z9hG4bKinv")).expect("cancel parses");
        assert_eq!(cancel.head.vias[0].branch.as_deref(), Some("z9hG4bKinv"));
        assert_eq!(cancel.head.cseq, 1);
        let ok = wire::parse(
            b"SIP/2.0 200 OK\r\n\
            Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKinv\r\n\
            From: <sip:101@10.0.0.1>;tag=ours\r\nTo: <sip:102@10.0.0.1>;tag=theirs\r\n\
            Call-ID: cid\r\nCSeq: 1 INVITE\r\nContact: <sip:102@10.0.0.7:5099>\r\n\
            Content-Length: 0\r\n\r\n",
        )
        .expect("parses");
        d.confirm(&ok);
        let ack = wire::parse(&d.ack(1, "z9hG4bKack")).expect("ack parses");
        assert_eq!(message::request_uri(&ack), Some("sip:102@10.0.0.7:5099"));
        assert_eq!(ack.head.to_tag.as_deref(), Some("theirs"));
        assert_eq!(ack.head.cseq, 1);
        let bye = wire::parse(&d.request("BYE", "z9hG4bKb", None)).expect("bye parses");
        assert_eq!(bye.head.cseq, 2);
    }

    #[test]
    fn an_invite_sent_again_after_a_challenge_counts_up_and_its_cancel_follows() {
        let mut d = Dialog::as_uac(
            "cid".into(),
            "ours".into(),
            "<sip:+48221234567@provider.example>".into(),
            "<sip:+48601234567@provider.example>".into(),
            "sip:+48601234567@provider.example".into(),
            peer(),
            "10.0.0.1:5060".into(),
            "sip:centrala@10.0.0.1:5060".into(),
        );
        d.invite("z9hG4bK1", "v=0\r\n", &[]);
        let auth = ("Proxy-Authorization", "Digest username=\"x\"".to_owned());
        let again = wire::parse(&d.invite_again("z9hG4bK2", "v=0\r\n", &[auth])).expect("parses");
        assert_eq!(again.head.cseq, 2);
        assert_eq!(again.head.to_tag, None);
        assert_eq!(again.head.from_tag.as_deref(), Some("ours"));
        assert_eq!(again.head.call_id, "cid");
        assert!(message::header(&again, "Proxy-Authorization").is_some());
        let cancel = wire::parse(&d.cancel("z9hG4bK2")).expect("cancel parses");
        assert_eq!(cancel.head.cseq, 2);
        assert_eq!(d.invite_cseq, 2);
    }
}
