//! The engine on real UDP sockets on 127.0.0.1.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use firmware_config::system::ToneCountry;
use tokio::net::UdpSocket;
use tokio::time::{timeout, Instant};

use super::*;
use crate::media::g711::{self, Law};
use crate::media::rtp::{Header, Layout, HEADER_LEN};
use crate::sip::sdp::Direction;

const A: LegId = LegId(1);
const B: LegId = LegId(2);

pub(super) async fn phone() -> UdpSocket {
    UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap()
}

pub(super) fn remote(socket: &UdpSocket, law: Law, te: Option<u8>) -> Remote {
    Remote {
        addr: Some(socket.local_addr().unwrap()),
        law,
        telephone_event: te,
        direction: Direction::SendRecv,
    }
}

pub(super) fn packet(pt: u8, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0u8; HEADER_LEN + payload.len()];
    let header = Header {
        payload_type: pt,
        marker: false,
        seq,
        timestamp: u32::from(seq) * 160,
        ssrc: 0xabcd,
    };
    header.write(&mut p).unwrap();
    p[HEADER_LEN..].copy_from_slice(payload);
    p
}

/// The next datagram within `ms`, with its source.
pub(super) async fn recv(socket: &UdpSocket, ms: u64) -> Option<(Vec<u8>, SocketAddr)> {
    let mut buf = [0u8; 2048];
    let got = timeout(Duration::from_millis(ms), socket.recv_from(&mut buf)).await;
    got.ok()
        .and_then(Result::ok)
        .map(|(n, from)| (buf[..n].to_vec(), from))
}

/// An engine on 127.0.0.1 and the receiving end of its event channel.
pub(super) fn new_engine() -> (Engine, tokio::sync::mpsc::UnboundedReceiver<Event>) {
    let (events, rx) = tokio::sync::mpsc::unbounded_channel();
    (Engine::new(Ipv4Addr::LOCALHOST.into(), events), rx)
}

/// An engine on 127.0.0.1 with legs A and B open on ports the system picks (its events are
/// not looked at).
fn engine() -> Engine {
    let (mut e, _) = new_engine();
    for leg in [A, B] {
        assert_eq!(e.apply(Command::Open { leg, port: 0 }), None);
    }
    e
}

pub(super) fn at(e: &Engine, leg: LegId) -> SocketAddr {
    e.local_addr(leg).unwrap()
}

#[tokio::test]
async fn bridged_legs_transcode_and_map_events() {
    let mut e = engine();
    let (pa, pb) = (phone().await, phone().await);
    e.apply(Command::Remote {
        leg: A,
        remote: remote(&pa, Law::Ulaw, Some(101)),
    });
    e.apply(Command::Remote {
        leg: B,
        remote: remote(&pb, Law::Alaw, Some(96)),
    });
    e.apply(Command::Bridge { a: A, b: B });

    let ulaw: Vec<u8> = (0..160).map(|i| (i * 3) as u8).collect();
    pa.send_to(&packet(0, 1, &ulaw), at(&e, A)).await.unwrap();
    let (got, from) = recv(&pb, 1000).await.expect("relayed packet");
    assert_eq!(from, at(&e, B), "sent from B's own port");
    let layout = Layout::parse(&got).unwrap();
    assert_eq!(layout.payload_type, 8);
    assert_ne!(layout.ssrc, 0xabcd, "relayed in B's own stream");
    let mut alaw = ulaw.clone();
    g711::transcode_in_place(Law::Ulaw, Law::Alaw, &mut alaw);
    assert_eq!(&got[HEADER_LEN..], &alaw[..]);

    pb.send_to(&packet(8, 2, &alaw), at(&e, B)).await.unwrap();
    let (back, _) = recv(&pa, 1000).await.expect("relayed back");
    assert_eq!(back[1] & 0x7f, 0);

    pa.send_to(&packet(101, 3, &[1, 0x0a, 0, 160]), at(&e, A))
        .await
        .unwrap();
    let (event, _) = recv(&pb, 1000).await.expect("telephone-event");
    assert_eq!(event[1] & 0x7f, 96);
    assert_eq!(&event[HEADER_LEN..], &[1, 0x0a, 0, 160]);
}

