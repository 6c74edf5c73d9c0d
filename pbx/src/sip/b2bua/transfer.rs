//! Transfers from a phone's transfer button (SPEC §3): REFER inside a call (RFC 3515), with
//! `Replaces` in the Refer-To for attended transfers (RFC 3891).
//!
//! Centrala is the B2BUA in the middle, so it is the transferee *and* the target of every
//! transfer: it never sends a REFER on; it rearranges its own legs.
//!
//! - **Blind** (Refer-To names an extension): allowed from the phone that answered the call.
//!   The REFER gets 202 and at once a NOTIFY with `SIP/2.0 200 OK` (the transferor's part is
//!   done); the phone then hangs up. The router rings the target while the caller hears
//!   ringback, and ends the call if the target does not answer.
//! - **Attended** (Refer-To carries `Replaces`): the REFER may come in either of the
//!   transferor's two dialogs — the call it answered (the usual way) or its consultation call
//!   to the target (what some phones do). The target's leg moves onto the caller's call and
//!   the two are bridged; the router is told, and the transferor hangs up both dialogs.
//!   Supported when the transferor answered the caller's call and placed the consultation
//!   call; other shapes (two calls both answered by the transferor, or both placed by it)
//!   are refused with 403 and the calls stay as they are.
//! - The transferor's BYEs are expected; Centrala does not send its own, so they cannot cross.
//! - `Refer-Sub: false` (RFC 4488) is honoured: no NOTIFY.

use super::*;
use crate::sip::address::{address_uri, uri_user};

/// What a Refer-To header asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ReferTo {
    /// The user part of the URI (the number to transfer to).
    pub user: Option<String>,
    /// The dialog to replace (attended transfer).
    pub replaces: Option<Replaces>,
}

/// A `Replaces` value (RFC 3891): the dialog the transfer joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Replaces {
    pub call_id: String,
    pub to_tag: String,
    pub from_tag: String,
}

/// Reads a Refer-To value: `<sip:104@pbx>` or `<sip:104@pbx?Replaces=id%3Bto-tag%3Da%3Bfrom-tag%3Db>`.
pub(super) fn parse_refer_to(value: &str) -> Result<ReferTo, &'static str> {
    let uri = address_uri(value);
    let (base, headers) = match uri.split_once('?') {
        Some((b, h)) => (b, Some(h)),
        None => (uri, None),
    };
    if rsip::Uri::try_from(base).is_err() {
        return Err("the Refer-To URI is not a SIP URI");
    }
    let replaces = match headers {
        Some(h) => parse_uri_headers(h)?,
        None => None,
    };
    Ok(ReferTo {
        user: uri_user(base),
        replaces,
    })
}

fn parse_uri_headers(headers: &str) -> Result<Option<Replaces>, &'static str> {
    for pair in headers.split('&') {
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        if name.eq_ignore_ascii_case("Replaces") {
            let value = percent_decode(value).ok_or("the Replaces value is badly escaped")?;
            return parse_replaces(&value).map(Some);
        }
    }
    Ok(None)
}

fn parse_replaces(value: &str) -> Result<Replaces, &'static str> {
    let mut parts = value.split(';');
    let call_id = parts.next().unwrap_or_default().trim().to_owned();
    let (mut to_tag, mut from_tag) = (None, None);
    for p in parts {
        match p.split_once('=') {
            Some((n, v)) if n.trim().eq_ignore_ascii_case("to-tag") => to_tag = Some(v.trim()),
            Some((n, v)) if n.trim().eq_ignore_ascii_case("from-tag") => from_tag = Some(v.trim()),
            _ => {}
        }
    }
    match (call_id.is_empty(), to_tag, from_tag) {
        (false, Some(t), Some(f)) => Ok(Replaces {
            call_id,
            to_tag: t.to_owned(),
            from_tag: f.to_owned(),
        }),
        _ => Err("Replaces needs a Call-ID, to-tag and from-tag"),
    }
}

/// `%XX` escapes decoded; `None` when one is malformed or the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn forbidden(why: &str) -> Reply {
    Reply::new(403, "Forbidden").with(h::Warning::new(format!("399 centrala \"{why}\"")).into())
}

