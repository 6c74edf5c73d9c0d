//! A line's gateway to the PBX: the FXO port ([`Port`]) on one side, a SIP user agent
//! ([`ua`]) and G.711 RTP with a jitter buffer ([`jitter`]) on the other, speaking to the
//! daemon's own SIP endpoint over the loopback (or the host's media address).
//!
//! Each line runs on a thread of its own, clocked by the line's audio: every captured frame
//! moves the port on, is echo-cleaned and sent as one RTP packet while a call is bridged, and
//! is answered with one frame for the playback (digits being dialled, else the next frame
//! from the jitter buffer). So the sound card's clock paces both directions and the jitter
//! buffer absorbs the PBX's clock ([`jitter`] explains the drift correction). The added
//! latency is one captured frame (20 ms) towards the PBX, and the jitter buffer's depth plus
//! the sound card's playback buffer towards the line (`cargo bench -p pbx --bench
//! line_bridge` measures it).
//!
//! The daemon learns where each gateway is and whether its line is up, idle or busy through
//! [`LineNotice`]s; the endpoint then takes the gateway's INVITEs as calls at the line's
//! entry point and sends outside calls through an idle line that may carry them.

pub mod jitter;
pub mod ua;

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use firmware_config::line::{FxoLine, Signalling};
use firmware_config::system::ToneCountry;
use tracing::{error, info, warn};

use super::alsa_ctl::AlsaCtlSignal;
use super::alsa_pcm::{AudioEvent, Devices, Frame, LineAudio, FRAME};
use super::board::{caller_id_view, LineAlert, LineBoard};
use super::caller::dial_string;
use super::fxo::EndReason;
use super::gpio::GpioSignal;
use super::health::{HealthSchedule, RETRY_BUSY};
use super::port::{Port, PortOutput};
use super::signal_socket::{Hook, SignalEvent, SignalSocket};
use crate::control::protocol::{HealthView, JitterView};
use crate::media::g711::{self, Law};
use crate::media::rtp::{self, Header, Layout};
use jitter::JitterBuffer;
use ua::{LineCall, MediaPeer, Ua, UaConfig, UaOutput};

/// How long the line's thread waits for audio before it looks at its sockets anyway.
const IDLE_WAIT: Duration = Duration::from_millis(20);

/// Whether a line can take a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineState {
    /// The line's audio or signalling is not working (why).
    Down(String),
    /// Up and free.
    Idle,
    /// A call is on the line (or it is ringing).
    Busy,
}

/// What a gateway tells the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineNotice {
    /// The line's name.
    pub line: String,
    /// The gateway's SIP address (the endpoint recognises the line by it).
    pub sip: SocketAddr,
    /// The line's state now.
    pub state: LineState,
}

/// Where a gateway reports: its state to the SIP loop, its diagnostics to the board, health
/// alerts to the control server.
#[derive(Debug, Clone)]
pub struct Links {
    /// State changes, for the endpoint.
    pub notices: tokio::sync::mpsc::UnboundedSender<LineNotice>,
    /// The diagnostics board (the line's entry is found by name).
    pub board: Arc<LineBoard>,
    /// Health-check alerts.
    pub alerts: tokio::sync::mpsc::UnboundedSender<LineAlert>,
}

/// Why a gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// A socket could not be bound.
    #[error("line {line}: cannot bind a {what} socket on {ip}: {source}")]
    Bind {
        /// The line.
        line: String,
        /// SIP or RTP.
        what: &'static str,
        /// Where.
        ip: IpAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The signalling backend could not be opened.
    #[error("line {line}: signalling: {why}")]
    Signalling {
        /// The line.
        line: String,
        /// Why.
        why: String,
    },
}

