//! The I/O shell of a leg's recording: the receive path decodes each audio packet and hands
//! it to the [`Recorder`]; the samples go into 1 s chunk buffers, and a full chunk is passed
//! to the recording's writer thread, which writes the WAV file and returns the emptied
//! buffer for reuse.
//!
//! So the receive path never touches the file and never allocates in steady state (a chunk
//! buffer is allocated only when none came back yet: at most [`MAX_CHUNKS`] per recording,
//! i.e. when the disk lags by that many seconds the recording ends as failed rather than
//! growing). Its cost per packet is decoding, one power sum and a copy into the chunk: a few
//! microseconds, under a lock only the writer's tick shares. The writer thread also ticks the
//! wall-clock ends ([`Recorder::on_tick`]) every [`TICK`].
//!
//! Whoever ends a recording (the receive path on limit or silence, the writer's tick, the
//! engine on `StopRecording`/`Close`) takes it out of the leg's [`Slot`] and sends the writer
//! its last partial chunk; the writer completes the file (trimmed, header fixed, synced) and
//! reports [`Event::Recorded`] — exactly once per recording, as a failure if the file could
//! not be written.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use super::g711::Law;
use super::player::SAMPLE_RATE;
use super::recorder::{Ending, Recorder, Why};
use super::{Event, LegId, RecordEnd};

/// Samples in one chunk handed to the writer (1 s).
pub const CHUNK: usize = SAMPLE_RATE as usize;
/// Chunk buffers one recording may have (written or waiting to be).
pub const MAX_CHUNKS: usize = 8;
/// How often the writer checks the wall-clock ends.
pub const TICK: Duration = Duration::from_millis(50);
/// The largest packet decoded (longer payloads are cut).
const MAX_PACKET_SAMPLES: usize = 1500;

/// A leg's recording, if any. Shared by the leg (receive path), the engine and the writer.
#[derive(Debug, Default)]
pub struct Slot {
    active: Mutex<Option<Active>>,
}

/// What the writer thread is sent.
enum ToWriter {
    /// Samples to append; the buffer comes back emptied.
    Chunk(Vec<i16>),
    /// The last samples; then complete the file.
    Finish {
        tail: Vec<i16>,
        /// Samples of the file to keep (`None`: all).
        keep: Option<u64>,
        end: RecordEnd,
    },
}

/// A recording in progress, as the receive path sees it.
#[derive(Debug)]
struct Active {
    /// Which recording of the leg (so a writer ticks only its own).
    id: u64,
    recorder: Recorder,
    started: Instant,
    chunk: Vec<i16>,
    to_writer: Sender<ToWriter>,
    free: Receiver<Vec<i16>>,
    buffers: usize,
}

impl std::fmt::Debug for ToWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ToWriter::Chunk(c) => write!(f, "Chunk({})", c.len()),
            ToWriter::Finish { end, .. } => write!(f, "Finish({end:?})"),
        }
    }
}

/// What a recording needs to know to start.
pub struct Start {
    /// The leg.
    pub leg: LegId,
    /// The WAV file.
    pub path: PathBuf,
    /// The time limit.
    pub limit: Duration,
    /// The silence that ends it.
    pub silence: Duration,
    /// Where [`Event::Recorded`] goes.
    pub events: UnboundedSender<Event>,
}

impl Slot {
    fn lock(&self) -> MutexGuard<'_, Option<Active>> {
        self.active.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a recording (stopping the one in progress, if any).
    pub fn start(self: &Arc<Slot>, start: Start) {
        self.stop(RecordEnd::Stopped);
        static IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (to_writer, from_slot) = mpsc::channel();
        let (give_back, free) = mpsc::channel();
        let writer = Writer {
            leg: start.leg,
            path: start.path.clone(),
            slot: Arc::downgrade(self),
            id,
            from_slot,
            give_back,
            events: start.events.clone(),
        };
        let spawned = std::thread::Builder::new()
            .name("centrala-recorder".into())
            .spawn(move || writer.run());
        if let Err(e) = spawned {
            tracing::warn!(leg = start.leg.0, error = %e, "recording not started");
            let _ = start.events.send(Event::Recorded {
                leg: start.leg,
                path: start.path,
                duration_ms: 0,
                ended: RecordEnd::Failed(format!("no thread for the writer: {e}")),
            });
            return;
        }
        tracing::debug!(leg = start.leg.0, path = %start.path.display(), "recording");
        *self.lock() = Some(Active {
            id,
            recorder: Recorder::new(start.limit, start.silence),
            started: Instant::now(),
            chunk: Vec::with_capacity(CHUNK),
            to_writer,
            free,
            buffers: 1,
        });
    }