#[tokio::test]
async fn a_leg_on_hold_gets_nothing() {
    let mut e = engine();
    let (pa, pb) = (phone().await, phone().await);
    e.apply(Command::Remote {
        leg: A,
        remote: remote(&pa, Law::Alaw, None),
    });
    let mut held = remote(&pb, Law::Alaw, None);
    held.direction = Direction::SendOnly;
    e.apply(Command::Remote {
        leg: B,
        remote: held,
    });
    e.apply(Command::Bridge { a: A, b: B });
    pa.send_to(&packet(8, 1, &[0xd5; 160]), at(&e, A))
        .await
        .unwrap();
    assert!(recv(&pb, 200).await.is_none());
    // B still talks to A.
    pb.send_to(&packet(8, 1, &[0xd5; 160]), at(&e, B))
        .await
        .unwrap();
    assert!(recv(&pa, 1000).await.is_some());
}

#[tokio::test]
async fn packets_go_to_the_latched_source_not_the_sdp_address() {
    let mut e = engine();
    let (sdp_addr, real, pb) = (phone().await, phone().await, phone().await);
    e.apply(Command::Remote {
        leg: A,
        remote: remote(&sdp_addr, Law::Alaw, None),
    });
    e.apply(Command::Remote {
        leg: B,
        remote: remote(&pb, Law::Alaw, None),
    });
    e.apply(Command::Bridge { a: A, b: B });
    real.send_to(&packet(8, 1, &[0xd5; 160]), at(&e, A))
        .await
        .unwrap();
    assert!(recv(&pb, 1000).await.is_some());
    pb.send_to(&packet(8, 1, &[0x55; 160]), at(&e, B))
        .await
        .unwrap();
    let (_, from) = recv(&real, 1000).await.expect("sent to the latched source");
    assert_eq!(from, at(&e, A));
    assert!(recv(&sdp_addr, 200).await.is_none());
}

#[tokio::test]
async fn ringback_is_a_paced_rtp_stream() {
    let mut e = engine();
    let pa = phone().await;
    e.apply(Command::Remote {
        leg: A,
        remote: remote(&pa, Law::Alaw, None),
    });
    e.apply(Command::Play {
        leg: A,
        source: Source::Ringback(ToneCountry::PL),
    });
    let start = Instant::now();
    let mut layouts = Vec::new();
    for _ in 0..10 {
        let (p, from) = recv(&pa, 1000).await.expect("ringback packet");
        assert_eq!(from, at(&e, A));
        assert_eq!(p.len(), HEADER_LEN + 160);
        let pcm: Vec<i16> = p[HEADER_LEN..]
            .iter()
            .map(|b| Law::Alaw.decode(*b))
            .collect();
        assert!(crate::media::player::tests::energy(&pcm) > 1_000_000.0);
        layouts.push(Layout::parse(&p).unwrap());
    }
    assert!(start.elapsed() >= Duration::from_millis(150), "not paced");
    assert!(layouts[0].marker && layouts[1..].iter().all(|l| !l.marker));
    for w in layouts.windows(2) {
        assert_eq!(w[1].seq, w[0].seq.wrapping_add(1));
        assert_eq!(w[1].timestamp, w[0].timestamp.wrapping_add(160));
        assert_eq!((w[1].ssrc, w[1].payload_type), (w[0].ssrc, 8));
    }
    assert_eq!(e.playing_legs(), 1);
    e.apply(Command::Mute { leg: A });
    assert_eq!(e.playing_legs(), 0);
    while recv(&pa, 100).await.is_some() {}
    assert!(recv(&pa, 200).await.is_none(), "muted leg still hears");
}

