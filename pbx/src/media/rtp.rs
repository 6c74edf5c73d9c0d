//! RTP packets (RFC 3550 §5.1): a zero-copy view on a received packet, the in-place edits the
//! relay makes (payload type, payload bytes, and the stream fields — marker, sequence number,
//! timestamp, SSRC — it restamps), and the header of packets Centrala generates.
//!
//! Parsing checks everything before any field is read, so no input makes it panic.

use thiserror::Error;

/// The fixed header's length.
pub const HEADER_LEN: usize = 12;

/// Why bytes are not an RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RtpError {
    /// Shorter than the headers it announces.
    #[error("RTP packet truncated: {len} bytes, headers need {needed}")]
    Truncated {
        /// The packet's length.
        len: usize,
        /// The length its headers need.
        needed: usize,
    },
    /// The version field is not 2.
    #[error("RTP version {0}, expected 2")]
    Version(u8),
    /// The padding count is zero or larger than what follows the headers.
    #[error("RTP padding of {0} bytes does not fit")]
    Padding(u8),
    /// The output buffer is too small for the packet being written.
    #[error("buffer of {0} bytes too small for an RTP packet")]
    BufferTooSmall(usize),
}

/// Where the parts of a valid RTP packet are, plus its header fields. Holds no reference, so
/// the packet can be edited with what it tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The payload type.
    pub payload_type: u8,
    /// The marker bit.
    pub marker: bool,
    /// The sequence number.
    pub seq: u16,
    /// The timestamp.
    pub timestamp: u32,
    /// The synchronisation source.
    pub ssrc: u32,
    /// Where the payload starts (after CSRCs and the header extension).
    pub payload_start: usize,
    /// Where the payload ends (before the padding).
    pub payload_end: usize,
}

impl Layout {
    /// Checks `packet` and tells where its payload is.
    pub fn parse(packet: &[u8]) -> Result<Layout, RtpError> {
        let truncated = |needed| RtpError::Truncated {
            len: packet.len(),
            needed,
        };
        let fixed: &[u8; HEADER_LEN] = packet
            .get(..HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(truncated(HEADER_LEN))?;
        let version = fixed[0] >> 6;
        if version != 2 {
            return Err(RtpError::Version(version));
        }
        let mut start = HEADER_LEN + 4 * usize::from(fixed[0] & 0x0f);
        if fixed[0] & 0x10 != 0 {
            let ext = packet.get(start..start + 4).ok_or(truncated(start + 4))?;
            start += 4 + 4 * usize::from(u16::from_be_bytes([ext[2], ext[3]]));
        }
        if start > packet.len() {
            return Err(truncated(start));
        }
        let mut end = packet.len();
        if fixed[0] & 0x20 != 0 {
            let pad = packet.last().copied().ok_or(truncated(start + 1))?;
            if start == end || pad == 0 || usize::from(pad) > end - start {
                return Err(RtpError::Padding(pad));
            }
            end -= usize::from(pad);
        }
        Ok(Layout {
            payload_type: fixed[1] & 0x7f,
            marker: fixed[1] & 0x80 != 0,
            seq: u16::from_be_bytes([fixed[2], fixed[3]]),
            timestamp: u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
            ssrc: u32::from_be_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]),
            payload_start: start,
            payload_end: end,
        })
    }

    /// The payload length.
    pub fn payload_len(&self) -> usize {
        self.payload_end - self.payload_start
    }
}

/// A valid RTP packet borrowed for editing in place.
#[derive(Debug)]
pub struct Packet<'a> {
    bytes: &'a mut [u8],
    layout: Layout,
}

impl<'a> Packet<'a> {
    /// Checks `bytes` (the whole datagram) and wraps it.
    pub fn new(bytes: &'a mut [u8]) -> Result<Packet<'a>, RtpError> {
        let layout = Layout::parse(bytes)?;
        Ok(Packet { bytes, layout })
    }

    /// The header fields and payload position.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The payload (without padding).
    pub fn payload(&self) -> &[u8] {
        &self.bytes[self.layout.payload_start..self.layout.payload_end]
    }

    /// The payload, to rewrite in place.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[self.layout.payload_start..self.layout.payload_end]
    }

    /// Sets the payload type (the low 7 bits of `pt`), keeping the marker bit.
    pub fn set_payload_type(&mut self, pt: u8) {
        // Parsing guaranteed at least the fixed header.
        self.bytes[1] = (self.bytes[1] & 0x80) | (pt & 0x7f);
        self.layout.payload_type = pt & 0x7f;
    }

    /// Rewrites the header fields of the stream the packet belongs to: marker, sequence
    /// number, timestamp and SSRC (payload type, CSRCs and extension stay).
    pub fn set_stamp(&mut self, marker: bool, seq: u16, timestamp: u32, ssrc: u32) {
        // Parsing guaranteed at least the fixed header.
        self.bytes[1] = (u8::from(marker) << 7) | (self.bytes[1] & 0x7f);
        self.bytes[2..4].copy_from_slice(&seq.to_be_bytes());
        self.bytes[4..8].copy_from_slice(&timestamp.to_be_bytes());
        self.bytes[8..12].copy_from_slice(&ssrc.to_be_bytes());
        self.layout.marker = marker;
        self.layout.seq = seq;
        self.layout.timestamp = timestamp;
        self.layout.ssrc = ssrc;
    }
}

/// The header of a packet Centrala generates: no CSRC, extension or padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The payload type.
    pub payload_type: u8,
    /// The marker bit (set on the first packet of a talk spurt).
    pub marker: bool,
    /// The sequence number.
    pub seq: u16,
    /// The timestamp (8 kHz clock for G.711).
    pub timestamp: u32,
    /// The synchronisation source.
    pub ssrc: u32,
}

