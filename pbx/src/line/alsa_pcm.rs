//! A line's audio through ALSA: 8 kHz, S16, mono, in periods of one 20 ms frame, on a blocking
//! thread per line that loops read/write and talks to the rest of the daemon through channels
//! (TESTING.md: the file-backed test devices and many real ones cannot be polled, so a thread
//! that blocks in `readi` works the same everywhere).
//!
//! Each cycle reads one frame from the capture PCM, hands it out, waits briefly (at most
//! [`ANSWER_WAIT`]) for the line's answer to it, and writes one frame to the playback PCM:
//! the oldest the line queued, or silence when none is waiting. The capture clock paces
//! everything; when frames arrive faster than the sound card takes them, the oldest beyond
//! [`MAX_QUEUED`] are dropped, so the added latency stays bounded.
//!
//! Latency: playback starts once [`START_PERIODS`] periods are written, and one period is
//! written per period captured, so the playback buffer holds one to two periods (20–40 ms)
//! instead of a full buffer; the other periods are headroom against a late thread.
//!
//! Errors: an overrun/underrun (EPIPE) or a suspend (ESTRPIPE) is recovered in place; any other
//! error (the device vanished, EIO, EBADFD) closes both PCMs, reports the line down and reopens
//! after a back-off (1 s doubling to 30 s) until it works again. Other lines are unaffected.

use std::collections::VecDeque;
use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use alsa::pcm::{Access, Format, HwParams, PCM};
use alsa::{Direction, ValueOr};

/// Samples per second.
pub const RATE: u32 = 8000;

/// Samples per frame (20 ms), which is also the ALSA period.
pub const FRAME: usize = 160;

/// Periods in the ALSA buffer.
pub const PERIODS: usize = 4;

/// Periods written before playback starts: what the playback buffer holds in steady state.
pub const START_PERIODS: usize = 2;

/// Frames the switch may queue for playback before the oldest are dropped.
pub const MAX_QUEUED: usize = 3;

/// How long a cycle waits for the line's answer to the frame it captured (the line's DSP
/// takes well under a millisecond) before it plays what is queued, or silence.
pub const ANSWER_WAIT: Duration = Duration::from_millis(4);

/// The tracing target of the event logged as each playback frame is written (its field
/// `first` is the frame's first sample), for measuring latency.
pub const WRITTEN: &str = "centrala::line::written";

/// The longest wait before reopening a device that failed.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// One 20 ms frame of audio.
pub type Frame = [i16; FRAME];

/// A line's two PCMs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Devices {
    /// The capture PCM's name (e.g. `hw:1,0` or `line1`).
    pub capture: String,
    /// The playback PCM's name.
    pub playback: String,
}

/// What the audio thread reports.
// Frames are nearly every message: boxing them would allocate every 20 ms per line.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum AudioEvent {
    /// Both PCMs are open with these parameters.
    Up(Negotiated),
    /// One frame captured from the line.
    Frame(Frame),
    /// The line's audio is down (why); it is reopened by itself.
    Down(String),
}

/// The parameters the devices accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// Samples per second.
    pub rate: u32,
    /// Channels.
    pub channels: u32,
    /// Frames per period.
    pub period: usize,
    /// Frames in the buffer.
    pub buffer: usize,
}

/// What to do after an ALSA error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Recover in place (an xrun or a suspend).
    Recover,
    /// Close and reopen after a back-off.
    Reopen,
}

/// How an error with this errno is handled.
pub fn recovery(errno: i32) -> Recovery {
    const EPIPE: i32 = 32;
    const ESTRPIPE: i32 = 86;
    match errno.abs() {
        EPIPE | ESTRPIPE => Recovery::Recover,
        _ => Recovery::Reopen,
    }
}

/// The wait before reopening after `failures` failures in a row: 1 s, doubling, at most
/// [`MAX_BACKOFF`].
pub fn backoff(failures: u32) -> Duration {
    let secs = 1u64 << failures.saturating_sub(1).min(5);
    Duration::from_secs(secs).min(MAX_BACKOFF)
}

/// Why a line's audio could not be opened or run.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The device name cannot be given to ALSA.
    #[error("the device name {0:?} contains a NUL byte")]
    BadName(String),
    /// ALSA refused.
    #[error("{device}: {source}")]
    Alsa {
        /// Which device.
        device: String,
        /// The error.
        source: alsa::Error,
    },
    /// The device did not take 8 kHz S16 mono in 20 ms periods.
    #[error("{device}: the device gives {got:?}, not 8000 Hz mono in 160-frame periods")]
    Parameters {
        /// Which device.
        device: String,
        /// What it gave.
        got: Negotiated,
    },
}

