//! The wire layer in front of rsip: framing, normalisation and the checks RFC 3261 asks for
//! before a message may reach a transaction. Sans-IO: bytes in, typed values out, no I/O.
//!
//! rsip gives us message types and serialisation, but it rejects header folding and a space
//! before the colon, treats compact names as unknown headers, ignores Content-Length, keeps only
//! the first value of a comma-joined Via and cannot represent unknown methods. So every message
//! goes through here first:
//!
//! 1. framing — [`frame_datagram`] (one UDP datagram is one message, RFC 3261 §18.3) or
//!    [`StreamFramer`] (TCP, Content-Length mandatory);
//! 2. [`parse`] — unfold, expand compact names, split comma-joined Via/Route/Record-Route/Contact
//!    values into one header line each, validate the start line and the single-valued headers,
//!    extract the [`Head`] a transaction needs, and only then let rsip parse the normalised bytes;
//! 3. on failure, [`WireError::status`] says how to answer and [`error_response`] builds the
//!    answer from the raw request (responses are never answered, only dropped).
//!
//! Decisions:
//! - Line ends: CRLF is the standard; a bare LF is accepted everywhere (lenient), and the
//!   normalised bytes always use CRLF. A bare CR inside a line is a control character → 400.
//! - `tel:` Request-URIs are answered 416 Unsupported URI Scheme: Centrala routes only `sip:` and
//!   `sips:` and rsip cannot represent `tel:` URIs. Any other scheme is 416 too.
//! - Methods are case-sensitive: `invite` is an unknown method (501), not INVITE.
//! - Unknown methods: [`parse`] returns [`WireError::NotImplemented`] carrying the [`Head`], so the
//!   caller can answer 501. PRACK and PUBLISH are known to rsip, so they parse; the caller checks
//!   [`Method::is_supported`].
//! - Content-Length appears at most once; too large a value (> [`MAX_MESSAGE`]) is 413, a whole
//!   message above [`MAX_MESSAGE`] is 513 Message Too Large.
//! - The header section must be UTF-8 (rsip requires it); the body may be any bytes.
//! - The To tag added by [`error_response`] is derived from the request (Call-ID, From, CSeq), so
//!   a retransmitted request gets the same tag without any state (RFC 3261 §8.2.6.2).

use std::borrow::Cow;
use std::collections::VecDeque;
use std::str::FromStr;

use super::method::{Method, NotAToken};

/// The largest message accepted on any transport, header section and body together (bytes).
pub const MAX_MESSAGE: usize = 65_535;

/// Longest excerpt of offending input kept in an error (characters), so logs stay short.
const EXCERPT: usize = 80;

/// Largest CSeq sequence number (RFC 3261 §8.1.1.5: less than 2^31).
const MAX_CSEQ: u32 = (1 << 31) - 1;

/// What is wrong with a message, and so how (and whether) to answer it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Only CR/LF bytes (or nothing): a keep-alive, to be ignored silently.
    #[error("keep-alive")]
    KeepAlive,
    /// No empty line ends the header section.
    #[error("no empty line ends the header section")]
    NoEndOfHeaders,
    /// The message (or a stream's unfinished message) is larger than [`MAX_MESSAGE`].
    #[error("message of {0} bytes exceeds the {MAX_MESSAGE}-byte limit")]
    MessageTooLarge(usize),
    /// Content-Length is not a non-negative decimal integer.
    #[error("Content-Length '{0}' is not a non-negative integer")]
    InvalidContentLength(String),
    /// Content-Length is larger than [`MAX_MESSAGE`].
    #[error("Content-Length {0} exceeds the {MAX_MESSAGE}-byte limit")]
    ContentLengthTooLarge(String),
    /// The datagram ends before the body announced by Content-Length.
    #[error("body shorter than Content-Length ({actual} < {declared} bytes)")]
    BodyShorterThanContentLength {
        /// The Content-Length value.
        declared: usize,
        /// The bytes actually present after the header section.
        actual: usize,
    },
    /// A stream message has no Content-Length (mandatory on TCP, RFC 3261 §18.3).
    #[error("Content-Length is missing (mandatory on stream transports)")]
    MissingContentLength,
    /// The stream failed earlier; it cannot be resynchronised and must be closed.
    #[error("the stream failed earlier and must be closed")]
    StreamFailed,
    /// The header section is not valid UTF-8.
    #[error("the header section is not UTF-8")]
    NotUtf8,
    /// A control character (bare CR, NUL, …) in the start line or a header.
    #[error("control character in the header section")]
    ControlCharacter,
    /// A header line is not `name: value` with a token name.
    #[error("malformed header line '{0}'")]
    MalformedHeader(String),
    /// The start line is neither a request line nor a status line.
    #[error("malformed start line '{0}'")]
    MalformedStartLine(String),
    /// The request method is not a token.
    #[error("invalid method: {0}")]
    InvalidMethod(#[from] NotAToken),
    /// A well-formed SIP version other than SIP/2.0.
    #[error("SIP version '{0}' is not supported")]
    VersionNotSupported(String),
    /// The Request-URI's scheme is not `sip` or `sips`.
    #[error("unsupported URI scheme in '{0}'")]
    UnsupportedUriScheme(String),
    /// A mandatory header is missing.
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    /// A single-valued header appears more than once.
    #[error("more than one {0} header")]
    DuplicateHeader(&'static str),
    /// A header's value does not follow its grammar.
    #[error("invalid {header} value '{value}'")]
    InvalidHeaderValue {
        /// The header's (full) name.
        header: &'static str,
        /// An excerpt of the value.
        value: String,
    },
    /// The CSeq method differs from the request method.
    #[error("CSeq method {cseq} does not match request method {request}")]
    CSeqMethodMismatch {
        /// The request line's method.
        request: Method,
        /// The CSeq header's method.
        cseq: Method,
    },
    /// A well-formed request with a method Centrala does not know: answer 501 using the head.
    #[error("method {} is not implemented", .head.cseq_method)]
    NotImplemented {
        /// Everything a 501 response needs.
        head: Box<Head>,
    },
    /// rsip refused the normalised message.
    #[error("rsip rejected the message: {0}")]
    Rsip(String),
    /// A malformed response: never answered, only dropped.
    #[error("malformed response: {0}")]
    MalformedResponse(Box<WireError>),
}

impl WireError {
    /// The status code and reason phrase to answer with, or `None` when the message must be
    /// dropped silently (keep-alives, a failed stream, malformed responses).
    pub fn status(&self) -> Option<(u16, &'static str)> {
        use WireError as E;
        match self {
            E::KeepAlive | E::StreamFailed | E::MalformedResponse(_) => None,
            E::MessageTooLarge(_) => Some((513, "Message Too Large")),
            E::ContentLengthTooLarge(_) => Some((413, "Request Entity Too Large")),
            E::UnsupportedUriScheme(_) => Some((416, "Unsupported URI Scheme")),
            E::NotImplemented { .. } => Some((501, "Not Implemented")),
            E::VersionNotSupported(_) => Some((505, "Version Not Supported")),
            E::NoEndOfHeaders
            | E::InvalidContentLength(_)
            | E::BodyShorterThanContentLength { .. }
            | E::MissingContentLength
            | E::NotUtf8
            | E::ControlCharacter
            | E::MalformedHeader(_)
            | E::MalformedStartLine(_)
            | E::InvalidMethod(_)
            | E::MissingHeader(_)
            | E::DuplicateHeader(_)
            | E::InvalidHeaderValue { .. }
            | E::CSeqMethodMismatch { .. }
            | E::Rsip(_) => Some((400, "Bad Request")),
        }
    }
}

/// The first line of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    /// `METHOD Request-URI SIP/2.0`.
    Request {
        /// The method (case-sensitive).
        method: Method,
        /// The Request-URI as written (scheme `sip` or `sips`).
        uri: String,
    },
    /// `SIP/2.0 code reason`.
    Response {
        /// The status code, 100..=699.
        code: u16,
        /// The reason phrase (may be empty).
        reason: String,
    },
}

/// One Via value (RFC 3261 §20.42), the parts a transaction and the transport need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// The transport, upper-cased (`UDP`, `TCP`, `TLS`, …).
    pub transport: String,
    /// `host[:port]`, whitespace removed.
    pub sent_by: String,
    /// The `branch` parameter.
    pub branch: Option<String>,
    /// The `received` parameter.
    pub received: Option<String>,
    /// The `rport` parameter: `Some(None)` when present without a value (RFC 3581).
    pub rport: Option<Option<u16>>,
}

