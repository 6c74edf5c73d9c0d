//! SDP for G.711 calls: parse an offer or answer, build ours, and negotiate (RFC 4566, 3264).
//!
//! Only what a PBX relaying G.711 needs: the audio stream's address and port, its formats
//! (PCMU, PCMA, RFC 4733 telephone-event), its direction (hold and resume) and ptime. Other
//! media streams are kept and answered with port 0, as RFC 3264 requires.

use core::fmt;
use core::net::IpAddr;

use crate::media::g711::Law;

/// The direction of a media stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Both ways (the default).
    SendRecv,
    /// The sender only sends (it put the other side on hold).
    SendOnly,
    /// The sender only receives.
    RecvOnly,
    /// Neither.
    Inactive,
}

impl Direction {
    /// The direction an answer takes to an offer with this one, given what we want.
    pub fn answer_to(self, ours: Direction) -> Direction {
        let (they_send, they_recv) = self.flows();
        let (we_send, we_recv) = ours.flows();
        Direction::from_flows(we_send && they_recv, we_recv && they_send)
    }

    fn flows(self) -> (bool, bool) {
        match self {
            Direction::SendRecv => (true, true),
            Direction::SendOnly => (true, false),
            Direction::RecvOnly => (false, true),
            Direction::Inactive => (false, false),
        }
    }

    fn from_flows(send: bool, recv: bool) -> Direction {
        match (send, recv) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    fn attribute(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// `audio`, `video`, ...
    pub kind: String,
    /// The port; 0 means the stream is refused or removed.
    pub port: u16,
    /// `RTP/AVP`, ...
    pub proto: String,
    /// Payload types (or other formats) in preference order.
    pub formats: Vec<String>,
    /// `a=rtpmap:` entries: payload type, encoding name, clock rate.
    pub rtpmap: Vec<(u8, String, u32)>,
    /// The media-level connection address, if any.
    pub connection: Option<IpAddr>,
    /// The direction attribute (send-receive when absent).
    pub direction: Direction,
    /// `a=ptime:` in milliseconds.
    pub ptime: Option<u32>,
}

/// A session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sdp {
    /// `o=` session id.
    pub session_id: u64,
    /// `o=` version; increases with every change.
    pub version: u64,
    /// The session-level connection address.
    pub connection: Option<IpAddr>,
    /// Media sections in order.
    pub media: Vec<Media>,
}

/// Why an SDP body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    /// A line is not of the form `x=value`, or a required part is missing.
    #[error("line {line}: {what}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        what: String,
    },
    /// No `v=0` line first.
    #[error("not SDP: the first line must be v=0")]
    NotSdp,
    /// No audio stream with an address.
    #[error("no usable audio stream")]
    NoAudio,
    /// No codec in common (SIP 488).
    #[error("no codec in common: offered {0}")]
    NoCommonCodec(String),
}

/// The result of negotiating one audio stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// The G.711 law both sides use.
    pub law: Law,
    /// The payload type of telephone-event (RFC 4733) if both sides have it.
    pub telephone_event: Option<u8>,
    /// Where the other side receives RTP (unspecified address on hold with 0.0.0.0).
    pub remote: Option<(IpAddr, u16)>,
    /// The direction the other side asked for.
    pub remote_direction: Direction,
}

/// The telephone-event payload type Centrala offers.
pub const TELEPHONE_EVENT_PT: u8 = 101;

