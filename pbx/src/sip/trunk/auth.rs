//! The client side of HTTP Digest as SIP uses it (RFC 2617, RFC 7616, RFC 8760): reading a
//! provider's `WWW-Authenticate` / `Proxy-Authenticate` challenge and writing the
//! `Authorization` / `Proxy-Authorization` value that answers it.
//!
//! Sans-IO like the rest: the client nonce (`cnonce`) is passed in by the caller, so answers are
//! reproducible in tests. [`ClientAuth`] keeps one challenge and counts the requests answered
//! with its nonce (`nc`), as RFC 7616 §3.4 asks; a new challenge starts a new count.
//!
//! Supported: `MD5` (the default when `algorithm` is absent), `SHA-256`, and their `-sess`
//! variants; `qop=auth` when offered, or RFC 2069's form without `qop`. A challenge offering
//! only `qop=auth-int`, or another algorithm (`SHA-512-256`, `AKAv1-MD5`), is refused with a
//! typed [`ChallengeError`], so a provider listing several challenges (RFC 8760) can be
//! answered with the first one Centrala supports ([`pick`]).

use std::fmt::{self, Write as _};

use md5::Md5;
use sha2::{Digest, Sha256};

/// Longest challenge value read, in bytes.
pub const MAX_CHALLENGE_LEN: usize = 4096;

/// A digest algorithm a client can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientAlgorithm {
    /// `MD5` (RFC 2617).
    Md5,
    /// `MD5-sess`: HA1 also covers the nonce and client nonce.
    Md5Sess,
    /// `SHA-256` (RFC 7616).
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
}

impl ClientAlgorithm {
    /// The name as written in `algorithm=`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAlgorithm::Md5 => "MD5",
            ClientAlgorithm::Md5Sess => "MD5-sess",
            ClientAlgorithm::Sha256 => "SHA-256",
            ClientAlgorithm::Sha256Sess => "SHA-256-sess",
        }
    }

    /// The algorithm a token names (case-insensitive), if supported.
    pub fn from_token(token: &str) -> Option<ClientAlgorithm> {
        [
            ClientAlgorithm::Md5,
            ClientAlgorithm::Md5Sess,
            ClientAlgorithm::Sha256,
            ClientAlgorithm::Sha256Sess,
        ]
        .into_iter()
        .find(|a| a.as_str().eq_ignore_ascii_case(token))
    }

    /// Whether HA1 is the session form (`-sess`).
    pub fn is_session(self) -> bool {
        matches!(self, ClientAlgorithm::Md5Sess | ClientAlgorithm::Sha256Sess)
    }

    /// Lower-case hex of the hash of `parts` joined by `:`.
    fn hash(self, parts: &[&str]) -> String {
        match self {
            ClientAlgorithm::Md5 | ClientAlgorithm::Md5Sess => hash_parts::<Md5>(parts),
            ClientAlgorithm::Sha256 | ClientAlgorithm::Sha256Sess => hash_parts::<Sha256>(parts),
        }
    }
}

impl fmt::Display for ClientAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A digest challenge from a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// `realm`.
    pub realm: String,
    /// `nonce`.
    pub nonce: String,
    /// `opaque`, echoed back unchanged.
    pub opaque: Option<String>,
    /// `algorithm` (MD5 when absent).
    pub algorithm: ClientAlgorithm,
    /// Whether `qop` offered `auth` (when false, the RFC 2069 form is used).
    pub qop_auth: bool,
    /// `stale=true`: the previous credentials were right but their nonce expired.
    pub stale: bool,
}

/// Why a challenge cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    /// Longer than [`MAX_CHALLENGE_LEN`].
    #[error("the challenge is {0} bytes long, more than {MAX_CHALLENGE_LEN}")]
    TooLong(usize),
    /// Not the `Digest` scheme.
    #[error("the challenge's scheme is not Digest")]
    NotDigest,
    /// The parameter list cannot be read.
    #[error("the challenge is malformed near byte {0}")]
    Malformed(usize),
    /// A required parameter is missing.
    #[error("the challenge has no {0}")]
    Missing(&'static str),
    /// An algorithm Centrala does not answer.
    #[error("the challenge's algorithm {0:?} is not supported")]
    Algorithm(String),
    /// `qop` offers neither `auth` nor nothing (only `auth-int`, say).
    #[error("the challenge's qop {0:?} offers no auth")]
    Qop(String),
    /// A `-sess` algorithm without `qop`: there would be no place for the client nonce.
    #[error("a -sess algorithm needs qop")]
    SessionWithoutQop,
}