/// The typed head of a message, extracted once: what a transaction layer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The request line or status line.
    pub start: StartLine,
    /// The Call-ID.
    pub call_id: String,
    /// The CSeq sequence number (≤ 2^31 − 1).
    pub cseq: u32,
    /// The CSeq method (equal to the request method for requests).
    pub cseq_method: Method,
    /// The `tag` parameter of From.
    pub from_tag: Option<String>,
    /// The `tag` parameter of To.
    pub to_tag: Option<String>,
    /// Every Via value, top first, comma-joined values split.
    pub vias: Vec<Via>,
    /// Max-Forwards, if present.
    pub max_forwards: Option<u8>,
    /// The length of the body kept (Content-Length, or the rest of the datagram without it).
    pub content_length: usize,
}

/// A validated message: its typed head, rsip's view and the normalised bytes rsip parsed.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The typed head.
    pub head: Head,
    /// rsip's message, parsed from `bytes`.
    pub message: rsip::SipMessage,
    /// The normalised message: CRLF line ends, unfolded, full header names, one value per
    /// Via/Route/Record-Route/Contact line, body cut to Content-Length.
    pub bytes: Vec<u8>,
}

/// Frames one UDP datagram: returns the message without leading CRLFs and without bytes after
/// the body (RFC 3261 §18.3). Without Content-Length the body is the rest of the datagram.
pub fn frame_datagram(bytes: &[u8]) -> Result<&[u8], WireError> {
    let message = skip_crlf(bytes);
    if message.is_empty() {
        return Err(WireError::KeepAlive);
    }
    for_responses(message, frame_one_datagram(message))
}

/// [`frame_datagram`] after the keep-alive check.
fn frame_one_datagram(message: &[u8]) -> Result<&[u8], WireError> {
    if message.len() > MAX_MESSAGE {
        return Err(WireError::MessageTooLarge(message.len()));
    }
    let (head_len, body_at) = header_end(message, 0).map_err(|_| WireError::NoEndOfHeaders)?;
    let text = lenient_text(&message[..head_len]);
    let end = match find_content_length(&text)? {
        None => message.len(),
        Some(declared) => body_end(body_at, declared, message.len())?,
    };
    Ok(&message[..end])
}

/// Where a body of `declared` bytes starting at `body_at` ends, if `available` bytes hold it.
fn body_end(body_at: usize, declared: usize, available: usize) -> Result<usize, WireError> {
    let end = body_at + declared;
    if end > available {
        let actual = available - body_at;
        return Err(WireError::BodyShorterThanContentLength { declared, actual });
    }
    Ok(end)
}

/// Splits a TCP byte stream into messages by Content-Length (RFC 3261 §18.3).
///
/// Feed it with [`push`](Self::push) and drain it with [`next_message`](Self::next_message).
/// CRLFs between messages (keep-alives) are skipped. After any error the stream cannot be
/// resynchronised: the connection must be closed.
#[derive(Debug, Default)]
pub struct StreamFramer {
    /// Bytes of the message being assembled (complete messages are moved to `ready`).
    buf: Vec<u8>,
    /// Where the search for the end of the header section resumes.
    scan: usize,
    /// The total length of the message at the front, once its header section is known.
    need: Option<usize>,
    /// Complete messages and the error that stopped the stream, in order.
    ready: VecDeque<Result<Vec<u8>, WireError>>,
    /// An error occurred; nothing more is accepted.
    failed: bool,
}

impl StreamFramer {
    /// An empty framer for a new connection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes. Refuses (and fails the stream) when an unfinished message would
    /// exceed [`MAX_MESSAGE`]; refuses everything after the stream failed.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        if self.failed {
            return Err(WireError::StreamFailed);
        }
        self.buf.extend_from_slice(bytes);
        self.frame_all();
        if self.buf.len() > MAX_MESSAGE {
            let error = response_error(&self.buf, WireError::MessageTooLarge(self.buf.len()));
            self.failed = true;
            self.buf = Vec::new();
            return Err(error);
        }
        Ok(())
    }

    /// The next complete message (or the error that stopped the stream), in arrival order.
    pub fn next_message(&mut self) -> Option<Result<Vec<u8>, WireError>> {
        self.ready.pop_front()
    }

    /// Moves every complete message at the front of the buffer to `ready`.
    fn frame_all(&mut self) {
        while !self.failed {
            match self.frame_one() {
                Ok(Some(message)) => self.ready.push_back(Ok(message)),
                Ok(None) => break,
                Err(error) => {
                    self.ready.push_back(Err(response_error(&self.buf, error)));
                    self.failed = true;
                    self.buf = Vec::new();
                }
            }
        }
    }

    /// Takes the message at the front if it is complete.
    fn frame_one(&mut self) -> Result<Option<Vec<u8>>, WireError> {
        let need = match self.need {
            Some(need) => need,
            None => match self.read_head()? {
                Some(need) => need,
                None => return Ok(None),
            },
        };
        if self.buf.len() < need {
            return Ok(None);
        }
        let rest = self.buf.split_off(need);
        self.need = None;
        self.scan = 0;
        Ok(Some(std::mem::replace(&mut self.buf, rest)))
    }

    /// Once the header section at the front is complete, the message's total length.
    fn read_head(&mut self) -> Result<Option<usize>, WireError> {
        if self.scan == 0 {
            let skip = self.buf.len() - skip_crlf(&self.buf).len();
            self.buf.drain(..skip);
        }
        let (head_len, body_at) = match header_end(&self.buf, self.scan) {
            Ok(found) => found,
            Err(resume) => {
                self.scan = resume;
                return Ok(None);
            }
        };
        let text = lenient_text(&self.buf[..head_len]);
        let declared = find_content_length(&text)?.ok_or(WireError::MissingContentLength)?;
        let total = body_at + declared;
        if total > MAX_MESSAGE {
            return Err(WireError::MessageTooLarge(total));
        }
        self.need = Some(total);
        Ok(Some(total))
    }
}

/// Parses one framed message: normalises it, validates the start line and the single-valued
/// headers, extracts the [`Head`], then lets rsip parse the normalised bytes.
///
/// A request with an unknown method gives [`WireError::NotImplemented`] with its head.
pub fn parse(message: &[u8]) -> Result<Parsed, WireError> {
    let message = skip_crlf(message);
    if message.is_empty() {
        return Err(WireError::KeepAlive);
    }
    for_responses(message, parse_message(message))
}

/// [`parse`] after the keep-alive check.
fn parse_message(message: &[u8]) -> Result<Parsed, WireError> {
    if message.len() > MAX_MESSAGE {
        return Err(WireError::MessageTooLarge(message.len()));
    }
    let (head_len, body_at) = header_end(message, 0).map_err(|_| WireError::NoEndOfHeaders)?;
    let text = std::str::from_utf8(&message[..head_len]).map_err(|_| WireError::NotUtf8)?;
    let (start_line, header_lines) = split_start(text);
    let start = parse_start_line(start_line)?;
    let fields = Unfold::new(header_lines)
        .map(Field::from_line)
        .collect::<Result<Vec<_>, _>>()?;
    let body = body_of(&fields, &message[body_at..])?;
    let head = extract_head(start, &fields, body.len())?;
    let bytes = render(&head.start, &fields, body);
    if matches!(
        head.start,
        StartLine::Request {
            method: Method::Other(_),
            ..
        }
    ) {
        return Err(WireError::NotImplemented {
            head: Box::new(head),
        });
    }
    let message = rsip::SipMessage::try_from(bytes.as_slice())
        .map_err(|e| WireError::Rsip(excerpt(&e.to_string())))?;
    Ok(Parsed {
        head,
        message,
        bytes,
    })
}

/// Builds a minimal response to a (possibly malformed) request: its Via(s), From, To (with a
/// tag added when it has none), Call-ID and CSeq, and `Content-Length: 0`.
///
/// `None` when the message is a response or an ACK (never answered), when the code is not
/// 100..=699, or when one of those headers cannot be found (RFC 3261 §8.2.6: no answer
/// without them — drop the request).
pub fn error_response(request_bytes: &[u8], code: u16, reason: &str) -> Option<Vec<u8>> {
    if !(100..=699).contains(&code) {
        return None;
    }
    let bytes = skip_crlf(request_bytes);
    let bytes = &bytes[..bytes.len().min(MAX_MESSAGE)];
    let head_len = header_end(bytes, 0).map_or(bytes.len(), |(head_len, _)| head_len);
    let text = lenient_text(&bytes[..head_len]);
    let (start_line, header_lines) = split_start(&text);
    let method = start_line.split(' ').next().unwrap_or_default();
    if is_response_line(start_line.as_bytes()) || method == "ACK" {
        return None;
    }
    Echo::collect(header_lines).render(code, reason)
}

