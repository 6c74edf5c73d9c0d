//! G.711 µ-law and A-law: the two codecs every SIP phone and analog line speaks, and
//! conversion between them when the two legs of a call chose differently.

use audio_codec_algorithms::{
    convert_alaw_to_ulaw, convert_ulaw_to_alaw, decode_alaw, decode_ulaw, encode_alaw, encode_ulaw,
};

/// One of the two G.711 companding laws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Law {
    /// µ-law (PCMU, static RTP payload type 0): North America, Japan.
    Ulaw,
    /// A-law (PCMA, static RTP payload type 8): Europe and most of the world.
    Alaw,
}

impl Law {
    /// The static RTP payload type (RFC 3551).
    pub fn payload_type(self) -> u8 {
        match self {
            Law::Ulaw => 0,
            Law::Alaw => 8,
        }
    }

    /// The law of a static payload type, if it is one of the two.
    pub fn from_payload_type(pt: u8) -> Option<Law> {
        match pt {
            0 => Some(Law::Ulaw),
            8 => Some(Law::Alaw),
            _ => None,
        }
    }

    /// The SDP encoding name.
    pub fn encoding_name(self) -> &'static str {
        match self {
            Law::Ulaw => "PCMU",
            Law::Alaw => "PCMA",
        }
    }

    /// The encoded byte of silence (linear 0).
    pub fn silence(self) -> u8 {
        self.encode(0)
    }

    /// Encodes one linear 16-bit sample.
    pub fn encode(self, sample: i16) -> u8 {
        match self {
            Law::Ulaw => encode_ulaw(sample),
            Law::Alaw => encode_alaw(sample),
        }
    }

    /// Decodes one byte to a linear 16-bit sample.
    pub fn decode(self, byte: u8) -> i16 {
        match self {
            Law::Ulaw => decode_ulaw(byte),
            Law::Alaw => decode_alaw(byte),
        }
    }
}

/// Encodes linear samples into `out` (which must be at least as long); returns bytes written.
pub fn encode(law: Law, samples: &[i16], out: &mut [u8]) -> usize {
    let n = samples.len().min(out.len());
    for (o, s) in out[..n].iter_mut().zip(samples) {
        *o = law.encode(*s);
    }
    n
}

/// Decodes bytes into linear samples in `out`; returns samples written.
pub fn decode(law: Law, bytes: &[u8], out: &mut [i16]) -> usize {
    let n = bytes.len().min(out.len());
    for (o, b) in out[..n].iter_mut().zip(bytes) {
        *o = law.decode(*b);
    }
    n
}

/// Converts a payload in place from one law to the other (no-op when they are the same), by
/// the direct table of G.711 (no trip through linear, so no extra rounding).
pub fn transcode_in_place(from: Law, to: Law, payload: &mut [u8]) {
    match (from, to) {
        (Law::Ulaw, Law::Alaw) => payload
            .iter_mut()
            .for_each(|b| *b = convert_ulaw_to_alaw(*b)),
        (Law::Alaw, Law::Ulaw) => payload
            .iter_mut()
            .for_each(|b| *b = convert_alaw_to_ulaw(*b)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_types_and_names() {
        assert_eq!(Law::from_payload_type(0), Some(Law::Ulaw));
        assert_eq!(Law::from_payload_type(8), Some(Law::Alaw));
        assert_eq!(Law::from_payload_type(18), None);
        assert_eq!(Law::Alaw.encoding_name(), "PCMA");
    }

    #[test]
    fn a_tone_survives_encoding_within_g711_precision() {
        let tone: Vec<i16> = (0..160)
            .map(|n| {
                (8000.0 * (2.0 * std::f64::consts::PI * 1000.0 * n as f64 / 8000.0).sin()) as i16
            })
            .collect();
        for law in [Law::Ulaw, Law::Alaw] {
            let mut enc = [0u8; 160];
            let mut dec = [0i16; 160];
            assert_eq!(encode(law, &tone, &mut enc), 160);
            assert_eq!(decode(law, &enc, &mut dec), 160);
            for (a, b) in tone.iter().zip(dec.iter()) {
                // G.711 keeps about 4 significant bits above the segment: error ≤ 1/16 of the value + a step.
                assert!(
                    (i32::from(*a) - i32::from(*b)).abs() <= i32::from(a.unsigned_abs() / 16) + 16,
                    "{a} vs {b} ({law:?})"
                );
            }
        }
    }

    #[test]
    fn transcoding_keeps_the_sound() {
        let samples: Vec<i16> = (-32768..=32767).step_by(97).map(|s| s as i16).collect();
        let mut u = vec![0u8; samples.len()];
        encode(Law::Ulaw, &samples, &mut u);
        let mut a = u.clone();
        transcode_in_place(Law::Ulaw, Law::Alaw, &mut a);
        for ((ub, ab), s) in u.iter().zip(&a).zip(&samples) {
            let (du, da) = (
                i32::from(Law::Ulaw.decode(*ub)),
                i32::from(Law::Alaw.decode(*ab)),
            );
            assert!(
                (du - da).abs() <= i32::from(s.unsigned_abs() / 8) + 64,
                "{s}: µ {du} A {da}"
            );
        }
        let mut same = u.clone();
        transcode_in_place(Law::Ulaw, Law::Ulaw, &mut same);
        assert_eq!(same, u);
    }
}