    /// Ends the recording in progress, if any, for `why`.
    pub fn stop(&self, why: RecordEnd) {
        let active = self.lock().take();
        if let Some(active) = active {
            active.finish(None, why);
        }
    }

    /// Whether a recording is in progress.
    pub fn is_active(&self) -> bool {
        self.lock().is_some()
    }

    /// An audio packet the leg sent, in `law`, with its RTP SSRC and timestamp.
    pub fn on_audio(&self, law: Law, ssrc: u32, timestamp: u32, payload: &[u8]) {
        let mut guard = self.lock();
        let Some(active) = guard.as_mut() else {
            return;
        };
        let mut pcm = [0i16; MAX_PACKET_SAMPLES];
        let n = super::g711::decode(law, payload, &mut pcm);
        let now = active.started.elapsed();
        let step = active.recorder.on_audio(now, ssrc, timestamp, &pcm[..n]);
        let mut result = active.push_zeros(step.gap);
        if result.is_ok() {
            result = active.push(&pcm[..step.take]);
        }
        let end = match (result, step.end) {
            (Err(failed), _) => Some((None, failed)),
            (Ok(()), Some(ending)) => Some(ending_of(ending)),
            (Ok(()), None) => None,
        };
        if let Some((keep, why)) = end {
            if let Some(active) = guard.take() {
                active.finish(keep, why);
            }
        }
    }

    /// The wall-clock check of recording `id` (the writer calls it).
    fn tick(&self, id: u64) {
        let mut guard = self.lock();
        let Some(active) = guard.as_mut().filter(|a| a.id == id) else {
            return;
        };
        let now = active.started.elapsed();
        if let Some(ending) = active.recorder.on_tick(now) {
            if let Some(active) = guard.take() {
                let (keep, why) = ending_of(ending);
                active.finish(keep, why);
            }
        }
    }
}

/// What the writer keeps, and the reported reason, of a decided ending.
fn ending_of(ending: Ending) -> (Option<u64>, RecordEnd) {
    let why = match ending.why {
        Why::Limit => RecordEnd::Limit,
        Why::Silence => RecordEnd::Silence,
    };
    (Some(ending.keep), why)
}

impl Active {
    fn push(&mut self, mut samples: &[i16]) -> Result<(), RecordEnd> {
        while !samples.is_empty() {
            let n = self.room()?.min(samples.len());
            self.chunk.extend_from_slice(&samples[..n]);
            samples = &samples[n..];
        }
        Ok(())
    }

    fn push_zeros(&mut self, mut count: usize) -> Result<(), RecordEnd> {
        while count > 0 {
            let n = self.room()?.min(count);
            self.chunk.resize(self.chunk.len() + n, 0);
            count -= n;
        }
        Ok(())
    }

    /// Room in the current chunk, handing a full one to the writer first.
    fn room(&mut self) -> Result<usize, RecordEnd> {
        if self.chunk.len() < CHUNK {
            return Ok(CHUNK - self.chunk.len());
        }
        let next = match self.free.try_recv() {
            Ok(buffer) => buffer,
            Err(_) if self.buffers < MAX_CHUNKS => {
                self.buffers += 1;
                Vec::with_capacity(CHUNK)
            }
            Err(_) => {
                return Err(RecordEnd::Failed(format!(
                    "the disk is too slow: {MAX_CHUNKS} s of audio not written yet"
                )))
            }
        };
        let full = std::mem::replace(&mut self.chunk, next);
        // A writer that gave up has reported the failure already; the rest is dropped.
        let _ = self.to_writer.send(ToWriter::Chunk(full));
        Ok(CHUNK)
    }

    fn finish(self, keep: Option<u64>, end: RecordEnd) {
        let _ = self.to_writer.send(ToWriter::Finish {
            tail: self.chunk,
            keep,
            end,
        });
    }
}

