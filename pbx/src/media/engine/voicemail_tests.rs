//! Voicemail media on real UDP sockets: recording, DTMF, prompts and files played once.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::{timeout, Instant};

use super::tests::{at, new_engine, packet, phone, recv, remote};
use super::*;
use crate::media::g711::Law;
use crate::media::rtp::{Header, HEADER_LEN};

const A: LegId = LegId(1);
const B: LegId = LegId(2);

/// Power of `hz` in `samples` relative to their energy: about 1 for a pure tone at `hz`.
fn tone_fraction(samples: &[i16], hz: f64) -> f64 {
    let k = 2.0 * (std::f64::consts::TAU * hz / 8000.0).cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for x in samples {
        let s0 = f64::from(*x) + k * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - k * s1 * s2;
    let energy: f64 = samples.iter().map(|s| f64::from(*s).powi(2)).sum();
    let n = samples.len() as f64;
    power / (energy * n / 2.0).max(1.0)
}

/// 20 ms of a 1 kHz tone at about −12 dBFS in µ-law.
fn tone_frame() -> [u8; 160] {
    std::array::from_fn(|n| {
        let s = 8000.0 * (std::f64::consts::TAU * 1000.0 * n as f64 / 8000.0).sin();
        Law::Ulaw.encode(s as i16)
    })
}

/// An engine with leg A open, its far end a µ-law phone with telephone-events on 101.
async fn one_leg() -> (Engine, UnboundedReceiver<Event>, UdpSocket) {
    let (mut e, events) = new_engine();
    assert_eq!(e.apply(Command::Open { leg: A, port: 0 }), None);
    let p = phone().await;
    e.apply(Command::Remote {
        leg: A,
        remote: remote(&p, Law::Ulaw, Some(101)),
    });
    (e, events, p)
}

/// Sends `tone_ms` of tone then `silence_ms` of µ-law silence to `to`, paced at 20 ms.
fn talk(p: Arc<UdpSocket>, to: SocketAddr, tone_ms: u32, silence_ms: u32) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        let tone = tone_frame();
        let quiet = [Law::Ulaw.silence(); 160];
        for i in 0..(tone_ms + silence_ms) / 20 {
            tick.tick().await;
            let frame = if i * 20 < tone_ms { &tone } else { &quiet };
            if p.send_to(&packet(0, i as u16, frame), to).await.is_err() {
                return;
            }
        }
    });
}

async fn next_event(events: &mut UnboundedReceiver<Event>, ms: u64) -> Option<Event> {
    timeout(Duration::from_millis(ms), events.recv())
        .await
        .ok()
        .flatten()
}

/// Waits for the `Recorded` event; returns its duration and reason.
async fn recorded(events: &mut UnboundedReceiver<Event>, path: &Path) -> (u32, RecordEnd) {
    match next_event(events, 5000).await {
        Some(Event::Recorded {
            leg,
            path: p,
            duration_ms,
            ended,
        }) => {
            assert_eq!((leg, p.as_path()), (A, path));
            (duration_ms, ended)
        }
        other => panic!("expected Recorded, got {other:?}"),
    }
}

/// The WAV's samples, checking it is 8 kHz mono 16-bit.
fn wav_samples(path: &Path) -> Vec<i16> {
    let mut r = hound::WavReader::open(path).expect("a readable WAV");
    let spec = r.spec();
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (8000, 1, 16)
    );
    r.samples::<i16>().map(|s| s.expect("sample")).collect()
}

fn record(e: &mut Engine, path: &Path, limit_ms: u64, silence_ms: u64) {
    e.apply(Command::Record {
        leg: A,
        path: path.to_path_buf(),
        limit: Duration::from_millis(limit_ms),
        silence: Duration::from_millis(silence_ms),
    });
}

fn message_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("voicemail/employee-101/msg.wav")
}

#[tokio::test]
async fn a_message_ends_on_silence_trimmed_with_the_tone_in_it() {
    let (mut e, mut events, p) = one_leg().await;
    let dir = tempfile::tempdir().unwrap();
    let path = message_path(&dir);
    record(&mut e, &path, 20_000, 1000);
    assert!(e.recording(A));
    let start = Instant::now();
    talk(Arc::new(p), at(&e, A), 1000, 4000);
    let (ms, ended) = recorded(&mut events, &path).await;
    assert_eq!(ended, RecordEnd::Silence);
    let took = start.elapsed();
    assert!(
        (Duration::from_millis(1900)..Duration::from_millis(2800)).contains(&took),
        "ended after {took:?}"
    );
    assert!((960..=1060).contains(&ms), "{ms} ms");
    let samples = wav_samples(&path);
    assert_eq!(samples.len() as u32, ms * 8, "duration and file agree");
    assert!(
        tone_fraction(&samples, 1000.0) > 0.8,
        "no 1 kHz tone in the file"
    );
    assert!(tone_fraction(&samples, 600.0) < 0.05);
    assert!(!e.recording(A));
}

