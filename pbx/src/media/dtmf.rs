//! DTMF digits from RFC 4733 telephone-event packets, one per key press.
//!
//! A phone sends each key press as a stream of packets sharing one RTP timestamp (the
//! event's start): updates every 50 ms or so while the key is held, then the end packet
//! three times. So a press is recognised by a timestamp not seen before, and reported at its
//! first packet (whichever arrives first, so a lost start still gives the digit). A press
//! longer than the 16-bit duration field (8 s) continues under a new timestamp without the
//! marker bit: that is not a new press. Pure and allocation-free.

/// An RFC 4733 telephone-event payload (§2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// The event code (0-9, 10 `*`, 11 `#`, 12-15 `A`-`D`, others not DTMF).
    pub event: u8,
    /// The end bit.
    pub end: bool,
    /// The duration so far, in timestamp units.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Parses a payload (at least 4 bytes; a redundant longer payload's first event).
    pub fn parse(payload: &[u8]) -> Option<TelephoneEvent> {
        let b: &[u8; 4] = payload.get(..4)?.try_into().ok()?;
        Some(TelephoneEvent {
            event: b[0],
            end: b[1] & 0x80 != 0,
            duration: u16::from_be_bytes([b[2], b[3]]),
        })
    }
}

/// The DTMF character of an event code, if it is one.
pub fn digit(event: u8) -> Option<char> {
    match event {
        0..=9 => Some(char::from(b'0' + event)),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some(char::from(b'A' + event - 12)),
        _ => None,
    }
}

/// The event stream of one leg, as far as telling key presses apart needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Detector {
    /// The last event seen: (SSRC, timestamp, event code, whether its end was seen).
    last: Option<(u32, u32, u8, bool)>,
}

impl Detector {
    /// One telephone-event packet (header fields and payload): the digit of a new key press,
    /// or `None` for a repeat, an end packet of a press already reported, a continuation of a
    /// long press, a non-DTMF event or a malformed payload.
    pub fn on_packet(
        &mut self,
        ssrc: u32,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Option<char> {
        let ev = TelephoneEvent::parse(payload)?;
        match &mut self.last {
            Some((s, t, _, ended)) if *s == ssrc && *t == timestamp => {
                *ended |= ev.end;
                return None;
            }
            Some((s, _, e, ended)) if *s == ssrc && *e == ev.event && !*ended && !marker => {
                // A long press continuing under a new timestamp.
                self.last = Some((ssrc, timestamp, ev.event, ev.end));
                return None;
            }
            _ => {}
        }
        self.last = Some((ssrc, timestamp, ev.event, ev.end));
        digit(ev.event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(event: u8, end: bool, duration: u16) -> [u8; 4] {
        let d = duration.to_be_bytes();
        [event, if end { 0x80 | 10 } else { 10 }, d[0], d[1]]
    }

    /// A whole key press as a phone sends it: start (marker), updates, three end packets.
    fn press(d: &mut Detector, ts: u32, event: u8) -> Vec<char> {
        let mut got = Vec::new();
        got.extend(d.on_packet(1, ts, true, &payload(event, false, 0)));
        for dur in [400, 800, 1200] {
            got.extend(d.on_packet(1, ts, false, &payload(event, false, dur)));
        }
        for _ in 0..3 {
            got.extend(d.on_packet(1, ts, false, &payload(event, true, 1600)));
        }
        got
    }

    #[test]
    fn one_digit_per_press_even_for_the_same_key_twice() {
        let mut d = Detector::default();
        assert_eq!(press(&mut d, 1000, 5), ['5']);
        assert_eq!(press(&mut d, 5000, 5), ['5']);
        assert_eq!(press(&mut d, 9000, 11), ['#']);
    }

    #[test]
    fn codes_map_to_digits() {
        let all: String = (0..=15).filter_map(digit).collect();
        assert_eq!(all, "0123456789*#ABCD");
        assert_eq!(digit(16), None);
        let mut d = Detector::default();
        assert_eq!(d.on_packet(1, 0, true, &payload(16, false, 0)), None);
        assert_eq!(d.on_packet(1, 160, true, &[1, 2]), None);
    }

    #[test]
    fn a_lost_start_still_gives_the_digit_once() {
        let mut d = Detector::default();
        let got: Vec<char> = (0..3)
            .filter_map(|_| d.on_packet(1, 320, false, &payload(7, true, 800)))
            .collect();
        assert_eq!(got, ['7']);
    }

    #[test]
    fn a_long_press_continuing_under_a_new_timestamp_is_one_press() {
        let mut d = Detector::default();
        assert_eq!(
            d.on_packet(1, 0, true, &payload(2, false, 65535)),
            Some('2')
        );
        assert_eq!(d.on_packet(1, 65535, false, &payload(2, false, 400)), None);
        assert_eq!(d.on_packet(1, 65535, false, &payload(2, true, 800)), None);
        // After its end, the same key again (marker or not) is a new press.
        assert_eq!(
            d.on_packet(1, 70000, false, &payload(2, false, 0)),
            Some('2')
        );
    }

    #[test]
    fn a_new_stream_is_a_new_press() {
        let mut d = Detector::default();
        assert_eq!(d.on_packet(1, 0, true, &payload(3, false, 0)), Some('3'));
        assert_eq!(d.on_packet(2, 0, true, &payload(3, false, 0)), Some('3'));
    }
}
