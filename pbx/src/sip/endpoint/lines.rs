//! Analog lines as the endpoint sees them: each line's gateway ([`crate::line::gateway`]) is
//! a SIP peer on a local address, known from its [`LineNotice`]s.
//!
//! Decisions:
//! - **A gateway is recognised by its address**, like a trunk's provider: an INVITE from it
//!   is a call the line answered, and can only reach the entry point whose source is that
//!   line (never a phone or an outside number directly).
//! - **Outside calls go out on a line** when the line allows it (`outside_calls`), is up and
//!   idle: such lines are tried before any SIP trunk, in configuration order. A line that is
//!   down or busy is skipped; when none is left, the trunks are used as before.

use std::net::SocketAddr;

use firmware_config::number::PhoneNumber;

use super::*;
use crate::line::gateway::{LineNotice, LineState};
use crate::routing::Caller;
use crate::sip::b2bua::OutsideRoute;

/// One line's gateway as last reported.
#[derive(Debug, Clone)]
pub(super) struct KnownLine {
    pub sip: SocketAddr,
    pub state: LineState,
}

impl Endpoint {
    /// A gateway reported its line's state.
    pub(super) fn line_notice(&mut self, notice: LineNotice) {
        let known = KnownLine {
            sip: notice.sip,
            state: notice.state,
        };
        self.lines.insert(notice.line, known);
    }

    /// Every configured analog line and its state as its gateway last reported it (`None`:
    /// no gateway reported yet), in configuration order.
    pub fn line_states(&self) -> Vec<(String, Option<LineState>)> {
        self.config
            .lines
            .iter()
            .map(|l| {
                let state = self.lines.get(l.name.as_str()).map(|k| k.state.clone());
                (l.name.to_string(), state)
            })
            .collect()
    }

    /// The line whose gateway sent a message from `from`, if any.
    pub(super) fn line_at(&self, from: SocketAddr) -> Option<&str> {
        self.lines
            .iter()
            .find(|(_, l)| l.sip == from)
            .map(|(name, _)| name.as_str())
    }

    /// An INVITE from a line's gateway: a call the line answered, for the line's entry point.
    pub(super) fn line_call(
        &mut self,
        key: &ServerKey,
        p: Pending,
        line: String,
    ) -> Option<(Reply, Pending)> {
        let entry = self
            .config
            .entry_points
            .iter()
            .find_map(|e| match &e.source {
                EntrySource::AnalogLine(l) if l.as_str() == line => Some(e.name.to_string()),
                _ => None,
            });
        let Some(entry) = entry else {
            self.emit(Event::NotConnected {
                method: Method::Invite,
                user: format!("line {line}"),
                target: line.clone(),
                status: 404,
            });
            return Some((Reply::new(404, "Not Found"), p));
        };
        let caller = line_caller(&p.parsed);
        self.entry_call(key, p, caller, line, entry)
    }

    /// The first idle line that may carry outside calls, as a route for `number`.
    pub(super) fn line_route(&self) -> Option<OutsideRoute> {
        self.config.lines.iter().find_map(|l| {
            let known = self.lines.get(l.name.as_str())?;
            if !l.outside_calls || known.state != LineState::Idle {
                return None;
            }
            Some(OutsideRoute {
                trunk: format!("line {}", l.name),
                addr: known.sip,
                host: known.sip.ip().to_string(),
                port: known.sip.port(),
                username: l.name.to_string(),
                password: String::new(),
                caller_id: l.number.clone(),
            })
        })
    }
}

/// Who the gateway says is calling: `From`'s user part in E.164 (the gateway normalised
/// it), withheld when anonymous; and the caller-ID name.
fn line_caller(invite: &Parsed) -> (Caller, String) {
    let from = message::header(invite, "From").unwrap_or_default();
    let name = super::outside::display_name(from);
    let user = rsip::Uri::try_from(address_uri(from))
        .ok()
        .and_then(|u| u.user().map(str::to_owned))
        .unwrap_or_default();
    match PhoneNumber::parse(&user, None) {
        Ok(n) if user.starts_with('+') => (Caller::Number(n), name),
        _ => (Caller::Withheld, name),
    }
}
