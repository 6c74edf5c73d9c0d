//! Whole SIP messages for the transaction users: reading header values and the body of a
//! parsed message, writing responses to a request, and writing new requests.
//!
//! Reading goes through [`wire::Parsed`]: its bytes are normalised (full header names, one
//! Via/Route/Record-Route/Contact value per line, CRLF), so a header's values are simply its
//! lines. Writing produces text the wire layer parses back; the fuzz target checks that.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use rsip::headers::{self as h, UntypedHeader};
use rsip::{Header, SipMessage};

use super::address::split_params;
use super::transaction::Bytes;
use super::wire::{self, Parsed};

/// The `Server` and `User-Agent` header of everything Centrala sends.
pub const SERVER: &str = concat!("centrala/", env!("CARGO_PKG_VERSION"));

/// Every value of a header, in order (names compared without case).
pub fn header_values<'a>(p: &'a Parsed, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    head_text(p).split("\r\n").skip(1).filter_map(move |line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The first value of a header.
pub fn header<'a>(p: &'a Parsed, name: &'a str) -> Option<&'a str> {
    header_values(p, name).next()
}

/// The header section as text (the wire layer guarantees it is UTF-8).
fn head_text(p: &Parsed) -> &str {
    let end = find(&p.bytes, b"\r\n\r\n").unwrap_or(p.bytes.len());
    std::str::from_utf8(&p.bytes[..end]).unwrap_or_default()
}

/// A delta-seconds value (`Expires`, `Min-Expires`, an `expires` parameter); larger than
/// `u32` saturates. `None` when it is not all digits.
pub fn parse_seconds(value: &str) -> Option<u32> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        value
            .parse::<u64>()
            .map_or(u32::MAX, |n| u32::try_from(n).unwrap_or(u32::MAX)),
    )
}

/// The body (empty when there is none).
pub fn body(p: &Parsed) -> &[u8] {
    match find(&p.bytes, b"\r\n\r\n") {
        Some(at) => &p.bytes[at + 4..],
        None => &[],
    }
}

/// The body as text when it is `application/sdp` (or has no Content-Type) and UTF-8.
pub fn sdp_body(p: &Parsed) -> Option<&str> {
    let body = body(p);
    if body.is_empty() {
        return None;
    }
    let is_sdp = header(p, "Content-Type").is_none_or(|t| {
        t.split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/sdp"))
    });
    is_sdp.then(|| std::str::from_utf8(body).ok()).flatten()
}

