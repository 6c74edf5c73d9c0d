//! Caller ID: the data link messages carried by on-hook FSK (Bellcore GR-30 SDMF and MDMF,
//! ETSI EN 300 659-3 call set-up), the DTMF caller-ID forms of ETSI EN 300 659-1 Annex B and
//! its national variants, and [`FskCallerIdReceiver`], which turns line audio into
//! [`CallerId`]s through the [`FskDemod`].
//!
//! Message layout (all formats): type, length, `length` bytes of body, checksum; the checksum
//! makes the sum of every byte, checksum included, zero modulo 256.
//! - SDMF (type 0x04): body = 8 ASCII digits `MMDDhhmm`, then the number in ASCII, or a
//!   single `P` (private) or `O` (out of area / unavailable).
//! - MDMF (type 0x80; ETSI "call set-up"): body = parameters `type, length, value`:
//!   0x01 date-time (`MMDDhhmm`), 0x02 calling number, 0x04 reason for absence of the
//!   number (`P`/`O`), 0x07 calling name, 0x08 reason for absence of the name; others
//!   (called number, call type, …) are skipped.
//!
//! Nothing here allocates per audio frame: the receiver buffers bytes in a fixed array and
//! allocates only to build a decoded [`CallerId`].

use super::fsk::{FskConfig, FskDemod, FskEvent};

/// SDMF caller-ID message type (GR-30 "calling number delivery").
pub const SDMF_CALLER_ID: u8 = 0x04;
/// MDMF caller-ID message type (GR-30 MDMF; ETSI EN 300 659-3 call set-up).
pub const MDMF_CALLER_ID: u8 = 0x80;

/// Longest possible message: type, length, 255 body bytes, checksum.
const MAX_MESSAGE: usize = 258;

/// Why the caller's number (or name) was not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Absence {
    /// Withheld by the caller (`P`; ETSI "private"; DTMF `B00` / `D1`).
    Private,
    /// Not available to the network (`O`, "out of area"; DTMF `B10` / `D2` / `D3`).
    Unavailable,
}

/// A decoded caller ID.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallerId {
    /// The calling number as sent (digits, as the network formats them).
    pub number: Option<String>,
    /// The calling name (MDMF only); bytes above 0x7f are read as Latin-1.
    pub name: Option<String>,
    /// (month, day, hour, minute) from the exchange, if sent and valid.
    pub when: Option<(u8, u8, u8, u8)>,
    /// Why the number is missing.
    pub absence: Option<Absence>,
    /// Why the name is missing (MDMF parameter 0x08).
    pub name_absence: Option<Absence>,
    /// The message as received (FSK: type through checksum; DTMF: the digits), for the
    /// console's line diagnostics.
    pub raw: Vec<u8>,
}

/// Why a caller-ID message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallerIdError {
    /// The message ended (carrier lost, silence, or too few bytes) before its length.
    #[error("caller ID truncated: {got} of {expected} bytes")]
    Truncated {
        /// Bytes the length byte announced (type, length and checksum included), or 3 if
        /// not even the length byte arrived.
        expected: usize,
        /// Bytes received.
        got: usize,
    },
    /// The checksum byte does not match the message.
    #[error("caller ID checksum 0x{received:02x}, expected 0x{computed:02x}")]
    BadChecksum {
        /// What the message's bytes add up to.
        computed: u8,
        /// What was sent.
        received: u8,
    },
    /// Not a caller-ID message type (0x04 or 0x80): e.g. message waiting (0x06, 0x82).
    #[error("not a caller ID message: type 0x{0:02x}")]
    UnknownType(u8),
    /// A character arrived with a bad stop bit in the middle of a message.
    #[error("caller ID framing error after {got} bytes")]
    Framing {
        /// Bytes received before the error.
        got: usize,
    },
    /// The structure is wrong (a parameter overruns the message, a short date, …).
    #[error("malformed caller ID: {0}")]
    Malformed(&'static str),
    /// A DTMF caller-ID digit string does not fit the expected form.
    #[error("malformed DTMF caller ID: {0}")]
    Dtmf(&'static str),
}

/// Parses and verifies one complete FSK message (type through checksum).
pub fn parse_message(bytes: &[u8]) -> Result<CallerId, CallerIdError> {
    let (&kind, rest) = bytes.split_first().ok_or(CallerIdError::Truncated {
        expected: 3,
        got: 0,
    })?;
    let len = usize::from(*rest.first().ok_or(CallerIdError::Truncated {
        expected: 3,
        got: bytes.len(),
    })?);
    let expected = len + 3;
    if bytes.len() < expected {
        return Err(CallerIdError::Truncated {
            expected,
            got: bytes.len(),
        });
    }
    let message = &bytes[..expected];
    let received = message[expected - 1];
    let computed = checksum(&message[..expected - 1]);
    if computed != received {
        return Err(CallerIdError::BadChecksum { computed, received });
    }
    let body = &message[2..expected - 1];
    let mut cid = match kind {
        SDMF_CALLER_ID => parse_sdmf(body)?,
        MDMF_CALLER_ID => parse_mdmf(body)?,
        other => return Err(CallerIdError::UnknownType(other)),
    };
    cid.raw = message.to_vec();
    Ok(cid)
}

/// The checksum byte for `bytes` (type through the last body byte): the two's complement
/// of their sum modulo 256.
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes
        .iter()
        .fold(0u8, |sum, &b| sum.wrapping_add(b))
        .wrapping_neg()
}

