//! HTTP Digest authentication as SIP uses it: RFC 2617 with `qop=auth` (and RFC 2069's form
//! without `qop`), RFC 7616's SHA-256, offered to SIP phones as RFC 8760 describes (one
//! `WWW-Authenticate` header per algorithm, most preferred first).
//!
//! The server side is sans-IO: [`DigestAuth`] never reads a clock or a random source. Time is
//! passed in as a wall-clock `DateTime<Utc>` (the same clock the router uses), and the only
//! secret is a 32-byte key given at construction.
//!
//! Nonces are stateless: a nonce is the hex of the millisecond it was issued followed by the hex
//! of a keyed hash (HMAC-SHA-256, truncated to 128 bits) of that time and the realm. The server
//! keeps no table of issued nonces: a nonce whose keyed hash does not match was not issued by this
//! server ([`Verdict::BadNonce`]); an authentic nonce older than the nonce lifetime (or issued
//! "in the future", after the wall clock was stepped back) is [`Verdict::Stale`], so the phone
//! retries at once with the fresh nonce of a `stale=true` challenge, without asking its user.
//!
//! Replay protection is optional and bounded: [`DigestAuth::verify_once`] remembers, for a
//! bounded number of recently used (user name, nonce) pairs, the highest nonce count (`nc`)
//! accepted, and refuses a count that does not increase ([`Verdict::Replayed`]). A credential without `qop` (RFC 2069)
//! counts as `nc` 0, so it is accepted once per nonce.

use core::fmt;
use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use md5::Md5;
use sha2::{Digest, Sha256};

/// Longest `Authorization` header value accepted, in bytes.
pub const MAX_HEADER_LEN: usize = 4096;
/// How long a nonce stays fresh unless told otherwise.
pub const DEFAULT_NONCE_LIFETIME: TimeDelta = TimeDelta::minutes(5);
/// How far "in the future" an authentic nonce may have been issued and still count as fresh
/// (tolerates callers passing slightly different `now` values).
const FUTURE_TOLERANCE: TimeDelta = TimeDelta::seconds(5);
/// Nonces whose highest `nc` [`DigestAuth::verify_once`] remembers.
pub const REPLAY_WINDOW: usize = 1024;
/// Hex digits of the time part of a nonce.
const NONCE_TIME_HEX: usize = 16;
/// Low bits of a nonce's time field that number the nonces of one millisecond.
const NONCE_SEQ_BITS: u32 = 12;
/// Bytes of the keyed hash kept in a nonce.
const NONCE_MAC_BYTES: usize = 16;
/// Longest user-supplied text quoted back in an error message.
const ECHO_LEN: usize = 32;

/// A digest hash algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// MD5 (RFC 2617): what every SIP phone supports.
    Md5,
    /// SHA-256 (RFC 7616, RFC 8760): preferred when the phone supports it.
    Sha256,
}

impl Algorithm {
    /// The algorithm's name as written in `algorithm=` parameters.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    /// The algorithm named by an `algorithm=` token (case-insensitive); `None` for any other,
    /// including the `-sess` variants, which Centrala does not offer.
    pub fn from_token(token: &str) -> Option<Algorithm> {
        if token.eq_ignore_ascii_case("MD5") {
            Some(Algorithm::Md5)
        } else if token.eq_ignore_ascii_case("SHA-256") {
            Some(Algorithm::Sha256)
        } else {
            None
        }
    }

    /// Lower-case hex of the hash of `parts` joined by `:`.
    fn hash_hex(self, parts: &[&str]) -> String {
        match self {
            Algorithm::Md5 => hash_parts::<Md5>(parts),
            Algorithm::Sha256 => hash_parts::<Sha256>(parts),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The quality of protection a client chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qop {
    /// `auth`: authentication of the request line only. The only one Centrala accepts.
    Auth,
    /// `auth-int`: also the body. Parsed so that it can be refused by name.
    AuthInt,
}

impl Qop {
    /// The token as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
        }
    }
}

/// A nonce count (`nc`): exactly eight hex digits, kept as sent because the response is
/// computed over the text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NonceCount {
    text: String,
    value: u32,
}

impl NonceCount {
    /// Parses eight hex digits.
    pub fn parse(text: &str) -> Option<NonceCount> {
        let ok = text.len() == 8 && text.bytes().all(|b| b.is_ascii_hexdigit());
        let value = u32::from_str_radix(text, 16).ok().filter(|_| ok)?;
        Some(NonceCount {
            text: text.to_owned(),
            value,
        })
    }

    /// The count formatted as RFC 7616 asks (eight lower-case hex digits).
    pub fn new(value: u32) -> NonceCount {
        NonceCount {
            text: format!("{value:08x}"),
            value,
        }
    }

    /// The count's value.
    pub fn value(&self) -> u32 {
        self.value
    }

    /// The count as sent.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// The `qop`, `cnonce` and `nc` parameters, which come together or not at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QopParams {
    /// The chosen quality of protection.
    pub qop: Qop,
    /// The client's nonce.
    pub cnonce: String,
    /// How many requests the client has sent with this nonce, this one included.
    pub nc: NonceCount,
}

/// The parameters of an `Authorization` or `Proxy-Authorization` header with the `Digest`
/// scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name (`username`).
    pub username: String,
    /// The realm the client answers (`realm`).
    pub realm: String,
    /// The server's nonce being answered (`nonce`).
    pub nonce: String,
    /// The digest URI (`uri`), normally the Request-URI.
    pub uri: String,
    /// The client's response (`response`), hex.
    pub response: String,
    /// The algorithm (`algorithm`; MD5 when absent).
    pub algorithm: Algorithm,
    /// `qop`, `cnonce` and `nc`; `None` for RFC 2069's form.
    pub qop: Option<QopParams>,
    /// The server's opaque value echoed back (`opaque`), if any.
    pub opaque: Option<String>,
}