impl Sdp {
    /// Parses an SDP body.
    pub fn parse(text: &str) -> Result<Sdp, SdpError> {
        let mut lines = text
            .lines()
            .map(str::trim_end)
            .enumerate()
            .filter(|(_, l)| !l.is_empty());
        match lines.next() {
            Some((_, "v=0")) => {}
            _ => return Err(SdpError::NotSdp),
        }
        let mut sdp = Sdp {
            session_id: 0,
            version: 0,
            connection: None,
            media: Vec::new(),
        };
        for (i, line) in lines {
            let syntax = |what: &str| SdpError::Syntax {
                line: i + 1,
                what: what.into(),
            };
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| syntax("not of the form x=value"))?;
            match key {
                "o" => {
                    (sdp.session_id, sdp.version) =
                        parse_origin(value).ok_or_else(|| syntax("bad o= line"))?
                }
                "c" => {
                    let addr = parse_connection(value).ok_or_else(|| syntax("bad c= line"))?;
                    match sdp.media.last_mut() {
                        Some(m) => m.connection = Some(addr),
                        None => sdp.connection = Some(addr),
                    }
                }
                "m" => sdp
                    .media
                    .push(parse_media(value).ok_or_else(|| syntax("bad m= line"))?),
                "a" => {
                    if let Some(m) = sdp.media.last_mut() {
                        apply_attribute(m, value);
                    }
                }
                _ => {}
            }
        }
        Ok(sdp)
    }

    /// The first audio stream with a port, and its effective address.
    pub fn audio(&self) -> Option<(&Media, Option<IpAddr>)> {
        let m = self
            .media
            .iter()
            .find(|m| m.kind == "audio" && m.port != 0)?;
        Some((m, m.connection.or(self.connection)))
    }

    /// Our offer: one audio stream with the given laws (in preference order) and
    /// telephone-event.
    pub fn offer(
        session_id: u64,
        version: u64,
        addr: IpAddr,
        port: u16,
        laws: &[Law],
        direction: Direction,
    ) -> Sdp {
        let mut formats: Vec<String> = laws.iter().map(|l| l.payload_type().to_string()).collect();
        formats.push(TELEPHONE_EVENT_PT.to_string());
        let mut rtpmap: Vec<(u8, String, u32)> = laws
            .iter()
            .map(|l| (l.payload_type(), l.encoding_name().to_string(), 8000))
            .collect();
        rtpmap.push((TELEPHONE_EVENT_PT, "telephone-event".into(), 8000));
        let media = Media {
            kind: "audio".into(),
            port,
            proto: "RTP/AVP".into(),
            formats,
            rtpmap,
            connection: None,
            direction,
            ptime: Some(20),
        };
        Sdp {
            session_id,
            version,
            connection: Some(addr),
            media: vec![media],
        }
    }

    /// Answers an offer: picks the first offered law we support, keeps telephone-event if
    /// offered, mirrors the direction, and refuses every other stream with port 0.
    pub fn answer(
        &self,
        session_id: u64,
        addr: IpAddr,
        port: u16,
        ours: &[Law],
        direction: Direction,
    ) -> Result<(Sdp, Negotiated), SdpError> {
        let (audio, remote_addr) = self.audio().ok_or(SdpError::NoAudio)?;
        let law = audio
            .formats
            .iter()
            .filter_map(|f| payload_law(audio, f))
            .find(|l| ours.contains(l))
            .ok_or_else(|| SdpError::NoCommonCodec(audio.formats.join(" ")))?;
        let te = audio
            .formats
            .iter()
            .filter_map(|f| f.parse::<u8>().ok())
            .find(|pt| is_telephone_event(audio, *pt));
        // Old-style hold (RFC 2543): address 0.0.0.0 means "do not send to me".
        let remote_direction = match remote_addr {
            Some(a) if a.is_unspecified() => audio.direction.without_receiving(),
            _ => audio.direction,
        };
        let mut answer = Sdp::offer(
            session_id,
            1,
            addr,
            port,
            &[law],
            remote_direction.answer_to(direction),
        );
        let m = &mut answer.media[0];
        match te {
            Some(pt) => {
                if let Some(f) = m.formats.last_mut() {
                    *f = pt.to_string();
                }
                if let Some(r) = m.rtpmap.last_mut() {
                    r.0 = pt;
                }
            }
            None => {
                m.formats.pop();
                m.rtpmap.pop();
            }
        }
        let refused = self
            .media
            .iter()
            .skip_while(|x| !std::ptr::eq(*x, audio))
            .skip(1);
        let before = self.media.iter().take_while(|x| !std::ptr::eq(*x, audio));
        let mut media: Vec<Media> = before.map(refuse).collect();
        media.push(answer.media.remove(0));
        media.extend(refused.map(refuse));
        answer.media = media;
        let remote = remote_addr
            .filter(|a| !a.is_unspecified())
            .map(|a| (a, audio.port));
        Ok((
            answer,
            Negotiated {
                law,
                telephone_event: te,
                remote,
                remote_direction,
            },
        ))
    }
}

impl Direction {
    /// The same direction with receiving switched off.
    fn without_receiving(self) -> Direction {
        Direction::from_flows(self.flows().0, false)
    }
}

fn refuse(m: &Media) -> Media {
    Media {
        port: 0,
        rtpmap: Vec::new(),
        connection: None,
        ptime: None,
        ..m.clone()
    }
}