impl Header {
    /// Writes the 12 header bytes at the start of `out`; returns [`HEADER_LEN`].
    pub fn write(&self, out: &mut [u8]) -> Result<usize, RtpError> {
        let len = out.len();
        let head = out
            .get_mut(..HEADER_LEN)
            .ok_or(RtpError::BufferTooSmall(len))?;
        head[0] = 0x80;
        head[1] = (u8::from(self.marker) << 7) | (self.payload_type & 0x7f);
        head[2..4].copy_from_slice(&self.seq.to_be_bytes());
        head[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        head[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        Ok(HEADER_LEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rtp_rs::RtpReader;

    fn header(pt: u8) -> Header {
        Header {
            payload_type: pt,
            marker: true,
            seq: 0x1234,
            timestamp: 0xdead_beef,
            ssrc: 0x0102_0304,
        }
    }

    #[test]
    fn a_written_header_parses_back() {
        let mut buf = [0u8; HEADER_LEN + 4];
        assert_eq!(header(8).write(&mut buf), Ok(HEADER_LEN));
        buf[HEADER_LEN..].copy_from_slice(&[1, 2, 3, 4]);
        let l = Layout::parse(&buf).unwrap();
        assert_eq!(
            (l.payload_type, l.marker, l.seq, l.timestamp, l.ssrc),
            (8, true, 0x1234, 0xdead_beef, 0x0102_0304)
        );
        assert_eq!((l.payload_start, l.payload_end), (12, 16));
        assert_eq!(
            header(0).write(&mut [0u8; 11]),
            Err(RtpError::BufferTooSmall(11))
        );
    }

    #[test]
    fn csrc_extension_and_padding_are_skipped() {
        // 1 CSRC, an extension of one word, 3 payload bytes, 2 padding bytes.
        let mut p = vec![0xb1, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        p.extend_from_slice(&[9, 9, 9, 9]); // CSRC
        p.extend_from_slice(&[0xbe, 0xde, 0, 1, 7, 7, 7, 7]); // extension
        p.extend_from_slice(&[0xaa, 0xbb, 0xcc, 0, 2]);
        let mut packet = Packet::new(&mut p).unwrap();
        assert_eq!(packet.payload(), &[0xaa, 0xbb, 0xcc]);
        packet.set_payload_type(8);
        packet.payload_mut()[0] = 0x11;
        assert_eq!(p[1], 8);
        assert_eq!(p[24], 0x11);
    }

    #[test]
    fn bad_packets_are_refused() {
        assert!(matches!(
            Layout::parse(&[0x80; 11]),
            Err(RtpError::Truncated { .. })
        ));
        assert_eq!(Layout::parse(&[0x40; 12]), Err(RtpError::Version(1)));
        let mut csrc = [0u8; 12];
        csrc[0] = 0x82;
        assert!(matches!(
            Layout::parse(&csrc),
            Err(RtpError::Truncated { needed: 20, .. })
        ));
        let mut pad = [0u8; 14];
        pad[0] = 0xa0;
        pad[13] = 3;
        assert_eq!(Layout::parse(&pad), Err(RtpError::Padding(3)));
        pad[13] = 0;
        assert_eq!(Layout::parse(&pad), Err(RtpError::Padding(0)));
        pad[13] = 2;
        assert_eq!(Layout::parse(&pad).map(|l| l.payload_len()), Ok(0));
    }

    #[test]
    fn set_payload_type_keeps_the_marker() {
        let mut buf = [0u8; HEADER_LEN];
        header(0).write(&mut buf).unwrap();
        let mut p = Packet::new(&mut buf).unwrap();
        p.set_payload_type(101);
        assert_eq!(p.layout().payload_type, 101);
        assert_eq!(buf[1], 0x80 | 101);
    }

    #[test]
    fn set_stamp_rewrites_only_the_stream_fields() {
        let mut buf = [0u8; HEADER_LEN + 2];
        header(101).write(&mut buf).unwrap();
        buf[HEADER_LEN..].copy_from_slice(&[7, 8]);
        let mut p = Packet::new(&mut buf).unwrap();
        p.set_stamp(false, 9, 0x0a0b_0c0d, 0x1122_3344);
        assert_eq!(
            (p.layout().marker, p.layout().seq, p.layout().timestamp),
            (false, 9, 0x0a0b_0c0d)
        );
        let l = Layout::parse(&buf).unwrap();
        assert_eq!(
            (l.payload_type, l.marker, l.seq, l.timestamp, l.ssrc),
            (101, false, 9, 0x0a0b_0c0d, 0x1122_3344)
        );
        assert_eq!(&buf[HEADER_LEN..], &[7, 8]);
        let mut p = Packet::new(&mut buf).unwrap();
        p.set_stamp(true, 10, 1, 2);
        assert_eq!(buf[1], 0x80 | 101);
    }

    proptest! {
        /// Agrees with the rtp-rs reader on what is valid and where the payload is.
        #[test]
        fn agrees_with_rtp_rs(mut bytes in proptest::collection::vec(any::<u8>(), 0..64), v2: bool) {
            if v2 && !bytes.is_empty() {
                bytes[0] = (bytes[0] & 0x3f) | 0x80;
            }
            let ours = Layout::parse(&bytes);
            match RtpReader::new(&bytes) {
                Ok(r) => {
                    let l = ours.unwrap();
                    prop_assert_eq!(&bytes[l.payload_start..l.payload_end], r.payload());
                    prop_assert_eq!(l.payload_type, r.payload_type());
                    prop_assert_eq!(l.ssrc, r.ssrc());
                }
                Err(_) => prop_assert!(ours.is_err()),
            }
        }
    }
}