fn parse_sdmf(body: &[u8]) -> Result<CallerId, CallerIdError> {
    if body.len() < 8 {
        return Err(CallerIdError::Malformed(
            "SDMF shorter than its date and time",
        ));
    }
    let (date, number) = body.split_at(8);
    let mut cid = CallerId {
        when: parse_when(date),
        ..CallerId::default()
    };
    match absence(number) {
        Some(reason) => cid.absence = Some(reason),
        None if number.is_empty() => {}
        None => cid.number = Some(text(number)?),
    }
    Ok(cid)
}

fn parse_mdmf(mut body: &[u8]) -> Result<CallerId, CallerIdError> {
    let mut cid = CallerId::default();
    while let [kind, len, rest @ ..] = body {
        let len = usize::from(*len);
        if rest.len() < len {
            return Err(CallerIdError::Malformed("parameter overruns the message"));
        }
        let (value, tail) = rest.split_at(len);
        match kind {
            0x01 => cid.when = parse_when(value),
            0x02 => cid.number = Some(text(value)?),
            0x04 => cid.absence = absence(value),
            0x07 => cid.name = Some(text(value)?),
            0x08 => cid.name_absence = absence(value),
            _ => {}
        }
        body = tail;
    }
    if !body.is_empty() {
        return Err(CallerIdError::Malformed("dangling parameter header"));
    }
    Ok(cid)
}

/// `P` / `O` as a reason for absence.
fn absence(value: &[u8]) -> Option<Absence> {
    match value {
        b"P" => Some(Absence::Private),
        b"O" => Some(Absence::Unavailable),
        _ => None,
    }
}

/// Printable text; bytes above 0x7f are Latin-1 (ETSI networks send national characters).
fn text(value: &[u8]) -> Result<String, CallerIdError> {
    if value.iter().any(|&b| b < 0x20 || b == 0x7f) {
        return Err(CallerIdError::Malformed("control character in text"));
    }
    Ok(value.iter().map(|&b| char::from(b)).collect())
}

/// `MMDDhhmm` in ASCII, each field in range.
fn parse_when(value: &[u8]) -> Option<(u8, u8, u8, u8)> {
    let [m1, m2, d1, d2, h1, h2, n1, n2] = value else {
        return None;
    };
    let pair = |a: u8, b: u8| {
        (a.is_ascii_digit() && b.is_ascii_digit()).then(|| (a - b'0') * 10 + (b - b'0'))
    };
    let month = pair(*m1, *m2)?;
    let day = pair(*d1, *d2)?;
    let hour = pair(*h1, *h2)?;
    let minute = pair(*n1, *n2)?;
    let valid = (1..=12).contains(&month) && (1..=31).contains(&day) && hour < 24 && minute < 60;
    valid.then_some((month, day, hour, minute))
}

/// DTMF caller-ID digit layouts (which one a line uses is a per-country setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtmfFormat {
    /// ETSI EN 300 659-1 Annex B (Denmark, Sweden, Finland, the Netherlands, Belgium,
    /// Iceland, India, …): fields each led by a letter, ended by `C` (or `#`): `A` calling
    /// number, `B` reason for absence (`00` private, `10` unavailable), `D` diverting
    /// number (skipped). E.g. `A0612345678C`, `B00C`.
    Etsi,
    /// `D<number>C` or `D<number>#` (Taiwan, Kuwait and others using `D` as start digit).
    DStart,
    /// `#`-terminated: `A<number>#`, `D<1|2|3>#` (private / overseas / unavailable), or a
    /// bare `<number>#`.
    Hash,
    /// Guess from the first digit and the terminator: `A`/`B` → [`DtmfFormat::Etsi`] (or
    /// [`DtmfFormat::Hash`] if it ends in `#` after `A`), `D` and one digit before `#` →
    /// absence ([`DtmfFormat::Hash`]), other `D` → [`DtmfFormat::DStart`], a digit →
    /// [`DtmfFormat::Hash`].
    Auto,
}