/// The Request-URI of a request.
pub fn request_uri(p: &Parsed) -> Option<&str> {
    match &p.head.start {
        wire::StartLine::Request { uri, .. } => Some(uri),
        wire::StartLine::Response { .. } => None,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A response to send: status, reason, the headers beyond the ones copied from the request,
/// and an optional body.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub code: u16,
    /// The reason phrase.
    pub reason: Cow<'static, str>,
    /// Extra headers, in order.
    pub headers: Vec<Header>,
    /// Content type and body.
    pub body: Option<(&'static str, Vec<u8>)>,
}

impl Reply {
    /// A response without extra headers or body.
    pub fn new(code: u16, reason: impl Into<Cow<'static, str>>) -> Reply {
        Reply {
            code,
            reason: reason.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a header.
    pub fn with(mut self, header: Header) -> Reply {
        self.headers.push(header);
        self
    }

    /// Sets an `application/sdp` body.
    pub fn with_sdp(mut self, sdp: String) -> Reply {
        self.body = Some(("application/sdp", sdp.into_bytes()));
        self
    }
}

/// The response's bytes: Via(s) (the top one stamped with `received`/`rport` for `source`),
/// From, To (with `to_tag` when the request had none and the code is above 100), Call-ID,
/// CSeq, Record-Route (for 101–299), then `Server`, the reply's own headers, Content-Length
/// and the body.
pub fn render_response(p: &Parsed, source: SocketAddr, to_tag: &str, reply: Reply) -> Bytes {
    let head = &p.head;
    let mut headers = rsip::Headers::default();
    let mut first_via = true;
    let request_headers = match &p.message {
        SipMessage::Request(r) => r.headers.iter(),
        SipMessage::Response(r) => r.headers.iter(),
    };
    for header in request_headers {
        match header {
            Header::Via(via) => {
                let value = match (first_via, head.vias.first()) {
                    (true, Some(top)) => stamp_via(via.value(), top, source),
                    _ => via.value().to_owned(),
                };
                first_via = false;
                headers.push(h::Via::new(value).into());
            }
            Header::From(_) | Header::CallId(_) | Header::CSeq(_) => headers.push(header.clone()),
            Header::RecordRoute(_) if (101..300).contains(&reply.code) => {
                headers.push(header.clone())
            }
            Header::To(to) if head.to_tag.is_none() && reply.code > 100 => {
                headers.push(h::To::new(format!("{};tag={to_tag}", to.value())).into());
            }
            Header::To(_) => headers.push(header.clone()),
            _ => {}
        }
    }
    headers.push(h::Server::new(SERVER).into());
    for header in reply.headers {
        headers.push(header);
    }
    let body = match reply.body {
        Some((content_type, body)) => {
            headers.push(h::ContentType::new(content_type).into());
            body
        }
        None => Vec::new(),
    };
    headers.push(h::ContentLength::new(body.len().to_string()).into());
    let reason: String = reply
        .reason
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let response = rsip::Response {
        status_code: rsip::StatusCode::Other(reply.code, reason),
        version: rsip::Version::V2,
        headers,
        body,
    };
    Bytes::from(Vec::from(response))
}

/// The top Via with `received` and `rport` filled in (RFC 3261 §18.2.1, RFC 3581).
pub fn stamp_via(value: &str, top: &wire::Via, source: SocketAddr) -> String {
    let rport_asked = top.rport.is_some();
    let source_ip = source.ip().to_canonical();
    let sent_by_ip = sent_by_host(&top.sent_by)
        .parse::<IpAddr>()
        .ok()
        .map(|ip| ip.to_canonical());
    let add_received = rport_asked || sent_by_ip != Some(source_ip);
    if !add_received {
        return value.to_owned();
    }
    let mut parts = split_params(value);
    let mut out = parts.next().unwrap_or_default().trim_end().to_owned();
    for param in parts {
        let name = param.split('=').next().unwrap_or_default().trim();
        if name.eq_ignore_ascii_case("received") || name.eq_ignore_ascii_case("rport") {
            continue;
        }
        out.push(';');
        out.push_str(param.trim());
    }
    let _ = write!(out, ";received={source_ip}");
    if rport_asked {
        let _ = write!(out, ";rport={}", source.port());
    }
    out
}

/// The host of a sent-by (`host`, `host:port`, `[v6]`, `[v6]:port`), brackets removed.
pub fn sent_by_host(sent_by: &str) -> &str {
    if let Some(rest) = sent_by.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default();
    }
    match sent_by.rsplit_once(':') {
        Some((host, _)) => host,
        None => sent_by,
    }
}

/// A request being written: start line, headers in order, then the body.
#[derive(Debug, Clone)]
pub struct RequestWriter {
    text: String,
}

impl RequestWriter {
    /// Starts `METHOD uri SIP/2.0`.
    pub fn new(method: &str, uri: &str) -> RequestWriter {
        RequestWriter {
            text: format!("{method} {uri} SIP/2.0\r\n"),
        }
    }

    /// Adds a header line (control characters in the value become spaces).
    pub fn header(mut self, name: &str, value: &str) -> RequestWriter {
        self.text.push_str(name);
        self.text.push_str(": ");
        self.text
            .extend(value.chars().map(|c| if c.is_control() { ' ' } else { c }));
        self.text.push_str("\r\n");
        self
    }

    /// Ends the message with `Max-Forwards`, `User-Agent`, `Content-Length` and the body.
    pub fn finish(self, body: Option<(&str, &[u8])>) -> Bytes {
        let mut w = self
            .header("Max-Forwards", "70")
            .header("User-Agent", SERVER);
        let mut out = match body {
            Some((content_type, body)) => {
                w = w
                    .header("Content-Type", content_type)
                    .header("Content-Length", &body.len().to_string());
                let mut out = w.text.into_bytes();
                out.extend_from_slice(b"\r\n");
                out.extend_from_slice(body);
                return Bytes::from(out);
            }
            None => w.header("Content-Length", "0").text.into_bytes(),
        };
        out.extend_from_slice(b"\r\n");
        Bytes::from(out)
    }
}

/// The ACK for a non-2xx final `response` to `invite` (RFC 3261 §17.1.1.3): the INVITE's
/// Request-URI, top Via, From, Call-ID and Route headers, the response's To, and the CSeq
/// number with method ACK. `None` if either message cannot be read.
pub fn non_2xx_ack(invite: &[u8], response: &[u8]) -> Option<Bytes> {
    let invite = wire::parse(invite).ok()?;
    let response = wire::parse(response).ok()?;
    let uri = request_uri(&invite)?;
    let mut w = RequestWriter::new("ACK", uri).header("Via", header(&invite, "Via")?);
    for route in header_values(&invite, "Route") {
        w = w.header("Route", route);
    }
    let w = w
        .header("From", header(&invite, "From")?)
        .header("To", header(&response, "To")?)
        .header("Call-ID", &invite.head.call_id)
        .header("CSeq", &format!("{} ACK", invite.head.cseq));
    Some(w.finish(None))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = "INVITE sip:102@10.0.0.1 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKabc;rport\r\n\
        Route: <sip:proxy.example;lr>\r\n\
        From: \"Anna\" <sip:101@10.0.0.1>;tag=f1\r\n\
        To: <sip:102@10.0.0.1>\r\n\
        Call-ID: c1@x\r\n\
        CSeq: 7 INVITE\r\n\
        Contact: <sip:101@10.0.0.5:5062>\r\n\
        Record-Route: <sip:rr.example;lr>\r\n\
        Content-Type: application/sdp\r\n\
        Content-Length: 4\r\n\r\nv=0\n";

    fn parsed(text: &str) -> Parsed {
        wire::parse(text.as_bytes()).expect("parses")
    }

    #[test]
    fn headers_and_body_are_read_from_the_normalised_message() {
        let p = parsed(INVITE);
        assert_eq!(header(&p, "contact"), Some("<sip:101@10.0.0.5:5062>"));
        assert_eq!(header_values(&p, "Route").count(), 1);
        assert_eq!(body(&p), b"v=0\n");
        assert_eq!(sdp_body(&p), Some("v=0\n"));
        assert_eq!(request_uri(&p), Some("sip:102@10.0.0.1"));
    }

    #[test]
    fn a_2xx_with_a_body_copies_record_route_and_tags_to() {
        let p = parsed(INVITE);
        let source: SocketAddr = "192.0.2.9:4000".parse().expect("addr");
        let reply = Reply::new(200, "OK").with_sdp("v=0\r\n".into());
        let bytes = render_response(&p, source, "t1", reply);
        let back = wire::parse(&bytes).expect("our response parses");
        assert_eq!(back.head.to_tag.as_deref(), Some("t1"));
        assert_eq!(header(&back, "Record-Route"), Some("<sip:rr.example;lr>"));
        assert_eq!(body(&back), b"v=0\r\n");
        let via = header(&back, "Via").expect("via");
        assert!(
            via.contains("received=192.0.2.9") && via.contains("rport=4000"),
            "{via}"
        );
        let busy = render_response(&p, source, "t1", Reply::new(486, "Busy Here"));
        let back = wire::parse(&busy).expect("parses");
        assert_eq!(
            header(&back, "Record-Route"),
            None,
            "no Record-Route on errors"
        );
    }

    #[test]
    fn the_ack_for_a_failure_takes_the_invites_via_and_the_responses_to() {
        let p = parsed(INVITE);
        let response = render_response(
            &p,
            "10.0.0.5:5062".parse().expect("addr"),
            "t9",
            Reply::new(487, "Request Terminated"),
        );
        let ack = non_2xx_ack(INVITE.as_bytes(), &response).expect("ack");
        let ack = wire::parse(&ack).expect("ack parses");
        assert_eq!(request_uri(&ack), Some("sip:102@10.0.0.1"));
        assert_eq!(ack.head.to_tag.as_deref(), Some("t9"));
        assert_eq!(ack.head.cseq, 7);
        assert_eq!(ack.head.vias[0].branch.as_deref(), Some("z9hG4bKabc"));
        assert_eq!(header(&ack, "Route"), Some("<sip:proxy.example;lr>"));
    }
}
