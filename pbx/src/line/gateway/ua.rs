//! The line's SIP user agent, sans-IO: how an analog line speaks to Centrala's own SIP side.
//!
//! Each line is a small gateway that the daemon's SIP endpoint knows by its loopback address,
//! the way it knows a trunk's provider. A call the line answered becomes an INVITE to the
//! PBX (to the line's entry point, with the caller ID in `From`); an INVITE from the PBX is
//! an outside call to dial on the line. One call at a time: an analog line carries one.
//!
//! Decisions:
//! - **Answer supervision**: an analog line does not report when the far end answers. An
//!   outside call gets `180 Ringing` while the line is seized and dialled, and `200 OK` once
//!   the digits are out ([`Ua::connected`]); what the caller hears after that (the exchange's
//!   ringback, the called party) comes through the line's audio.
//! - **Reliability**: the PBX is on the same host, but a datagram can still be lost under
//!   load, so requests we send (INVITE, CANCEL, BYE) and our 2xx to an INVITE are repeated
//!   from T1 = 500 ms, doubling to 4 s, until answered; after 32 s the call is given up. A
//!   request the PBX repeats gets our last response again.
//! - **Media**: G.711 only (A-law first on lines outside the US, μ-law first on US lines),
//!   no telephone-event: DTMF crosses the line as audio.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use rsip::headers::UntypedHeader;

use crate::media::g711::Law;
use crate::routing::Caller;
use crate::sip::address::address_uri;
use crate::sip::message::{self, render_response, Reply, RequestWriter};
use crate::sip::method::Method;
use crate::sip::sdp::{Direction, Sdp};
use crate::sip::transaction::Bytes;
use crate::sip::wire::{self, Parsed, StartLine};

/// The first retransmission interval (RFC 3261's T1).
const T1: Duration = Duration::from_millis(500);
/// The longest retransmission interval (T2).
const T2: Duration = Duration::from_secs(4);
/// How long a request or 2xx is repeated before the call is given up (64 × T1).
const GIVE_UP: Duration = Duration::from_secs(32);

/// Where this line's gateway and the PBX are.
#[derive(Debug, Clone)]
pub struct UaConfig {
    /// The line's name (its entry point is looked up by it).
    pub line: String,
    /// The gateway's SIP socket.
    pub local_sip: SocketAddr,
    /// The PBX's SIP socket.
    pub pbx: SocketAddr,
    /// The gateway's RTP socket.
    pub local_rtp: SocketAddr,
    /// The G.711 laws offered and accepted, preferred first.
    pub laws: [Law; 2],
}

/// Where RTP goes and in which law.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaPeer {
    /// The PBX's RTP address for this call.
    pub addr: SocketAddr,
    /// The law both sides use.
    pub law: Law,
}

/// What the user agent asks its shell to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UaOutput {
    /// Send this datagram to the PBX.
    Send(Bytes),
    /// The PBX calls out through the line: seize it and dial this number (as the PBX wrote
    /// it: E.164 with `+`, or digits).
    Dial(String),
    /// The PBX ended the call: put the line on hook.
    HangUp,
    /// Start sending and receiving RTP with this peer, or stop (`None`).
    Media(Option<MediaPeer>),
}

/// Who calls in on the line, for the INVITE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineCall {
    /// The caller, normalised.
    pub caller: Caller,
    /// The caller-ID name, if one came.
    pub name: Option<String>,
}

/// A request or response being repeated until answered.
#[derive(Debug, Clone)]
struct Repeat {
    bytes: Bytes,
    next: Duration,
    interval: Duration,
    until: Duration,
}

impl Repeat {
    fn new(bytes: Bytes, now: Duration) -> Repeat {
        Repeat {
            bytes,
            next: now + T1,
            interval: T1,
            until: now + GIVE_UP,
        }
    }
}

/// The dialog of the current call.
#[derive(Debug, Clone)]
struct Dialog {
    call_id: String,
    local_tag: String,
    remote_tag: Option<String>,
    /// The PBX's Contact URI: where in-dialog requests go.
    remote_target: String,
    /// Our `From`/`To` value with our tag, and theirs, as written in our requests.
    local_uri: String,
    remote_uri: String,
    cseq: u32,
}

/// Where a call the line answered (line → PBX) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Calling {
    /// INVITE sent, no final response yet.
    Inviting,
    /// Answered and acknowledged.
    Confirmed,
    /// We cancelled before an answer.
    Cancelling,
}

/// Where an outside call through the line (PBX → line) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Called {
    /// Seizing and dialling; 180 sent.
    Dialling,
    /// 200 sent, waiting for the ACK.
    Answered,
    /// ACK received.
    Confirmed,
}