/// The writer thread of one recording.
struct Writer {
    leg: LegId,
    path: PathBuf,
    slot: Weak<Slot>,
    id: u64,
    from_slot: Receiver<ToWriter>,
    give_back: Sender<Vec<i16>>,
    events: UnboundedSender<Event>,
}

impl Writer {
    fn run(self) {
        let (samples, end) = match self.write() {
            Ok(done) => done,
            Err(e) => {
                tracing::warn!(leg = self.leg.0, file = %self.path.display(), error = %e, "recording failed");
                (0, RecordEnd::Failed(e.to_string()))
            }
        };
        let duration_ms =
            u32::try_from(samples * 1000 / u64::from(SAMPLE_RATE)).unwrap_or(u32::MAX);
        tracing::debug!(leg = self.leg.0, duration_ms, ?end, "recorded");
        let _ = self.events.send(Event::Recorded {
            leg: self.leg,
            path: self.path.clone(),
            duration_ms,
            ended: end,
        });
    }

    /// Writes until told to finish; returns the samples kept and why it ended.
    fn write(&self) -> io::Result<(u64, RecordEnd)> {
        let mut out = WavOut::create(&self.path)?;
        let mut next_tick = Instant::now() + TICK;
        loop {
            let wait = next_tick.saturating_duration_since(Instant::now());
            match self.from_slot.recv_timeout(wait) {
                Ok(ToWriter::Chunk(mut chunk)) => {
                    out.append(&chunk)?;
                    chunk.clear();
                    let _ = self.give_back.send(chunk);
                }
                Ok(ToWriter::Finish { tail, keep, end }) => {
                    out.append(&tail)?;
                    let kept = out.finish(keep)?;
                    return Ok((kept, end));
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    // The leg went away without ending it: keep what came.
                    return Ok((out.finish(None)?, RecordEnd::Stopped));
                }
            }
            if Instant::now() >= next_tick {
                next_tick = Instant::now() + TICK;
                if let Some(slot) = self.slot.upgrade() {
                    slot.tick(self.id);
                }
            }
        }
    }
}

/// A 16-bit mono WAV file at [`SAMPLE_RATE`], written as samples come; the header's sizes
/// are set when it is finished.
struct WavOut {
    file: File,
    samples: u64,
    bytes: Vec<u8>,
}

/// The canonical header's length.
const WAV_HEADER: u64 = 44;

impl WavOut {
    fn create(path: &Path) -> io::Result<WavOut> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = File::create(path)?;
        file.write_all(&header(0))?;
        Ok(WavOut {
            file,
            samples: 0,
            bytes: Vec::with_capacity(CHUNK * 2),
        })
    }

    fn append(&mut self, samples: &[i16]) -> io::Result<()> {
        self.bytes.clear();
        self.bytes
            .extend(samples.iter().flat_map(|s| s.to_le_bytes()));
        self.file.write_all(&self.bytes)?;
        self.samples += samples.len() as u64;
        Ok(())
    }

    /// Cuts the file to `keep` samples (all when `None`), writes the header, syncs; returns
    /// the samples in the file.
    fn finish(mut self, keep: Option<u64>) -> io::Result<u64> {
        let max = u64::from(u32::MAX - 36) / 2;
        let kept = keep.unwrap_or(self.samples).min(self.samples).min(max);
        self.file.set_len(WAV_HEADER + kept * 2)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(&header(kept as u32 * 2))?;
        self.file.sync_all()?;
        Ok(kept)
    }
}

