//! A line's audio through real ALSA devices (TESTING.md, "Analog lines without hardware"):
//! ALSA's `file` plugin backed by FIFOs, named in a test asoundrc. A feeder writes numbered
//! 20 ms periods into the capture FIFO on absolute deadlines; the audio thread must hand out
//! exactly those frames, report the parameters it got, and write the frames it is given to
//! the playback FIFO, in order.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use pbx::line::alsa_pcm::{AudioEvent, Devices, Frame, LineAudio, FRAME};

/// Frame `n` as the feeder writes it: every sample `1000 + n` (never 0, the silence).
fn numbered(n: i16) -> Frame {
    [1000 + n; FRAME]
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success());
}

/// Writes `frames` numbered periods, then silence, one period every 20 ms, until `stop`.
fn feed(path: &Path, frames: i16, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    let path = path.to_owned();
    std::thread::spawn(move || {
        let mut fifo = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open the capture FIFO");
        let start = Instant::now();
        let mut n: i16 = 0;
        while !stop.load(Ordering::Relaxed) {
            let frame = if n < frames { numbered(n) } else { [0; FRAME] };
            let bytes: Vec<u8> = frame.iter().flat_map(|s| s.to_le_bytes()).collect();
            if fifo.write_all(&bytes).is_err() {
                return;
            }
            n = n.saturating_add(1);
            let due = start + Duration::from_millis(20) * u32::try_from(n).unwrap_or(0);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
        }
    })
}

/// Reads everything written to the playback FIFO until its writer closes it.
fn sink(path: &Path) -> std::thread::JoinHandle<Vec<i16>> {
    let path = path.to_owned();
    std::thread::spawn(move || {
        let mut fifo = std::fs::File::open(&path).expect("open the playback FIFO");
        let mut bytes = Vec::new();
        let _ = fifo.read_to_end(&mut bytes);
        bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect()
    })
}

#[test]
fn frames_go_in_and_out_of_real_alsa_devices_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, output) = (dir.path().join("in.fifo"), dir.path().join("out.fifo"));
    mkfifo(&input);
    mkfifo(&output);
    let rc = dir.path().join("asoundrc");
    std::fs::write(
        &rc,
        format!(
            "pcm.line1_capture {{ type file; slave.pcm {{ type null }}; file \"/dev/null\"; \
             infile \"{}\"; format raw }}\n\
             pcm.line1_playback {{ type file; slave.pcm {{ type null }}; file \"{}\"; \
             format raw }}\n",
            input.display(),
            output.display()
        ),
    )
    .expect("asoundrc");
    // The only test in this process: nothing else reads the environment meanwhile.
    std::env::set_var("ALSA_CONFIG_PATH", &rc);

    let stop = Arc::new(AtomicBool::new(false));
    let feeder = feed(&input, 50, Arc::clone(&stop));
    let heard = sink(&output);
    let (events_tx, events) = mpsc::channel();
    let (play_tx, play) = mpsc::channel();
    let audio = LineAudio::start(
        Devices {
            capture: "line1_capture".into(),
            playback: "line1_playback".into(),
        },
        events_tx,
        play,
    );
    let wait = Duration::from_secs(10);
    match events.recv_timeout(wait) {
        Ok(AudioEvent::Up(got)) => {
            assert_eq!(
                (got.rate, got.channels, got.period),
                (8000, 1, FRAME),
                "{got:?}"
            );
        }
        other => panic!("expected the line up, got {other:?}"),
    }
    // Frames to play, numbered from 2000.
    for n in 0..20i16 {
        play_tx.send([2000 + n; FRAME]).expect("queue a frame");
        if n % 3 == 2 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let mut captured = Vec::new();
    while captured.len() < 50 {
        match events.recv_timeout(wait) {
            Ok(AudioEvent::Frame(f)) => captured.push(f),
            other => panic!("expected frames, got {other:?}"),
        }
    }
    for (n, frame) in captured.iter().enumerate() {
        assert_eq!(frame, &numbered(n as i16), "frame {n}");
    }
    drop(audio);
    stop.store(true, Ordering::Relaxed);
    let _ = feeder.join();
    let played = heard.join().expect("the sink");
    // Whole frames, each one value: the queued frames in order (the oldest dropped while the
    // queue was full), silence when none was waiting.
    assert_eq!(played.len() % FRAME, 0, "whole periods only");
    let values: Vec<i16> = played.chunks(FRAME).map(|f| f[0]).collect();
    for f in played.chunks(FRAME) {
        assert!(
            f.iter().all(|s| *s == f[0]),
            "a frame is one value: {:?}",
            &f[..4]
        );
    }
    let queued: Vec<i16> = values.iter().copied().filter(|v| *v >= 2000).collect();
    assert!(!queued.is_empty(), "nothing queued was played: {values:?}");
    assert!(
        queued.windows(2).all(|w| w[0] < w[1]),
        "in order: {queued:?}"
    );
    assert_eq!(
        queued.last(),
        Some(&2019),
        "the newest frame is played: {queued:?}"
    );
}
