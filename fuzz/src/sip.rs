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

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

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