impl B2bua {
    /// A REFER inside one of a call's dialogs: the answer to send.
    pub(super) fn refer(&mut self, id: CallId, side: Side, request: &Parsed) -> Reply {
        let Some(value) = message::header(request, "Refer-To") else {
            return Reply::new(400, "Bad Request (no Refer-To)");
        };
        let refer_to = match parse_refer_to(value) {
            Ok(r) => r,
            Err(why) => {
                return Reply::new(400, "Bad Request")
                    .with(h::Warning::new(format!("399 centrala \"{why}\"")).into())
            }
        };
        let subscribe = !message::header(request, "Refer-Sub")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"));
        let result = match &refer_to.replaces {
            None => self.blind_transfer(id, side, refer_to.user.as_deref()),
            Some(r) => self.attended_transfer(id, side, r),
        };
        if let Err(reply) = result {
            return reply;
        }
        if subscribe {
            self.notify_refer(id, side, "SIP/2.0 200 OK");
        }
        let mut reply = Reply::new(202, "Accepted");
        if !subscribe {
            reply = reply.with(h::Header::Other("Refer-Sub".into(), "false".into()));
        }
        reply
    }

    /// The employee on the connected fork `side` of `id`, or why a transfer from there is not
    /// possible.
    fn transferor(&self, id: CallId, side: Side) -> Result<(usize, Extension), Reply> {
        let call = self
            .calls
            .get(&id)
            .ok_or_else(|| Reply::new(481, "Call/Transaction Does Not Exist"))?;
        match side {
            Side::Fork(i) if call.connected() == Some(i) => match call.forks[i].party.employee() {
                Some(e) => Ok((i, e.clone())),
                None => Err(forbidden("an outside party cannot transfer a call")),
            },
            Side::Fork(_) => Err(forbidden("the call is not connected")),
            Side::Caller => Err(forbidden(
                "only the phone that answered a call can transfer it",
            )),
        }
    }

    fn blind_transfer(&mut self, id: CallId, side: Side, user: Option<&str>) -> Result<(), Reply> {
        let (i, by) = self.transferor(id, side)?;
        let to = user
            .and_then(|u| Extension::parse(u).ok())
            .ok_or_else(|| Reply::new(404, "Not Found"))?;
        if to == by {
            return Err(forbidden(
                "a call cannot be transferred to the same employee",
            ));
        }
        self.leave(id, i);
        self.event(CallEvent::Transferred {
            call: id,
            by: by.clone(),
            to: to.clone(),
            attended: false,
        });
        self.act(Action::Route(routing::Input::Transfer { call: id, by, to }));
        Ok(())
    }

    /// The transferor's fork leaves the call (its phone hangs up next); the callee-side
    /// media leg stays for the target.
    fn leave(&mut self, id: CallId, i: usize) {
        if let Some(f) = self.calls.get_mut(&id).and_then(|c| c.forks.get_mut(i)) {
            f.state = ForkState::Done { code: 200 };
        }
    }

    fn attended_transfer(&mut self, id: CallId, side: Side, r: &Replaces) -> Result<(), Reply> {
        let other = [&r.to_tag, &r.from_tag]
            .into_iter()
            .find_map(|tag| self.by_dialog.get(&(r.call_id.clone(), tag.clone())))
            .copied()
            .ok_or_else(|| Reply::new(481, "Call/Transaction Does Not Exist (Replaces)"))?;
        // P: the call the transferor answered (it is a fork there); Q: the call it placed.
        let ((p, p_side), (q, q_side)) =
            match (side, other.1) {
                (Side::Fork(_), Side::Caller) => ((id, side), other),
                (Side::Caller, Side::Fork(_)) => (other, (id, side)),
                _ => return Err(forbidden(
                    "attended transfer needs the answered call and the call placed to the target",
                )),
            };
        if p == q {
            return Err(forbidden("Replaces names the same call"));
        }
        let (x_fork, by) = self.transferor(p, p_side)?;
        let q_call = self
            .calls
            .get(&q)
            .ok_or_else(|| Reply::new(481, "Call/Transaction Does Not Exist"))?;
        if q_call.caller != Caller::Extension(by.clone()) || q_side != Side::Caller {
            return Err(forbidden("the two calls are not the same employee's"));
        }
        let Some(y) = q_call.connected() else {
            return Err(forbidden("the target has not answered"));
        };
        let Some(to) = q_call.forks[y].party.employee().cloned() else {
            return Err(forbidden("transfers to an outside call are not supported"));
        };
        self.join(p, x_fork, q, y);
        self.event(CallEvent::Transferred {
            call: p,
            by: by.clone(),
            to: to.clone(),
            attended: true,
        });
        self.act(Action::Route(routing::Input::Transferred {
            call: p,
            by,
            to,
            replaced: q,
        }));
        Ok(())
    }