/// A running line gateway; dropping it stops the line's thread.
#[derive(Debug)]
pub struct LineGateway {
    sip: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl LineGateway {
    /// Starts `line`'s gateway: sockets on `ip`, SIP to the PBX at `pbx`, reports through
    /// `links`. The socket signalling backend runs on `runtime`.
    pub fn start(
        line: &FxoLine,
        ip: IpAddr,
        pbx: SocketAddr,
        links: Links,
        runtime: &tokio::runtime::Handle,
    ) -> Result<LineGateway, GatewayError> {
        let name = line.name.to_string();
        let bind = |what| {
            let socket = UdpSocket::bind(SocketAddr::new(ip, 0)).and_then(|s| {
                s.set_nonblocking(true)?;
                Ok(s)
            });
            socket.map_err(|source| GatewayError::Bind {
                line: name.clone(),
                what,
                ip,
                source,
            })
        };
        let (sip, rtp) = (bind("SIP")?, bind("RTP")?);
        let local = |s: &UdpSocket, what| {
            s.local_addr().map_err(|source| GatewayError::Bind {
                line: name.clone(),
                what,
                ip,
                source,
            })
        };
        let (sip_addr, rtp_addr) = (local(&sip, "SIP")?, local(&rtp, "RTP")?);
        let laws = match line.country {
            ToneCountry::US => [Law::Ulaw, Law::Alaw],
            _ => [Law::Alaw, Law::Ulaw],
        };
        let ua = Ua::new(
            UaConfig {
                line: name.clone(),
                local_sip: sip_addr,
                pbx,
                local_rtp: rtp_addr,
                laws,
            },
            seed(),
        );
        let devices = Devices {
            capture: line.capture_device.to_string(),
            playback: line.playback_device.to_string(),
        };
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let port = Port::new(line.country, line.rings_before_answer);
        let country = line.country;
        let health = line.health_check.as_ref().and_then(HealthSchedule::of);
        let index = links.board.index(&name).unwrap_or(usize::MAX);
        let config = line.clone();
        let runtime = runtime.clone();
        // The backend is opened on the line's thread (ALSA control values cannot move
        // between threads); whether that worked comes back before `start` returns.
        let (opened_tx, opened) = mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name(format!("line {name}"))
            .spawn(move || {
                let (signal_tx, signal_rx) = mpsc::channel();
                let signal = match Signal::start(&config, signal_tx, &runtime) {
                    Ok(signal) => {
                        let _ = opened_tx.send(Ok(()));
                        signal
                    }
                    Err(why) => {
                        let _ = opened_tx.send(Err(why));
                        return;
                    }
                };
                let (audio_tx, audio_rx) = mpsc::channel();
                let (play_tx, play_rx) = mpsc::channel();
                let audio = LineAudio::start(devices, audio_tx, play_rx);
                let mut worker = Worker {
                    name,
                    country,
                    started: Instant::now(),
                    port,
                    ua,
                    signal,
                    signals: signal_rx,
                    sip,
                    pbx,
                    rtp,
                    play: play_tx,
                    media: None,
                    jitter: JitterBuffer::default(),
                    out_seq: 0,
                    out_ts: 0,
                    ssrc: seed() as u32,
                    audio_up: false,
                    reported: None,
                    links,
                    index,
                    sip_addr,
                    meter: Meter::default(),
                    ring_since: None,
                    last_caller_id: None,
                    health,
                    next_check: None,
                    checking: false,
                    check_asked: false,
                    check_waits: false,
                    last_health_ok: None,
                };
                worker.run(&audio_rx, &flag);
                drop(audio);
            })
            .map_err(|e| GatewayError::Signalling {
                line: line.name.to_string(),
                why: format!("cannot start the line's thread: {e}"),
            })?;
        let opened = opened
            .recv()
            .unwrap_or_else(|_| Err("the line's thread ended".into()));
        if let Err(why) = opened {
            let _ = thread.join();
            return Err(GatewayError::Signalling {
                line: line.name.to_string(),
                why,
            });
        }
        Ok(LineGateway {
            sip: sip_addr,
            stop,
            thread: Some(thread),
        })
    }

    /// The gateway's SIP address.
    pub fn sip(&self) -> SocketAddr {
        self.sip
    }
}

impl Drop for LineGateway {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A line's signalling backend, as the line's thread drives it.
enum Signal {
    Socket(tokio::sync::mpsc::Sender<Hook>),
    Gpio(GpioSignal),
    Ctl(AlsaCtlSignal),
}

impl Signal {
    fn start(
        line: &FxoLine,
        events: Sender<SignalEvent>,
        runtime: &tokio::runtime::Handle,
    ) -> Result<Signal, String> {
        match &line.signalling {
            Signalling::Socket(path) => {
                let _guard = runtime.enter();
                let socket = SignalSocket::bind(std::path::Path::new(path.as_str()))
                    .map_err(|e| format!("cannot listen on {path}: {e}"))?;
                let (hooks_tx, hooks_rx) = tokio::sync::mpsc::channel(8);
                let (async_tx, mut async_rx) = tokio::sync::mpsc::channel(64);
                runtime.spawn(socket.serve(async_tx, hooks_rx));
                runtime.spawn(async move {
                    while let Some(event) = async_rx.recv().await {
                        if events.send(event).is_err() {
                            break;
                        }
                    }
                });
                Ok(Signal::Socket(hooks_tx))
            }
            Signalling::Gpio(g) => GpioSignal::start(g, events)
                .map(Signal::Gpio)
                .map_err(|e| e.to_string()),
            Signalling::AlsaControl(a) => AlsaCtlSignal::start(a, events)
                .map(Signal::Ctl)
                .map_err(|e| e.to_string()),
        }
    }