/// The 44-byte header of a PCM WAV file with `data` bytes of 16-bit mono audio.
fn header(data: u32) -> [u8; WAV_HEADER as usize] {
    let mut h = [0u8; WAV_HEADER as usize];
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        h[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    };
    put(b"RIFF");
    put(&data.saturating_add(36).to_le_bytes());
    put(b"WAVEfmt ");
    put(&16u32.to_le_bytes());
    put(&1u16.to_le_bytes()); // PCM
    put(&1u16.to_le_bytes()); // mono
    put(&SAMPLE_RATE.to_le_bytes());
    put(&(SAMPLE_RATE * 2).to_le_bytes()); // bytes per second
    put(&2u16.to_le_bytes()); // block align
    put(&16u16.to_le_bytes()); // bits per sample
    put(b"data");
    put(&data.to_le_bytes());
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> (hound::WavSpec, Vec<i16>) {
        let mut r = hound::WavReader::open(path).unwrap();
        let spec = r.spec();
        let samples = r.samples::<i16>().map(Result::unwrap).collect();
        (spec, samples)
    }

    #[test]
    fn the_wav_file_is_trimmed_and_readable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/msg.wav");
        let mut out = WavOut::create(&path).unwrap();
        out.append(&[1, 2, 3, 4, 5]).unwrap();
        out.append(&[6, 7]).unwrap();
        assert_eq!(out.finish(Some(4)).unwrap(), 4);
        let (spec, samples) = read(&path);
        assert_eq!(
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (1, 8000, 16)
        );
        assert_eq!(samples, [1, 2, 3, 4]);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 44 + 8);
    }

    fn start(
        slot: &Arc<Slot>,
        path: PathBuf,
        limit: u64,
    ) -> tokio::sync::mpsc::UnboundedReceiver<Event> {
        let (events, rx) = tokio::sync::mpsc::unbounded_channel();
        slot.start(Start {
            leg: LegId(9),
            path,
            limit: Duration::from_secs(limit),
            silence: Duration::from_secs(30),
            events,
        });
        rx
    }

    fn recorded(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Event>) -> Event {
        for _ in 0..500 {
            if let Ok(e) = rx.try_recv() {
                return e;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("no Recorded event");
    }

    #[test]
    fn chunks_reach_the_file_in_order_and_stop_reports_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.wav");
        let slot = Arc::new(Slot::default());
        let mut rx = start(&slot, path.clone(), 60);
        // 2.5 s of a ramp pattern in 20 ms packets (µ-law 0x80 + i decodes to distinct levels).
        let mut expected = Vec::new();
        for i in 0..125u32 {
            let payload = [(i % 100) as u8; 160];
            slot.on_audio(Law::Ulaw, 1, i * 160, &payload);
            expected.extend(std::iter::repeat_n(Law::Ulaw.decode(payload[0]), 160));
        }
        slot.stop(RecordEnd::Stopped);
        assert!(!slot.is_active());
        let e = recorded(&mut rx);
        assert_eq!(
            e,
            Event::Recorded {
                leg: LegId(9),
                path: path.clone(),
                duration_ms: 2500,
                ended: RecordEnd::Stopped
            }
        );
        assert_eq!(read(&path).1, expected);
        std::thread::sleep(Duration::from_millis(100));
        assert!(rx.try_recv().is_err(), "a second event");
    }

    #[test]
    fn an_unwritable_path_fails_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("file"), b"x").unwrap();
        let path = dir.path().join("file/m.wav");
        let slot = Arc::new(Slot::default());
        let mut rx = start(&slot, path, 60);
        let e = recorded(&mut rx);
        assert!(
            matches!(
                e,
                Event::Recorded {
                    ended: RecordEnd::Failed(_),
                    duration_ms: 0,
                    ..
                }
            ),
            "{e:?}"
        );
        for i in 0..60u32 {
            slot.on_audio(Law::Ulaw, 1, i * 160, &[0x10; 160]);
        }
        slot.stop(RecordEnd::Stopped);
        std::thread::sleep(Duration::from_millis(100));
        assert!(rx.try_recv().is_err(), "a second event");
    }

    #[test]
    fn a_new_recording_stops_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let slot = Arc::new(Slot::default());
        let mut first = start(&slot, dir.path().join("1.wav"), 60);
        slot.on_audio(Law::Alaw, 1, 0, &[0x10; 160]);
        let mut second = start(&slot, dir.path().join("2.wav"), 60);
        assert!(matches!(
            recorded(&mut first),
            Event::Recorded {
                duration_ms: 20,
                ended: RecordEnd::Stopped,
                ..
            }
        ));
        assert!(slot.is_active());
        slot.stop(RecordEnd::Stopped);
        assert!(matches!(
            recorded(&mut second),
            Event::Recorded {
                duration_ms: 0,
                ended: RecordEnd::Stopped,
                ..
            }
        ));
    }
}