/// The request headers echoed in an error response.
#[derive(Debug, Default)]
struct Echo {
    vias: Vec<String>,
    from: Option<String>,
    to: Option<String>,
    call_id: Option<String>,
    cseq: Option<String>,
}

impl Echo {
    /// Picks the echoed headers out of a raw header section (lenient: bad lines are skipped).
    fn collect(header_lines: &str) -> Self {
        let mut echo = Echo::default();
        for line in Unfold::new(header_lines) {
            let Some((name, value)) = split_field(&line) else {
                continue;
            };
            if has_control(value) {
                continue;
            }
            let name = expand_compact(name).unwrap_or(name);
            let slot = match name.to_ascii_lowercase().as_str() {
                "via" => {
                    echo.vias.push(value.to_owned());
                    continue;
                }
                "from" => &mut echo.from,
                "to" => &mut echo.to,
                "call-id" => &mut echo.call_id,
                "cseq" => &mut echo.cseq,
                _ => continue,
            };
            slot.get_or_insert_with(|| value.to_owned());
        }
        echo
    }

    /// The response, if every echoed header was found and the request is not an ACK.
    fn render(self, code: u16, reason: &str) -> Option<Vec<u8>> {
        let (from, to, call_id, cseq) = (self.from?, self.to?, self.call_id?, self.cseq?);
        let cseq_method = cseq.split_ascii_whitespace().nth(1);
        if self.vias.is_empty() || cseq_method == Some("ACK") {
            return None;
        }
        let reason: String = reason
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let to = match tag_param(&to) {
            Ok(Some(_)) => to,
            _ if code == 100 => to,
            _ => format!("{to};tag={}", derived_tag(&[&call_id, &from, &cseq])),
        };
        let mut out = format!("SIP/2.0 {code} {reason}\r\n");
        for via in &self.vias {
            push_header(&mut out, "Via", via);
        }
        push_header(&mut out, "From", &from);
        push_header(&mut out, "To", &to);
        push_header(&mut out, "Call-ID", &call_id);
        push_header(&mut out, "CSeq", &cseq);
        out.push_str("Content-Length: 0\r\n\r\n");
        Some(out.into_bytes())
    }
}

/// A stable tag derived from the request (FNV-1a, 64 bits, hex).
fn derived_tag(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts.iter().flat_map(|part| part.bytes().chain([0])) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

// ---------------------------------------------------------------------------------------------
// Framing helpers

/// The bytes as text, invalid UTF-8 replaced (the fast check first: lossy decoding is slow).
fn lenient_text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Skips the CR and LF bytes that may precede a start line (RFC 3261 §7.5, keep-alives).
fn skip_crlf(bytes: &[u8]) -> &[u8] {
    let n = bytes
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .count();
    &bytes[n..]
}

/// Finds the empty line that ends a header section: the first LF followed by LF or CRLF.
/// The message must not start with an empty line (see [`skip_crlf`]).
///
/// `Ok((header length including the last line's LF, body offset))`, or `Err(offset)` from which
/// to resume the search once more bytes arrived.
fn header_end(bytes: &[u8], from: usize) -> Result<(usize, usize), usize> {
    let mut at = from;
    while let Some(offset) = bytes
        .get(at..)
        .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
    {
        let lf = at + offset;
        match bytes.get(lf + 1..) {
            Some([b'\n', ..]) => return Ok((lf + 1, lf + 2)),
            Some([b'\r', b'\n', ..]) => return Ok((lf + 1, lf + 3)),
            Some([] | [b'\r']) | None => return Err(lf),
            Some(_) => at = lf + 1,
        }
    }
    Err(bytes.len().max(from))
}

/// The Content-Length of a raw header section (start line included), lenient about other
/// header lines. At most one Content-Length is allowed.
fn find_content_length(text: &str) -> Result<Option<usize>, WireError> {
    let (_, header_lines) = split_start(text);
    let mut found = None;
    for line in Unfold::new(header_lines) {
        let Some((name, value)) = split_field(&line) else {
            continue;
        };
        if expand_compact(name)
            .unwrap_or(name)
            .eq_ignore_ascii_case("Content-Length")
            && found.replace(content_length_value(value)?).is_some()
        {
            return Err(WireError::DuplicateHeader("Content-Length"));
        }
    }
    Ok(found)
}

/// Parses a Content-Length value: decimal digits, at most [`MAX_MESSAGE`].
fn content_length_value(value: &str) -> Result<usize, WireError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(WireError::InvalidContentLength(excerpt(value)));
    }
    match value.parse::<usize>() {
        Ok(n) if n <= MAX_MESSAGE => Ok(n),
        _ => Err(WireError::ContentLengthTooLarge(excerpt(value))),
    }
}

/// Wraps an error about a response so it is never answered.
fn for_responses<T>(message: &[u8], result: Result<T, WireError>) -> Result<T, WireError> {
    result.map_err(|error| response_error(message, error))
}

/// The error itself, or wrapped in [`WireError::MalformedResponse`] when `message` is a response.
fn response_error(message: &[u8], error: WireError) -> WireError {
    match error {
        WireError::KeepAlive | WireError::MalformedResponse(_) => error,
        _ if is_response_line(skip_crlf(message)) => WireError::MalformedResponse(Box::new(error)),
        _ => error,
    }
}

/// True when the line starts like a status line (`SIP/`).
fn is_response_line(line: &[u8]) -> bool {
    line.get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case(b"SIP/"))
}

// ---------------------------------------------------------------------------------------------
// Header lines

/// Header lines with continuation lines folded in (RFC 3261 §7.3.1): a line starting with SP or
/// HTAB continues the previous one, joined with a single space. Accepts CRLF and bare LF.
struct Unfold<'a> {
    rest: &'a str,
}

impl<'a> Unfold<'a> {
    /// Iterates the header lines in `text` (the start line already removed).
    fn new(text: &'a str) -> Self {
        Self { rest: text }
    }

    /// The next physical line, without its line end.
    fn take_line(&mut self) -> &'a str {
        let (line, rest) = split_start(self.rest);
        self.rest = rest;
        line
    }
}

impl<'a> Iterator for Unfold<'a> {
    type Item = Cow<'a, str>;

    fn next(&mut self) -> Option<Cow<'a, str>> {
        if self.rest.is_empty() {
            return None;
        }
        let mut line = Cow::Borrowed(self.take_line());
        while self.rest.starts_with([' ', '\t']) {
            let more = self.take_line().trim_matches([' ', '\t']);
            let joined = line.to_mut();
            joined.truncate(joined.trim_end_matches([' ', '\t']).len());
            joined.push(' ');
            joined.push_str(more);
        }
        Some(line)
    }
}

/// Splits off the first line (CRLF or LF) from the rest.
fn split_start(text: &str) -> (&str, &str) {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    (first.strip_suffix('\r').unwrap_or(first), rest)
}

/// Splits `name : value` into a token name and a trimmed value.
fn split_field(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once(':')?;
    let name = name.trim_end_matches([' ', '\t']);
    let valid = !name.is_empty() && name.bytes().all(is_token_byte);
    valid.then(|| (name, value.trim_matches([' ', '\t'])))
}

/// RFC 3261 `token` characters.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// True when the text holds a control character other than HTAB (a bare CR included).
fn has_control(text: &str) -> bool {
    text.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f)
}

/// The full name of a compact header name (RFC 3261 §7.3.3, RFC 3515, 3892, 3265, 4028).
fn expand_compact(name: &str) -> Option<&'static str> {
    let [letter] = name.as_bytes() else {
        return None;
    };
    Some(match letter.to_ascii_lowercase() {
        b'i' => "Call-ID",
        b'm' => "Contact",
        b'e' => "Content-Encoding",
        b'l' => "Content-Length",
        b'c' => "Content-Type",
        b'f' => "From",
        b's' => "Subject",
        b'k' => "Supported",
        b't' => "To",
        b'v' => "Via",
        b'o' => "Event",
        b'r' => "Refer-To",
        b'b' => "Referred-By",
        b'u' => "Allow-Events",
        b'x' => "Session-Expires",
        _ => return None,
    })
}

/// Headers whose comma-joined values are written as one line each.
fn is_list_header(name: &str) -> bool {
    ["Via", "Route", "Record-Route", "Contact"]
        .iter()
        .any(|list| name.eq_ignore_ascii_case(list))
}

/// One unfolded header: full name, trimmed value.
#[derive(Debug)]
struct Field<'a> {
    name: Cow<'a, str>,
    value: Cow<'a, str>,
}