/// A running audio thread; stopped (and joined) on drop.
#[derive(Debug)]
pub struct LineAudio {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl LineAudio {
    /// Starts the thread of a line: captured frames and state go to `events`, frames to play
    /// come from `playback`. Opening happens on the thread (it may block until the device is
    /// there).
    pub fn start(devices: Devices, events: Sender<AudioEvent>, playback: Receiver<Frame>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name(format!("line {}", devices.capture))
            .spawn(move || run(&devices, &events, &playback, &flag))
            .ok();
        LineAudio { stop, thread }
    }

    /// Asks the thread to stop after its current frame.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Drop for LineAudio {
    fn drop(&mut self) {
        self.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The thread: open, run until an error that needs a reopen, back off, again.
fn run(
    devices: &Devices,
    events: &Sender<AudioEvent>,
    playback: &Receiver<Frame>,
    stop: &AtomicBool,
) {
    let mut failures = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let why = match open(devices) {
            Ok((capture, play, negotiated)) => {
                failures = 0;
                if events.send(AudioEvent::Up(negotiated)).is_err() {
                    return;
                }
                match pump(&capture, &play, events, playback, stop) {
                    Ok(()) => return,
                    Err(why) => why,
                }
            }
            Err(e) => e.to_string(),
        };
        failures = failures.saturating_add(1);
        tracing::warn!(line = %devices.capture, %why, "line audio down; reopening");
        if events.send(AudioEvent::Down(why)).is_err() {
            return;
        }
        sleep_unless_stopped(backoff(failures), stop);
    }
}

fn sleep_unless_stopped(d: Duration, stop: &AtomicBool) {
    let step = Duration::from_millis(100);
    let mut left = d;
    while !left.is_zero() && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(step.min(left));
        left = left.saturating_sub(step);
    }
}

/// Opens both PCMs at 8 kHz S16 mono with 20 ms periods; the capture first (a FIFO-backed
/// capture blocks until its writer is there).
pub fn open(devices: &Devices) -> Result<(PCM, PCM, Negotiated), AudioError> {
    let capture = open_one(&devices.capture, Direction::Capture)?;
    let (playback, negotiated) = {
        let pcm = open_one(&devices.playback, Direction::Playback)?;
        let got = negotiated(&pcm, &devices.playback)?;
        (pcm, got)
    };
    negotiated_ok(&capture, &devices.capture)?;
    Ok((capture, playback, negotiated))
}

fn open_one(name: &str, dir: Direction) -> Result<PCM, AudioError> {
    let alsa = |source| AudioError::Alsa {
        device: name.to_owned(),
        source,
    };
    let c = CString::new(name).map_err(|_| AudioError::BadName(name.to_owned()))?;
    let pcm = PCM::open(&c, dir, false).map_err(alsa)?;
    {
        let hw = HwParams::any(&pcm).map_err(alsa)?;
        hw.set_access(Access::RWInterleaved).map_err(alsa)?;
        hw.set_format(Format::s16()).map_err(alsa)?;
        hw.set_channels(1).map_err(alsa)?;
        hw.set_rate(RATE, ValueOr::Nearest).map_err(alsa)?;
        hw.set_period_size_near(FRAME as alsa::pcm::Frames, ValueOr::Nearest)
            .map_err(alsa)?;
        hw.set_buffer_size_near((FRAME * PERIODS) as alsa::pcm::Frames)
            .map_err(alsa)?;
        pcm.hw_params(&hw).map_err(alsa)?;
    }
    if dir == Direction::Playback {
        let sw = pcm.sw_params_current().map_err(alsa)?;
        sw.set_start_threshold((FRAME * START_PERIODS) as alsa::pcm::Frames)
            .map_err(alsa)?;
        pcm.sw_params(&sw).map_err(alsa)?;
    }
    pcm.prepare().map_err(alsa)?;
    Ok(pcm)
}

/// The parameters `pcm` runs with, refused unless they are what the DSP needs.
fn negotiated(pcm: &PCM, name: &str) -> Result<Negotiated, AudioError> {
    let alsa = |source| AudioError::Alsa {
        device: name.to_owned(),
        source,
    };
    let hw = pcm.hw_params_current().map_err(alsa)?;
    let got = Negotiated {
        rate: hw.get_rate().map_err(alsa)?,
        channels: hw.get_channels().map_err(alsa)?,
        period: usize::try_from(hw.get_period_size().map_err(alsa)?).unwrap_or(0),
        buffer: usize::try_from(hw.get_buffer_size().map_err(alsa)?).unwrap_or(0),
    };
    if got.rate != RATE || got.channels != 1 || got.period != FRAME {
        return Err(AudioError::Parameters {
            device: name.to_owned(),
            got,
        });
    }
    Ok(got)
}

fn negotiated_ok(pcm: &PCM, name: &str) -> Result<(), AudioError> {
    negotiated(pcm, name).map(|_| ())
}

/// Reads a frame, hands it out, writes one; until stopped (`Ok`) or an error that needs a
/// reopen (`Err(why)`).
fn pump(
    capture: &PCM,
    playback: &PCM,
    events: &Sender<AudioEvent>,
    queue: &Receiver<Frame>,
    stop: &AtomicBool,
) -> Result<(), String> {
    let input = capture.io_i16().map_err(|e| e.to_string())?;
    let output = playback.io_i16().map_err(|e| e.to_string())?;
    let mut waiting: VecDeque<Frame> = VecDeque::with_capacity(MAX_QUEUED + 1);
    let mut frame: Frame = [0; FRAME];
    while !stop.load(Ordering::Relaxed) {
        read_frame(capture, &input, &mut frame)?;
        if events.send(AudioEvent::Frame(frame)).is_err() {
            return Ok(());
        }
        match queue.recv_timeout(ANSWER_WAIT) {
            Ok(f) => waiting.push_back(f),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        }
        while let Ok(f) = queue.try_recv() {
            if waiting.len() == MAX_QUEUED {
                waiting.pop_front();
            }
            waiting.push_back(f);
        }
        let out = waiting.pop_front().unwrap_or([0; FRAME]);
        write_frame(playback, &output, &out)?;
        // For the latency benchmark (`benches/line_bridge.rs`): when a frame went to the card.
        tracing::trace!(target: WRITTEN, first = out[0]);
    }
    Ok(())
}

fn read_frame(pcm: &PCM, io: &alsa::pcm::IO<i16>, frame: &mut Frame) -> Result<(), String> {
    let mut got = 0;
    while got < FRAME {
        match io.readi(&mut frame[got..]) {
            Ok(n) => got += n,
            Err(e) => recover(pcm, e)?,
        }
    }
    Ok(())
}

fn write_frame(pcm: &PCM, io: &alsa::pcm::IO<i16>, frame: &Frame) -> Result<(), String> {
    let mut put = 0;
    while put < FRAME {
        match io.writei(&frame[put..]) {
            Ok(n) => put += n,
            Err(e) => recover(pcm, e)?,
        }
    }
    Ok(())
}

/// Recovers from an xrun or suspend in place; anything else asks for a reopen.
fn recover(pcm: &PCM, e: alsa::Error) -> Result<(), String> {
    match recovery(e.errno()) {
        Recovery::Recover => {
            tracing::debug!(error = %e, "line audio xrun recovered");
            pcm.try_recover(e, true).map_err(|e| e.to_string())
        }
        Recovery::Reopen => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xruns_and_suspends_are_recovered_in_place_other_errors_reopen() {
        assert_eq!(recovery(-32), Recovery::Recover);
        assert_eq!(recovery(32), Recovery::Recover);
        assert_eq!(recovery(-86), Recovery::Recover);
        assert_eq!(recovery(-5), Recovery::Reopen, "EIO");
        assert_eq!(recovery(-19), Recovery::Reopen, "ENODEV");
        assert_eq!(recovery(-77), Recovery::Reopen, "EBADFD");
    }

    #[test]
    fn reopening_backs_off_from_one_second_to_thirty() {
        let waits: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[test]
    fn a_device_that_does_not_exist_is_an_error_naming_it() {
        let devices = Devices {
            capture: "centrala_no_such_device".into(),
            playback: "centrala_no_such_device".into(),
        };
        let e = open(&devices)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("centrala_no_such_device:"), "{e}");
        let nul = Devices {
            capture: "bad\0name".into(),
            playback: "x".into(),
        };
        assert!(matches!(open(&nul), Err(AudioError::BadName(_))));
    }
}