#[derive(Debug, Clone)]
enum Call {
    Idle,
    /// Line → PBX.
    Out {
        dialog: Dialog,
        invite: Bytes,
        state: Calling,
        sdp_sent: String,
    },
    /// PBX → line.
    In {
        dialog: Dialog,
        invite: Box<Parsed>,
        state: Called,
        last: Bytes,
        peer: Option<MediaPeer>,
    },
    /// Our BYE (or CANCEL) is out; waiting for its answer.
    Ending {
        call_id: String,
    },
}

/// The line's user agent.
#[derive(Debug)]
pub struct Ua {
    config: UaConfig,
    call: Call,
    repeat: Option<Repeat>,
    out: VecDeque<UaOutput>,
    counter: u64,
    session: u64,
    /// The last final response to a PBX INVITE that did not make a call, by Call-ID: a
    /// repeated INVITE gets it again instead of dialling again.
    refused: Option<(String, Bytes)>,
}

impl Ua {
    /// A user agent for one line; `seed` makes its tags and branches unique per run.
    pub fn new(config: UaConfig, seed: u64) -> Ua {
        Ua {
            config,
            call: Call::Idle,
            repeat: None,
            out: VecDeque::new(),
            counter: seed,
            session: seed % 1_000_000_000,
            refused: None,
        }
    }

    /// Whether a call is in progress (the line is not free for another).
    pub fn busy(&self) -> bool {
        !matches!(self.call, Call::Idle)
    }

    /// The line answered a call: offer it to the PBX.
    pub fn incoming(&mut self, now: Duration, call: &LineCall) {
        if self.busy() {
            return;
        }
        let call_id = format!("{}@{}", self.token(), self.config.local_sip.ip());
        let local_tag = self.token();
        let c = self.config.clone();
        let host = c.local_sip;
        let (user, privacy) = match &call.caller {
            Caller::Number(n) => (n.to_string(), false),
            Caller::Extension(e) => (e.to_string(), false),
            Caller::Withheld => ("anonymous".to_owned(), true),
        };
        let name = call.name.as_deref().map(quoted).unwrap_or_default();
        let local_uri = format!("{name}<sip:{user}@{host}>;tag={local_tag}");
        let remote_uri = format!("<sip:{}@{}>", c.line, c.pbx);
        let target = format!("sip:{}@{}", c.line, c.pbx);
        let sdp = self.sdp().to_string();
        let dialog = Dialog {
            call_id,
            local_tag,
            remote_tag: None,
            remote_target: target.clone(),
            local_uri,
            remote_uri,
            cseq: 1,
        };
        let mut w = self.request("INVITE", &target, &dialog, 1, "INVITE");
        w = w.header("Contact", &format!("<sip:{}@{}>", c.line, c.local_sip));
        if privacy {
            w = w.header("Privacy", "id");
        }
        let invite = w.finish(Some(("application/sdp", sdp.as_bytes())));
        self.send_repeated(now, invite.clone());
        self.call = Call::Out {
            dialog,
            invite,
            state: Calling::Inviting,
            sdp_sent: sdp,
        };
    }

    /// The line's far end hung up, the line failed, or a call being dialled ended (busy, no
    /// dial tone): end the SIP side with `code` when it has not been answered yet.
    pub fn line_ended(&mut self, now: Duration, code: u16) {
        match std::mem::replace(&mut self.call, Call::Idle) {
            Call::Idle => {}
            Call::Ending { call_id } => self.call = Call::Ending { call_id },
            Call::Out {
                dialog,
                invite,
                state,
                ..
            } => match state {
                Calling::Confirmed => self.bye(now, &dialog),
                Calling::Inviting | Calling::Cancelling => self.cancel(now, &dialog, &invite),
            },
            Call::In {
                dialog,
                invite,
                state,
                ..
            } => match state {
                Called::Dialling => {
                    let reason = reason_of(code);
                    let bytes = self.respond(&invite, &dialog.local_tag, Reply::new(code, reason));
                    self.refused = Some((dialog.call_id.clone(), bytes.clone()));
                    self.send(bytes);
                    self.repeat = None;
                }
                Called::Answered | Called::Confirmed => self.bye(now, &dialog),
            },
        }
        self.out.push_back(UaOutput::Media(None));
    }