/// Something Centrala recognises in credentials but does not support.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsupported {
    /// An algorithm other than MD5 and SHA-256 (e.g. `MD5-sess`, `SHA-512-256`).
    #[error("algorithm {0:?} is not supported")]
    Algorithm(String),
    /// A `qop` other than `auth`.
    #[error("qop {0:?} is not supported")]
    Qop(String),
    /// RFC 7616's hashed user names (`userhash=true`).
    #[error("hashed user names are not supported")]
    UserHash,
}

/// Why an `Authorization` header value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The value is longer than [`MAX_HEADER_LEN`].
    #[error("the Authorization value is {len} bytes long, more than {MAX_HEADER_LEN}")]
    TooLong {
        /// The value's length in bytes.
        len: usize,
    },
    /// The scheme is missing or not `Digest`.
    #[error("the authorization scheme is not Digest")]
    NotDigest,
    /// A parameter name was expected.
    #[error("expected a parameter name at byte {at}")]
    ExpectedName {
        /// Byte offset in the value.
        at: usize,
    },
    /// A parameter name is not followed by `=`.
    #[error("parameter {name:?} is not followed by '='")]
    ExpectedEquals {
        /// The parameter (shortened).
        name: String,
    },
    /// A parameter has no value after `=`.
    #[error("parameter {name:?} has no value")]
    ExpectedValue {
        /// The parameter (shortened).
        name: String,
    },
    /// A quoted value has no closing quote.
    #[error("the quoted value of {name:?} has no closing quote")]
    UnterminatedQuote {
        /// The parameter (shortened).
        name: String,
    },
    /// Something other than `,` follows a parameter's value.
    #[error("expected ',' after parameter {name:?}")]
    ExpectedComma {
        /// The parameter (shortened).
        name: String,
    },
    /// A parameter Centrala reads appears twice.
    #[error("parameter {0:?} appears twice")]
    Duplicate(&'static str),
    /// A required parameter is missing.
    #[error("parameter {0:?} is missing")]
    Missing(&'static str),
    /// `nc` is not eight hex digits.
    #[error("nc {0:?} is not eight hexadecimal digits")]
    BadNc(String),
    /// Recognised but unsupported: answer with a fresh challenge rather than 400.
    #[error(transparent)]
    Unsupported(#[from] Unsupported),
}

impl Credentials {
    /// Parses an `Authorization` / `Proxy-Authorization` header value. Scheme and parameter
    /// names are case-insensitive; parameters may come in any order, with any spacing, quoted
    /// or not; unknown parameters are ignored. Never panics.
    pub fn parse(value: &str) -> Result<Credentials, ParseError> {
        if value.len() > MAX_HEADER_LEN {
            return Err(ParseError::TooLong { len: value.len() });
        }
        let (offset, rest) = strip_scheme(value)?;
        let mut raw = RawParams::default();
        for param in Params::new(rest, offset) {
            let (name, val) = param?;
            raw.set(name, val)?;
        }
        raw.finish()
    }
}

impl fmt::Display for Credentials {
    /// The header value a client would send (used by tests and, later, by the trunk client).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest username={}", Quoted(&self.username))?;
        write!(f, ", realm={}", Quoted(&self.realm))?;
        write!(f, ", nonce={}", Quoted(&self.nonce))?;
        write!(f, ", uri={}", Quoted(&self.uri))?;
        write!(f, ", response={}", Quoted(&self.response))?;
        write!(f, ", algorithm={}", self.algorithm)?;
        if let Some(q) = &self.qop {
            let (qop, nc) = (q.qop.as_str(), q.nc.as_str());
            write!(f, ", qop={qop}, nc={nc}, cnonce={}", Quoted(&q.cnonce))?;
        }
        if let Some(opaque) = &self.opaque {
            write!(f, ", opaque={}", Quoted(opaque))?;
        }
        Ok(())
    }
}

/// A value written as a quoted-string, with `"` and `\` escaped.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for ch in self.0.chars() {
            if ch == '"' || ch == '\\' {
                f.write_str("\\")?;
            }
            write!(f, "{ch}")?;
        }
        f.write_str("\"")
    }
}

/// Skips leading whitespace and the `Digest` scheme; returns the rest and its byte offset.
fn strip_scheme(value: &str) -> Result<(usize, &str), ParseError> {
    let trimmed = value.trim_start_matches(is_lws);
    let offset = value.len() - trimmed.len();
    let scheme_len = trimmed.find(is_lws).unwrap_or(trimmed.len());
    let (scheme, rest) = trimmed.split_at(scheme_len);
    if !scheme.eq_ignore_ascii_case("Digest") {
        return Err(ParseError::NotDigest);
    }
    Ok((offset + scheme_len, rest))
}

fn is_lws(ch: char) -> bool {
    matches!(ch, ' ' | '\t' | '\r' | '\n')
}

/// RFC 3261 `token` characters.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// Shortens user-supplied text quoted back in an error.
fn echo(text: &str) -> String {
    let mut end = text.len().min(ECHO_LEN);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// An iterator over `name=value` pairs separated by commas.
struct Params<'a> {
    text: &'a str,
    pos: usize,
    base: usize,
    failed: bool,
}