#[tokio::test]
async fn the_limit_ends_a_message() {
    let (mut e, mut events, p) = one_leg().await;
    let dir = tempfile::tempdir().unwrap();
    let path = message_path(&dir);
    record(&mut e, &path, 1000, 5000);
    talk(Arc::new(p), at(&e, A), 3000, 0);
    let (ms, ended) = recorded(&mut events, &path).await;
    assert_eq!(ended, RecordEnd::Limit);
    assert!((900..=1000).contains(&ms), "{ms} ms");
    let samples = wav_samples(&path);
    assert_eq!(samples.len() as u32, ms * 8);
    assert!(tone_fraction(&samples, 1000.0) > 0.8);
}

#[tokio::test]
async fn stop_recording_and_close_end_it_once() {
    let (mut e, mut events, p) = one_leg().await;
    let dir = tempfile::tempdir().unwrap();
    let path = message_path(&dir);
    record(&mut e, &path, 20_000, 5000);
    let p = Arc::new(p);
    talk(p.clone(), at(&e, A), 2000, 0);
    tokio::time::sleep(Duration::from_millis(600)).await;
    e.apply(Command::StopRecording { leg: A });
    let (ms, ended) = recorded(&mut events, &path).await;
    assert_eq!(ended, RecordEnd::Stopped);
    assert!((400..=700).contains(&ms), "{ms} ms");
    assert_eq!(wav_samples(&path).len() as u32, ms * 8);
    e.apply(Command::StopRecording { leg: A });

    let second = dir.path().join("second.wav");
    record(&mut e, &second, 20_000, 5000);
    tokio::time::sleep(Duration::from_millis(300)).await;
    e.apply(Command::Close { leg: A });
    let (ms, ended) = recorded(&mut events, &second).await;
    assert_eq!(ended, RecordEnd::Stopped);
    assert!(ms <= 400, "{ms} ms");
    assert!(next_event(&mut events, 300).await.is_none(), "more events");
}

#[tokio::test]
async fn a_phone_that_sends_nothing_ends_on_silence_with_an_empty_file() {
    let (mut e, mut events, _p) = one_leg().await;
    let dir = tempfile::tempdir().unwrap();
    let path = message_path(&dir);
    record(&mut e, &path, 20_000, 500);
    assert_eq!(recorded(&mut events, &path).await, (0, RecordEnd::Silence));
    assert!(wav_samples(&path).is_empty());
}

#[tokio::test]
async fn an_unwritable_file_is_reported_failed() {
    let (mut e, mut events, _p) = one_leg().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("taken"), b"a file, not a directory").unwrap();
    let path = dir.path().join("taken/msg.wav");
    record(&mut e, &path, 20_000, 500);
    let (ms, ended) = recorded(&mut events, &path).await;
    assert!(matches!(ended, RecordEnd::Failed(_)), "{ended:?}");
    assert_eq!(ms, 0);
}

/// A telephone-event packet.
fn event_packet(seq: u16, timestamp: u32, marker: bool, event: u8, end: bool, dur: u16) -> Vec<u8> {
    let mut p = vec![0u8; HEADER_LEN + 4];
    let header = Header {
        payload_type: 101,
        marker,
        seq,
        timestamp,
        ssrc: 0x1234,
    };
    header.write(&mut p).unwrap();
    let d = dur.to_be_bytes();
    p[HEADER_LEN..].copy_from_slice(&[event, if end { 0x8a } else { 0x0a }, d[0], d[1]]);
    p
}