impl Challenge {
    /// Parses a `WWW-Authenticate` / `Proxy-Authenticate` value. Parameter names are
    /// case-insensitive, values quoted or not, unknown parameters ignored. Never panics.
    pub fn parse(value: &str) -> Result<Challenge, ChallengeError> {
        if value.len() > MAX_CHALLENGE_LEN {
            return Err(ChallengeError::TooLong(value.len()));
        }
        let trimmed = value.trim_start();
        let scheme_end = trimmed
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(trimmed.len());
        if !trimmed[..scheme_end].eq_ignore_ascii_case("Digest") {
            return Err(ChallengeError::NotDigest);
        }
        let base = value.len() - trimmed.len() + scheme_end;
        let mut found = Found::default();
        for param in params(&trimmed[scheme_end..]) {
            let (name, val) = param.map_err(|at| ChallengeError::Malformed(base + at))?;
            found.set(name, val);
        }
        found.finish()
    }
}

/// The parameters a challenge is built from, as found (the first of each counts).
#[derive(Default)]
struct Found {
    realm: Option<String>,
    nonce: Option<String>,
    opaque: Option<String>,
    algorithm: Option<String>,
    qop: Option<String>,
    stale: Option<String>,
}

impl Found {
    fn set(&mut self, name: &str, value: String) {
        let slot = match name.to_ascii_lowercase().as_str() {
            "realm" => &mut self.realm,
            "nonce" => &mut self.nonce,
            "opaque" => &mut self.opaque,
            "algorithm" => &mut self.algorithm,
            "qop" => &mut self.qop,
            "stale" => &mut self.stale,
            _ => return,
        };
        slot.get_or_insert(value);
    }

    fn finish(self) -> Result<Challenge, ChallengeError> {
        let algorithm = match self.algorithm {
            None => ClientAlgorithm::Md5,
            Some(a) => ClientAlgorithm::from_token(a.trim()).ok_or(ChallengeError::Algorithm(a))?,
        };
        let qop_auth = match self.qop {
            None => false,
            Some(q) if q.split(',').any(|t| t.trim().eq_ignore_ascii_case("auth")) => true,
            Some(q) => return Err(ChallengeError::Qop(q)),
        };
        if algorithm.is_session() && !qop_auth {
            return Err(ChallengeError::SessionWithoutQop);
        }
        Ok(Challenge {
            realm: self.realm.ok_or(ChallengeError::Missing("realm"))?,
            nonce: self.nonce.ok_or(ChallengeError::Missing("nonce"))?,
            opaque: self.opaque,
            algorithm,
            qop_auth,
            stale: self
                .stale
                .is_some_and(|s| s.trim().eq_ignore_ascii_case("true")),
        })
    }
}

/// The `name=value` pairs of a parameter list separated by commas; an error carries the byte
/// offset where reading failed.
fn params(text: &str) -> impl Iterator<Item = Result<(&str, String), usize>> + '_ {
    let mut pos = 0;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed {
            return None;
        }
        let bytes = text.as_bytes();
        while pos < bytes.len() && matches!(bytes[pos], b',' | b' ' | b'\t' | b'\r' | b'\n') {
            pos += 1;
        }
        if pos >= bytes.len() {
            return None;
        }
        let item = param(text, &mut pos);
        failed = item.is_err();
        Some(item)
    })
}

/// One `name = value` at `pos`, leaving `pos` after it.
fn param<'a>(text: &'a str, pos: &mut usize) -> Result<(&'a str, String), usize> {
    let bytes = text.as_bytes();
    let start = *pos;
    while *pos < bytes.len() && is_token_byte(bytes[*pos]) {
        *pos += 1;
    }
    let name = &text[start..*pos];
    skip_ws(bytes, pos);
    if name.is_empty() || bytes.get(*pos) != Some(&b'=') {
        return Err(*pos);
    }
    *pos += 1;
    skip_ws(bytes, pos);
    let value = if bytes.get(*pos) == Some(&b'"') {
        quoted(text, pos)?
    } else {
        let from = *pos;
        while *pos < bytes.len() && !matches!(bytes[*pos], b',' | b' ' | b'\t' | b'\r' | b'\n') {
            *pos += 1;
        }
        if from == *pos {
            return Err(*pos);
        }
        text[from..*pos].to_owned()
    };
    skip_ws(bytes, pos);
    match bytes.get(*pos) {
        None | Some(b',') => Ok((name, value)),
        Some(_) => Err(*pos),
    }
}