impl<'a> Field<'a> {
    /// Validates and splits one unfolded line, expanding a compact name.
    fn from_line(line: Cow<'a, str>) -> Result<Self, WireError> {
        match line {
            Cow::Borrowed(line) => {
                let (name, value) = field_parts(line)?;
                let name = expand_compact(name).unwrap_or(name);
                Ok(Field {
                    name: name.into(),
                    value: value.into(),
                })
            }
            Cow::Owned(line) => {
                let (name, value) = field_parts(&line)?;
                let name = expand_compact(name).unwrap_or(name);
                Ok(Field {
                    name: name.to_owned().into(),
                    value: value.to_owned().into(),
                })
            }
        }
    }
}

/// [`split_field`] with the checks [`parse`] makes: no control characters, a token name.
fn field_parts(line: &str) -> Result<(&str, &str), WireError> {
    if has_control(line) {
        return Err(WireError::ControlCharacter);
    }
    split_field(line).ok_or_else(|| WireError::MalformedHeader(excerpt(line)))
}

/// The value of the single header `name`, if present; an error if it appears twice.
fn single<'f>(fields: &'f [Field<'_>], name: &'static str) -> Result<Option<&'f str>, WireError> {
    let mut matching = fields.iter().filter(|f| f.name.eq_ignore_ascii_case(name));
    let first = matching.next();
    if matching.next().is_some() {
        return Err(WireError::DuplicateHeader(name));
    }
    Ok(first.map(|f| f.value.as_ref()))
}

/// The value of the mandatory single header `name`.
fn required<'f>(fields: &'f [Field<'_>], name: &'static str) -> Result<&'f str, WireError> {
    single(fields, name)?.ok_or(WireError::MissingHeader(name))
}

/// The body cut to Content-Length (the whole rest without one).
fn body_of<'b>(fields: &[Field<'_>], rest: &'b [u8]) -> Result<&'b [u8], WireError> {
    let Some(value) = single(fields, "Content-Length")? else {
        return Ok(rest);
    };
    let declared = content_length_value(value)?;
    Ok(&rest[..body_end(0, declared, rest.len())?])
}

/// The normalised message: CRLF, full names, one value per list-header line, the body.
fn render(start: &StartLine, fields: &[Field<'_>], body: &[u8]) -> Vec<u8> {
    let size: usize = fields
        .iter()
        .map(|f| f.name.len() + f.value.len() + 4)
        .sum();
    let mut out = String::with_capacity(size + 128 + body.len());
    match start {
        StartLine::Request { method, uri } => {
            for part in [method.as_str(), " ", uri, " SIP/2.0\r\n"] {
                out.push_str(part);
            }
        }
        StartLine::Response { code, reason } => {
            out.push_str(&format!("SIP/2.0 {code} {reason}\r\n"))
        }
    }
    for field in fields {
        let before = out.len();
        if is_list_header(&field.name) && find_outside(&field.value, b',').is_some() {
            for part in SplitOutside::new(&field.value, b',') {
                push_header(&mut out, &field.name, part);
            }
        }
        if out.len() == before {
            push_header(&mut out, &field.name, &field.value);
        }
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Appends `name: value` and CRLF.
fn push_header(out: &mut String, name: &str, value: &str) {
    for part in [name, ": ", value, "\r\n"] {
        out.push_str(part);
    }
}

// ---------------------------------------------------------------------------------------------
// Start line

/// Parses and validates a request line or a status line.
fn parse_start_line(line: &str) -> Result<StartLine, WireError> {
    if has_control(line) {
        return Err(WireError::ControlCharacter);
    }
    if is_response_line(line.as_bytes()) {
        parse_status_line(line)
    } else {
        parse_request_line(line)
    }
}

/// `METHOD SP Request-URI SP SIP/2.0` (runs of spaces tolerated).
fn parse_request_line(line: &str) -> Result<StartLine, WireError> {
    let mut parts = line.split_ascii_whitespace();
    let (Some(method), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(WireError::MalformedStartLine(excerpt(line)));
    };
    let method = Method::from_str(method)?;
    check_version(version, line)?;
    check_uri_scheme(uri)?;
    Ok(StartLine::Request {
        method,
        uri: uri.to_owned(),
    })
}

/// `SIP/2.0 SP 3DIGIT SP Reason-Phrase`, code 100..=699, reason possibly empty.
fn parse_status_line(line: &str) -> Result<StartLine, WireError> {
    let malformed = || WireError::MalformedStartLine(excerpt(line));
    let (version, rest) = line.split_once(' ').ok_or_else(malformed)?;
    check_version(version, line)?;
    let rest = rest.trim_start_matches(' ');
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    let three_digits = code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit());
    let code = code
        .parse::<u16>()
        .ok()
        .filter(|c| three_digits && (100..=699).contains(c));
    let code = code.ok_or_else(malformed)?;
    Ok(StartLine::Response {
        code,
        reason: reason.trim().to_owned(),
    })
}

/// `SIP/2.0` (case-insensitive) passes; another `SIP/x.y` is 505; anything else is malformed.
fn check_version(version: &str, line: &str) -> Result<(), WireError> {
    if version.eq_ignore_ascii_case("SIP/2.0") {
        return Ok(());
    }
    let number = version
        .get(4..)
        .filter(|_| is_response_line(version.as_bytes()));
    let well_formed = number
        .and_then(|n| n.split_once('.'))
        .is_some_and(|(major, minor)| is_digits(major) && is_digits(minor));
    if well_formed {
        Err(WireError::VersionNotSupported(excerpt(version)))
    } else {
        Err(WireError::MalformedStartLine(excerpt(line)))
    }
}

/// Only `sip:` and `sips:` Request-URIs are routed (`tel:` and the rest: 416).
fn check_uri_scheme(uri: &str) -> Result<(), WireError> {
    let scheme = uri.split_once(':').map(|(scheme, _)| scheme).filter(|s| {
        s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    });
    match scheme {
        None => Err(WireError::MalformedStartLine(excerpt(uri))),
        Some(s) if s.eq_ignore_ascii_case("sip") || s.eq_ignore_ascii_case("sips") => Ok(()),
        Some(_) => Err(WireError::UnsupportedUriScheme(excerpt(uri))),
    }
}

/// True for a non-empty run of ASCII digits.
fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

// ---------------------------------------------------------------------------------------------
// The head

/// Checks the single-valued headers and extracts the typed head.
fn extract_head(
    start: StartLine,
    fields: &[Field<'_>],
    content_length: usize,
) -> Result<Head, WireError> {
    let call_id = parse_call_id(required(fields, "Call-ID")?)?;
    let (cseq, cseq_method) = parse_cseq(required(fields, "CSeq")?)?;
    if let StartLine::Request { method, .. } = &start {
        if *method != cseq_method {
            let (request, cseq) = (method.clone(), cseq_method);
            return Err(WireError::CSeqMethodMismatch { request, cseq });
        }
    }
    let from_tag = tag_of("From", required(fields, "From")?)?;
    let to_tag = tag_of("To", required(fields, "To")?)?;
    let max_forwards = single(fields, "Max-Forwards")?
        .map(parse_max_forwards)
        .transpose()?;
    let vias = parse_vias(fields)?;
    Ok(Head {
        start,
        call_id,
        cseq,
        cseq_method,
        from_tag,
        to_tag,
        vias,
        max_forwards,
        content_length,
    })
}

/// The error for a value that does not follow its header's grammar.
fn invalid(header: &'static str, value: &str) -> WireError {
    WireError::InvalidHeaderValue {
        header,
        value: excerpt(value),
    }
}

/// Call-ID: non-empty, no whitespace.
fn parse_call_id(value: &str) -> Result<String, WireError> {
    if value.is_empty() || value.contains([' ', '\t']) {
        return Err(invalid("Call-ID", value));
    }
    Ok(value.to_owned())
}

/// CSeq: `number method`, number ≤ 2^31 − 1, method a token.
fn parse_cseq(value: &str) -> Result<(u32, Method), WireError> {
    let mut parts = value.split_ascii_whitespace();
    let (Some(number), Some(method), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid("CSeq", value));
    };
    let number = Some(number)
        .filter(|n| is_digits(n))
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|&n| n <= MAX_CSEQ);
    match (number, Method::from_str(method)) {
        (Some(number), Ok(method)) => Ok((number, method)),
        _ => Err(invalid("CSeq", value)),
    }
}

/// Max-Forwards: an integer 0..=255.
fn parse_max_forwards(value: &str) -> Result<u8, WireError> {
    Some(value)
        .filter(|v| is_digits(v))
        .and_then(|v| v.parse::<u8>().ok())
        .ok_or_else(|| invalid("Max-Forwards", value))
}

/// The `tag` of a From or To value, or an error naming the header.
fn tag_of(header: &'static str, value: &str) -> Result<Option<String>, WireError> {
    match tag_param(value) {
        Ok(tag) => Ok(tag.map(str::to_owned)),
        Err(()) => Err(invalid(header, value)),
    }
}

/// The `tag` parameter of a `name-addr` or `addr-spec` with header parameters (RFC 3261
/// §20.20). Quoted display names may contain `;`, `<` and `,`. `Err` when malformed.
fn tag_param(value: &str) -> Result<Option<&str>, ()> {
    let params = addr_params(value).ok_or(())?;
    for param in SplitOutside::new(params, b';') {
        let (name, tag) = param.split_once('=').unwrap_or((param, ""));
        if name.trim_end().eq_ignore_ascii_case("tag") {
            let tag = tag.trim_start();
            let valid = !tag.is_empty() && tag.bytes().all(is_token_byte);
            return if valid { Ok(Some(tag)) } else { Err(()) };
        }
    }
    Ok(None)
}

/// The header parameters after the address (`;…`, or empty), `None` when quotes or angle
/// brackets are not closed.
fn addr_params(value: &str) -> Option<&str> {
    let mut quote = Quote::default();
    for (i, b) in value.bytes().enumerate() {
        if quote.step(b) {
            continue;
        }
        match b {
            b'<' => {
                let close = value[i..].find('>')?;
                return Some(&value[i + close + 1..]);
            }
            b';' => return Some(&value[i..]),
            _ => {}
        }
    }
    (!quote.open).then_some("")
}

/// Every Via value, comma-joined ones split; at least one.
fn parse_vias(fields: &[Field<'_>]) -> Result<Vec<Via>, WireError> {
    let vias = fields
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("Via"))
        .flat_map(|f| SplitOutside::new(&f.value, b','))
        .map(parse_via)
        .collect::<Result<Vec<_>, _>>()?;
    if vias.is_empty() {
        return Err(WireError::MissingHeader("Via"));
    }
    Ok(vias)
}

/// One Via value: `SIP / 2.0 / transport sent-by *(; param)`.
fn parse_via(value: &str) -> Result<Via, WireError> {
    let (front, params) = match find_outside(value, b';') {
        Some(i) => (&value[..i], &value[i + 1..]),
        None => (value, ""),
    };
    let (transport, sent_by) = sent_protocol(front).ok_or_else(|| invalid("Via", value))?;
    let mut via = Via {
        transport,
        sent_by,
        branch: None,
        received: None,
        rport: None,
    };
    for param in SplitOutside::new(params, b';') {
        via_param(&mut via, param).ok_or_else(|| invalid("Via", value))?;
    }
    Ok(via)
}

/// `SIP / 2.0 / transport sent-by` → (upper-cased transport, sent-by without whitespace).
fn sent_protocol(front: &str) -> Option<(String, String)> {
    let mut parts = front.splitn(3, '/');
    let (name, version, rest) = (parts.next()?, parts.next()?, parts.next()?);
    if !name.trim().eq_ignore_ascii_case("SIP") || version.trim() != "2.0" {
        return None;
    }
    let (transport, sent_by) = rest.trim_start().split_once([' ', '\t'])?;
    let sent_by: String = sent_by.split_ascii_whitespace().collect();
    let host_byte = |b: u8| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b);
    let valid = transport.bytes().all(is_token_byte)
        && !sent_by.is_empty()
        && sent_by.bytes().all(host_byte);
    valid.then(|| (transport.to_ascii_uppercase(), sent_by))
}

