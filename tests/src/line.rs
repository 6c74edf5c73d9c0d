//! An analog line without hardware (TESTING.md, "Analog lines without hardware"): the line's
//! capture and playback are ALSA `file`-plugin devices on FIFOs named in a test asoundrc,
//! and its ring, loop and hook signals are text lines on the daemon's signalling socket.
//!
//! [`LineRig`] makes the FIFOs and the asoundrc; [`Exchange`] plays the telephone exchange:
//! it writes the line's audio in real time (20 ms per frame, silence when it has nothing to
//! say), keeps everything the daemon plays to the line, and sends ring signals. Also here:
//! the exchange's signals as audio — V.23 FSK caller ID (ETSI EN 300 659) and the Polish
//! call-progress tones — and a DTMF receiver for the digits the daemon dials.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// Samples per 20 ms frame at 8 kHz.
pub const FRAME: usize = 160;

/// The FIFOs, asoundrc and socket path of one line.
pub struct LineRig {
    /// The capture FIFO (the exchange writes what the line hears).
    pub capture: PathBuf,
    /// The playback FIFO (what the daemon plays to the line).
    pub playback: PathBuf,
    /// The asoundrc naming `line1_capture` and `line1_playback`; give the daemon
    /// `ALSA_CONFIG_PATH` = this.
    pub asoundrc: PathBuf,
    /// Where the daemon's signalling socket for the line listens.
    pub signals: PathBuf,
}

impl LineRig {
    /// Makes the FIFOs and the asoundrc in `dir`.
    pub fn new(dir: &Path) -> LineRig {
        let capture = dir.join("line1-capture.fifo");
        let playback = dir.join("line1-playback.fifo");
        for fifo in [&capture, &playback] {
            let status = Command::new("mkfifo").arg(fifo).status().expect("mkfifo");
            assert!(status.success(), "mkfifo {}", fifo.display());
        }
        let asoundrc = dir.join("asoundrc");
        let rc = format!(
            "pcm.line1_capture {{ type file; slave.pcm {{ type null }}; file \"/dev/null\"; \
             infile \"{}\"; format raw }}\n\
             pcm.line1_playback {{ type file; slave.pcm {{ type null }}; file \"{}\"; \
             format raw }}\n",
            capture.display(),
            playback.display()
        );
        std::fs::write(&asoundrc, rc).expect("asoundrc");
        LineRig {
            capture,
            playback,
            asoundrc,
            signals: dir.join("line1.sock"),
        }
    }
}

/// The telephone exchange at the other end of the line.
pub struct Exchange {
    queue: Arc<Mutex<VecDeque<i16>>>,
    played: Arc<Mutex<Vec<i16>>>,
    stop: Arc<AtomicBool>,
    signals: Option<UnixStream>,
    hooks: Option<mpsc::Receiver<String>>,
    signals_path: PathBuf,
}