/// A quoted-string starting at `pos` (the opening quote); `\x` stands for `x`.
fn quoted(text: &str, pos: &mut usize) -> Result<String, usize> {
    let open = *pos;
    let mut out = String::new();
    let mut escaped = false;
    for (i, ch) in text[open + 1..].char_indices() {
        if escaped {
            out.push(ch);
            escaped = false;
        } else if ch == '\\' {
            escaped = true;
        } else if ch == '"' {
            *pos = open + 1 + i + 1;
            return Ok(out);
        } else {
            out.push(ch);
        }
    }
    Err(open)
}

fn skip_ws(bytes: &[u8], pos: &mut usize) {
    while *pos < bytes.len() && matches!(bytes[*pos], b' ' | b'\t' | b'\r' | b'\n') {
        *pos += 1;
    }
}

/// RFC 3261 `token` characters.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// The first challenge among `values` that Centrala can answer (a server lists them most
/// preferred first, RFC 8760 §2.4), or the first one's error when none can be answered.
pub fn pick<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Challenge, ChallengeError> {
    let mut first_error = None;
    for value in values {
        match Challenge::parse(value) {
            Ok(c) => return Ok(c),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(ChallengeError::Missing("challenge header")))
}

/// What one answer covers: the request and the account.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The request's method (`REGISTER`).
    pub method: &'a str,
    /// The digest URI: the Request-URI.
    pub uri: &'a str,
    /// The user name at the provider.
    pub username: &'a str,
    /// The password at the provider.
    pub password: &'a str,
}

/// The `response` value: `H(HA1:nonce:nc:cnonce:qop:HA2)`, or `H(HA1:nonce:HA2)` without
/// `qop`, where `HA1 = H(user:realm:password)` (for `-sess`, `H(that:nonce:cnonce)`) and
/// `HA2 = H(method:uri)`. Lower-case hex.
pub fn response(challenge: &Challenge, request: &Request<'_>, cnonce: &str, nc: u32) -> String {
    let alg = challenge.algorithm;
    let nonce = challenge.nonce.as_str();
    let mut ha1 = alg.hash(&[request.username, &challenge.realm, request.password]);
    if alg.is_session() {
        ha1 = alg.hash(&[&ha1, nonce, cnonce]);
    }
    let ha2 = alg.hash(&[request.method, request.uri]);
    if challenge.qop_auth {
        let nc = format!("{nc:08x}");
        alg.hash(&[&ha1, nonce, &nc, cnonce, "auth", &ha2])
    } else {
        alg.hash(&[&ha1, nonce, &ha2])
    }
}

/// One challenge being answered, with its nonce count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAuth {
    challenge: Challenge,
    nc: u32,
}

impl ClientAuth {
    /// Starts answering `challenge` (no request counted yet).
    pub fn new(challenge: Challenge) -> ClientAuth {
        ClientAuth { challenge, nc: 0 }
    }

    /// The challenge.
    pub fn challenge(&self) -> &Challenge {
        &self.challenge
    }

    /// How many requests were answered with this nonce.
    pub fn count(&self) -> u32 {
        self.nc
    }

    /// The header value for the next request with this nonce (`nc` counts up by one), with
    /// the caller's fresh client nonce.
    pub fn authorize(&mut self, request: &Request<'_>, cnonce: &str) -> String {
        self.nc = self.nc.saturating_add(1);
        header_value(&self.challenge, request, cnonce, self.nc)
    }
}

/// The `Authorization` / `Proxy-Authorization` value answering `challenge`.
pub fn header_value(challenge: &Challenge, request: &Request<'_>, cnonce: &str, nc: u32) -> String {
    let c = challenge;
    let mut out = String::from("Digest ");
    let _ = write!(
        out,
        "username={}, realm={}, nonce={}, uri={}, response=\"{}\", algorithm={}",
        Quoted(request.username),
        Quoted(&c.realm),
        Quoted(&c.nonce),
        Quoted(request.uri),
        response(c, request, cnonce, nc),
        c.algorithm,
    );
    if c.qop_auth {
        let _ = write!(out, ", qop=auth, nc={nc:08x}, cnonce={}", Quoted(cnonce));
    }
    if let Some(opaque) = &c.opaque {
        let _ = write!(out, ", opaque={}", Quoted(opaque));
    }
    out
}

/// A value written as a quoted-string, `"` and `\` escaped (control characters dropped).
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for ch in self.0.chars().filter(|c| !c.is_control()) {
            if ch == '"' || ch == '\\' {
                f.write_char('\\')?;
            }
            f.write_char(ch)?;
        }
        f.write_char('"')
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
    hasher.finalize().iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests;