/// Parses a DTMF caller ID from already-detected digits (`0-9 A-D * #`, as the DTMF
/// detector reports them), from the start digit through the end digit.
pub fn parse_dtmf(digits: &str, format: DtmfFormat) -> Result<CallerId, CallerIdError> {
    let bytes = digits.as_bytes();
    let Some((&end, body)) = bytes.split_last() else {
        return Err(CallerIdError::Dtmf("no digits"));
    };
    if !matches!(end, b'C' | b'#') {
        return Err(CallerIdError::Dtmf("no end digit (C or #)"));
    }
    if !body
        .iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'A'..=b'D' | b'*'))
    {
        return Err(CallerIdError::Dtmf("not a DTMF digit"));
    }
    let format = match format {
        DtmfFormat::Auto => guess_format(body, end),
        f => f,
    };
    let mut cid = match format {
        DtmfFormat::Etsi => dtmf_etsi(body)?,
        DtmfFormat::DStart => dtmf_d_start(body)?,
        _ => dtmf_hash(body, end)?,
    };
    cid.raw = bytes.to_vec();
    Ok(cid)
}

fn guess_format(body: &[u8], end: u8) -> DtmfFormat {
    match body {
        [b'A', ..] if end == b'#' => DtmfFormat::Hash,
        [b'A' | b'B', ..] => DtmfFormat::Etsi,
        [b'D', _] if end == b'#' => DtmfFormat::Hash,
        [b'D', ..] => DtmfFormat::DStart,
        _ => DtmfFormat::Hash,
    }
}

fn dtmf_etsi(body: &[u8]) -> Result<CallerId, CallerIdError> {
    let mut cid = CallerId::default();
    let mut rest = body;
    if !matches!(rest.first(), Some(b'A' | b'B' | b'D')) {
        return Err(CallerIdError::Dtmf("ETSI form starts with A, B or D"));
    }
    while let [letter, tail @ ..] = rest {
        let len = tail
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(tail.len());
        let (value, next) = tail.split_at(len);
        match letter {
            b'A' => cid.number = Some(digits_of(value)?),
            b'B' => {
                cid.absence = Some(match value {
                    b"00" => Absence::Private,
                    b"10" => Absence::Unavailable,
                    _ => return Err(CallerIdError::Dtmf("unknown absence code after B")),
                })
            }
            b'D' => {}
            _ => return Err(CallerIdError::Dtmf("unexpected digit between fields")),
        }
        rest = next;
    }
    Ok(cid)
}

fn dtmf_d_start(body: &[u8]) -> Result<CallerId, CallerIdError> {
    match body {
        [b'D', number @ ..] => Ok(CallerId {
            number: Some(digits_of(number)?),
            ..CallerId::default()
        }),
        _ => Err(CallerIdError::Dtmf("D-start form starts with D")),
    }
}

fn dtmf_hash(body: &[u8], end: u8) -> Result<CallerId, CallerIdError> {
    if end != b'#' {
        return Err(CallerIdError::Dtmf("#-terminated form ends with #"));
    }
    let mut cid = CallerId::default();
    match body {
        [b'D', code] => {
            cid.absence = Some(match code {
                b'1' => Absence::Private,
                b'2' | b'3' => Absence::Unavailable,
                _ => return Err(CallerIdError::Dtmf("unknown absence code after D")),
            })
        }
        [b'A', number @ ..] => cid.number = Some(digits_of(number)?),
        number => cid.number = Some(digits_of(number)?),
    }
    Ok(cid)
}

/// A non-empty run of decimal digits as a string.
fn digits_of(value: &[u8]) -> Result<String, CallerIdError> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(CallerIdError::Dtmf("number is not a run of decimal digits"));
    }
    Ok(value.iter().map(|&b| char::from(b)).collect())
}

/// What the receiver has seen of the current or last transmission, for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReceiverStatus {
    /// Sample index of the last channel seizure, if any since the last reset.
    pub seizure_at: Option<u64>,
    /// Sample index of the last mark signal that armed framing.
    pub mark_at: Option<u64>,
    /// Bytes of the message being received (0 when idle).
    pub bytes: usize,
}