/// Applies one Via parameter; `None` when a known parameter has a bad value.
fn via_param(via: &mut Via, param: &str) -> Option<()> {
    let (name, value) = match param.split_once('=') {
        Some((name, value)) => (name.trim(), Some(value.trim()).filter(|v| !v.is_empty())),
        None => (param, None),
    };
    if name.eq_ignore_ascii_case("branch") {
        via.branch.get_or_insert(value?.to_owned());
    } else if name.eq_ignore_ascii_case("received") {
        via.received.get_or_insert(value?.to_owned());
    } else if name.eq_ignore_ascii_case("rport") {
        let port = match value {
            None if !param.contains('=') => None,
            _ => Some(value.filter(|v| is_digits(v))?.parse::<u16>().ok()?),
        };
        via.rport.get_or_insert(port);
    }
    Some(())
}

// ---------------------------------------------------------------------------------------------
// Splitting outside quoted strings and <…>

/// Tracks whether a byte scan is inside a quoted string (with backslash escapes).
#[derive(Debug, Default)]
struct Quote {
    open: bool,
    escaped: bool,
}

impl Quote {
    /// Feeds one byte; true when the byte belongs to a quoted string (quotes included).
    fn step(&mut self, b: u8) -> bool {
        if self.open {
            match b {
                _ if self.escaped => self.escaped = false,
                b'\\' => self.escaped = true,
                b'"' => self.open = false,
                _ => {}
            }
            true
        } else if b == b'"' {
            self.open = true;
            true
        } else {
            false
        }
    }
}

/// The first `sep` outside quoted strings and `<…>`.
fn find_outside(s: &str, sep: u8) -> Option<usize> {
    let mut quote = Quote::default();
    let mut angle = false;
    for (i, b) in s.bytes().enumerate() {
        if angle {
            angle = b != b'>';
        } else if !quote.step(b) {
            if b == sep {
                return Some(i);
            }
            angle = b == b'<';
        }
    }
    None
}

/// The trimmed, non-empty pieces between separators found outside quotes and `<…>`.
struct SplitOutside<'a> {
    rest: Option<&'a str>,
    sep: u8,
}

impl<'a> SplitOutside<'a> {
    /// Splits `s` at `sep` (an ASCII byte).
    fn new(s: &'a str, sep: u8) -> Self {
        Self { rest: Some(s), sep }
    }
}

impl<'a> Iterator for SplitOutside<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            let rest = self.rest.take()?;
            let piece = match find_outside(rest, self.sep) {
                Some(i) => {
                    self.rest = Some(&rest[i + 1..]);
                    &rest[..i]
                }
                None => rest,
            };
            let piece = piece.trim_matches([' ', '\t']);
            if !piece.is_empty() {
                return Some(piece);
            }
        }
    }
}

