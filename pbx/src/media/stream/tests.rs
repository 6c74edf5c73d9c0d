use super::*;
use crate::media::rtp::{Header, Layout, HEADER_LEN};

const PEER_B: LegId = LegId(2);
const PEER_C: LegId = LegId(3);
const FRAME: Duration = Duration::from_millis(20);

/// What a phone on the leg sees: every packet's stamp, with a clock.
struct Leg {
    stream: OutStream,
    now: Instant,
    sent: Vec<Stamp>,
}

impl Leg {
    fn new() -> Leg {
        Leg {
            stream: OutStream::new(0x5151_5151, 65_530, u32::MAX - 400),
            now: Instant::now(),
            sent: Vec::new(),
        }
    }

    /// `n` player frames of play `play`, one per 20 ms, counting from `from`.
    fn play(&mut self, play: u64, from: u32, n: u32) {
        for i in 0..n {
            let origin = Origin::Generated { play };
            let ts = from + i * 160;
            let s = self.stream.stamp(origin, ts, false, 160, self.now);
            self.sent.push(s);
            self.now += FRAME;
        }
    }

    /// `n` 20 ms audio packets relayed from `peer`'s far end `ssrc`, its timestamps starting
    /// at `ts`, restamped in real packet bytes.
    fn relay(&mut self, peer: LegId, ssrc: u32, ts: u32, n: u32) {
        for i in 0..n {
            let mut bytes = packet(0, 1000 + i as u16, ts.wrapping_add(i * 160), ssrc, 160);
            let mut p = Packet::new(&mut bytes).unwrap();
            self.stream.restamp(&mut p, peer, true, self.now);
            self.sent.push(stamp_of(&bytes));
            self.now += FRAME;
        }
    }

    fn switch(&mut self) {
        self.stream.switch();
    }
}

fn packet(pt: u8, seq: u16, timestamp: u32, ssrc: u32, len: usize) -> Vec<u8> {
    let mut p = vec![0x55u8; HEADER_LEN + len];
    Header {
        payload_type: pt,
        marker: false,
        seq,
        timestamp,
        ssrc,
    }
    .write(&mut p)
    .unwrap();
    p
}

fn stamp_of(bytes: &[u8]) -> Stamp {
    let l = Layout::parse(bytes).unwrap();
    Stamp {
        ssrc: l.ssrc,
        seq: l.seq,
        timestamp: l.timestamp,
        marker: l.marker,
    }
}

/// How far `b` is ahead of `a`, modulo 2³².
fn ahead(a: u32, b: u32) -> i64 {
    i64::from(b.wrapping_sub(a) as i32)
}

#[test]
fn one_stream_across_player_relay_player_and_another_peer() {
    let mut leg = Leg::new();
    leg.play(1, 0, 5); // ringback
    leg.switch();
    leg.relay(PEER_B, 0xbbbb, 3_000_000, 5); // the employee
    leg.play(2, 0, 5); // hold music
    leg.switch();
    leg.relay(PEER_C, 0xcccc, 77, 5); // the transfer target
    let sent = &leg.sent;
    assert_eq!(sent.len(), 20);
    assert!(sent.iter().all(|s| s.ssrc == 0x5151_5151), "{sent:?}");
    assert_eq!(
        sent[0].timestamp,
        u32::MAX - 400,
        "starts where it was told"
    );
    for (i, w) in sent.windows(2).enumerate() {
        assert_eq!(w[1].seq, w[0].seq.wrapping_add(1), "seq at {i}: {sent:?}");
        // Packets 20 ms apart: 160 samples apart, across every switch.
        assert_eq!(ahead(w[0].timestamp, w[1].timestamp), 160, "ts at {i}");
    }
    let markers: Vec<usize> = (0..sent.len()).filter(|&i| sent[i].marker).collect();
    assert_eq!(markers, [0, 5, 10, 15], "marker on each new source only");
}

#[test]
fn within_a_source_its_own_timing_and_marker_pass() {
    let mut s = OutStream::new(9, 0, 1000);
    let t0 = Instant::now();
    let origin = Origin::Relayed {
        peer: PEER_B,
        ssrc: 7,
    };
    let a = s.stamp(origin, 50_000, false, 160, t0);
    // A talk spurt after silence suppression: 1 s gap in the source, marker set by it.
    let b = s.stamp(origin, 58_000, true, 160, t0 + Duration::from_millis(1000));
    let c = s.stamp(origin, 58_160, false, 160, t0 + Duration::from_millis(1020));
    assert_eq!((a.timestamp, a.marker), (1000, true));
    assert_eq!((b.timestamp, b.marker), (9000, true));
    assert_eq!((c.timestamp, c.marker), (9160, false));
    assert_eq!((a.seq, b.seq, c.seq), (0, 1, 2));
}

