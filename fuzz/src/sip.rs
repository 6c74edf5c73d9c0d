//! The input format of the `sip_endpoint` target, shared with the seed generator.
//!
//! One fuzz input is a sequence of records separated by [`SEP`] (NUL, 0xFF, NUL: no SIP
//! message a phone sends contains it, and no record written by [`encode`] can begin with it). A record is a control byte, a source byte and the bytes
//! to deliver:
//!
//! - control bits 0–3: how far the virtual clock moves before the delivery ([`STEPS_MS`]),
//!   firing every timer due on the way;
//! - bit 4: deliver over TCP (through a per-source stream framer) rather than as a datagram;
//! - bit 5: deliver the bytes twice (a retransmission);
//! - bit 6: before the delivery, swap the configuration (the factory default with fixed
//!   passwords, or the same without employee 103), as an admin's change would;
//! - the source byte picks one of [`SOURCE_IPS`] × [`SOURCE_PORTS`].
//!
//! A record shorter than two bytes only moves the clock (by its control byte, if any).
//!
//! In the bytes, `@AUTHn@` and `@SHA256n@` (n a digit) are replaced, just before delivery,
//! by a correct `Authorization` value (MD5 or SHA-256, `qop=auth`, a fresh `nc`) for the
//! latest nonce the endpoint handed out, the request line's method and URI, and device
//! `10n` with its password — except n = 0 (device 101, wrong password) and n ≥ 4 (user
//! `10n`, which does not exist). Without this, random mutation would never get past the
//! challenge to the registrar's bindings and the INVITE handler.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use firmware_config::Config;
use pbx::sip::digest::{expected_response, Algorithm, Credentials, NonceCount, Qop, QopParams};
use pbx::sip::endpoint::REALM;

/// Separates records.
pub const SEP: &[u8] = b"\0\xff\0";

/// Clock steps before a delivery, in milliseconds, by the low four bits of the control byte:
/// mostly bursts, then retransmission timers (0.5–4 s), Timer J/H (32 s), nonce lifetime
/// and registration expiry (up to an hour).
pub const STEPS_MS: [u64; 16] = [
    0, 0, 0, 0, 1, 10, 100, 500, 1_000, 2_000, 4_000, 10_000, 32_000, 64_000, 600_000, 3_700_000,
];

/// Control bit: deliver over TCP.
pub const TCP: u8 = 0x10;
/// Control bit: deliver twice.
pub const TWICE: u8 = 0x20;
/// Control bit: swap the configuration first.
pub const RECONFIGURE: u8 = 0x40;

/// Source addresses: a phone, a second host, an IPv4-mapped IPv6 form of the first, IPv6
/// hosts in one and in another /64 (the rate limiter groups IPv6 by /64).
pub const SOURCE_IPS: [IpAddr; 5] = [
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)),
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)),
    IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0x7f00, 1)),
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 0, 0, 0, 1)),
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 2, 0, 0, 0, 9)),
];

/// Source ports.
pub const SOURCE_PORTS: [u16; 4] = [5060, 5062, 40000, 1];

/// The source a source byte picks.
pub fn source(byte: u8) -> SocketAddr {
    let ip = SOURCE_IPS[usize::from(byte) % SOURCE_IPS.len()];
    let port = SOURCE_PORTS[usize::from(byte) / SOURCE_IPS.len() % SOURCE_PORTS.len()];
    SocketAddr::new(ip, port)
}

/// The source byte for an address of [`SOURCE_IPS`] and [`SOURCE_PORTS`] (by index).
pub fn source_byte(ip: usize, port: usize) -> u8 {
    u8::try_from(port * SOURCE_IPS.len() + ip).unwrap_or(0)
}

/// One record.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// The control byte.
    pub control: u8,
    /// The source, if the record delivers anything.
    pub from: Option<SocketAddr>,
    /// The bytes to deliver.
    pub bytes: &'a [u8],
}