    fn set_hook(&mut self, line: &str, off_hook: bool) {
        let result = match self {
            Signal::Socket(hooks) => hooks.try_send(Hook(off_hook)).map_err(|e| e.to_string()),
            Signal::Gpio(g) => g.set_hook(off_hook).map_err(|e| e.to_string()),
            Signal::Ctl(c) => c.set_hook(off_hook).map_err(|e| e.to_string()),
        };
        match result {
            Ok(()) => info!(line, off_hook, "hook"),
            Err(e) => warn!(line, off_hook, error = %e, "the hook could not be operated"),
        }
    }
}

/// The line's thread.
struct Worker {
    name: String,
    country: ToneCountry,
    started: Instant,
    port: Port,
    ua: Ua,
    signal: Signal,
    signals: Receiver<SignalEvent>,
    sip: UdpSocket,
    pbx: SocketAddr,
    rtp: UdpSocket,
    play: Sender<Frame>,
    media: Option<MediaPeer>,
    jitter: JitterBuffer,
    out_seq: u16,
    out_ts: u32,
    ssrc: u32,
    audio_up: bool,
    reported: Option<LineState>,
    links: Links,
    index: usize,
    sip_addr: SocketAddr,
    meter: Meter,
    ring_since: Option<Instant>,
    last_caller_id: Option<super::dsp::callerid::CallerId>,
    health: Option<HealthSchedule>,
    next_check: Option<DateTime<Utc>>,
    checking: bool,
    /// A check was asked for (it waits until the line is free).
    check_asked: bool,
    /// The wait for a free line was noted on the board.
    check_waits: bool,
    last_health_ok: Option<bool>,
}

/// Levels of the last [`Meter::FRAMES`] frames each way.
#[derive(Debug, Default)]
struct Meter {
    rx: f64,
    tx: f64,
    frames: u32,
}

impl Meter {
    /// Frames per reading (200 ms).
    const FRAMES: u32 = 10;

    fn add(&mut self, rx: &Frame, tx: &Frame) {
        let energy = |f: &Frame| f.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>();
        self.rx += energy(rx);
        self.tx += energy(tx);
        self.frames += 1;
    }