#[tokio::test]
async fn a_playing_leg_is_not_relayed() {
    let mut e = engine();
    let (pa, pb) = (phone().await, phone().await);
    for (leg, p) in [(A, &pa), (B, &pb)] {
        e.apply(Command::Remote {
            leg,
            remote: remote(p, Law::Ulaw, None),
        });
    }
    e.apply(Command::Bridge { a: A, b: B });
    e.apply(Command::Play {
        leg: A,
        source: Source::HoldMusic(None),
    });
    pa.send_to(&packet(0, 1, &[0xff; 160]), at(&e, A))
        .await
        .unwrap();
    pb.send_to(&packet(0, 1, &[0xff; 160]), at(&e, B))
        .await
        .unwrap();
    assert!(
        recv(&pb, 200).await.is_none(),
        "B hears A's discarded audio"
    );
    // A hears music (generated, marker set), not B's packet (SSRC 0xabcd).
    let (p, _) = recv(&pa, 1000).await.expect("music");
    assert_ne!(Layout::parse(&p).unwrap().ssrc, 0xabcd);
}

#[tokio::test]
async fn hold_music_comes_from_the_wav_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hold.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for _ in 0..8000 {
        w.write_sample(12345i16).unwrap();
    }
    w.finalize().unwrap();
    let mut e = engine();
    let pa = phone().await;
    e.apply(Command::Remote {
        leg: A,
        remote: remote(&pa, Law::Ulaw, None),
    });
    e.apply(Command::Play {
        leg: A,
        source: Source::HoldMusic(Some(path)),
    });
    let expected = Law::Ulaw.encode(12345);
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let (p, _) = recv(&pa, 1000).await.expect("hold music packet");
        if p[HEADER_LEN..].iter().all(|b| *b == expected) {
            break;
        }
        assert!(Instant::now() < deadline, "the file's audio never came");
    }
}

