//! The latency the line bridge adds, measured on a real line gateway: ALSA `file`-plugin
//! devices on FIFOs (TESTING.md) play the sound card, a UDP socket plays the PBX (it places
//! an outside call through the line, then sends and receives G.711 RTP every 20 ms), and the
//! socket signalling backend and a paced writer play the exchange. Clicks are sent each way
//! and timed:
//!
//! - **PBX → line**: from sending the RTP packet with a click to the frame with the click
//!   being written to the playback PCM (timed by the audio thread's trace event
//!   [`pbx::line::alsa_pcm::WRITTEN`]: the `file` plugin buffers what it writes to its file,
//!   so the FIFO would show the plugin's buffering, not ours). It includes the jitter buffer
//!   (target 40 ms) and the wait for the next captured frame; what the sound card then holds
//!   before playing it is set by the configuration (`START_PERIODS`: 20–40 ms) and added.
//! - **line → PBX**: from writing the frame with a click into the capture FIFO (the moment a
//!   sound card would deliver that period) to the RTP packet reaching the PBX.
//!
//! ```text
//! cargo bench -p pbx --bench line_bridge
//! CLICKS=100 cargo bench -p pbx --bench line_bridge
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use firmware_config::bounded::Text;
use firmware_config::line::{FxoLine, Signalling};
use firmware_config::system::ToneCountry;
use pbx::line::alsa_pcm::{FRAME, START_PERIODS};
use pbx::line::board::LineBoard;
use pbx::line::gateway::jitter::TARGET;
use pbx::line::gateway::{LineGateway, Links};
use pbx::media::g711::Law;

const CLICK: i16 = 20_000;

fn text<const N: usize>(s: &str) -> Text<N> {
    Text::new(s).expect("fits")
}

fn mkfifo(path: &std::path::Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mkfifo {}", path.display());
}

/// Shared between the threads: what the exchange is to say next, and when clicks passed.
#[derive(Default)]
struct Times {
    say: Vec<i16>,
    capture_click: Vec<Instant>,
    playback_click: Vec<Instant>,
    rtp_in_click: Vec<Instant>,
    rtp_out_click: Vec<Instant>,
}

fn main() {
    let clicks: usize = std::env::var("CLICKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let dir = tempfile::tempdir().expect("tempdir");
    let (capture, playback) = (dir.path().join("cap.fifo"), dir.path().join("play.fifo"));
    mkfifo(&capture);
    mkfifo(&playback);
    let rc = dir.path().join("asoundrc");
    std::fs::write(
        &rc,
        format!(
            "pcm.cap {{ type file; slave.pcm {{ type null }}; file \"/dev/null\"; infile \"{}\"; format raw }}\n\
             pcm.play {{ type file; slave.pcm {{ type null }}; file \"{}\"; format raw }}\n",
            capture.display(),
            playback.display()
        ),
    )
    .expect("asoundrc");
    // Before any thread starts: ALSA reads it at each open.
    std::env::set_var("ALSA_CONFIG_PATH", &rc);
    let times = Arc::new(Mutex::new(Times::default()));
    tap_written(&times);
    let signals = dir.path().join("line.sock");
    let stop = Arc::new(AtomicBool::new(false));
    exchange(&capture, &playback, &times, &stop);

    // The socket signalling backend runs on a runtime driven by a thread of its own.
    let (handle_tx, handle_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let _ = handle_tx.send(runtime.handle().clone());
        runtime.block_on(std::future::pending::<()>());
    });
    let handle = handle_rx.recv().expect("runtime handle");
    let pbx = UdpSocket::bind("127.0.0.1:0").expect("pbx socket");
    let rtp = UdpSocket::bind("127.0.0.1:0").expect("rtp socket");
    let line = FxoLine {
        name: text("bench"),
        capture_device: text("cap"),
        playback_device: text("play"),
        signalling: Signalling::Socket(text(&signals.display().to_string())),
        country: ToneCountry::PL,
        rings_before_answer: 2,
        number: None,
        outside_calls: true,
        health_check: None,
    };
    let (notices, _rx) = tokio::sync::mpsc::unbounded_channel();
    let (alerts, _alerts_rx) = tokio::sync::mpsc::unbounded_channel();
    let links = Links {
        notices,
        board: LineBoard::new(["bench"]),
        alerts,
    };
    let gateway = LineGateway::start(
        &line,
        "127.0.0.1".parse().expect("ip"),
        pbx.local_addr().expect("addr"),
        links,
        &handle,
    )
    .expect("the line gateway starts");
    let hooks = signalling(&signals);
    let remote = call(&pbx, gateway.sip(), &rtp, &hooks, &times);
    measure(&rtp, remote, &times, clicks);
    stop.store(true, Ordering::Relaxed);
    report(&times.lock().expect("times"));
    drop(gateway);
}