impl Exchange {
    /// Starts writing the capture FIFO and reading the playback FIFO (both block until the
    /// daemon opens its devices).
    pub fn start(rig: &LineRig) -> Exchange {
        let queue = Arc::new(Mutex::new(VecDeque::new()));
        let played = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (q, s, path) = (Arc::clone(&queue), Arc::clone(&stop), rig.capture.clone());
        std::thread::spawn(move || feed(&path, &q, &s));
        let (p, path) = (Arc::clone(&played), rig.playback.clone());
        std::thread::spawn(move || {
            let Ok(mut fifo) = std::fs::File::open(&path) else {
                return;
            };
            let mut buf = [0u8; 2 * FRAME];
            while let Ok(n) = fifo.read(&mut buf) {
                if n == 0 {
                    return;
                }
                let samples = buf[..n - n % 2]
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]));
                p.lock().expect("played").extend(samples);
            }
        });
        Exchange {
            queue,
            played,
            stop,
            signals: None,
            hooks: None,
            signals_path: rig.signals.clone(),
        }
    }

    /// Queues `samples` to be heard on the line after what is queued already.
    pub fn say(&self, samples: &[i16]) {
        self.queue.lock().expect("queue").extend(samples);
    }

    /// Drops whatever is still queued (silence from the next frame).
    pub fn hush(&self) {
        self.queue.lock().expect("queue").clear();
    }

    /// Waits until everything queued has been heard.
    pub fn wait_said(&self, timeout: Duration) {
        let end = Instant::now() + timeout;
        while !self.queue.lock().expect("queue").is_empty() {
            assert!(
                Instant::now() < end,
                "the line did not take the queued audio"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// How many samples the daemon has played to the line so far.
    pub fn played_len(&self) -> usize {
        self.played.lock().expect("played").len()
    }

    /// What the daemon played to the line from sample `from` on.
    pub fn played_since(&self, from: usize) -> Vec<i16> {
        let played = self.played.lock().expect("played");
        played[from.min(played.len())..].to_vec()
    }

    /// Connects to the daemon's signalling socket (waiting for it to exist).
    pub fn connect_signals(&mut self) {
        let end = Instant::now() + Duration::from_secs(10);
        let stream = loop {
            match UnixStream::connect(&self.signals_path) {
                Ok(s) => break s,
                Err(e) if Instant::now() < end => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("signalling socket {}: {e}", self.signals_path.display()),
            }
        };
        let reader = stream.try_clone().expect("clone the socket");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(reader).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        self.signals = Some(stream);
        self.hooks = Some(rx);
    }

    /// Sends one signal line (`ring 1`, `ring 0`, `loop 0`, ...).
    pub fn signal(&mut self, line: &str) {
        let s = self.signals.as_mut().expect("connect_signals first");
        writeln!(s, "{line}").expect("send a line signal");
    }

    /// Waits for the daemon to send `line` (e.g. `hook 1`); earlier lines are skipped.
    pub fn wait_hook(&mut self, line: &str, timeout: Duration) -> bool {
        let rx = self.hooks.as_ref().expect("connect_signals first");
        let end = Instant::now() + timeout;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(got) if got == line => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    }
}

impl Drop for Exchange {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Writes the capture FIFO one frame per 20 ms on absolute deadlines.
fn feed(path: &Path, queue: &Mutex<VecDeque<i16>>, stop: &AtomicBool) {
    let Ok(mut fifo) = std::fs::OpenOptions::new().write(true).open(path) else {
        return;
    };
    let start = Instant::now();
    let mut frames: u32 = 0;
    while !stop.load(Ordering::Relaxed) {
        let mut frame = [0i16; FRAME];
        {
            let mut q = queue.lock().expect("queue");
            for s in frame.iter_mut() {
                *s = q.pop_front().unwrap_or(0);
            }
        }
        let bytes: Vec<u8> = frame.iter().flat_map(|s| s.to_le_bytes()).collect();
        if fifo.write_all(&bytes).is_err() {
            return;
        }
        frames += 1;
        let due = start + Duration::from_millis(20) * frames;
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
    }
}

/// A tone (or two summed) at `amplitude` for `ms` milliseconds.
pub fn tone(freqs: &[f64], amplitude: f64, ms: u32) -> Vec<i16> {
    let n = (ms * 8) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / 8000.0;
            let v: f64 = freqs
                .iter()
                .map(|f| (2.0 * std::f64::consts::PI * f * t).sin())
                .sum();
            (amplitude * v).round() as i16
        })
        .collect()
}

/// The Polish busy tone (425 Hz, 500 ms on, 500 ms off) for `cycles` cycles.
pub fn pl_busy(cycles: usize) -> Vec<i16> {
    let mut out = Vec::new();
    for _ in 0..cycles {
        out.extend(tone(&[425.0], 6000.0, 500));
        out.extend(vec![0; 4000]);
    }
    out
}

/// The Polish dial tone (425 Hz continuous) for `ms`.
pub fn pl_dial_tone(ms: u32) -> Vec<i16> {
    tone(&[425.0], 6000.0, ms)
}

/// An MDMF caller-ID message (ETSI EN 300 659-3): date and time, number, name; checksum.
pub fn mdmf(when: &str, number: &str, name: &str) -> Vec<u8> {
    let mut params = Vec::new();
    for (kind, value) in [(0x01u8, when), (0x02, number), (0x07, name)] {
        params.push(kind);
        params.push(value.len() as u8);
        params.extend_from_slice(value.as_bytes());
    }
    let mut msg = vec![0x80, params.len() as u8];
    msg.extend(params);
    let sum = msg.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    msg.push(sum.wrapping_neg());
    msg
}

/// `message` as V.23 FSK at 1200 baud (mark 1300 Hz, space 2100 Hz), phase-continuous:
/// channel seizure (300 alternating bits), 180 mark bits, then each byte with a start and a
/// stop bit, then a few mark bits.
pub fn v23(message: &[u8]) -> Vec<i16> {
    let mut bits: Vec<bool> = (0..300).map(|i| i % 2 == 1).collect();
    bits.extend(std::iter::repeat_n(true, 180));
    for byte in message {
        bits.push(false);
        bits.extend((0..8).map(|i| byte >> i & 1 == 1));
        bits.push(true);
    }
    bits.extend(std::iter::repeat_n(true, 10));
    let samples_per_bit = 8000.0 / 1200.0;
    let total = (bits.len() as f64 * samples_per_bit) as usize;
    let mut phase = 0.0f64;
    (0..total)
        .map(|i| {
            let bit = bits[((i as f64) / samples_per_bit) as usize];
            let f = if bit { 1300.0 } else { 2100.0 };
            phase += 2.0 * std::f64::consts::PI * f / 8000.0;
            (7000.0 * phase.sin()).round() as i16
        })
        .collect()
}

/// The DTMF digits in `samples`: 205-sample Goertzel blocks every 10 ms; a digit is a row
/// and a column tone both well above the other six, held for at least 30 ms, and digits are
/// separated by at least 30 ms without one.
pub fn dtmf_digits(samples: &[i16]) -> String {
    const ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
    const COLS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
    const KEYS: [[char; 4]; 4] = [
        ['1', '2', '3', 'A'],
        ['4', '5', '6', 'B'],
        ['7', '8', '9', 'C'],
        ['*', '0', '#', 'D'],
    ];
    let mut out = String::new();
    let (mut current, mut held, mut quiet) = (None::<char>, 0, 3);
    for start in (0..samples.len().saturating_sub(205)).step_by(80) {
        let block = &samples[start..start + 205];
        let power = |f: f64| goertzel(block, f);
        let rows: Vec<f64> = ROWS.iter().map(|f| power(*f)).collect();
        let cols: Vec<f64> = COLS.iter().map(|f| power(*f)).collect();
        let best = |v: &[f64]| {
            let (i, max) = v
                .iter()
                .enumerate()
                .fold((0, 0.0), |a, (i, p)| if *p > a.1 { (i, *p) } else { a });
            let others = v.iter().enumerate().filter(|(j, _)| *j != i);
            let dominant = others.clone().all(|(_, p)| *p * 10.0 < max);
            (i, max, dominant)
        };
        let energy: f64 = block.iter().map(|s| f64::from(*s).powi(2)).sum();
        let (r, rp, rd) = best(&rows);
        let (c, cp, cd) = best(&cols);
        let key = (rd && cd && (rp + cp) > 0.5 * energy && energy > 1e7).then(|| KEYS[r][c]);
        match key {
            Some(k) if Some(k) == current => held += 1,
            Some(k) => {
                current = Some(k);
                held = 1;
            }
            None => {
                current = None;
                held = 0;
                quiet += 1;
            }
        }
        if held == 3 && quiet >= 3 {
            if let Some(k) = current {
                out.push(k);
            }
            quiet = 0;
        }
    }
    out
}

/// The power of `f` in `block` (the squared magnitude of one DFT bin, scaled like the
/// block's energy).
fn goertzel(block: &[i16], f: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * f / 8000.0;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for x in block {
        let s0 = f64::from(*x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    2.0 * power / block.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_dtmf_is_read_back() {
        let key = |r: f64, c: f64| tone(&[r, c], 5000.0, 80);
        let mut s = Vec::new();
        for (r, c) in [(770.0, 1336.0), (697.0, 1209.0), (941.0, 1477.0)] {
            s.extend(key(r, c));
            s.extend(vec![0; 640]);
        }
        s.extend(tone(&[425.0], 6000.0, 500));
        assert_eq!(dtmf_digits(&s), "51#");
    }

    #[test]
    fn the_mdmf_checksum_makes_the_sum_zero() {
        let m = mdmf("11231405", "221234567", "Jan");
        assert_eq!(m.iter().fold(0u8, |a, b| a.wrapping_add(*b)), 0);
    }
}