    /// The digits are out on the line: answer the PBX's INVITE.
    pub fn connected(&mut self, now: Duration) {
        let Call::In {
            dialog,
            invite,
            state: state @ Called::Dialling,
            last,
            peer,
        } = &mut self.call
        else {
            return;
        };
        let Some(offer) = message::sdp_body(invite).and_then(|s| Sdp::parse(s).ok()) else {
            return;
        };
        let c = &self.config;
        let Ok((answer, negotiated)) = offer.answer(
            self.session,
            c.local_rtp.ip(),
            c.local_rtp.port(),
            &c.laws,
            Direction::SendRecv,
        ) else {
            return;
        };
        let contact = format!("<sip:{}@{}>", c.line, c.local_sip);
        let reply = Reply::new(200, "OK")
            .with(rsip::headers::Contact::new(contact).into())
            .with_sdp(answer.to_string());
        let bytes = render_response(invite, c.pbx, &dialog.local_tag, reply);
        *state = Called::Answered;
        *last = bytes.clone();
        *peer = negotiated.remote.map(|(ip, port)| MediaPeer {
            addr: SocketAddr::new(ip, port),
            law: negotiated.law,
        });
        let peer = *peer;
        self.send_repeated(now, bytes);
        self.out.push_back(UaOutput::Media(peer));
    }

    /// A datagram from the PBX.
    pub fn received(&mut self, now: Duration, bytes: &[u8]) {
        let Ok(framed) = wire::frame_datagram(bytes) else {
            return;
        };
        let parsed = match wire::parse(framed) {
            Ok(p) => p,
            Err(e) => {
                if let Some(answer) = wire::error_response(framed, 400, &e.to_string()) {
                    self.send(Bytes::from(answer));
                }
                return;
            }
        };
        match &parsed.head.start {
            StartLine::Request { method, .. } => self.request_in(method.clone(), parsed),
            StartLine::Response { code, .. } => self.response_in(now, *code, &parsed),
        }
    }

    /// Repeats what is due at `now`; gives the call up when its time is over.
    pub fn handle_timeout(&mut self, now: Duration) {
        let Some(r) = &mut self.repeat else { return };
        if now >= r.until {
            self.repeat = None;
            let was_out = matches!(self.call, Call::Out { .. } | Call::In { .. });
            self.call = Call::Idle;
            if was_out {
                self.out.push_back(UaOutput::HangUp);
                self.out.push_back(UaOutput::Media(None));
            }
            return;
        }
        if now >= r.next {
            let bytes = r.bytes.clone();
            r.next = now + r.interval;
            r.interval = (r.interval * 2).min(T2);
            self.send(bytes);
        }
    }