/// The exchange's audio: paced writes into the capture FIFO (clicks timed), and a reader of
/// the playback FIFO timing clicks.
fn exchange(
    capture: &std::path::Path,
    playback: &std::path::Path,
    times: &Arc<Mutex<Times>>,
    stop: &Arc<AtomicBool>,
) {
    let (path, t, s) = (capture.to_owned(), Arc::clone(times), Arc::clone(stop));
    std::thread::spawn(move || {
        let mut fifo = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("capture FIFO");
        let start = Instant::now();
        let mut n: u32 = 0;
        while !s.load(Ordering::Relaxed) {
            let mut frame = [0i16; FRAME];
            let click = {
                let mut t = t.lock().expect("times");
                let take = t.say.len().min(FRAME);
                frame[..take].copy_from_slice(&t.say[..take]);
                t.say.drain(..take);
                frame[0] == CLICK
            };
            let bytes: Vec<u8> = frame.iter().flat_map(|v| v.to_le_bytes()).collect();
            if fifo.write_all(&bytes).is_err() {
                return;
            }
            if click {
                t.lock().expect("times").capture_click.push(Instant::now());
            }
            n += 1;
            let due = start + Duration::from_millis(20) * n;
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
        }
    });
    let (path, t) = (playback.to_owned(), Arc::clone(times));
    let _ = t;
    std::thread::spawn(move || {
        // Drained only, so the writer never blocks.
        let mut fifo = std::fs::File::open(&path).expect("playback FIFO");
        let mut buf = [0u8; 4096];
        while fifo.read(&mut buf).is_ok_and(|n| n > 0) {}
    });
}