    /// The levels in dBFS once a reading is complete.
    fn reading(&mut self) -> Option<(f32, f32)> {
        if self.frames < Self::FRAMES {
            return None;
        }
        let n = f64::from(self.frames) * FRAME as f64;
        let dbfs = |e: f64| (10.0 * (e / n / (32768.0f64 * 32768.0)).max(1e-10).log10()) as f32;
        let levels = (dbfs(self.rx), dbfs(self.tx));
        *self = Meter::default();
        Some(levels)
    }
}

impl Worker {
    fn run(&mut self, audio: &Receiver<AudioEvent>, stop: &AtomicBool) {
        self.report();
        while !stop.load(Ordering::Relaxed) {
            match audio.recv_timeout(IDLE_WAIT) {
                Ok(AudioEvent::Frame(frame)) => self.frame(&frame),
                Ok(AudioEvent::Up(n)) => {
                    info!(line = %self.name, rate = n.rate, period = n.period, "line audio up");
                    self.audio_up = true;
                    self.with_board(|l| {
                        l.audio = format!(
                            "up ({} Hz, {}-sample periods, {}-sample buffer)",
                            n.rate, n.period, n.buffer
                        );
                    });
                }
                Ok(AudioEvent::Down(why)) => {
                    warn!(line = %self.name, %why, "line audio down");
                    self.audio_up = false;
                    self.with_board(|l| {
                        l.audio = format!("down: {why}");
                        l.rx_dbfs = None;
                        l.tx_dbfs = None;
                    });
                    if self.ua.busy() {
                        self.port.hang_up();
                        let now = self.now();
                        self.ua.line_ended(now, 503);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            self.signalling();
            self.sip_in();
            self.rtp_in();
            let now = self.now();
            if self.ua.poll_timeout().is_some_and(|at| at <= now) {
                self.ua.handle_timeout(now);
            }
            self.drain();
            self.health_check();
            self.report();
        }
        if self.ua.busy() {
            let now = self.now();
            self.ua.line_ended(now, 503);
            self.drain();
        }
        self.signal.set_hook(&self.name, false);
    }

    fn now(&self) -> Duration {
        self.started.elapsed()
    }

    /// One captured frame: the port hears it; while bridged it goes to the PBX, cleaned of
    /// our echo; one frame goes back to the playback.
    fn frame(&mut self, captured: &Frame) {
        self.port.captured(captured);
        if let Some(peer) = self.media {
            let mut clean = [0i16; FRAME];
            self.port.clean(captured, &mut clean);
            self.send_rtp(peer, &clean);
        }
        // Packets that came since the last frame join the buffer before it is read.
        self.rtp_in();
        let mut out = [0i16; FRAME];
        if !self.port.playback(&mut out) && self.media.is_some() {
            self.jitter.pop(&mut out);
        }
        self.port.played(&out);
        let _ = self.play.send(out);
        self.meter.add(captured, &out);
        if let Some((rx, tx)) = self.meter.reading() {
            let erle = self.port.erle_db();
            let jitter = self.jitter.stats();
            self.with_board(|l| {
                l.rx_dbfs = Some(rx);
                l.tx_dbfs = Some(tx);
                l.erle_db = erle;
                l.jitter = JitterView {
                    received: jitter.received,
                    late: jitter.late,
                    concealed: jitter.concealed,
                    drift_drops: jitter.drift_drops,
                    underruns: jitter.underruns,
                };
            });
        }
        self.drain();
    }

    fn send_rtp(&mut self, peer: MediaPeer, samples: &Frame) {
        let mut packet = [0u8; rtp::HEADER_LEN + FRAME];
        let header = Header {
            payload_type: peer.law.payload_type(),
            marker: self.out_seq == 0,
            seq: self.out_seq,
            timestamp: self.out_ts,
            ssrc: self.ssrc,
        };
        if header.write(&mut packet).is_err() {
            return;
        }
        g711::encode(peer.law, samples, &mut packet[rtp::HEADER_LEN..]);
        self.out_seq = self.out_seq.wrapping_add(1);
        self.out_ts = self.out_ts.wrapping_add(FRAME as u32);
        let _ = self.rtp.send_to(&packet, peer.addr);
    }

    fn signalling(&mut self) {
        while let Ok(event) = self.signals.try_recv() {
            info!(line = %self.name, ?event, "line signal");
            let what = match event {
                SignalEvent::Ring(true) => {
                    self.ring_since = Some(Instant::now());
                    "ring on".to_owned()
                }
                SignalEvent::Ring(false) => match self.ring_since.take() {
                    Some(since) => format!("ring off after {:.1} s", since.elapsed().as_secs_f32()),
                    None => "ring off".to_owned(),
                },
                SignalEvent::LoopCurrent(true) => "loop current on".to_owned(),
                SignalEvent::LoopCurrent(false) => "loop current lost (polarity)".to_owned(),
            };
            self.board_event(what);
            self.port.signal(event);
        }
    }

    fn sip_in(&mut self) {
        let mut buf = [0u8; 8192];
        while let Ok((n, from)) = self.sip.recv_from(&mut buf) {
            if from == self.pbx {
                let now = self.now();
                self.ua.received(now, &buf[..n]);
            }
        }
    }

    fn rtp_in(&mut self) {
        let mut buf = [0u8; 1500];
        while let Ok((n, from)) = self.rtp.recv_from(&mut buf) {
            let Some(peer) = self.media.filter(|p| p.addr.ip() == from.ip()) else {
                continue;
            };
            let Ok(layout) = Layout::parse(&buf[..n]) else {
                continue;
            };
            if layout.payload_type == peer.law.payload_type() {
                let payload = &buf[layout.payload_start..layout.payload_end];
                self.jitter.push(layout.seq, peer.law, payload);
            }
        }
    }

    /// Carries out what the port and the user agent ask, until neither asks more.
    fn drain(&mut self) {
        loop {
            let mut busy = false;
            while let Some(o) = self.port.poll_output() {
                busy = true;
                self.port_output(o);
            }
            while let Some(o) = self.ua.poll_output() {
                busy = true;
                self.ua_output(o);
            }
            if !busy {
                return;
            }
        }
    }

    fn port_output(&mut self, o: PortOutput) {
        let now = self.now();
        match o {
            PortOutput::Hook(off) => {
                self.signal.set_hook(&self.name, off);
                self.board_event(if off { "off hook" } else { "on hook" });
            }
            PortOutput::Heard(heard) => self.board_event(format!("heard {heard:?}")),
            PortOutput::DialToneOk => self.check_done(true, "dial tone heard"),
            PortOutput::Incoming(caller, id) => {
                self.show_caller_id(id.as_ref());
                let name = id.as_ref().and_then(|c| c.name.clone());
                info!(line = %self.name, %caller, name = name.as_deref(), "analog call answered");
                self.ua.incoming(now, &LineCall { caller, name });
            }
            PortOutput::Missed(caller, id) => {
                self.show_caller_id(id.as_ref());
                self.board_event(format!("missed call from {caller}"));
                info!(line = %self.name, %caller, "analog call missed (the caller gave up)")
            }
            PortOutput::Connected => self.ua.connected(now),
            PortOutput::Digit(d) => info!(line = %self.name, digit = %d, "DTMF from the line"),
            PortOutput::Ended(reason) if self.checking => {
                let why = match reason {
                    EndReason::NoDialTone => "no dial tone within 3 s".to_owned(),
                    other => format!("the check ended: {other:?}"),
                };
                self.check_done(false, &why);
            }
            PortOutput::Ended(reason) => {
                info!(line = %self.name, ?reason, "analog call ended");
                self.board_event(format!("call ended ({reason:?})"));
                let code = match reason {
                    EndReason::Busy => 486,
                    EndReason::NoDialTone => 503,
                    EndReason::FarEnd | EndReason::Switch => 480,
                };
                self.ua.line_ended(now, code);
            }
        }
    }

    fn ua_output(&mut self, o: UaOutput) {
        match o {
            UaOutput::Send(bytes) => {
                let _ = self.sip.send_to(&bytes, self.pbx);
            }
            UaOutput::Dial(_) if !self.audio_up => {
                // A line without audio cannot hear dial tone (and its clock stands still).
                let now = self.now();
                self.ua.line_ended(now, 503);
            }
            UaOutput::Dial(number) => {
                let digits = dial_string(&number, self.country);
                info!(line = %self.name, %number, %digits, "dialling out");
                self.port.dial(&digits);
            }
            UaOutput::HangUp => self.port.hang_up(),
            UaOutput::Media(peer) => {
                if peer != self.media {
                    self.jitter.clear();
                }
                self.media = peer;
            }
        }
    }

    /// Tells the daemon when the line's state changed.
    fn report(&mut self) {
        let state = if !self.audio_up {
            LineState::Down("no audio".into())
        } else if self.ua.busy() || !self.port.idle() {
            LineState::Busy
        } else {
            LineState::Idle
        };
        if self.reported.as_ref() != Some(&state) {
            self.reported = Some(state.clone());
            let text = match &state {
                LineState::Down(why) => format!("down: {why}"),
                LineState::Idle => "idle".to_owned(),
                LineState::Busy if self.checking => "health check".to_owned(),
                LineState::Busy => "busy".to_owned(),
            };
            self.with_board(|l| l.state = text);
            let _ = self.links.notices.send(LineNotice {
                line: self.name.clone(),
                sip: self.sip_addr,
                state,
            });
        }
    }
}

impl Worker {
    fn with_board(&self, f: impl FnOnce(&mut crate::control::protocol::LineDiagnostics)) {
        if let Some(mut l) = self.links.board.line(self.index) {
            f(&mut l);
        }
    }

    fn board_event(&self, what: impl Into<String>) {
        self.links.board.event(self.index, Utc::now(), what);
    }

    /// Puts a newly decoded caller ID on the board.
    fn show_caller_id(&mut self, id: Option<&super::dsp::callerid::CallerId>) {
        let Some(id) = id else { return };
        if self.last_caller_id.as_ref() == Some(id) {
            return;
        }
        self.last_caller_id = Some(id.clone());
        let view = caller_id_view(id, Utc::now());
        self.with_board(|l| l.caller_id = Some(view));
    }

    /// Runs the daily check when it is due and the line is free (a busy line is tried again
    /// after [`RETRY_BUSY`]), and a check asked for as soon as the line is free.
    fn health_check(&mut self) {
        let now = Utc::now();
        if self.links.board.take_check(self.index) {
            self.check_asked = true;
        }
        if let (Some(schedule), None) = (self.health, self.next_check) {
            let next = schedule.next_after(now);
            self.next_check = Some(next);
            self.with_board(|l| l.next_health_check = Some(next));
        }
        let due = self.next_check.is_some_and(|at| now >= at);
        if !(self.check_asked || due) || self.checking {
            return;
        }
        let free = self.audio_up && !self.ua.busy() && self.port.idle();
        if let (true, Some(schedule)) = (due, self.health) {
            self.next_check = Some(if free {
                schedule.next_after(now)
            } else {
                let retry = chrono::TimeDelta::from_std(RETRY_BUSY).unwrap_or_default();
                (now + retry).min(schedule.next_after(now))
            });
            let next = self.next_check;
            self.with_board(|l| l.next_health_check = next);
        }
        if !free {
            if !self.check_waits {
                self.check_waits = true;
                info!(line = %self.name, "health check due but the line is busy or down; later");
                self.board_event("health check waits: the line is busy or down");
            }
            return;
        }
        self.check_asked = false;
        self.check_waits = false;
        info!(line = %self.name, "health check: seizing the line for dial tone");
        self.checking = true;
        self.board_event("health check started");
        self.port.check();
        self.drain();
    }

    fn check_done(&mut self, ok: bool, detail: &str) {
        self.checking = false;
        let health = HealthView {
            at: Utc::now(),
            ok,
            detail: detail.to_owned(),
        };
        self.with_board(|l| l.health = Some(health));
        self.board_event(format!("health check: {detail}"));
        let text = if ok {
            info!(line = %self.name, "health check passed: {detail}");
            format!("Line {} works again: {detail}", self.name)
        } else {
            error!(line = %self.name, "LINE DEAD: health check failed: {detail}");
            format!("Line {} is dead: {detail}", self.name)
        };
        // Alert when the line is dead, and when it comes back after that.
        let alert = !ok || self.last_health_ok == Some(false);
        self.last_health_ok = Some(ok);
        if alert {
            let _ = self.links.alerts.send(LineAlert {
                line: self.name.clone(),
                ok,
                text,
            });
        }
    }
}

/// A per-run seed for tags, branches and SSRCs.
fn seed() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        return t.as_nanos() as u64;
    }
    u64::from_le_bytes(bytes)
}