impl<'a> Params<'a> {
    fn new(text: &'a str, base: usize) -> Params<'a> {
        Params {
            text,
            pos: 0,
            base,
            failed: false,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_while(&mut self, keep: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    fn skip_ws(&mut self) {
        self.skip_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
    }

    /// One `name = value` and the separator after it.
    fn param(&mut self) -> Result<(&'a str, String), ParseError> {
        let name = self.skip_while(is_token_byte);
        if name.is_empty() {
            let at = self.base + self.pos;
            return Err(ParseError::ExpectedName { at });
        }
        self.skip_ws();
        if self.peek() != Some(b'=') {
            return Err(ParseError::ExpectedEquals { name: echo(name) });
        }
        self.pos += 1;
        self.skip_ws();
        let value = self.value(name)?;
        self.skip_ws();
        match self.peek() {
            None | Some(b',') => Ok((name, value)),
            Some(_) => Err(ParseError::ExpectedComma { name: echo(name) }),
        }
    }

    fn value(&mut self, name: &str) -> Result<String, ParseError> {
        if self.peek() == Some(b'"') {
            self.pos += 1;
            return self.quoted(name);
        }
        let bare = self.skip_while(|b| !matches!(b, b',' | b' ' | b'\t' | b'\r' | b'\n' | b'"'));
        if bare.is_empty() {
            return Err(ParseError::ExpectedValue { name: echo(name) });
        }
        Ok(bare.to_owned())
    }

    /// The rest of a quoted-string whose opening quote was consumed; `\x` stands for `x`.
    fn quoted(&mut self, name: &str) -> Result<String, ParseError> {
        let mut out = String::new();
        let mut escaped = false;
        for (i, ch) in self.text[self.pos..].char_indices() {
            if escaped {
                out.push(ch);
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                self.pos += i + 1;
                return Ok(out);
            } else {
                out.push(ch);
            }
        }
        Err(ParseError::UnterminatedQuote { name: echo(name) })
    }
}

impl<'a> Iterator for Params<'a> {
    type Item = Result<(&'a str, String), ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        self.skip_while(|b| matches!(b, b',' | b' ' | b'\t' | b'\r' | b'\n'));
        self.peek()?;
        let item = self.param();
        self.failed = item.is_err();
        Some(item)
    }
}

/// The parameters Centrala reads, as found.
#[derive(Default)]
struct RawParams {
    username: Option<String>,
    realm: Option<String>,
    nonce: Option<String>,
    uri: Option<String>,
    response: Option<String>,
    algorithm: Option<String>,
    qop: Option<String>,
    cnonce: Option<String>,
    nc: Option<String>,
    opaque: Option<String>,
    userhash: Option<String>,
}

impl RawParams {
    fn set(&mut self, name: &str, value: String) -> Result<(), ParseError> {
        let (key, slot) = match self.slot(name) {
            Some(found) => found,
            None => return Ok(()),
        };
        if slot.is_some() {
            return Err(ParseError::Duplicate(key));
        }
        *slot = Some(value);
        Ok(())
    }

    fn slot(&mut self, name: &str) -> Option<(&'static str, &mut Option<String>)> {
        let fields: [(&'static str, &mut Option<String>); 11] = [
            ("username", &mut self.username),
            ("realm", &mut self.realm),
            ("nonce", &mut self.nonce),
            ("uri", &mut self.uri),
            ("response", &mut self.response),
            ("algorithm", &mut self.algorithm),
            ("qop", &mut self.qop),
            ("cnonce", &mut self.cnonce),
            ("nc", &mut self.nc),
            ("opaque", &mut self.opaque),
            ("userhash", &mut self.userhash),
        ];
        fields
            .into_iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
    }

    fn finish(self) -> Result<Credentials, ParseError> {
        if self
            .userhash
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            return Err(Unsupported::UserHash.into());
        }
        let algorithm = parse_algorithm(self.algorithm.as_deref())?;
        let qop = parse_qop(self.qop, self.cnonce, self.nc)?;
        Ok(Credentials {
            username: self.username.ok_or(ParseError::Missing("username"))?,
            realm: self.realm.ok_or(ParseError::Missing("realm"))?,
            nonce: self.nonce.ok_or(ParseError::Missing("nonce"))?,
            uri: self.uri.ok_or(ParseError::Missing("uri"))?,
            response: self.response.ok_or(ParseError::Missing("response"))?,
            algorithm,
            qop,
            opaque: self.opaque,
        })
    }
}

fn parse_algorithm(token: Option<&str>) -> Result<Algorithm, ParseError> {
    match token {
        None => Ok(Algorithm::Md5),
        Some(t) => Algorithm::from_token(t).ok_or_else(|| Unsupported::Algorithm(echo(t)).into()),
    }
}

fn parse_qop(
    qop: Option<String>,
    cnonce: Option<String>,
    nc: Option<String>,
) -> Result<Option<QopParams>, ParseError> {
    let Some(qop) = qop else {
        return Ok(None);
    };
    let qop = if qop.eq_ignore_ascii_case("auth") {
        Qop::Auth
    } else if qop.eq_ignore_ascii_case("auth-int") {
        Qop::AuthInt
    } else {
        return Err(Unsupported::Qop(echo(&qop)).into());
    };
    let cnonce = cnonce.ok_or(ParseError::Missing("cnonce"))?;
    let nc_text = nc.ok_or(ParseError::Missing("nc"))?;
    let nc = NonceCount::parse(&nc_text).ok_or_else(|| ParseError::BadNc(echo(&nc_text)))?;
    Ok(Some(QopParams { qop, cnonce, nc }))
}

/// The outcome of checking credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The credentials are right and the nonce fresh.
    Ok,
    /// The response is right but the nonce, though issued by this server, has expired:
    /// challenge again with `stale=true`.
    Stale,
    /// The nonce was not issued by this server (forged, corrupted, or from before a restart
    /// with a different secret): challenge again.
    BadNonce,
    /// The response does not match the password (or the user name is not the one the password
    /// belongs to).
    WrongPassword,
    /// The credentials answer another realm's challenge.
    WrongRealm,
    /// The credentials use something Centrala does not support.
    Unsupported(Unsupported),
    /// Right credentials, but this nonce count was already used ([`DigestAuth::verify_once`]
    /// only): challenge again with `stale=true`, so an honest client retries silently.
    Replayed,
}

/// The server side of digest authentication for one realm: issues challenges and checks
/// credentials.
pub struct DigestAuth {
    realm: String,
    secret: [u8; 32],
    nonce_lifetime: TimeDelta,
    offered: Vec<Algorithm>,
    counts: NonceCounts,
    /// Tells apart nonces issued within one millisecond.
    issued: std::sync::atomic::AtomicU32,
}

impl fmt::Debug for DigestAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestAuth")
            .field("realm", &self.realm)
            .field("nonce_lifetime", &self.nonce_lifetime)
            .field("offered", &self.offered)
            .field("remembered_nonces", &self.counts.entries.len())
            .finish_non_exhaustive()
    }
}

impl DigestAuth {
    /// A server for `realm` whose nonces are keyed with `secret` (which should come from the
    /// system's random source at start-up; nonces issued under another secret are rejected as
    /// [`Verdict::BadNonce`], so phones just get a fresh challenge after a restart). Offers
    /// SHA-256, then MD5; nonces live [`DEFAULT_NONCE_LIFETIME`].
    pub fn new(realm: impl Into<String>, secret: [u8; 32]) -> DigestAuth {
        DigestAuth {
            realm: realm.into(),
            secret,
            nonce_lifetime: DEFAULT_NONCE_LIFETIME,
            offered: vec![Algorithm::Sha256, Algorithm::Md5],
            counts: NonceCounts::default(),
            issued: std::sync::atomic::AtomicU32::new(0),
        }
    }