    /// Moves fork `y` of call `q` (with its media leg) onto call `p` in place of fork `x`,
    /// and bridges it to `p`'s caller. `q` is left with its caller (the transferor) only.
    fn join(&mut self, p: CallId, x: usize, q: CallId, y: usize) {
        let Some(q_call) = self.calls.get_mut(&q) else {
            return;
        };
        q_call.routed = true;
        let Some(fork) = q_call.forks.get_mut(y) else {
            return;
        };
        let Some(employee) = fork.party.employee().cloned() else {
            return;
        };
        let moved = Fork {
            party: call::Party::Employee(employee),
            branch: fork.branch.clone(),
            dialog: fork.dialog.clone(),
            state: ForkState::Connected,
            cancel_wanted: false,
            ack: fork.ack.clone(),
        };
        fork.state = ForkState::Done { code: 200 };
        let media = q_call.b_media.take();
        let branch = moved.branch.clone();
        let key = (moved.dialog.call_id.clone(), moved.dialog.local_tag.clone());
        let Some(p_call) = self.calls.get_mut(&p) else {
            return;
        };
        if let Some(f) = p_call.forks.get_mut(x) {
            f.state = ForkState::Done { code: 200 };
        }
        p_call.forks.push(moved);
        p_call.callee_holds = false;
        let k = p_call.forks.len() - 1;
        let old = std::mem::replace(&mut p_call.b_media, media);
        let a = p_call.a.media.leg;
        let b = p_call.b_media.as_ref().map(|m| m.leg);
        p_call.branches.push(branch.clone());
        self.by_branch.insert(branch, (p, Purpose::Invite(k)));
        self.by_dialog.insert(key, (p, Side::Fork(k)));
        if let Some(old) = old {
            self.close_leg(&old);
        }
        if let Some(b) = b {
            self.media(Command::Bridge { a, b });
        }
    }

    /// Tells the transferor how its REFER went (RFC 3515 §2.4.5): a final status ends the
    /// implicit subscription.
    pub(super) fn notify_refer(&mut self, id: CallId, side: Side, status_line: &str) {
        let branch = self.branch();
        let Some(dialog) = self.dialog_mut(id, side) else {
            return;
        };
        let body = format!("{status_line}\r\n");
        let bytes = dialog.request_with(
            "NOTIFY",
            &branch,
            &[
                ("Event", "refer"),
                ("Subscription-State", "terminated;reason=noresource"),
            ],
            Some(("message/sipfrag;version=2.0", body.as_bytes())),
        );
        let to = dialog.peer;
        self.track(branch.clone(), id, Purpose::Other(side));
        self.act(Action::Send(tx::OutgoingRequest {
            key: ClientKey::new(branch, crate::sip::method::Method::Notify),
            to,
            bytes,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_refer_to_names_the_target() {
        let r = parse_refer_to("<sip:104@10.0.0.1>").expect("valid");
        assert_eq!(r.user.as_deref(), Some("104"));
        assert_eq!(r.replaces, None);
        let r = parse_refer_to("sip:104@10.0.0.1;user=phone").expect("valid");
        assert_eq!(r.user.as_deref(), Some("104"));
    }

    #[test]
    fn replaces_is_read_from_the_escaped_uri_headers() {
        let r = parse_refer_to(
            "\"Jan\" <sip:104@pbx?Replaces=abc%40host%3Bto-tag%3Dt1%3Bfrom-tag%3Df1&X=1>",
        )
        .expect("valid");
        assert_eq!(
            r.replaces,
            Some(Replaces {
                call_id: "abc@host".into(),
                to_tag: "t1".into(),
                from_tag: "f1".into(),
            })
        );
    }

    #[test]
    fn bad_refer_to_values_are_refused_with_a_reason() {
        assert!(parse_refer_to("<tel:+48221234567>").is_err());
        assert!(parse_refer_to("<sip:104@pbx?Replaces=abc%3Bto-tag%3Dt1>").is_err());
        assert!(parse_refer_to("<sip:104@pbx?Replaces=abc%3>").is_err());
        assert!(
            parse_refer_to("<sip:104@pbx?Replaces=%FF%FE%3Bto-tag%3Da%3Bfrom-tag%3Db>").is_err()
        );
        assert!(parse_refer_to("").is_err());
    }
}