impl Record<'_> {
    /// How far the clock moves first, in milliseconds.
    pub fn step_ms(&self) -> u64 {
        STEPS_MS[usize::from(self.control & 0x0f)]
    }
}

/// The records of a fuzz input.
pub fn records(data: &[u8]) -> impl Iterator<Item = Record<'_>> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let chunk = rest?;
        let (record, next) = match find(chunk, SEP) {
            Some(at) => (&chunk[..at], Some(&chunk[at + SEP.len()..])),
            None => (chunk, None),
        };
        rest = next;
        Some(match record {
            [control, from, bytes @ ..] => Record {
                control: *control,
                from: Some(source(*from)),
                bytes,
            },
            [control] => Record {
                control: *control,
                from: None,
                bytes: &[],
            },
            [] => Record {
                control: 0,
                from: None,
                bytes: &[],
            },
        })
    })
}

/// Joins records into a fuzz input: (control, source byte, bytes). Panics if the result would
/// not split back into the same records (a message containing [`SEP`], or bytes that run
/// into it).
pub fn encode(records: &[(u8, u8, &[u8])]) -> Vec<u8> {
    let out = join(records);
    let back: Vec<(u8, Option<SocketAddr>, &[u8])> = self::records(&out)
        .map(|r| (r.control, r.from, r.bytes))
        .collect();
    let expected: Vec<(u8, Option<SocketAddr>, &[u8])> = records
        .iter()
        .map(|&(control, from, bytes)| (control, Some(source(from)), bytes))
        .collect();
    assert!(back == expected, "records that do not survive the encoding");
    out
}