fn payload_law(m: &Media, format: &str) -> Option<Law> {
    let pt: u8 = format.parse().ok()?;
    match m.rtpmap.iter().find(|r| r.0 == pt) {
        Some((_, name, 8000)) if name.eq_ignore_ascii_case("PCMU") => Some(Law::Ulaw),
        Some((_, name, 8000)) if name.eq_ignore_ascii_case("PCMA") => Some(Law::Alaw),
        Some(_) => None,
        None => Law::from_payload_type(pt),
    }
}

fn is_telephone_event(m: &Media, pt: u8) -> bool {
    m.rtpmap.iter().any(|(p, name, rate)| {
        *p == pt && name.eq_ignore_ascii_case("telephone-event") && *rate == 8000
    })
}

fn parse_origin(v: &str) -> Option<(u64, u64)> {
    let f: Vec<&str> = v.split_whitespace().collect();
    (f.len() == 6).then_some(())?;
    Some((f[1].parse().ok()?, f[2].parse().ok()?))
}

fn parse_connection(v: &str) -> Option<IpAddr> {
    let f: Vec<&str> = v.split_whitespace().collect();
    match f.as_slice() {
        ["IN", "IP4" | "IP6", addr] => addr.split('/').next()?.parse().ok(),
        _ => None,
    }
}

fn parse_media(v: &str) -> Option<Media> {
    let f: Vec<&str> = v.split_whitespace().collect();
    let [kind, port, proto, formats @ ..] = f.as_slice() else {
        return None;
    };
    let port: u16 = port.split('/').next()?.parse().ok()?;
    Some(Media {
        kind: kind.to_string(),
        port,
        proto: proto.to_string(),
        formats: formats.iter().map(|s| s.to_string()).collect(),
        rtpmap: Vec::new(),
        connection: None,
        direction: Direction::SendRecv,
        ptime: None,
    })
}

fn apply_attribute(m: &mut Media, a: &str) {
    match a {
        "sendrecv" => m.direction = Direction::SendRecv,
        "sendonly" => m.direction = Direction::SendOnly,
        "recvonly" => m.direction = Direction::RecvOnly,
        "inactive" => m.direction = Direction::Inactive,
        _ => {
            if let Some(v) = a.strip_prefix("rtpmap:") {
                if let Some(r) = parse_rtpmap(v) {
                    m.rtpmap.push(r);
                }
            } else if let Some(v) = a.strip_prefix("ptime:") {
                m.ptime = v.trim().parse().ok();
            }
        }
    }
}

fn parse_rtpmap(v: &str) -> Option<(u8, String, u32)> {
    let (pt, rest) = v.split_once(' ')?;
    let mut parts = rest.trim().split('/');
    let name = parts.next()?.to_string();
    let rate = parts.next()?.parse().ok()?;
    Some((pt.parse().ok()?, name, rate))
}

impl fmt::Display for Sdp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ip = |a: IpAddr| if a.is_ipv4() { "IP4" } else { "IP6" };
        let origin = self.connection.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        write!(
            f,
            "v=0\r\no=centrala {} {} IN {} {origin}\r\ns=centrala\r\n",
            self.session_id,
            self.version,
            ip(origin)
        )?;
        if let Some(c) = self.connection {
            write!(f, "c=IN {} {c}\r\n", ip(c))?;
        }
        f.write_str("t=0 0\r\n")?;
        for m in &self.media {
            write_media(f, m, ip)?;
        }
        Ok(())
    }
}

fn write_media(
    f: &mut fmt::Formatter<'_>,
    m: &Media,
    ip: impl Fn(IpAddr) -> &'static str,
) -> fmt::Result {
    write!(
        f,
        "m={} {} {} {}\r\n",
        m.kind,
        m.port,
        m.proto,
        m.formats.join(" ")
    )?;
    if let Some(c) = m.connection {
        write!(f, "c=IN {} {c}\r\n", ip(c))?;
    }
    if m.port == 0 {
        return Ok(());
    }
    for (pt, name, rate) in &m.rtpmap {
        write!(f, "a=rtpmap:{pt} {name}/{rate}\r\n")?;
        if name == "telephone-event" {
            write!(f, "a=fmtp:{pt} 0-16\r\n")?;
        }
    }
    if let Some(p) = m.ptime {
        write!(f, "a=ptime:{p}\r\n")?;
    }
    write!(f, "a={}\r\n", m.direction.attribute())
}

#[cfg(test)]
mod tests;