    /// Sets how long a nonce stays fresh (at least one second).
    pub fn with_nonce_lifetime(mut self, lifetime: TimeDelta) -> DigestAuth {
        self.nonce_lifetime = lifetime.max(TimeDelta::seconds(1));
        self
    }

    /// Sets the algorithms offered by [`DigestAuth::challenges`], most preferred first (e.g.
    /// MD5 only, for a phone that mishandles several challenges). An empty list is ignored.
    pub fn with_algorithms(mut self, algorithms: &[Algorithm]) -> DigestAuth {
        if !algorithms.is_empty() {
            self.offered = algorithms.to_vec();
        }
        self
    }

    /// The realm.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// One `WWW-Authenticate` (or `Proxy-Authenticate`) value with a fresh nonce:
    /// `Digest realm="…", nonce="…", algorithm=…, qop="auth"[, stale=true]`.
    pub fn challenge(&self, now: DateTime<Utc>, algorithm: Algorithm, stale: bool) -> String {
        let mut out = format!(
            "Digest realm={}, nonce=\"{}\", algorithm={}, qop=\"auth\"",
            Quoted(&self.realm),
            self.nonce(now),
            algorithm
        );
        if stale {
            out.push_str(", stale=true");
        }
        out
    }

    /// One challenge per offered algorithm, most preferred first (SHA-256, then MD5 by
    /// default), as RFC 8760 §2.4 asks: send each as its own header.
    pub fn challenges(&self, now: DateTime<Utc>, stale: bool) -> Vec<String> {
        let offered = self.offered.iter();
        offered.map(|&a| self.challenge(now, a, stale)).collect()
    }

    /// Checks credentials against `password` for a request with `method` (e.g. `REGISTER`).
    /// Checks, in order: realm, supported `qop`, that the nonce is ours, the response (in
    /// constant time), and that the nonce is fresh — so `Stale` means the password was right.
    /// Does not compare `uri` with the Request-URI; the caller may.
    pub fn verify(
        &self,
        now: DateTime<Utc>,
        method: &str,
        creds: &Credentials,
        password: &str,
    ) -> Verdict {
        if creds.realm != self.realm {
            return Verdict::WrongRealm;
        }
        if let Some(QopParams {
            qop: Qop::AuthInt, ..
        }) = creds.qop
        {
            return Verdict::Unsupported(Unsupported::Qop(Qop::AuthInt.as_str().into()));
        }
        let Some(issued) = self.nonce_issued(&creds.nonce) else {
            return Verdict::BadNonce;
        };
        let expected = expected_response(creds, method, password);
        let given = creds.response.to_ascii_lowercase();
        if !constant_time_eq(expected.as_bytes(), given.as_bytes()) {
            return Verdict::WrongPassword;
        }
        if !self.is_fresh(issued, now) {
            return Verdict::Stale;
        }
        Verdict::Ok
    }

    /// [`DigestAuth::verify`], and on success also checks that the nonce count increased since
    /// the last accepted use of this nonce ([`Verdict::Replayed`] if not) and remembers it.
    /// Only successful credentials are remembered, so strangers cannot fill the table; it
    /// holds at most [`REPLAY_WINDOW`] nonces, forgetting expired ones first, then the oldest.
    pub fn verify_once(
        &mut self,
        now: DateTime<Utc>,
        method: &str,
        creds: &Credentials,
        password: &str,
    ) -> Verdict {
        let verdict = self.verify(now, method, creds, password);
        if verdict != Verdict::Ok {
            return verdict;
        }
        let nc = creds.qop.as_ref().map_or(0, |q| q.nc.value());
        let issued = self.nonce_issued(&creds.nonce).unwrap_or(now);
        let oldest_fresh = now
            .checked_sub_signed(self.nonce_lifetime)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let key = (creds.username.clone(), creds.nonce.clone());
        if self.counts.admit(key, issued, nc, oldest_fresh) {
            Verdict::Ok
        } else {
            Verdict::Replayed
        }
    }

    /// A nonce for `now`: 16 hex digits of the millisecond (shifted left 12 bits, with a
    /// sequence number in those bits so two challenges within one millisecond differ, and a
    /// client restarting its nonce count at 1 is not taken for a replay), then 32 of the
    /// keyed hash.
    fn nonce(&self, now: DateTime<Utc>) -> String {
        let millis = u64::try_from(now.timestamp_millis()).unwrap_or(0);
        let seq = self
            .issued
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let field = (millis << NONCE_SEQ_BITS) | u64::from(seq & ((1 << NONCE_SEQ_BITS) - 1));
        format!("{field:016x}{}", hex(&self.nonce_mac(field)))
    }

    fn nonce_mac(&self, millis: u64) -> [u8; NONCE_MAC_BYTES] {
        let message: [&[u8]; 3] = [
            b"centrala nonce\0",
            &millis.to_be_bytes(),
            self.realm.as_bytes(),
        ];
        let full = hmac_sha256(&self.secret, &message);
        let mut out = [0u8; NONCE_MAC_BYTES];
        out.copy_from_slice(&full[..NONCE_MAC_BYTES]);
        out
    }