/// At most [`EXCERPT`] characters of `s`, for error messages.
fn excerpt(s: &str) -> String {
    match s.char_indices().nth(EXCERPT) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rsip::prelude::*;

    const SDP: &str = "v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\n\
        c=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n";

    /// An INVITE's start line and headers, without Content-Length and the empty line.
    const INVITE_HEAD: &str = "INVITE sip:bob@example.com SIP/2.0\r\n\
        Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r\n\
        Max-Forwards: 70\r\n\
        To: Bob <sip:bob@example.com>\r\n\
        From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n\
        Call-ID: a84b4c76e66710@pc33.example.com\r\n\
        CSeq: 314159 INVITE\r\n\
        Contact: <sip:alice@192.0.2.10>\r\n\
        Content-Type: application/sdp\r\n";

    /// `head` plus a Content-Length matching `body`, the empty line and `body`.
    fn with_body(head: &str, body: &str) -> Vec<u8> {
        format!("{head}Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    }

    fn invite() -> Vec<u8> {
        with_body(INVITE_HEAD, SDP)
    }

    /// The INVITE with one text replacement in its head.
    fn edited(from: &str, to: &str) -> Vec<u8> {
        assert!(INVITE_HEAD.contains(from), "{from}");
        with_body(&INVITE_HEAD.replacen(from, to, 1), SDP)
    }

    fn code(result: Result<Parsed, WireError>) -> Option<u16> {
        result.err().and_then(|e| e.status()).map(|(code, _)| code)
    }

    const OK_200: &str = "SIP/2.0 200 OK\r\n\
        Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;received=198.51.100.7;rport=6000\r\n\
        To: Bob <sip:bob@example.com>;tag=a6c85cf\r\n\
        From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n\
        Call-ID: a84b4c76e66710@pc33.example.com\r\n\
        CSeq: 314159 INVITE\r\n\
        Content-Length: 0\r\n\r\n";

    #[test]
    fn parses_a_normal_invite_with_sdp() {
        let parsed = parse(&invite()).expect("valid INVITE");
        let head = &parsed.head;
        let uri = "sip:bob@example.com".to_owned();
        assert_eq!(
            head.start,
            StartLine::Request {
                method: Method::Invite,
                uri
            }
        );
        assert_eq!(head.call_id, "a84b4c76e66710@pc33.example.com");
        assert_eq!((head.cseq, &head.cseq_method), (314159, &Method::Invite));
        assert_eq!(head.from_tag.as_deref(), Some("1928301774"));
        assert_eq!(head.to_tag, None);
        assert_eq!(head.max_forwards, Some(70));
        assert_eq!(head.content_length, SDP.len());
        let via = Via {
            transport: "UDP".into(),
            sent_by: "192.0.2.10:5060".into(),
            branch: Some("z9hG4bK776asdhds".into()),
            received: None,
            rport: Some(None),
        };
        assert_eq!(head.vias, vec![via]);
        let rsip::SipMessage::Request(request) = &parsed.message else {
            panic!("not a request")
        };
        assert_eq!(request.method, rsip::Method::Invite);
        assert_eq!(request.body, SDP.as_bytes());
        assert_eq!(
            parsed.bytes,
            invite(),
            "an already normal message is unchanged"
        );
    }

    /// The framed length, or the status code of the error (`None`: drop silently).
    type Framed = Result<usize, Option<u16>>;

    #[test]
    fn frames_datagrams() {
        let invite = invite();
        let mut extra = invite.clone();
        extra.extend_from_slice(b"garbage after the body");
        let mut leading = b"\r\n\r\n".to_vec();
        leading.extend_from_slice(&invite);
        let no_length = format!("{INVITE_HEAD}\r\n{SDP}").into_bytes();
        let lf_head = INVITE_HEAD.replace("\r\n", "\n");
        let lf_only = format!("{lf_head}Content-Length: {}\n\n{SDP}", SDP.len()).into_bytes();
        let head =
            |cl: &str| format!("{INVITE_HEAD}Content-Length: {cl}\r\n\r\n{SDP}").into_bytes();
        let compact = format!("{INVITE_HEAD}l: 4\r\n\r\nabcdEXTRA").into_bytes();
        let twice = format!("{INVITE_HEAD}Content-Length: 0\r\nl: 0\r\n\r\n").into_bytes();
        let response = b"SIP/2.0 200 OK\r\nContent-Length: 99\r\n\r\nshort".to_vec();
        let big = vec![b'A'; MAX_MESSAGE + 1];
        let table: Vec<(&str, Vec<u8>, Framed)> = vec![
            ("exact", invite.clone(), Ok(invite.len())),
            ("extra bytes discarded", extra, Ok(invite.len())),
            ("leading CRLF skipped", leading, Ok(invite.len())),
            (
                "missing Content-Length: rest",
                no_length.clone(),
                Ok(no_length.len()),
            ),
            ("bare LF", lf_only.clone(), Ok(lf_only.len())),
            ("compact l:", compact.clone(), Ok(compact.len() - 5)),
            (
                "longer than body",
                head(&(SDP.len() + 1).to_string()),
                Err(Some(400)),
            ),
            ("negative", head("-1"), Err(Some(400))),
            ("non-numeric", head("abc"), Err(Some(400))),
            ("empty", head(""), Err(Some(400))),
            ("huge", head("99999999999999999999999"), Err(Some(413))),
            ("above MAX_MESSAGE", head("70000"), Err(Some(413))),
            ("two Content-Length", twice, Err(Some(400))),
            (
                "no empty line",
                INVITE_HEAD.as_bytes().to_vec(),
                Err(Some(400)),
            ),
            ("datagram too large", big, Err(Some(513))),
            ("malformed response dropped", response, Err(None)),
        ];
        for (label, datagram, expected) in table {
            let got = frame_datagram(&datagram)
                .map(<[u8]>::len)
                .map_err(|e| e.status().map(|s| s.0));
            assert_eq!(got, expected, "{label}");
        }
        let shorter = frame_datagram(&head("500")).unwrap_err();
        assert!(
            shorter
                .to_string()
                .starts_with("body shorter than Content-Length"),
            "{shorter}"
        );
    }

    #[test]
    fn keep_alives_are_recognised() {
        for datagram in [&b"\r\n\r\n"[..], b"\r\n", b"", b"\n"] {
            assert_eq!(
                frame_datagram(datagram),
                Err(WireError::KeepAlive),
                "{datagram:?}"
            );
            assert_eq!(
                parse(datagram).err(),
                Some(WireError::KeepAlive),
                "{datagram:?}"
            );
            assert_eq!(WireError::KeepAlive.status(), None);
        }
    }

    #[test]
    fn rejects_bad_requests_with_the_right_status() {
        let no_via = INVITE_HEAD.replace(
            "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r\n",
            "",
        );
        let via = "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r\n";
        let table: Vec<(&str, Vec<u8>, Option<u16>)> = vec![
            (
                "invalid token",
                edited("INVITE sip", "IN VITE sip"),
                Some(400),
            ),
            (
                "invalid token char",
                edited("INVITE sip", "INV@TE sip"),
                Some(400),
            ),
            ("SIP/3.0", edited("SIP/2.0\r\n", "SIP/3.0\r\n"), Some(505)),
            (
                "not a version",
                edited("SIP/2.0\r\n", "HTTP/1.1\r\n"),
                Some(400),
            ),
            (
                "mailto:",
                edited("sip:bob@example.com SIP", "mailto:bob@example.com SIP"),
                Some(416),
            ),
            (
                "tel:",
                edited("sip:bob@example.com SIP", "tel:+48123456789 SIP"),
                Some(416),
            ),
            (
                "no scheme",
                edited("sip:bob@example.com SIP", "bob SIP"),
                Some(400),
            ),
            ("two parts", edited(" SIP/2.0\r\n", "\r\n"), Some(400)),
            (
                "duplicate Call-ID",
                edited("CSeq:", "Call-ID: other@x\r\nCSeq:"),
                Some(400),
            ),
            (
                "missing Call-ID",
                edited("Call-ID: a84b4c76e66710@pc33.example.com\r\n", ""),
                Some(400),
            ),
            (
                "missing From",
                edited(
                    "From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n",
                    "",
                ),
                Some(400),
            ),
            (
                "duplicate To",
                edited("CSeq:", "To: <sip:x@y>\r\nCSeq:"),
                Some(400),
            ),
            (
                "CSeq mismatch",
                edited("314159 INVITE", "314159 BYE"),
                Some(400),
            ),
            (
                "CSeq non-numeric",
                edited("314159 INVITE", "abc INVITE"),
                Some(400),
            ),
            (
                "CSeq signed",
                edited("314159 INVITE", "+1 INVITE"),
                Some(400),
            ),
            (
                "CSeq 2^31",
                edited("314159 INVITE", "2147483648 INVITE"),
                Some(400),
            ),
            (
                "CSeq no method",
                edited("314159 INVITE", "314159"),
                Some(400),
            ),
            (
                "Max-Forwards 300",
                edited("Max-Forwards: 70", "Max-Forwards: 300"),
                Some(400),
            ),
            (
                "Max-Forwards -1",
                edited("Max-Forwards: 70", "Max-Forwards: -1"),
                Some(400),
            ),
            (
                "two Max-Forwards",
                edited("Max-Forwards: 70", "Max-Forwards: 70\r\nMax-Forwards: 69"),
                Some(400),
            ),
            ("no Via", with_body(&no_via, SDP), Some(400)),
            (
                "Via not SIP/2.0",
                edited("SIP/2.0/UDP", "SIP/3.0/UDP"),
                Some(400),
            ),
            (
                "Via no sent-by",
                edited("SIP/2.0/UDP 192.0.2.10:5060", "SIP/2.0/UDP"),
                Some(400),
            ),
            (
                "Via rport=x",
                edited(";rport\r\n", ";rport=x\r\n"),
                Some(400),
            ),
            (
                "Via branch=",
                edited("branch=z9hG4bK776asdhds", "branch="),
                Some(400),
            ),
            (
                "From tag empty",
                edited(";tag=1928301774", ";tag="),
                Some(400),
            ),
            (
                "From unclosed <",
                edited("<sip:alice@example.com>;tag", "<sip:alice@example.com;tag"),
                Some(400),
            ),
            (
                "bare CR",
                edited("Max-Forwards: 70", "Max-Forwards: 7\r0"),
                Some(400),
            ),
            (
                "NUL",
                edited("Max-Forwards: 70", "Max-Forwards: 7\u{0}0"),
                Some(400),
            ),
            (
                "header without colon",
                edited("Max-Forwards: 70", "Max-Forwards 70"),
                Some(400),
            ),
            (
                "folded first header",
                edited(via, &format!(" {via}")),
                Some(400),
            ),
            (
                "rsip rejects the URI",
                edited("sip:bob@example.com SIP", "sip:bob@h:99999 SIP"),
                Some(400),
            ),
            (
                "IPv6 literal: rsip cannot",
                edited("sip:bob@example.com SIP", "sip:[2001:db8::1] SIP"),
                Some(400),
            ),
            (
                "body shorter",
                with_body(INVITE_HEAD, SDP)[..200].to_vec(),
                Some(400),
            ),
        ];
        for (label, message, expected) in table {
            assert_eq!(code(parse(&message)), expected, "{label}");
        }
        let not_utf8 = [&INVITE_HEAD.as_bytes()[..60], b"\xff\xfe", &invite()[60..]].concat();
        assert_eq!(parse(&not_utf8).err(), Some(WireError::NotUtf8));
    }

    #[test]
    fn typed_errors_name_what_is_wrong() {
        let err = |m: Vec<u8>| parse(&m).err();
        let mismatch = WireError::CSeqMethodMismatch {
            request: Method::Invite,
            cseq: Method::Bye,
        };
        assert_eq!(err(edited("314159 INVITE", "314159 BYE")), Some(mismatch));
        let call_id = err(edited("CSeq:", "i: other@x\r\nCSeq:"));
        assert_eq!(call_id, Some(WireError::DuplicateHeader("Call-ID")));
        let sip3 = err(edited("SIP/2.0\r\n", "SIP/3.0\r\n"));
        assert_eq!(sip3, Some(WireError::VersionNotSupported("SIP/3.0".into())));
        let token = err(edited("INVITE sip", "INV@TE sip"));
        assert_eq!(
            token,
            Some(WireError::InvalidMethod(NotAToken("INV@TE".into())))
        );
    }

    #[test]
    fn normalises_folding_spaces_and_compact_names() {
        let message = "INVITE sip:bob@example.com SIP/2.0\r\n\
            v: SIP/2.0/UDP 192.0.2.10:5060\r\n  ;branch=z9hG4bK1\r\n\
            Max-Forwards : 70\r\n\
            t: <sip:bob@example.com>\r\n\
            f: <sip:alice@example.com>\r\n\t;tag=abc\r\n\
            i: call-1@example.com\r\n\
            CSeq\t: 1 INVITE\r\n\
            m: <sip:alice@192.0.2.10>\r\n\
            Subject: a\r\n very\r\n\tlong subject\r\n\
            c: application/sdp\r\n\
            l: 3\r\n\r\nv=0";
        let parsed = parse(message.as_bytes()).expect("lenient message");
        let text = String::from_utf8_lossy(&parsed.bytes);
        let expected = "INVITE sip:bob@example.com SIP/2.0\r\n\
            Via: SIP/2.0/UDP 192.0.2.10:5060 ;branch=z9hG4bK1\r\n\
            Max-Forwards: 70\r\n\
            To: <sip:bob@example.com>\r\n\
            From: <sip:alice@example.com> ;tag=abc\r\n\
            Call-ID: call-1@example.com\r\n\
            CSeq: 1 INVITE\r\n\
            Contact: <sip:alice@192.0.2.10>\r\n\
            Subject: a very long subject\r\n\
            Content-Type: application/sdp\r\n\
            Content-Length: 3\r\n\r\nv=0";
        assert_eq!(text, expected);
        assert_eq!(parsed.head.from_tag.as_deref(), Some("abc"));
        assert_eq!(parsed.head.vias[0].branch.as_deref(), Some("z9hG4bK1"));
        assert_eq!(parsed.head.call_id, "call-1@example.com");
        let call_id = parsed
            .message
            .call_id_header()
            .map(|h| h.value().to_owned());
        assert_eq!(call_id.ok(), Some("call-1@example.com".to_owned()));
        let lf_only = message.replace("\r\n", "\n");
        assert_eq!(
            parse(lf_only.as_bytes()).map(|p| p.bytes).ok(),
            Some(parsed.bytes)
        );
    }

    #[test]
    fn splits_comma_joined_vias() {
        let vias = "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1;x=\"p,q\" , \
            SIP/2.0/TCP b.example.com:5070;branch=z9hG4bK2;received=192.0.2.1,\
            SIP / 2.0 / tls [2001:db8::1] : 5061 ;branch=z9hG4bK3;rport=5062\r\n";
        let message = edited(
            "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r\n",
            vias,
        );
        let parsed = parse(&message).expect("three Vias");
        let summary: Vec<_> = parsed
            .head
            .vias
            .iter()
            .map(|v| {
                (
                    v.transport.as_str(),
                    v.sent_by.as_str(),
                    v.branch.as_deref(),
                    v.rport,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("UDP", "a.example.com", Some("z9hG4bK1"), None),
                ("TCP", "b.example.com:5070", Some("z9hG4bK2"), None),
                (
                    "TLS",
                    "[2001:db8::1]:5061",
                    Some("z9hG4bK3"),
                    Some(Some(5062))
                ),
            ]
        );
        assert_eq!(parsed.head.vias[1].received.as_deref(), Some("192.0.2.1"));
        let rsip_vias: Vec<String> = parsed
            .message
            .headers()
            .iter()
            .filter_map(|h| match h {
                rsip::Header::Via(via) => Some(via.value().to_owned()),
                _ => None,
            })
            .collect();
        assert_eq!(rsip_vias.len(), 3);
        assert_eq!(
            rsip_vias[0],
            "SIP/2.0/UDP a.example.com;branch=z9hG4bK1;x=\"p,q\""
        );
    }

    #[test]
    fn unknown_methods_give_501_with_their_head() {
        let foo = edited("INVITE sip", "FOO sip");
        let foo = String::from_utf8_lossy(&foo).replace("314159 INVITE", "314159 FOO");
        let Err(WireError::NotImplemented { head }) = parse(foo.as_bytes()) else {
            panic!("FOO must be NotImplemented")
        };
        assert_eq!(head.cseq_method, Method::Other("FOO".into()));
        assert_eq!(head.call_id, "a84b4c76e66710@pc33.example.com");
        let response = error_response(foo.as_bytes(), 501, "Not Implemented").expect("answerable");
        let response = String::from_utf8_lossy(&response);
        assert!(
            response.starts_with("SIP/2.0 501 Not Implemented\r\n"),
            "{response}"
        );
        assert!(response.contains("\r\nCSeq: 314159 FOO\r\n"), "{response}");

        let lower = String::from_utf8_lossy(&edited("INVITE sip", "invite sip"))
            .replace("314159 INVITE", "314159 invite");
        let lower = parse(lower.as_bytes()).err();
        assert_eq!(
            lower.as_ref().and_then(WireError::status),
            Some((501, "Not Implemented"))
        );
        let Some(WireError::NotImplemented { head }) = lower else {
            panic!("invite is unknown")
        };
        assert_eq!(
            head.start,
            StartLine::Request {
                method: Method::Other("invite".into()),
                uri: "sip:bob@example.com".into()
            }
        );

        let prack = String::from_utf8_lossy(&edited("INVITE sip", "PRACK sip"))
            .replace("314159 INVITE", "314159 PRACK");
        let prack = parse(prack.as_bytes()).expect("rsip knows PRACK");
        assert!(!prack.head.cseq_method.is_supported());
    }

    #[test]
    fn parses_responses_and_drops_malformed_ones() {
        let parsed = parse(OK_200.as_bytes()).expect("200 OK");
        let start = StartLine::Response {
            code: 200,
            reason: "OK".into(),
        };
        assert_eq!(parsed.head.start, start);
        assert_eq!(parsed.head.to_tag.as_deref(), Some("a6c85cf"));
        assert_eq!(
            parsed.head.vias[0].received.as_deref(),
            Some("198.51.100.7")
        );
        assert_eq!(parsed.head.vias[0].rport, Some(Some(6000)));
        assert!(parsed.message.is_response());
        let no_reason = OK_200.replace("200 OK", "180");
        let no_reason = parse(no_reason.as_bytes()).map(|p| p.head.start).ok();
        assert_eq!(
            no_reason,
            Some(StartLine::Response {
                code: 180,
                reason: String::new()
            })
        );
        for bad in [
            "SIP/2.0 2000 OK",
            "SIP/2.0 099 Low",
            "SIP/2.0 OK",
            "SIP/3.0 200 OK",
            "SIP/2.0 700 X",
        ] {
            let message = OK_200.replace("SIP/2.0 200 OK", bad);
            let error = parse(message.as_bytes()).err();
            assert!(
                matches!(error, Some(WireError::MalformedResponse(_))),
                "{bad}"
            );
            assert_eq!(error.and_then(|e| e.status()), None, "{bad}");
            assert_eq!(
                error_response(message.as_bytes(), 400, "Bad Request"),
                None,
                "{bad}"
            );
        }
        let no_call_id = OK_200.replace("Call-ID: a84b4c76e66710@pc33.example.com\r\n", "");
        assert_eq!(code(parse(no_call_id.as_bytes())), None);
    }

    #[test]
    fn stream_framer_splits_and_joins() {
        let invite = invite();
        let two = [&b"\r\n\r\n"[..], &invite, b"\r\n", OK_200.as_bytes()].concat();
        let mut framer = StreamFramer::new();
        assert_eq!(framer.push(&two), Ok(()));
        assert_eq!(framer.next_message(), Some(Ok(invite.clone())));
        assert_eq!(framer.next_message(), Some(Ok(OK_200.as_bytes().to_vec())));
        assert_eq!(framer.next_message(), None);

        let mut framer = StreamFramer::new();
        let mut got = Vec::new();
        for byte in invite.iter().chain(&invite) {
            assert_eq!(framer.push(std::slice::from_ref(byte)), Ok(()));
            got.extend(framer.next_message());
        }
        assert_eq!(got, vec![Ok(invite.clone()), Ok(invite)]);
    }

    #[test]
    fn stream_framer_fails_on_bad_streams() {
        let mut framer = StreamFramer::new();
        let err = framer.push(&vec![b'A'; MAX_MESSAGE + 1]);
        assert_eq!(
            err.as_ref().err().and_then(WireError::status).map(|s| s.0),
            Some(513)
        );
        assert_eq!(framer.push(b"more"), Err(WireError::StreamFailed));

        let mut framer = StreamFramer::new();
        let headers_forever = format!("{INVITE_HEAD}X-Padding: {}\r\n", "p".repeat(1000));
        let pushes: Vec<_> = (0..80)
            .map(|_| framer.push(headers_forever.as_bytes()))
            .collect();
        assert!(
            pushes.iter().any(Result::is_err),
            "oversize stream must fail"
        );

        let no_length = format!("{INVITE_HEAD}\r\n");
        let mut framer = StreamFramer::new();
        assert_eq!(framer.push(no_length.as_bytes()), Ok(()));
        assert_eq!(
            framer.next_message(),
            Some(Err(WireError::MissingContentLength))
        );
        assert_eq!(framer.push(b"INVITE"), Err(WireError::StreamFailed));

        let huge = format!("{INVITE_HEAD}Content-Length: 65500\r\n\r\n");
        let mut framer = StreamFramer::new();
        assert_eq!(framer.push(huge.as_bytes()), Ok(()));
        let error = framer.next_message().and_then(Result::err);
        assert!(
            matches!(error, Some(WireError::MessageTooLarge(_))),
            "{error:?}"
        );
    }

    #[test]
    fn error_responses_echo_the_request() {
        let response = error_response(&edited("INVITE sip", "INV@TE sip"), 400, "Bad\r\nRequest")
            .expect("answerable");
        let expected = "SIP/2.0 400 Bad  Request\r\n\
            Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r\n\
            From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n\
            To: Bob <sip:bob@example.com>;tag=";
        let text = String::from_utf8_lossy(&response);
        assert!(text.starts_with(expected), "{text}");
        assert!(text.ends_with("\r\nCall-ID: a84b4c76e66710@pc33.example.com\r\nCSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n"), "{text}");
        let again = error_response(&edited("INVITE sip", "INV@TE sip"), 400, "Bad\r\nRequest");
        assert_eq!(
            again.as_ref(),
            Some(&response),
            "the same request gets the same tag"
        );
        let parsed = parse(&response).expect("our own response parses");
        assert!(parsed.head.to_tag.is_some());

        let tagged = error_response(
            OK_200
                .replace("SIP/2.0 200 OK", "BYE sip:a@b SIP/2.0")
                .as_bytes(),
            481,
            "Gone",
        );
        let tagged = String::from_utf8_lossy(tagged.as_deref().unwrap_or_default()).into_owned();
        assert!(
            tagged.contains("\r\nTo: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"),
            "{tagged}"
        );

        let no_cseq = edited("CSeq: 314159 INVITE\r\n", "");
        let ack = String::from_utf8_lossy(&edited("INVITE sip", "ACK sip"))
            .replace("314159 INVITE", "314159 ACK");
        let table: Vec<(&str, Vec<u8>)> = vec![
            ("garbage", b"\x00\x01garbage\xff\r\n\r\n".to_vec()),
            ("empty", Vec::new()),
            ("missing CSeq", no_cseq),
            ("ACK", ack.into_bytes()),
            ("response", OK_200.as_bytes().to_vec()),
        ];
        for (label, request) in table {
            assert_eq!(
                error_response(&request, 400, "Bad Request"),
                None,
                "{label}"
            );
        }
        assert_eq!(error_response(&invite(), 99, "Odd"), None);
    }

    #[test]
    fn from_and_to_tags() {
        let table = [
            ("\"Smith; <x>\" <sip:a@b>;tag=abc", Ok(Some("abc"))),
            ("<sip:a@b;tag=uri-param>", Ok(None)),
            ("<sip:a@b;transport=udp>;tag=y", Ok(Some("y"))),
            ("sip:a@b;tag=x", Ok(Some("x"))),
            ("sip:a@b ; TAG = x ; other", Ok(Some("x"))),
            ("Bob <sip:a@b>", Ok(None)),
            ("\"a \\\" ;tag=no\" <sip:a@b>", Ok(None)),
            ("<sip:a@b>;tag=", Err(())),
            ("<sip:a@b;tag=x", Err(())),
            ("\"unclosed <sip:a@b>;tag=x", Err(())),
        ];
        for (value, expected) in table {
            assert_eq!(tag_param(value), expected, "{value}");
        }
    }

    #[test]
    fn via_parameters() {
        let table = [
            ("SIP/2.0/UDP h;rport", Some(Some(None))),
            ("SIP/2.0/UDP h;rport=5060", Some(Some(Some(5060)))),
            ("SIP/2.0/UDP h", Some(None)),
            ("SIP/2.0/UDP h;rport=70000", None),
            ("SIP/2.0/UDP h;rport=", None),
        ];
        for (value, expected) in table {
            assert_eq!(parse_via(value).ok().map(|v| v.rport), expected, "{value}");
        }
    }

    /// A valid INVITE mutated by flips, insertions and deletions at arbitrary positions.
    fn mutated_invite() -> impl Strategy<Value = Vec<u8>> {
        let edit = (any::<usize>(), any::<u8>(), 0..3u8);
        prop::collection::vec(edit, 1..8).prop_map(|edits| {
            let mut message = invite();
            for (at, byte, kind) in edits {
                let at = at % (message.len() + 1);
                match kind {
                    0 if at < message.len() => message[at] ^= byte | 1,
                    1 => message.insert(at, byte),
                    _ if at < message.len() => drop(message.remove(at)),
                    _ => {}
                }
            }
            message
        })
    }

    /// Runs every entry point on `bytes`; they must not panic.
    fn exercise(bytes: &[u8]) {
        let _ = frame_datagram(bytes).map(parse);
        if let Err(error) = parse(bytes) {
            let _ = error
                .status()
                .map(|(code, reason)| error_response(bytes, code, reason));
        }
        let mut framer = StreamFramer::new();
        for chunk in bytes.chunks(7) {
            let _ = framer.push(chunk);
            while framer.next_message().is_some() {}
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..1500)) {
            exercise(&bytes);
        }

        #[test]
        fn never_panics_on_mutated_invites(bytes in mutated_invite()) {
            exercise(&bytes);
        }
    }

    /// `cargo test -p pbx --release wire::tests::parse_speed -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn parse_speed() {
        let invite = invite();
        let runs = 10_000u32;
        // The fastest of 40 batches: robust against a loaded machine.
        let time = |f: &dyn Fn()| {
            let batch = || {
                let start = std::time::Instant::now();
                (0..runs).for_each(|_| f());
                start.elapsed().as_secs_f64() * 1e6 / f64::from(runs)
            };
            (0..40).map(|_| batch()).fold(f64::INFINITY, f64::min)
        };
        let ours = time(&|| assert!(parse(std::hint::black_box(&invite)).is_ok()));
        let rsip_only = time(&|| {
            assert!(rsip::SipMessage::try_from(std::hint::black_box(&invite[..])).is_ok())
        });
        let framing = time(&|| assert!(frame_datagram(std::hint::black_box(&invite)).is_ok()));
        println!("parse: {ours:.2} µs/parse; rsip alone: {rsip_only:.2} µs; frame_datagram: {framing:.3} µs");
    }
}