fn join(records: &[(u8, u8, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (control, from, bytes)) in records.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(SEP);
        }
        out.push(*control);
        out.push(*from);
        out.extend_from_slice(bytes);
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// User name → password of every device of `config`, for the `@AUTHn@` substitution.
pub fn passwords(config: &Config) -> HashMap<String, String> {
    let mut passwords = HashMap::new();
    for employee in config.employees.iter() {
        for device in &employee.devices {
            passwords.insert(
                device.username.as_str().to_owned(),
                device.password.as_str().to_owned(),
            );
        }
    }
    passwords
}

/// Digest credentials as the fuzz targets hand them out: the latest nonce a challenge named,
/// and a nonce count that goes up with every `Authorization` written.
#[derive(Debug, Default)]
pub struct Auth {
    nonce: Option<String>,
    nc: u32,
}

impl Auth {
    /// Learns the nonce of the last `WWW-Authenticate` in a message we sent (if any).
    pub fn learn(&mut self, message: &[u8]) {
        let text = String::from_utf8_lossy(message);
        for line in text.split("\r\n") {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if !name.trim().eq_ignore_ascii_case("WWW-Authenticate") {
                continue;
            }
            if let Some(nonce) = value
                .split_once("nonce=\"")
                .and_then(|(_, rest)| rest.split_once('"'))
                .map(|(nonce, _)| nonce.to_owned())
            {
                self.nonce = Some(nonce);
            }
        }
    }

    /// Whether a challenge was seen yet.
    pub fn has_nonce(&self) -> bool {
        self.nonce.is_some()
    }

    /// The bytes with every `@AUTHn@` / `@SHA256n@` replaced by credentials for the request
    /// line of `bytes`.
    pub fn substitute(&mut self, bytes: &[u8], passwords: &HashMap<String, String>) -> Vec<u8> {
        let first = bytes.split(|&b| b == b'\r' || b == b'\n').next();
        let first = String::from_utf8_lossy(first.unwrap_or_default()).into_owned();
        let mut words = first.split(' ');
        let method = words.next().unwrap_or_default().to_owned();
        let uri = words.next().unwrap_or_default().to_owned();
        let mut out = Vec::with_capacity(bytes.len());
        let mut rest = bytes;
        while let Some(at) = rest.iter().position(|&b| b == b'@') {
            out.extend_from_slice(&rest[..at]);
            rest = &rest[at..];
            let token = [
                (&b"@AUTH"[..], Algorithm::Md5),
                (b"@SHA256", Algorithm::Sha256),
            ]
            .into_iter()
            .find_map(|(prefix, algorithm)| match rest.strip_prefix(prefix) {
                Some([digit @ b'0'..=b'9', b'@', ..]) => {
                    Some((prefix.len() + 2, *digit, algorithm))
                }
                _ => None,
            });
            match token {
                Some((len, digit, algorithm)) => {
                    let value = self.authorization(&method, &uri, digit, algorithm, passwords);
                    out.extend_from_slice(value.as_bytes());
                    rest = &rest[len..];
                }
                None => {
                    out.push(b'@');
                    rest = &rest[1..];
                }
            }
        }
        out.extend_from_slice(rest);
        out
    }

    /// An `Authorization` value for `method` and `uri` as device `10<digit>` (ASCII digit):
    /// `0` is device 101 with a wrong password, a user without a password in `passwords`
    /// gets a made-up one.
    pub fn authorization(
        &mut self,
        method: &str,
        uri: &str,
        digit: u8,
        algorithm: Algorithm,
        passwords: &HashMap<String, String>,
    ) -> String {
        let n = char::from(digit);
        let (username, password) = match digit {
            b'0' => ("101".to_owned(), "not-the-password".to_owned()),
            _ => {
                let username = format!("10{n}");
                let password = passwords
                    .get(&username)
                    .cloned()
                    .unwrap_or_else(|| "no-such-user".to_owned());
                (username, password)
            }
        };
        self.nc = self.nc.wrapping_add(1);
        let mut creds = Credentials {
            username,
            realm: REALM.to_owned(),
            nonce: self
                .nonce
                .clone()
                .unwrap_or_else(|| "no-nonce-yet".to_owned()),
            uri: uri.to_owned(),
            response: String::new(),
            algorithm,
            qop: Some(QopParams {
                qop: Qop::Auth,
                cnonce: "fuzzcnonce".to_owned(),
                nc: NonceCount::new(self.nc),
            }),
            opaque: None,
        };
        creds.response = expected_response(&creds, method, &password);
        format!(
            "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{}\", \
             algorithm={}, qop=auth, nc={}, cnonce=\"fuzzcnonce\"",
            creds.username,
            creds.realm,
            creds.nonce,
            creds.uri,
            creds.response,
            algorithm.as_str(),
            NonceCount::new(self.nc).as_str(),
        )
    }
}

/// Whether known findings fail the run too. They are fixed (see `fuzz/regressions/`), so
/// this is the default; `FUZZ_LENIENT=1` tolerates them again.
pub fn strict() -> bool {
    std::env::var_os("FUZZ_LENIENT").is_none()
}

/// Why a request the daemon sent is known not to parse again, if it is one of the findings
/// kept in `fuzz/regressions/` (see its README): a Request-URI with an IPv6 literal (the
/// registered contact of an IPv6 phone, which `wire::parse` refuses), or with a port above
/// 65535 (a caller's INVITE `Contact`, taken as the dialog's target and echoed in our BYE).
/// The targets
/// tolerate these unless [`strict`], so that fuzzing gets past them.
pub fn known_unparsable(bytes: &[u8]) -> Option<&'static str> {
    let line = bytes.split(|&b| b == b'\r' || b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    if line.starts_with("SIP/2.0 ") {
        return None;
    }
    let uri = line.split(' ').nth(1)?;
    let host_port = uri.rsplit('@').next()?.split(';').next()?;
    if host_port.contains('[') {
        return Some("IPv6 literal in the Request-URI");
    }
    let port = host_port.rsplit_once(':').map(|(_, port)| port)?;
    match port.parse::<u64>() {
        Ok(port) if port > u64::from(u16::MAX) => Some("port above 65535 in the Request-URI"),
        _ => None,
    }
}