/// Times the audio thread's "written" events whose frame starts with a click: a tracing
/// writer that looks at each formatted event as it is written, on the audio thread.
fn tap_written(times: &Arc<Mutex<Times>>) {
    struct Tap(Arc<Mutex<Times>>);
    impl Write for Tap {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let at = Instant::now();
            let text = String::from_utf8_lossy(buf);
            let first = text
                .split("first=")
                .nth(1)
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<i16>().ok());
            if first.is_some_and(|v| v > CLICK / 2) {
                self.0.lock().expect("times").playback_click.push(at);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let t = Arc::clone(times);
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let only = tracing_subscriber::filter::Targets::new()
        .with_target(pbx::line::alsa_pcm::WRITTEN, tracing::Level::TRACE);
    let fmt = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(move || Tap(Arc::clone(&t)));
    tracing_subscriber::registry().with(fmt).with(only).init();
}

/// Connects to the line's signalling socket; returns its hook lines.
fn signalling(path: &std::path::Path) -> std::sync::mpsc::Receiver<String> {
    let end = Instant::now() + Duration::from_secs(10);
    let stream = loop {
        match UnixStream::connect(path) {
            Ok(s) => break s,
            Err(_) if Instant::now() < end => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("signalling socket: {e}"),
        }
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Places an outside call through the line and answers what the gateway asks; returns the
/// gateway's RTP address.
fn call(
    pbx: &UdpSocket,
    gateway: SocketAddr,
    rtp: &UdpSocket,
    hooks: &std::sync::mpsc::Receiver<String>,
    times: &Arc<Mutex<Times>>,
) -> SocketAddr {
    let me = pbx.local_addr().expect("addr");
    let media = rtp.local_addr().expect("addr");
    let sdp = format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n",
        media.port()
    );
    let invite = format!(
        "INVITE sip:123@{gateway} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bKbench1\r\n\
         From: <sip:101@{me}>;tag=bench\r\nTo: <sip:123@{gateway}>\r\nCall-ID: bench-call\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:pbx@{me}>\r\nMax-Forwards: 70\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    pbx.send_to(invite.as_bytes(), gateway)
        .expect("send INVITE");
    let seized = hooks.recv_timeout(Duration::from_secs(5));
    assert!(
        matches!(seized, Ok(ref l) if l == "hook 0") || seized.is_ok(),
        "no hook state"
    );
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        if let Ok(l) = hooks.recv_timeout(Duration::from_millis(100)) {
            if l == "hook 1" {
                break;
            }
        }
    }
    // Dial tone (425 Hz) until the gateway has dialled and answered.
    let tone: Vec<i16> = (0..8000 * 4)
        .map(|i| {
            (6000.0 * (2.0 * std::f64::consts::PI * 425.0 * f64::from(i) / 8000.0).sin()) as i16
        })
        .collect();
    times.lock().expect("times").say = tone;
    pbx.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut buf = [0u8; 4096];
    loop {
        let (n, _) = pbx.recv_from(&mut buf).expect("the gateway answers");
        let text = String::from_utf8_lossy(&buf[..n]).to_string();
        if !text.starts_with("SIP/2.0 200") {
            continue;
        }
        times.lock().expect("times").say.clear();
        let to = header(&text, "To");
        let ack = format!(
            "ACK sip:bench@{gateway} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bKbench2\r\n\
             From: <sip:101@{me}>;tag=bench\r\nTo: {to}\r\nCall-ID: bench-call\r\n\
             CSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        );
        pbx.send_to(ack.as_bytes(), gateway).expect("send ACK");
        let port = text
            .lines()
            .find_map(|l| l.strip_prefix("m=audio "))
            .and_then(|l| l.split(' ').next())
            .and_then(|p| p.parse::<u16>().ok())
            .expect("the gateway's SDP");
        return SocketAddr::new("127.0.0.1".parse().expect("ip"), port);
    }
}

fn header(message: &str, name: &str) -> String {
    message
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_default()
        .to_owned()
}

/// RTP every 20 ms with a click every 600 ms; the line says a click every 600 ms too
/// (300 ms apart from the others).
fn measure(rtp: &UdpSocket, remote: SocketAddr, times: &Arc<Mutex<Times>>, clicks: usize) {
    let receiver = rtp.try_clone().expect("clone");
    let t = Arc::clone(times);
    receiver
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let done = Arc::new(AtomicBool::new(false));
    let d = Arc::clone(&done);
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while !d.load(Ordering::Relaxed) {
            let Ok(n) = receiver.recv(&mut buf) else {
                continue;
            };
            if n > 12 && buf[12..n].iter().any(|b| Law::Alaw.decode(*b) > CLICK / 2) {
                t.lock().expect("times").rtp_in_click.push(Instant::now());
            }
        }
    });
    let start = Instant::now();
    let (mut seq, mut ts) = (0u16, 0u32);
    let frames = clicks * 30 + 30;
    for n in 0..frames {
        let click_down = n % 30 == 10;
        if n % 30 == 25 {
            let mut line_click = vec![0i16; FRAME];
            line_click[0] = CLICK;
            line_click[1..40].fill(CLICK);
            times.lock().expect("times").say.extend(line_click);
        }
        let mut packet = vec![0x80u8, 8];
        packet.extend(seq.to_be_bytes());
        packet.extend(ts.to_be_bytes());
        packet.extend(0x1234_5678u32.to_be_bytes());
        let sample = if click_down { CLICK } else { 0 };
        packet.extend(std::iter::repeat_n(Law::Alaw.encode(sample), FRAME));
        if click_down {
            times
                .lock()
                .expect("times")
                .rtp_out_click
                .push(Instant::now());
        }
        let _ = rtp.send_to(&packet, remote);
        seq = seq.wrapping_add(1);
        ts = ts.wrapping_add(FRAME as u32);
        let due = start + Duration::from_millis(20) * (n as u32 + 1);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
    }
    std::thread::sleep(Duration::from_millis(300));
    done.store(true, Ordering::Relaxed);
}

/// Pairs each cause with the first effect after it (within 300 ms).
fn delays(causes: &[Instant], effects: &[Instant]) -> Vec<f64> {
    causes
        .iter()
        .filter_map(|c| {
            effects
                .iter()
                .find(|e| **e >= *c && e.duration_since(*c) < Duration::from_millis(300))
                .map(|e| e.duration_since(*c).as_secs_f64() * 1000.0)
        })
        .collect()
}

fn summary(name: &str, mut v: Vec<f64>, sent: usize) {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        println!("{name}: no click came through ({sent} sent)");
        return;
    }
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name}: {} of {sent} clicks: median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        v.len(),
        at(0.5),
        at(0.9),
        at(1.0)
    );
}

fn report(t: &Times) {
    let down = delays(&t.rtp_out_click, &t.playback_click);
    let up = delays(&t.capture_click, &t.rtp_in_click);
    let jitter_ms = TARGET as f64 * 20.0;
    let buffer = (
        (START_PERIODS - 1) as f64 * 20.0,
        START_PERIODS as f64 * 20.0,
    );
    summary(
        "PBX -> line (RTP sent -> frame written to the playback PCM)",
        down.clone(),
        t.rtp_out_click.len(),
    );
    let beyond: Vec<f64> = down.iter().map(|d| d - jitter_ms).collect();
    summary(
        &format!("  of which beyond the jitter buffer's target ({jitter_ms:.0} ms)"),
        beyond,
        t.rtp_out_click.len(),
    );
    println!(
        "  plus the sound card's playback buffer: {:.0}-{:.0} ms (START_PERIODS = {START_PERIODS})",
        buffer.0, buffer.1
    );
    summary(
        "line -> PBX (period captured -> RTP received)",
        up,
        t.capture_click.len(),
    );
}