    /// When [`Ua::handle_timeout`] is next due.
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.repeat.as_ref().map(|r| r.next.min(r.until))
    }

    /// The next thing to do.
    pub fn poll_output(&mut self) -> Option<UaOutput> {
        self.out.pop_front()
    }

    fn request_in(&mut self, method: Method, p: Parsed) {
        match method {
            Method::Invite => self.invite_in(p),
            Method::Ack => self.ack_in(&p),
            Method::Bye => self.bye_in(&p),
            Method::Cancel => self.cancel_in(&p),
            Method::Options => {
                let tag = self.token();
                let bytes = self.respond(&p, &tag, Reply::new(200, "OK"));
                self.send(bytes);
            }
            _ => {
                let bytes = self.respond(&p, "", Reply::new(405, "Method Not Allowed"));
                self.send(bytes);
            }
        }
    }

    fn invite_in(&mut self, p: Parsed) {
        if let Call::In { dialog, last, .. } = &self.call {
            if dialog.call_id == p.head.call_id {
                let again = last.clone();
                return self.send(again);
            }
        }
        if let Some((call_id, last)) = &self.refused {
            if *call_id == p.head.call_id {
                let again = last.clone();
                return self.send(again);
            }
        }
        let to_tag = self.token();
        if self.busy() || p.head.to_tag.is_some() {
            let bytes = self.respond(&p, &to_tag, Reply::new(486, "Busy Here"));
            return self.send(bytes);
        }
        let digits: String = message::request_uri(&p)
            .and_then(|u| rsip::Uri::try_from(u).ok())
            .and_then(|u| u.user().map(str::to_owned))
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | '+'))
            .collect();
        let Some(offer) = message::sdp_body(&p).and_then(|s| Sdp::parse(s).ok()) else {
            let bytes = self.respond(&p, &to_tag, Reply::new(488, "Not Acceptable Here"));
            return self.send(bytes);
        };
        if digits.is_empty() || offer.audio().is_none() {
            let code = if digits.is_empty() { 484 } else { 488 };
            let bytes = self.respond(&p, &to_tag, Reply::new(code, reason_of(code)));
            return self.send(bytes);
        }
        let remote_target = message::header(&p, "Contact")
            .map(message_target)
            .unwrap_or_else(|| format!("sip:{}", self.config.pbx));
        let dialog = Dialog {
            call_id: p.head.call_id.clone(),
            local_tag: to_tag.clone(),
            remote_tag: p.head.from_tag.clone(),
            remote_target,
            local_uri: format!(
                "{};tag={to_tag}",
                message::header(&p, "To").unwrap_or_default()
            ),
            remote_uri: message::header(&p, "From").unwrap_or_default().to_owned(),
            cseq: 0,
        };
        let ringing = self.respond(&p, &to_tag, Reply::new(180, "Ringing"));
        self.send(ringing.clone());
        self.call = Call::In {
            dialog,
            invite: Box::new(p),
            state: Called::Dialling,
            last: ringing,
            peer: None,
        };
        self.out.push_back(UaOutput::Dial(digits));
    }

    fn ack_in(&mut self, p: &Parsed) {
        if let Call::In { dialog, state, .. } = &mut self.call {
            if dialog.call_id == p.head.call_id && *state == Called::Answered {
                *state = Called::Confirmed;
                self.repeat = None;
            }
        }
    }

    fn bye_in(&mut self, p: &Parsed) {
        let ours = match &self.call {
            Call::Out { dialog, .. } | Call::In { dialog, .. } => dialog.call_id == p.head.call_id,
            Call::Ending { call_id } => *call_id == p.head.call_id,
            Call::Idle => false,
        };
        let (code, reason) = if ours {
            (200, "OK")
        } else {
            (481, "Call/Transaction Does Not Exist")
        };
        let tag = p.head.to_tag.clone().unwrap_or_default();
        let bytes = self.respond(p, &tag, Reply::new(code, reason));
        self.send(bytes);
        if ours && !matches!(self.call, Call::Ending { .. }) {
            self.hang_up_line();
        }
    }

    fn cancel_in(&mut self, p: &Parsed) {
        let dialling = match &self.call {
            Call::In {
                dialog,
                state: Called::Dialling,
                ..
            } => dialog.call_id == p.head.call_id,
            _ => false,
        };
        let tag = p.head.to_tag.clone().unwrap_or_default();
        let code = if dialling { 200 } else { 481 };
        let bytes = self.respond(p, &tag, Reply::new(code, reason_of(code)));
        self.send(bytes);
        if let (true, Call::In { dialog, invite, .. }) = (dialling, &self.call) {
            let (tag, invite) = (dialog.local_tag.clone(), invite.clone());
            let terminated = self.respond(&invite, &tag, Reply::new(487, reason_of(487)));
            self.refused = Some((invite.head.call_id.clone(), terminated.clone()));
            self.send(terminated);
            self.hang_up_line();
        }
    }

    fn response_in(&mut self, now: Duration, code: u16, p: &Parsed) {
        let method = p.head.cseq_method.clone();
        match std::mem::replace(&mut self.call, Call::Idle) {
            Call::Out {
                mut dialog,
                invite,
                state,
                sdp_sent,
            } if dialog.call_id == p.head.call_id && method == Method::Invite => {
                if code < 200 {
                    self.repeat = None;
                    self.call = Call::Out {
                        dialog,
                        invite,
                        state,
                        sdp_sent,
                    };
                    return;
                }
                self.repeat = None;
                if code >= 300 {
                    if let Some(ack) = message::non_2xx_ack(&invite, &p.bytes) {
                        self.send(ack);
                    }
                    return self.hang_up_line();
                }
                dialog.remote_tag = p.head.to_tag.clone();
                if let Some(c) = message::header(p, "Contact") {
                    dialog.remote_target = message_target(c);
                }
                dialog.remote_uri = message::header(p, "To").unwrap_or_default().to_owned();
                self.ack_2xx(&dialog);
                if state == Calling::Cancelling {
                    // The answer crossed our CANCEL: the call is over all the same.
                    return self.bye(now, &dialog);
                }
                let peer = message::sdp_body(p)
                    .and_then(|s| Sdp::parse(s).ok())
                    .and_then(|answer| media_peer(&answer, &self.config.laws));
                self.out.push_back(UaOutput::Media(peer));
                self.call = Call::Out {
                    dialog,
                    invite,
                    state: Calling::Confirmed,
                    sdp_sent,
                };
            }
            Call::Ending { call_id } if call_id == p.head.call_id => {
                if code >= 200 && matches!(method, Method::Bye | Method::Cancel) {
                    self.repeat = None;
                } else {
                    self.call = Call::Ending { call_id };
                }
            }
            other => self.call = other,
        }
    }

    /// The PBX ended the call: the line goes on hook and media stops.
    fn hang_up_line(&mut self) {
        self.call = Call::Idle;
        self.repeat = None;
        self.out.push_back(UaOutput::HangUp);
        self.out.push_back(UaOutput::Media(None));
    }

    fn ack_2xx(&mut self, dialog: &Dialog) {
        let target = dialog.remote_target.clone();
        let ack = self
            .request("ACK", &target, dialog, dialog.cseq, "ACK")
            .finish(None);
        self.send(ack);
    }

    fn bye(&mut self, now: Duration, dialog: &Dialog) {
        let mut d = dialog.clone();
        d.cseq += 1;
        let target = d.remote_target.clone();
        let bye = self.request("BYE", &target, &d, d.cseq, "BYE").finish(None);
        self.send_repeated(now, bye);
        self.call = Call::Ending { call_id: d.call_id };
    }

    fn cancel(&mut self, now: Duration, dialog: &Dialog, invite: &[u8]) {
        let Ok(p) = wire::parse(invite) else { return };
        let Some(via) = message::header(&p, "Via") else {
            return;
        };
        let uri = message::request_uri(&p).unwrap_or_default().to_owned();
        let cancel = RequestWriter::new("CANCEL", &uri)
            .header("Via", via)
            .header("From", &dialog.local_uri)
            .header("To", &dialog.remote_uri)
            .header("Call-ID", &dialog.call_id)
            .header("CSeq", &format!("{} CANCEL", dialog.cseq))
            .finish(None);
        self.send_repeated(now, cancel);
        // The INVITE's final answer (487, or a 200 that crossed) still comes and is acked.
        self.call = Call::Out {
            dialog: dialog.clone(),
            invite: Bytes::from(invite),
            state: Calling::Cancelling,
            sdp_sent: String::new(),
        };
    }

    fn request(
        &mut self,
        method: &str,
        target: &str,
        dialog: &Dialog,
        cseq: u32,
        cseq_method: &str,
    ) -> RequestWriter {
        let branch = format!("z9hG4bK{}", self.token());
        let to = match &dialog.remote_tag {
            Some(tag) if !dialog.remote_uri.contains(";tag=") => {
                format!("{};tag={tag}", dialog.remote_uri)
            }
            _ => dialog.remote_uri.clone(),
        };
        RequestWriter::new(method, target)
            .header(
                "Via",
                &format!(
                    "SIP/2.0/UDP {};branch={branch};rport",
                    self.config.local_sip
                ),
            )
            .header("From", &dialog.local_uri)
            .header("To", &to)
            .header("Call-ID", &dialog.call_id)
            .header("CSeq", &format!("{cseq} {cseq_method}"))
    }

    fn respond(&self, p: &Parsed, to_tag: &str, reply: Reply) -> Bytes {
        render_response(p, self.config.pbx, to_tag, reply)
    }

    fn sdp(&self) -> Sdp {
        let c = &self.config;
        Sdp::offer(
            self.session,
            1,
            c.local_rtp.ip(),
            c.local_rtp.port(),
            &c.laws,
            Direction::SendRecv,
        )
    }

    fn send(&mut self, bytes: Bytes) {
        self.out.push_back(UaOutput::Send(bytes));
    }

    fn send_repeated(&mut self, now: Duration, bytes: Bytes) {
        self.repeat = Some(Repeat::new(bytes.clone(), now));
        self.send(bytes);
    }

    fn token(&mut self) -> String {
        self.counter = self
            .counter
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        format!("{:016x}", self.counter)
    }
}

/// A display name as a quoted string followed by a space (`"Jan Nowak" `).
fn quoted(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
        .collect();
    format!("\"{clean}\" ")
}

/// The URI inside a Contact value (`<sip:…>;params` or a bare URI).
fn message_target(contact: &str) -> String {
    address_uri(contact).to_owned()
}

/// The peer an SDP answer names, in the first of `laws` it lists.
fn media_peer(answer: &Sdp, laws: &[Law; 2]) -> Option<MediaPeer> {
    let (audio, ip) = answer.audio()?;
    let law = audio
        .formats
        .iter()
        .filter_map(|f| f.parse::<u8>().ok())
        .filter_map(Law::from_payload_type)
        .find(|l| laws.contains(l))?;
    Some(MediaPeer {
        addr: SocketAddr::new(ip?, audio.port),
        law,
    })
}

/// The reason phrase of the few codes the gateway sends.
fn reason_of(code: u16) -> &'static str {
    match code {
        200 => "OK",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        484 => "Address Incomplete",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        _ => "Service Unavailable",
    }
}

#[cfg(test)]
mod tests;