#[test]
fn a_new_source_continues_by_the_wall_time_since_the_last_packet() {
    let mut s = OutStream::new(9, 0, 0);
    let t0 = Instant::now();
    s.stamp(Origin::Generated { play: 1 }, 0, false, 160, t0);
    // Muted for 2 s, then bridged: 2 s = 16,000 samples later.
    let b = Origin::Relayed {
        peer: PEER_B,
        ssrc: 1,
    };
    let x = s.stamp(b, 123, false, 160, t0 + Duration::from_secs(2));
    assert_eq!((x.timestamp, x.marker), (16_000, true));
    // A switch 5 ms after the last packet still leaves room for that packet's 160 samples,
    // and for the 240 of a 30 ms packet.
    let y = s.stamp(
        Origin::Generated { play: 2 },
        0,
        false,
        160,
        t0 + Duration::from_millis(2005),
    );
    assert_eq!(y.timestamp, 16_160);
    let z = s.stamp(b, 0, false, 240, t0 + Duration::from_millis(2010));
    let w = s.stamp(
        Origin::Generated { play: 3 },
        0,
        false,
        160,
        t0 + Duration::from_millis(2011),
    );
    assert_eq!(ahead(z.timestamp, w.timestamp), 240);
}

#[test]
fn a_new_ssrc_on_the_relayed_side_continues_the_stream() {
    let mut leg = Leg::new();
    leg.relay(PEER_B, 0xaaaa, 1_000, 3);
    // The peer's phone was replaced (a transfer re-pointed the peer leg): new SSRC, new
    // timestamps far behind the old ones.
    leg.relay(PEER_B, 0xdddd, 5, 3);
    let sent = &leg.sent;
    assert!(sent.iter().all(|s| s.ssrc == 0x5151_5151));
    for w in sent.windows(2) {
        assert_eq!(w[1].seq, w[0].seq.wrapping_add(1));
        assert_eq!(ahead(w[0].timestamp, w[1].timestamp), 160);
    }
    assert!(sent[3].marker && !sent[4].marker && !sent[1].marker);
}

#[test]
fn switching_back_to_the_same_peer_starts_a_new_mapping() {
    let mut leg = Leg::new();
    leg.relay(PEER_B, 0xbbbb, 0, 2);
    leg.switch();
    // The peer's far end kept its clock running while the leg heard something else.
    leg.now += Duration::from_millis(500);
    leg.relay(PEER_B, 0xbbbb, 80_000, 2);
    let sent = &leg.sent;
    assert!(sent[2].marker);
    assert_eq!(ahead(sent[1].timestamp, sent[2].timestamp), 160 + 4000);
    assert_eq!(ahead(sent[2].timestamp, sent[3].timestamp), 160);
}

#[test]
fn a_relayed_events_packets_keep_one_timestamp() {
    let mut s = OutStream::new(1, 10, 5000);
    let mut now = Instant::now();
    let mut restamp = |bytes: &mut Vec<u8>, audio: bool, now: Instant| {
        let mut p = Packet::new(bytes).unwrap();
        s.restamp(&mut p, PEER_B, audio, now);
        stamp_of(bytes)
    };
    let mut audio = packet(0, 1, 16_000, 0xe, 160);
    let first = restamp(&mut audio, true, now);
    let mut event_stamps = Vec::new();
    // One key press: start, updates and three end packets, all with the event's start time.
    for i in 0..6u16 {
        now += FRAME;
        let mut event = packet(101, 2 + i, 16_160, 0xe, 4);
        event_stamps.push(restamp(&mut event, false, now));
    }
    now += FRAME;
    let mut after = packet(0, 8, 17_120, 0xe, 160);
    let last = restamp(&mut after, true, now);
    assert!(event_stamps
        .iter()
        .all(|e| e.timestamp == first.timestamp + 160));
    assert_eq!(last.timestamp, first.timestamp + 1120);
    let seqs: Vec<u16> = event_stamps.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [11, 12, 13, 14, 15, 16]);
}

#[test]
fn an_event_first_after_a_switch_still_shares_its_timestamp() {
    let mut s = OutStream::new(1, 0, 0);
    let t0 = Instant::now();
    s.stamp(Origin::Generated { play: 1 }, 0, false, 160, t0);
    let b = Origin::Relayed {
        peer: PEER_B,
        ssrc: 2,
    };
    let e1 = s.stamp(b, 4_000, true, 0, t0 + FRAME);
    let e2 = s.stamp(b, 4_000, false, 0, t0 + FRAME * 2);
    let audio = s.stamp(b, 4_480, false, 160, t0 + FRAME * 3);
    assert_eq!((e1.timestamp, e2.timestamp), (160, 160));
    assert!(e1.marker && !e2.marker && !audio.marker);
    assert_eq!(audio.timestamp, 640);
    // Events do not move where a new source continues from: the last audio does.
    let next = s.stamp(Origin::Generated { play: 2 }, 0, false, 160, t0 + FRAME * 4);
    assert_eq!(next.timestamp, 800);
}

#[test]
fn random_streams_differ() {
    let (a, b) = (OutStream::random(), OutStream::random());
    assert_ne!((a.ssrc(), a.next_seq), (b.ssrc(), b.next_seq));
}
