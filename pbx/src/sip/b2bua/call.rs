//! One call as the B2BUA holds it: the caller's leg, the forks of the INVITE sent to the
//! phones of the employees being rung, and the media legs on each side.

use std::net::SocketAddr;

use chrono::{DateTime, TimeDelta, Utc};
use firmware_config::number::Extension;

use crate::media::{LegId, Remote};
use crate::sip::dialog::Dialog;
use crate::sip::sdp::{Direction, Sdp};
use crate::sip::transaction::{Bytes, ServerKey};
use crate::sip::wire::Parsed;

/// The caller's side of the call, where Centrala is the UAS.
#[derive(Debug)]
pub struct CallerLeg {
    /// The INVITE's server transaction (answered once, finally).
    pub key: ServerKey,
    /// The INVITE, to build responses from.
    pub invite: Parsed,
    /// Where the INVITE came from.
    pub source: SocketAddr,
    /// Our To tag.
    pub tag: String,
    /// The dialog (used once answered).
    pub dialog: Dialog,
    /// Where the call stands on this side.
    pub state: CallerState,
    /// Our media leg facing the caller.
    pub media: MediaLeg,
    /// Our 2xx until the caller ACKs it.
    pub unacked: Option<Unacked>,
}

/// Where the caller's side stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerState {
    /// Not answered; `progress` once 183 with our SDP was sent.
    Early {
        /// Whether 183 Session Progress (early media) went out.
        progress: bool,
    },
    /// Answered with 200 (hold music or connected).
    Answered,
    /// Gone: final response sent, or BYE sent or received.
    Gone,
}

/// A 2xx we retransmit until the ACK comes (RFC 3261 §13.3.1.4).
#[derive(Debug, Clone)]
pub struct Unacked {
    /// The response.
    pub bytes: Bytes,
    /// When to send it again.
    pub next: DateTime<Utc>,
    /// The current interval (T1 doubling up to T2).
    pub interval: TimeDelta,
    /// When to give up and hang up (64·T1 after the first send).
    pub give_up: DateTime<Utc>,
}

/// One of our media legs and the SDP we show on it.
#[derive(Debug, Clone)]
pub struct MediaLeg {
    /// The engine's leg.
    pub leg: LegId,
    /// Its local RTP port.
    pub port: u16,
    /// `o=` session id of our SDP on this leg.
    pub session: u64,
    /// `o=` version, increased on every change.
    pub version: u64,
    /// What the far end negotiated, once known.
    pub remote: Option<Remote>,
    /// The direction we last offered or answered on this leg.
    pub direction: Direction,
}

impl MediaLeg {
    /// A new leg with no far end yet.
    pub fn new(leg: LegId, port: u16, session: u64) -> MediaLeg {
        MediaLeg {
            leg,
            port,
            session,
            version: 0,
            remote: None,
            direction: Direction::SendRecv,
        }
    }

    /// Bumps the SDP version for a changed description.
    pub fn next_version(&mut self) -> u64 {
        self.version += 1;
        self.version
    }

    /// Our current description as the answer to `offer`, or an error naming why not.
    pub fn answer(
        &self,
        offer: &Sdp,
        ip: std::net::IpAddr,
        direction: Direction,
    ) -> Result<(Sdp, crate::sip::sdp::Negotiated), crate::sip::sdp::SdpError> {
        let (mut sdp, negotiated) =
            offer.answer(self.session, ip, self.port, super::LAWS, direction)?;
        sdp.version = self.version;
        Ok((sdp, negotiated))
    }
}

/// One INVITE sent on the called side: to one phone (a contact of an employee being rung), or
/// out through a trunk.
#[derive(Debug)]
pub struct Fork {
    /// Whom it calls.
    pub party: Party,
    /// The INVITE's branch (its client transaction).
    pub branch: String,
    /// The dialog (confirmed by the answer).
    pub dialog: Dialog,
    /// Where the fork stands.
    pub state: ForkState,
    /// We want it cancelled, but no provisional response came yet (RFC 3261 §9.1).
    pub cancel_wanted: bool,
    /// The ACK for its 2xx, re-sent for each retransmitted 2xx.
    pub ack: Option<Bytes>,
}

/// Whom a fork calls.
#[derive(Debug)]
pub enum Party {
    /// A phone of this employee.
    Employee(Extension),
    /// An outside number, through a trunk.
    Outside(Box<super::outside::OutsideLeg>),
}

impl Party {
    /// The employee, for a fork to an employee's phone.
    pub fn employee(&self) -> Option<&Extension> {
        match self {
            Party::Employee(e) => Some(e),
            Party::Outside(_) => None,
        }
    }

    /// Whether the fork rings `employee`'s phone.
    pub fn is(&self, employee: &Extension) -> bool {
        self.employee() == Some(employee)
    }
}

/// Where a fork stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForkState {
    /// INVITE sent, nothing back but perhaps 100.
    Calling,
    /// A provisional response came (ringing).
    Ringing,
    /// CANCEL sent; waiting for the INVITE's final response.
    Cancelling,
    /// The phone answered (2xx, ACKed); waiting for the router's Connect.
    Answered,
    /// The phone is the other party of the call.
    Connected,
    /// Finished: failed, cancelled, or hung up.
    Done {
        /// The final status (487 when cancelled, 408 on timeout, 200 when hung up).
        code: u16,
    },
}

impl ForkState {
    /// Whether nothing more will happen on the fork.
    pub fn is_done(self) -> bool {
        matches!(self, ForkState::Done { .. })
    }
}

/// A call the B2BUA holds.
#[derive(Debug)]
pub struct Call {
    /// Who calls: an employee, or an outside number (a trunk or analog line).
    pub caller: crate::routing::Caller,
    /// Where the caller's INVITE was going, as the endpoint read it.
    pub target: crate::routing::Target,
    /// Their display name.
    pub caller_name: String,
    /// The caller's side.
    pub a: CallerLeg,
    /// Our media leg facing the callee side (shared by every fork: only one answers).
    pub b_media: Option<MediaLeg>,
    /// INVITEs sent to phones.
    pub forks: Vec<Fork>,
    /// Employees the router asked us to ring and has not stopped.
    pub ringing: Vec<Extension>,
    /// The router is done with the call (ended, or the caller hung up).
    pub routed: bool,
    /// When a finished call is dropped even if a fork never settles.
    pub reap_at: Option<DateTime<Utc>>,
    /// The branches of every request we sent for the call.
    pub branches: Vec<String>,
    /// When each employee's phones last declined the call.
    pub declined_at: Vec<(Extension, DateTime<Utc>)>,
    /// The entry point's hold music, once the router named it.
    pub music: Option<std::path::PathBuf>,
    /// The caller's phone put the call on hold (the other side hears music).
    pub caller_holds: bool,
    /// The connected phone put the call on hold (the caller hears music).
    pub callee_holds: bool,
    /// Rings put off until then, because the employee's phones declined just before.
    pub deferred: Vec<(
        Extension,
        DateTime<Utc>,
        Vec<crate::sip::registrar::Binding>,
    )>,
}

impl Call {
    /// The fork connected to the caller.
    pub fn connected(&self) -> Option<usize> {
        self.forks
            .iter()
            .position(|f| f.state == ForkState::Connected)
    }

    /// Whether nothing is left to do: the caller is gone and every fork is done.
    pub fn is_finished(&self) -> bool {
        self.a.state == CallerState::Gone && self.forks.iter().all(|f| f.state.is_done())
    }
}