#[tokio::test]
async fn a_taken_port_fails_to_open_and_close_frees_the_port() {
    let taken = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = taken.local_addr().unwrap().port();
    let (mut e, _events) = new_engine();
    let event = e.apply(Command::Open { leg: A, port });
    assert!(
        matches!(event, Some(Event::OpenFailed { leg: A, port: p, .. }) if p == port),
        "{event:?}"
    );
    assert_eq!(e.open_legs(), 0);
    drop(taken);

    assert_eq!(e.apply(Command::Open { leg: A, port }), None);
    e.apply(Command::Close { leg: A });
    assert_eq!(e.open_legs(), 0);
    let deadline = Instant::now() + Duration::from_secs(2);
    while std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).is_err() {
        assert!(Instant::now() < deadline, "port still held after Close");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[test]
fn open_outside_a_runtime_fails_without_panicking() {
    let (mut e, _events) = new_engine();
    assert!(matches!(
        e.apply(Command::Open { leg: A, port: 0 }),
        Some(Event::OpenFailed { .. })
    ));
}

#[tokio::test]
async fn bridging_again_moves_the_leg_to_its_new_peer() {
    const C: LegId = LegId(3);
    let mut e = engine();
    assert_eq!(e.apply(Command::Open { leg: C, port: 0 }), None);
    let (pa, pb, pc) = (phone().await, phone().await, phone().await);
    for (leg, p) in [(A, &pa), (B, &pb), (C, &pc)] {
        e.apply(Command::Remote {
            leg,
            remote: remote(p, Law::Alaw, None),
        });
    }
    e.apply(Command::Bridge { a: A, b: B });
    e.apply(Command::Bridge { a: A, b: C });
    pa.send_to(&packet(8, 1, &[0xd5; 160]), at(&e, A))
        .await
        .unwrap();
    let (_, from) = recv(&pc, 1000).await.expect("C hears A");
    assert_eq!(from, at(&e, C));
    assert!(recv(&pb, 200).await.is_none(), "B still hears A");
    pb.send_to(&packet(8, 1, &[0xd5; 160]), at(&e, B))
        .await
        .unwrap();
    assert!(recv(&pa, 200).await.is_none(), "A still hears B");
    e.apply(Command::Close { leg: C });
    pa.send_to(&packet(8, 2, &[0xd5; 160]), at(&e, A))
        .await
        .unwrap();
    assert!(recv(&pc, 200).await.is_none());
    assert_eq!(e.open_legs(), 2);
}

/// `n` A-law packets of `byte`, 20 ms apart, from `phone`'s far end `ssrc` to `to`.
async fn talk(phone: &UdpSocket, to: SocketAddr, ssrc: u32, ts: u32, byte: u8, n: u16) {
    for i in 0..n {
        let mut p = vec![byte; HEADER_LEN + 160];
        let header = Header {
            payload_type: 8,
            marker: false,
            seq: 100 + i,
            timestamp: ts + u32::from(i) * 160,
            ssrc,
        };
        header.write(&mut p).unwrap();
        phone.send_to(&p, to).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Everything `phone` receives for `ms`.
async fn collect(phone: &UdpSocket, ms: u64, into: &mut Vec<Vec<u8>>) {
    let end = Instant::now() + Duration::from_millis(ms);
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        let mut buf = [0u8; 2048];
        match timeout(left, phone.recv_from(&mut buf)).await {
            Ok(Ok((n, _))) => into.push(buf[..n].to_vec()),
            _ => return,
        }
    }
}

#[tokio::test]
async fn a_leg_hears_one_stream_across_ringback_peer_music_and_another_peer() {
    const C: LegId = LegId(3);
    let mut e = engine();
    assert_eq!(e.apply(Command::Open { leg: C, port: 0 }), None);
    let (pa, pb, pc) = (phone().await, phone().await, phone().await);
    for (leg, p) in [(A, &pa), (B, &pb), (C, &pc)] {
        e.apply(Command::Remote {
            leg,
            remote: remote(p, Law::Alaw, None),
        });
    }
    let mut got = Vec::new();
    e.apply(Command::Play {
        leg: A,
        source: Source::Ringback(ToneCountry::PL),
    });
    collect(&pa, 100, &mut got).await;
    e.apply(Command::Bridge { a: A, b: B });
    talk(&pb, at(&e, B), 0xb0b, 4_000, 0x11, 4).await;
    collect(&pa, 50, &mut got).await;
    e.apply(Command::Play {
        leg: A,
        source: Source::HoldMusic(None),
    });
    collect(&pa, 100, &mut got).await;
    e.apply(Command::Bridge { a: A, b: C });
    talk(&pc, at(&e, C), 0xc0c, 900_000, 0x22, 4).await;
    collect(&pa, 100, &mut got).await;

    let layouts: Vec<Layout> = got.iter().map(|p| Layout::parse(p).unwrap()).collect();
    let kinds: String = got
        .iter()
        .map(
            |p| match p[HEADER_LEN..].iter().all(|b| *b == p[HEADER_LEN]) {
                true if p[HEADER_LEN] == 0x11 => 'B',
                true if p[HEADER_LEN] == 0x22 => 'C',
                _ => 'g',
            },
        )
        .collect();
    assert!(
        kinds.contains("gBBBBg") && kinds.ends_with("gCCCC"),
        "{kinds}"
    );
    assert!(layouts.iter().all(|l| l.ssrc == layouts[0].ssrc));
    for (i, w) in layouts.windows(2).enumerate() {
        assert_eq!(w[1].seq, w[0].seq.wrapping_add(1), "seq at {i}");
        let step = w[1].timestamp.wrapping_sub(w[0].timestamp) as i32;
        assert!((160..8000).contains(&step), "timestamp step {step} at {i}");
    }
    let kinds: Vec<char> = kinds.chars().collect();
    for (i, l) in layouts.iter().enumerate() {
        // Generated audio changes source only at a Play: the music's first frame follows B.
        let new_source = i == 0 || kinds[i] != kinds[i - 1];
        assert_eq!(l.marker, new_source, "marker at {i}: {kinds:?}");
    }
}