/// Sends one key press as phones do: start with the marker, updates, three end packets.
async fn press(p: &UdpSocket, to: SocketAddr, seq: &mut u16, timestamp: u32, event: u8) {
    let mut send = |marker, end, dur| {
        *seq = seq.wrapping_add(1);
        event_packet(*seq, timestamp, marker, event, end, dur)
    };
    let packets = [
        send(true, false, 0),
        send(false, false, 400),
        send(false, false, 800),
        send(false, true, 1200),
        send(false, true, 1200),
        send(false, true, 1200),
    ];
    for packet in packets {
        p.send_to(&packet, to).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn each_key_press_is_one_dtmf_event() {
    let (mut e, mut events, p) = one_leg().await;
    e.apply(Command::Play {
        leg: A,
        source: Source::Silence,
    });
    let mut seq = 0;
    for (ts, code) in [(1000, 1), (9000, 11), (17000, 1), (25000, 12)] {
        press(&p, at(&e, A), &mut seq, ts, code).await;
    }
    let mut digits = String::new();
    while let Some(event) = next_event(&mut events, 300).await {
        match event {
            Event::Dtmf { leg: A, digit } => digits.push(digit),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(digits, "1#1A");
}

#[tokio::test]
async fn a_bridged_leg_relays_its_events_instead() {
    let (mut e, mut events, pa) = one_leg().await;
    assert_eq!(e.apply(Command::Open { leg: B, port: 0 }), None);
    let pb = phone().await;
    e.apply(Command::Remote {
        leg: B,
        remote: remote(&pb, Law::Ulaw, Some(101)),
    });
    e.apply(Command::Bridge { a: A, b: B });
    let mut seq = 0;
    press(&pa, at(&e, A), &mut seq, 1000, 5).await;
    assert!(recv(&pb, 1000).await.is_some(), "the event was not relayed");
    assert!(next_event(&mut events, 300).await.is_none());
}

/// Collects what the phone hears until `PlayFinished`; returns the decoded samples and how
/// long it took.
async fn hear_until_finished(
    events: &mut UnboundedReceiver<Event>,
    p: &UdpSocket,
) -> (Vec<i16>, Duration) {
    let start = Instant::now();
    let mut heard = Vec::new();
    loop {
        assert!(start.elapsed() < Duration::from_secs(8), "never finished");
        tokio::select! {
            event = events.recv() => match event {
                Some(Event::PlayFinished { leg: A }) => break,
                other => panic!("unexpected {other:?}"),
            },
            got = recv(p, 3000) => {
                let (packet, _) = got.expect("audio while playing");
                heard.extend(packet[HEADER_LEN..].iter().map(|b| Law::Ulaw.decode(*b)));
            }
        }
    }
    let took = start.elapsed();
    // Packets sent with the last frame may still be in the socket (then silence follows).
    let drain_until = Instant::now() + Duration::from_millis(60);
    while Instant::now() < drain_until {
        let Some((packet, _)) = recv(p, 30).await else {
            break;
        };
        if packet[HEADER_LEN..]
            .iter()
            .any(|b| *b != Law::Ulaw.silence())
        {
            heard.extend(packet[HEADER_LEN..].iter().map(|b| Law::Ulaw.decode(*b)));
        }
    }
    (heard, took)
}

/// The samples of `heard` that are not silence.
fn loud(heard: &[i16]) -> Vec<i16> {
    heard
        .chunks(160)
        .filter(|f| f.iter().any(|s| s.unsigned_abs() > 1000))
        .flatten()
        .copied()
        .collect()
}

#[tokio::test]
async fn a_beep_plays_once_then_finishes_and_silence_follows() {
    let (mut e, mut events, p) = one_leg().await;
    e.apply(Command::Play {
        leg: A,
        source: Source::Prompt(Prompt::Beep),
    });
    let (heard, took) = hear_until_finished(&mut events, &p).await;
    assert!(
        (Duration::from_millis(340)..Duration::from_millis(700)).contains(&took),
        "finished after {took:?}"
    );
    let tone = loud(&heard);
    assert_eq!(tone.len(), 3200, "400 ms of beep");
    assert!(tone_fraction(&tone, 1000.0) > 0.9);
    // Then silence, still sent (NAT bindings), and no second PlayFinished.
    for _ in 0..5 {
        let (packet, _) = recv(&p, 1000).await.expect("silence packets");
        assert!(packet[HEADER_LEN..]
            .iter()
            .all(|b| *b == Law::Ulaw.silence()));
    }
    assert!(next_event(&mut events, 100).await.is_none());
}

#[tokio::test]
async fn a_missing_file_plays_its_fallback_prompt() {
    let (mut e, mut events, p) = one_leg().await;
    e.apply(Command::Play {
        leg: A,
        source: Source::File {
            path: PathBuf::from("/nonexistent/centrala/greeting.wav"),
            fallback: Prompt::Beep,
        },
    });
    let (heard, _) = hear_until_finished(&mut events, &p).await;
    let tone = loud(&heard);
    assert_eq!(tone.len(), 3200);
    assert!(tone_fraction(&tone, 1000.0) > 0.9);
}

#[tokio::test]
async fn a_file_plays_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("greeting.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for n in 0..4000 {
        let s = 8000.0 * (std::f64::consts::TAU * 500.0 * f64::from(n) / 8000.0).sin();
        w.write_sample(s as i16).unwrap();
    }
    w.finalize().unwrap();
    let (mut e, mut events, p) = one_leg().await;
    e.apply(Command::Play {
        leg: A,
        source: Source::File {
            path,
            fallback: Prompt::Beep,
        },
    });
    let (heard, took) = hear_until_finished(&mut events, &p).await;
    assert!(took >= Duration::from_millis(450), "{took:?}");
    let tone = loud(&heard);
    assert_eq!(tone.len(), 4000);
    assert!(tone_fraction(&tone, 500.0) > 0.9);
}

#[tokio::test]
async fn a_replaced_prompt_does_not_finish() {
    let (mut e, mut events, _p) = one_leg().await;
    e.apply(Command::Play {
        leg: A,
        source: Source::Prompt(Prompt::Greeting),
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    e.apply(Command::Play {
        leg: A,
        source: Source::Prompt(Prompt::Beep),
    });
    let first = next_event(&mut events, 2000).await;
    assert_eq!(first, Some(Event::PlayFinished { leg: A }));
    assert!(
        next_event(&mut events, 300).await.is_none(),
        "the greeting finished too"
    );
}