/// FSK caller-ID receiver: feed it the line's capture frames (between the first and second
/// ring, or after a polarity reversal); it returns each complete message, decoded and
/// checked, or why it was refused.
#[derive(Debug, Clone)]
pub struct FskCallerIdReceiver {
    demod: FskDemod,
    buf: [u8; MAX_MESSAGE],
    len: usize,
    last_len: usize,
    last_byte_at: u64,
    status: ReceiverStatus,
}

impl FskCallerIdReceiver {
    /// A receiver hunting for seizure and mark with the demodulator configured by `cfg`.
    pub fn new(cfg: FskConfig) -> Self {
        FskCallerIdReceiver {
            demod: FskDemod::new(cfg),
            buf: [0; MAX_MESSAGE],
            len: 0,
            last_len: 0,
            last_byte_at: 0,
            status: ReceiverStatus::default(),
        }
    }

    /// Feeds one frame of 8 kHz S16 audio. Returns the message completed in it, if any.
    pub fn process(&mut self, frame: &[i16]) -> Option<Result<CallerId, CallerIdError>> {
        let mut outcome = None;
        for &sample in frame {
            let event = self.demod.push(sample);
            let done = match event {
                Some(ev) => self.on_event(ev),
                None => self.check_timeout(),
            };
            if done.is_some() && outcome.is_none() {
                outcome = done;
            }
        }
        outcome
    }

    /// The bytes of the last message (complete, refused or being received), for the
    /// console's raw view.
    pub fn last_bytes(&self) -> &[u8] {
        let len = if self.len > 0 {
            self.len
        } else {
            self.last_len
        };
        &self.buf[..len]
    }

    /// Seizure, mark and progress of the transmission.
    pub fn status(&self) -> ReceiverStatus {
        ReceiverStatus {
            bytes: self.len,
            ..self.status
        }
    }

    /// Samples consumed since [`FskCallerIdReceiver::new`].
    pub fn samples(&self) -> u64 {
        self.demod.samples()
    }

    /// Drops any partial message and hunts for a new transmission.
    pub fn reset(&mut self) {
        self.demod.reset();
        self.len = 0;
        self.status = ReceiverStatus::default();
    }

    fn on_event(&mut self, ev: FskEvent) -> Option<Result<CallerId, CallerIdError>> {
        match ev {
            FskEvent::Seizure { at } => self.status.seizure_at = Some(at),
            FskEvent::Mark { at } => {
                self.status.mark_at = Some(at);
                self.len = 0;
            }
            FskEvent::Byte { at, byte } => return self.on_byte(at, byte),
            FskEvent::FramingError { .. } if self.len > 0 => {
                let got = self.len;
                return Some(self.finish(Err(CallerIdError::Framing { got })));
            }
            FskEvent::FramingError { .. } => {}
            FskEvent::CarrierLost { .. } if self.len > 0 => return Some(self.truncated()),
            FskEvent::CarrierLost { .. } => {}
        }
        None
    }

    fn on_byte(&mut self, at: u64, byte: u8) -> Option<Result<CallerId, CallerIdError>> {
        if self.len == 0 && !matches!(byte, SDMF_CALLER_ID | MDMF_CALLER_ID) {
            // Keep the byte for the raw view, then hunt again.
            self.buf[0] = byte;
            self.len = 1;
            return Some(self.finish(Err(CallerIdError::UnknownType(byte))));
        }
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
        self.last_byte_at = at;
        let expected = match self.buf[..self.len] {
            [_, len, ..] => usize::from(len) + 3,
            _ => return None,
        };
        if self.len < expected {
            return None;
        }
        let result = parse_message(&self.buf[..self.len]);
        Some(self.finish(result))
    }

    /// A message in progress with no byte for 40 bit times has ended short.
    fn check_timeout(&mut self) -> Option<Result<CallerId, CallerIdError>> {
        let bit = f64::from(super::fsk::SAMPLE_RATE / self.demod.config().baud.max(1.0));
        let silent = self.demod.samples().saturating_sub(self.last_byte_at) as f64;
        (self.len > 0 && silent > 40.0 * bit).then(|| self.truncated())
    }

    fn truncated(&mut self) -> Result<CallerId, CallerIdError> {
        let expected = match self.buf[..self.len] {
            [_, len, ..] => usize::from(len) + 3,
            _ => 3,
        };
        let got = self.len;
        self.finish(Err(CallerIdError::Truncated { expected, got }))
    }

    /// Ends the current message: remembers its bytes and hunts for the next transmission.
    fn finish(
        &mut self,
        result: Result<CallerId, CallerIdError>,
    ) -> Result<CallerId, CallerIdError> {
        self.last_len = self.len;
        self.len = 0;
        self.demod.hunt();
        result
    }
}

#[cfg(test)]
mod tests;