    /// When an authentic nonce was issued; `None` if this server did not issue it.
    fn nonce_issued(&self, nonce: &str) -> Option<DateTime<Utc>> {
        let well_formed = nonce.len() == NONCE_TIME_HEX + 2 * NONCE_MAC_BYTES
            && nonce
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !well_formed {
            return None;
        }
        let (time, mac) = nonce.split_at(NONCE_TIME_HEX);
        let field = u64::from_str_radix(time, 16).ok()?;
        let expected = hex(&self.nonce_mac(field));
        if !constant_time_eq(expected.as_bytes(), mac.as_bytes()) {
            return None;
        }
        DateTime::from_timestamp_millis(i64::try_from(field >> NONCE_SEQ_BITS).ok()?)
    }

    fn is_fresh(&self, issued: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        let age = now.signed_duration_since(issued);
        age >= -FUTURE_TOLERANCE && age <= self.nonce_lifetime
    }
}

/// The response a client with `password` must send for `creds` and `method`:
/// `H(HA1:nonce:nc:cnonce:qop:HA2)`, or `H(HA1:nonce:HA2)` without `qop` (RFC 2069), where
/// `HA1 = H(username:realm:password)` and `HA2 = H(method:uri)`. Lower-case hex.
pub fn expected_response(creds: &Credentials, method: &str, password: &str) -> String {
    let alg = creds.algorithm;
    let ha1 = alg.hash_hex(&[&creds.username, &creds.realm, password]);
    let ha2 = alg.hash_hex(&[method, &creds.uri]);
    match &creds.qop {
        Some(q) => {
            let parts = [
                &*ha1,
                &creds.nonce,
                q.nc.as_str(),
                &q.cnonce,
                q.qop.as_str(),
                &ha2,
            ];
            alg.hash_hex(&parts)
        }
        None => alg.hash_hex(&[&ha1, &creds.nonce, &ha2]),
    }
}

/// The highest nonce count accepted for recently used nonces, by user name and nonce (two
/// phones challenged in the same millisecond get the same nonce, and must not collide).
#[derive(Default)]
struct NonceCounts {
    entries: HashMap<(String, String), (DateTime<Utc>, u32)>,
}

impl NonceCounts {
    /// Records `nc` for `key` if it is higher than any before (or the key is new).
    fn admit(
        &mut self,
        key: (String, String),
        issued: DateTime<Utc>,
        nc: u32,
        oldest_fresh: DateTime<Utc>,
    ) -> bool {
        if let Some((_, highest)) = self.entries.get_mut(&key) {
            if nc <= *highest {
                return false;
            }
            *highest = nc;
            return true;
        }
        self.make_room(oldest_fresh);
        self.entries.insert(key, (issued, nc));
        true
    }

    fn make_room(&mut self, oldest_fresh: DateTime<Utc>) {
        if self.entries.len() < REPLAY_WINDOW {
            return;
        }
        self.entries
            .retain(|_, (issued, _)| *issued >= oldest_fresh);
        while self.entries.len() >= REPLAY_WINDOW {
            let oldest = self.entries.iter().min_by_key(|(_, (issued, _))| *issued);
            let Some(key) = oldest.map(|(k, _)| k.clone()) else {
                return;
            };
            self.entries.remove(&key);
        }
    }
}

fn hash_parts<D: Digest>(parts: &[&str]) -> String {
    let mut hasher = D::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update(b":");
        }
        hasher.update(part.as_bytes());
    }
    hex(&hasher.finalize())
}

/// HMAC-SHA-256 (RFC 2104) of the concatenation of `message`.
fn hmac_sha256(key: &[u8], message: &[&[u8]]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    for part in message {
        inner.update(part);
    }
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// Equality whose time depends only on the lengths, not on where the inputs differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    core::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_challenges_in_one_millisecond_get_different_nonces() {
        let auth = DigestAuth::new("centrala", [3; 32]);
        let now = DateTime::from_timestamp_millis(1_800_000_000_123).unwrap_or_default();
        let a = auth.challenge(now, Algorithm::Md5, false);
        let b = auth.challenge(now, Algorithm::Md5, false);
        assert_ne!(a, b);
        for c in [a, b] {
            let nonce = c
                .split("nonce=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or("");
            assert_eq!(auth.nonce_issued(nonce), Some(now), "{nonce}");
        }
    }
    use proptest::prelude::*;

    const REALM: &str = "office.example";

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    fn auth() -> DigestAuth {
        DigestAuth::new(REALM, [7; 32])
    }

    /// The nonce of a challenge header.
    fn nonce_of(challenge: &str) -> String {
        let start = challenge.find("nonce=\"").map(|i| i + 7).unwrap_or(0);
        let rest = &challenge[start..];
        rest[..rest.find('"').unwrap_or(0)].to_owned()
    }

    /// What a phone with `password` answers to `challenge` (qop=auth, nc=1).
    fn answer(challenge: &str, alg: Algorithm, user: &str, password: &str) -> Credentials {
        let mut creds = Credentials {
            username: user.into(),
            realm: REALM.into(),
            nonce: nonce_of(challenge),
            uri: "sip:office.example".into(),
            response: String::new(),
            algorithm: alg,
            qop: Some(QopParams {
                qop: Qop::Auth,
                cnonce: "0a4f113b".into(),
                nc: NonceCount::new(1),
            }),
            opaque: None,
        };
        creds.response = expected_response(&creds, "REGISTER", password);
        creds
    }

    fn parse(value: &str) -> Credentials {
        match Credentials::parse(value) {
            Ok(c) => c,
            Err(e) => panic!("{value}: {e}"),
        }
    }

    const RFC2617: &str = r#"Digest username="Mufasa",
                 realm="testrealm@host.com",
                 nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
                 uri="/dir/index.html",
                 qop=auth,
                 nc=00000001,
                 cnonce="0a4f113b",
                 response="6629fae49393a05397450978507c4ef1",
                 opaque="5ccc069c403ebaf9f0171e9517f40e41""#;

    fn rfc7616(alg: &str, response: &str) -> String {
        format!(
            "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", \
             uri=\"/dir/index.html\", algorithm={alg}, \
             nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, \
             cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, \
             response=\"{response}\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
        )
    }

    #[test]
    fn rfc2617_mufasa_example() {
        let creds = parse(RFC2617);
        assert_eq!(creds.username, "Mufasa");
        assert_eq!(creds.algorithm, Algorithm::Md5);
        assert_eq!(creds.qop.as_ref().map(|q| q.nc.value()), Some(1));
        let opaque = creds.opaque.as_deref();
        assert_eq!(opaque, Some("5ccc069c403ebaf9f0171e9517f40e41"));
        let expected = expected_response(&creds, "GET", "Circle Of Life");
        assert_eq!(expected, creds.response);
        assert_ne!(
            expected_response(&creds, "GET", "Circle of Life"),
            creds.response
        );
    }

    #[test]
    fn rfc7616_sha256_example() {
        let sha = "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1";
        let creds = parse(&rfc7616("SHA-256", sha));
        assert_eq!(creds.algorithm, Algorithm::Sha256);
        assert_eq!(expected_response(&creds, "GET", "Circle of Life"), sha);
    }

    #[test]
    fn rfc7616_md5_example() {
        // The value as corrected by the RFC's errata (and computed independently).
        let md5 = "8ca523f5e9506fed4657c9700eebdbec";
        let creds = parse(&rfc7616("MD5", md5));
        assert_eq!(expected_response(&creds, "GET", "Circle of Life"), md5);
    }

    #[test]
    fn rfc2069_form_without_qop() {
        // RFC 2069's example with its erratum applied.
        let creds = parse(
            r#"Digest username="Mufasa", realm="testrealm@host.com",
            nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html",
            response="1949323746fe6a43ef61f9606e7febea", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        );
        assert_eq!(creds.qop, None);
        assert_eq!(
            expected_response(&creds, "GET", "CircleOfLife"),
            creds.response
        );
    }

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", &[b"what do ya ", b"want for nothing?"]);
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(hex(&mac), expected);
    }

    #[test]
    fn challenges_offer_sha256_then_md5() {
        let all = auth().challenges(t0(), false);
        assert_eq!(all.len(), 2);
        assert!(all[0].contains("algorithm=SHA-256"), "{}", all[0]);
        assert!(all[1].contains("algorithm=MD5"), "{}", all[1]);
        for c in &all {
            assert!(
                c.starts_with("Digest realm=\"office.example\", nonce=\""),
                "{c}"
            );
            assert!(c.ends_with("qop=\"auth\""), "{c}");
        }
        let stale = auth().challenge(t0(), Algorithm::Md5, true);
        assert!(stale.ends_with(", stale=true"), "{stale}");
        let md5_only = auth().with_algorithms(&[Algorithm::Md5]);
        assert_eq!(md5_only.challenges(t0(), false).len(), 1);
    }

    #[test]
    fn realm_is_escaped_in_challenges() {
        let a = DigestAuth::new(r#"a "quoted" \ realm"#, [1; 32]);
        let c = a.challenge(t0(), Algorithm::Md5, false);
        assert!(
            c.starts_with(r#"Digest realm="a \"quoted\" \\ realm""#),
            "{c}"
        );
    }

    #[test]
    fn right_password_verifies_with_both_algorithms() {
        let a = auth();
        for alg in [Algorithm::Md5, Algorithm::Sha256] {
            let c = a.challenge(t0(), alg, false);
            let creds = answer(&c, alg, "101", "secret-pw");
            let later = t0() + TimeDelta::seconds(299);
            assert_eq!(
                a.verify(later, "REGISTER", &creds, "secret-pw"),
                Verdict::Ok
            );
            // The parsed wire form verifies too.
            let wire = parse(&creds.to_string());
            assert_eq!(a.verify(later, "REGISTER", &wire, "secret-pw"), Verdict::Ok);
        }
    }

    #[test]
    fn uppercase_response_hex_is_accepted() {
        let a = auth();
        let mut creds = answer(
            &a.challenge(t0(), Algorithm::Md5, false),
            Algorithm::Md5,
            "u",
            "p",
        );
        creds.response = creds.response.to_ascii_uppercase();
        assert_eq!(a.verify(t0(), "REGISTER", &creds, "p"), Verdict::Ok);
    }

    #[test]
    fn method_is_part_of_the_response() {
        let a = auth();
        let creds = answer(
            &a.challenge(t0(), Algorithm::Md5, false),
            Algorithm::Md5,
            "u",
            "p",
        );
        assert_eq!(
            a.verify(t0(), "INVITE", &creds, "p"),
            Verdict::WrongPassword
        );
    }

    #[test]
    fn expired_nonce_is_stale() {
        let a = auth();
        let creds = answer(
            &a.challenge(t0(), Algorithm::Sha256, false),
            Algorithm::Sha256,
            "u",
            "p",
        );
        let late = t0() + TimeDelta::seconds(301);
        assert_eq!(a.verify(late, "REGISTER", &creds, "p"), Verdict::Stale);
        let short = auth().with_nonce_lifetime(TimeDelta::seconds(10));
        let at = t0() + TimeDelta::seconds(11);
        assert_eq!(short.verify(at, "REGISTER", &creds, "p"), Verdict::Stale);
    }

    #[test]
    fn nonce_from_the_future_is_stale() {
        let a = auth();
        let creds = answer(
            &a.challenge(t0(), Algorithm::Md5, false),
            Algorithm::Md5,
            "u",
            "p",
        );
        let before = t0() - TimeDelta::minutes(10);
        assert_eq!(a.verify(before, "REGISTER", &creds, "p"), Verdict::Stale);
        let slightly = t0() - TimeDelta::seconds(2);
        assert_eq!(a.verify(slightly, "REGISTER", &creds, "p"), Verdict::Ok);
    }

    #[test]
    fn wrong_password_on_a_stale_nonce_is_wrong_password() {
        let a = auth();
        let creds = answer(
            &a.challenge(t0(), Algorithm::Md5, false),
            Algorithm::Md5,
            "u",
            "p",
        );
        let late = t0() + TimeDelta::hours(1);
        assert_eq!(
            a.verify(late, "REGISTER", &creds, "x"),
            Verdict::WrongPassword
        );
    }

    #[test]
    fn forged_nonces_are_bad() {
        let a = auth();
        let good = answer(
            &a.challenge(t0(), Algorithm::Md5, false),
            Algorithm::Md5,
            "u",
            "p",
        );
        // A later timestamp with the old MAC.
        let mut forged = good.clone();
        forged
            .nonce
            .replace_range(0..16, &format!("{:016x}", u64::MAX >> 8));
        forged.response = expected_response(&forged, "REGISTER", "p");
        assert_eq!(a.verify(t0(), "REGISTER", &forged, "p"), Verdict::BadNonce);
        // One flipped digit of the MAC.
        let mut flipped = good.clone();
        let last = if flipped.nonce.ends_with('0') {
            "1"
        } else {
            "0"
        };
        flipped.nonce.replace_range(47..48, last);
        assert_eq!(a.verify(t0(), "REGISTER", &flipped, "p"), Verdict::BadNonce);
        // Another server's secret, garbage, upper case, empty.
        let other = DigestAuth::new(REALM, [8; 32]);
        assert_eq!(
            other.verify(t0(), "REGISTER", &good, "p"),
            Verdict::BadNonce
        );
        for nonce in [
            "",
            "xyz",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            &good.nonce.to_uppercase(),
        ] {
            let mut bad = good.clone();
            bad.nonce = nonce.into();
            assert_eq!(
                a.verify(t0(), "REGISTER", &bad, "p"),
                Verdict::BadNonce,
                "{nonce}"
            );
        }
    }

    #[test]
    fn wrong_password_and_wrong_realm() {
        let a = auth();
        let creds = answer(
            &a.challenge(t0(), Algorithm::Md5, false),
            Algorithm::Md5,
            "u",
            "p",
        );
        assert_eq!(
            a.verify(t0(), "REGISTER", &creds, "q"),
            Verdict::WrongPassword
        );
        let mut other = creds.clone();
        other.realm = "elsewhere".into();
        assert_eq!(a.verify(t0(), "REGISTER", &other, "p"), Verdict::WrongRealm);
    }

    #[test]
    fn auth_int_is_unsupported() {
        let a = auth();
        let mut creds = answer(
            &a.challenge(t0(), Algorithm::Md5, false),
            Algorithm::Md5,
            "u",
            "p",
        );
        if let Some(q) = creds.qop.as_mut() {
            q.qop = Qop::AuthInt;
        }
        let verdict = a.verify(t0(), "REGISTER", &creds, "p");
        assert_eq!(
            verdict,
            Verdict::Unsupported(Unsupported::Qop("auth-int".into()))
        );
    }

    #[test]
    fn verify_once_refuses_a_repeated_nonce_count() {
        let mut a = auth();
        let c = a.challenge(t0(), Algorithm::Md5, false);
        let first = answer(&c, Algorithm::Md5, "u", "p");
        assert_eq!(a.verify_once(t0(), "REGISTER", &first, "p"), Verdict::Ok);
        assert_eq!(
            a.verify_once(t0(), "REGISTER", &first, "p"),
            Verdict::Replayed
        );
        let mut second = first.clone();
        if let Some(q) = second.qop.as_mut() {
            q.nc = NonceCount::new(2);
        }
        second.response = expected_response(&second, "REGISTER", "p");
        assert_eq!(a.verify_once(t0(), "REGISTER", &second, "p"), Verdict::Ok);
        // A wrong password is not remembered and stays wrong.
        assert_eq!(
            a.verify_once(t0(), "REGISTER", &second, "x"),
            Verdict::WrongPassword
        );
    }

    #[test]
    fn verify_once_accepts_rfc2069_credentials_once_per_nonce() {
        let mut a = auth();
        let mut creds = answer(
            &a.challenge(t0(), Algorithm::Md5, false),
            Algorithm::Md5,
            "u",
            "p",
        );
        creds.qop = None;
        creds.response = expected_response(&creds, "REGISTER", "p");
        assert_eq!(a.verify_once(t0(), "REGISTER", &creds, "p"), Verdict::Ok);
        assert_eq!(
            a.verify_once(t0(), "REGISTER", &creds, "p"),
            Verdict::Replayed
        );
    }

    #[test]
    fn two_users_may_share_a_nonce() {
        let mut a = auth();
        let c = a.challenge(t0(), Algorithm::Md5, false);
        let desk = answer(&c, Algorithm::Md5, "101", "p1");
        let soft = answer(&c, Algorithm::Md5, "101-soft", "p2");
        assert_eq!(a.verify_once(t0(), "REGISTER", &desk, "p1"), Verdict::Ok);
        assert_eq!(a.verify_once(t0(), "REGISTER", &soft, "p2"), Verdict::Ok);
    }

    #[test]
    fn replay_memory_is_bounded() {
        let mut a = auth();
        for i in 0..(REPLAY_WINDOW as i64 + 100) {
            let now = t0() + TimeDelta::milliseconds(i);
            let creds = answer(
                &a.challenge(now, Algorithm::Md5, false),
                Algorithm::Md5,
                "u",
                "p",
            );
            assert_eq!(a.verify_once(now, "REGISTER", &creds, "p"), Verdict::Ok);
        }
        assert!(a.counts.entries.len() <= REPLAY_WINDOW);
    }

    #[test]
    fn parsing_tolerates_spacing_order_case_and_unknown_params() {
        let value = "  digest   NC = 0000000A ,,CNONCE=\"c\\\"n\" ,qop=\"auth\",\r\n\t\
                     algorithm = sha-256, foo=bar, response=abc123, uri=\"sip:x@y;transport=udp\",\
                     nonce=n, realm=\"r, with comma\", username=\"a\\\\b\", opaque=\"\",";
        let creds = parse(value);
        assert_eq!(creds.username, "a\\b");
        assert_eq!(creds.realm, "r, with comma");
        assert_eq!(creds.nonce, "n");
        assert_eq!(creds.uri, "sip:x@y;transport=udp");
        assert_eq!(creds.response, "abc123");
        assert_eq!(creds.algorithm, Algorithm::Sha256);
        assert_eq!(creds.opaque.as_deref(), Some(""));
        let q = creds.qop.as_ref();
        assert_eq!(
            q.map(|q| (q.cnonce.as_str(), q.nc.as_str())),
            Some(("c\"n", "0000000A"))
        );
        assert_eq!(q.map(|q| q.nc.value()), Some(10));
    }

    #[test]
    fn parse_errors_name_the_problem() {
        let cases: &[(&str, ParseError)] = &[
            ("", ParseError::NotDigest),
            ("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", ParseError::NotDigest),
            ("Digestusername=\"a\"", ParseError::NotDigest),
            ("Digest", ParseError::Missing("username")),
            (
                "Digest realm=\"r\", nonce=\"n\", uri=\"u\", response=\"x\"",
                ParseError::Missing("username"),
            ),
            (
                "Digest username=\"a, realm=\"r\"",
                ParseError::ExpectedComma {
                    name: "username".into(),
                },
            ),
            (
                "Digest username=\"abc",
                ParseError::UnterminatedQuote {
                    name: "username".into(),
                },
            ),
            (
                "Digest username",
                ParseError::ExpectedEquals {
                    name: "username".into(),
                },
            ),
            (
                "Digest username=",
                ParseError::ExpectedValue {
                    name: "username".into(),
                },
            ),
            ("Digest =x", ParseError::ExpectedName { at: 7 }),
            (
                "Digest username=a username=b",
                ParseError::ExpectedComma {
                    name: "username".into(),
                },
            ),
            (
                "Digest username=a, USERNAME=b",
                ParseError::Duplicate("username"),
            ),
            (
                "Digest \u{0}\u{1}garbage",
                ParseError::ExpectedName { at: 7 },
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(
                Credentials::parse(value).as_ref(),
                Err(expected),
                "{value:?}"
            );
        }
    }

    #[test]
    fn qop_parameters_are_checked() {
        let base = "Digest username=a, realm=r, nonce=n, uri=u, response=x";
        let err = |extra: &str| Credentials::parse(&format!("{base}, {extra}")).err();
        assert_eq!(
            err("qop=auth, nc=00000001"),
            Some(ParseError::Missing("cnonce"))
        );
        assert_eq!(err("qop=auth, cnonce=c"), Some(ParseError::Missing("nc")));
        assert_eq!(
            err("qop=auth, cnonce=c, nc=1"),
            Some(ParseError::BadNc("1".into()))
        );
        let nc = "qop=auth, cnonce=c, nc=0000000g";
        assert_eq!(err(nc), Some(ParseError::BadNc("0000000g".into())));
        let qop = Unsupported::Qop("auth-conf".into());
        assert_eq!(
            err("qop=auth-conf, cnonce=c, nc=00000001"),
            Some(qop.into())
        );
        let alg = Unsupported::Algorithm("MD5-sess".into());
        assert_eq!(err("algorithm=MD5-sess"), Some(alg.into()));
        assert_eq!(err("userhash=true"), Some(Unsupported::UserHash.into()));
        assert_eq!(err("userhash=false"), None);
    }

    #[test]
    fn overlong_values_are_refused() {
        let long = format!("Digest username=\"{}\"", "a".repeat(MAX_HEADER_LEN));
        let err = Credentials::parse(&long).err();
        assert_eq!(err, Some(ParseError::TooLong { len: long.len() }));
    }

    #[test]
    fn error_messages_do_not_echo_long_input() {
        let name = "ü".repeat(100);
        let err = Credentials::parse(&format!("Digest {name}")).err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.len() < 120, "{text}");
    }

    fn arb_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(any::<char>(), 0..12).prop_map(|v| v.into_iter().collect())
    }

    fn arb_credentials() -> impl Strategy<Value = Credentials> {
        let qop = proptest::option::of((arb_text(), any::<u32>()));
        let alg = prop_oneof![Just(Algorithm::Md5), Just(Algorithm::Sha256)];
        let texts = (arb_text(), arb_text(), arb_text(), arb_text(), arb_text());
        (texts, alg, qop, proptest::option::of(arb_text())).prop_map(
            |((username, realm, nonce, uri, response), algorithm, qop, opaque)| Credentials {
                username,
                realm,
                nonce,
                uri,
                response,
                algorithm,
                qop: qop.map(|(cnonce, nc)| QopParams {
                    qop: Qop::Auth,
                    cnonce,
                    nc: NonceCount::new(nc),
                }),
                opaque,
            },
        )
    }

    proptest! {
        #[test]
        fn parse_never_panics_on_random_text(value in "\\PC*") {
            let _ = Credentials::parse(&value);
        }

        #[test]
        fn parse_never_panics_on_mutated_headers(
            cut in 0usize..400,
            insert in "[\"\\\\,= a-z\\x00-\\x1f\u{80}-\u{10ffff}]{0,4}",
            drop in 0usize..4,
        ) {
            let valid = rfc7616("SHA-256", "abc");
            let mut at = cut.min(valid.len());
            while !valid.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + drop).min(valid.len());
            while !valid.is_char_boundary(end) {
                end -= 1;
            }
            let mutated = format!("{}{}{}", &valid[..at], insert, &valid[end..]);
            let _ = Credentials::parse(&mutated);
        }

        #[test]
        fn written_credentials_parse_back(creds in arb_credentials()) {
            let text = creds.to_string();
            prop_assert_eq!(Credentials::parse(&text), Ok(creds));
        }

        #[test]
        fn verify_never_panics(creds in arb_credentials(), password in arb_text()) {
            let mut a = auth();
            let _ = a.verify_once(t0(), "REGISTER", &creds, &password);
        }
    }
}
