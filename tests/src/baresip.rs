//! A real softphone for the tests: headless baresip (v1.0.0 as packaged in Debian 12), driven
//! through its `ctrl_tcp` module.
//!
//! Each [`Phone`] gets its own temporary config directory, a SIP port pair (baresip also
//! listens for TLS on SIP port + 1), a `ctrl_tcp` port and its own RTP range. It sends a tone
//! from a WAV file (`aufile`) and records what it hears (`sndfile`, one file per call and
//! direction, in `DIR/rec`). Every wait is bounded and fails with the phone's log tail.
//!
//! ```no_run
//! use centrala_e2e::baresip::{Phone, PhoneConfig, CallOutcome};
//! use centrala_e2e::pbx::Pbx;
//! use centrala_e2e::audio::Recording;
//!
//! let pbx = Pbx::start();
//! let mut anna = Phone::start(PhoneConfig::registered("101", pbx.port()).tone(1000.0));
//! let mut piotr = Phone::start(PhoneConfig::registered("102", pbx.port()).tone(600.0));
//! anna.wait_registered();
//! piotr.wait_registered();
//! anna.dial(&pbx.uri("102"));
//! piotr.wait_event("CALL_ESTABLISHED"); // piotr answers by himself (answermode=auto)
//! assert!(matches!(anna.wait_call(), CallOutcome::Established(_)));
//! std::thread::sleep(std::time::Duration::from_secs(2));
//! anna.hangup();
//! piotr.wait_event("CALL_CLOSED");
//! let heard = Recording::read(&piotr.last_recording().received);
//! assert!(heard.tone_fraction(1000.0) > 0.8, "{}", heard.describe(&[1000.0, 600.0]));
//! ```
//!
//! What baresip v1.0.0 does, found by trying it:
//! - `net_interface` takes an address (`127.0.0.1`); an interface name (`lo`) fails to start.
//! - `ctrl_tcp` frames every message as a netstring (`LEN:JSON,`). Commands are
//!   `{"command":"dial","params":"sip:…","token":"…"}` (the menu's long command names:
//!   `dial`, `accept`, `hangup`, `hold`, `resume`, `reginfo`, `listcalls`, `transfer`,
//!   `sndcode`, …); the answer is `{"response":true,"ok":BOOL,"data":"TEXT","token":"…"}`.
//!   Events go to every connected client: `{"event":true,"type":"CALL_ESTABLISHED",
//!   "class":"call","accountaor":"sip:…","direction":"incoming"|"outgoing","peeruri":"sip:…",
//!   "id":"CALL-ID","param":"…"}`. Types seen: `CALL_INCOMING`, `CALL_RINGING`,
//!   `CALL_LOCAL_SDP` / `CALL_REMOTE_SDP` (param `offer` or `answer`), `CALL_ESTABLISHED`
//!   (param: the peer), `CALL_RTPESTAB`, `CALL_RTCP`, `CALL_CLOSED` (param: the reason, e.g.
//!   `480 Temporarily Unavailable`, `Connection reset by user`, `end of file`) and
//!   `AUDIO_ERROR`. The registration usually completes before the harness connects, so its
//!   events (`REGISTER_OK`, `REGISTER_FAIL`) are missed; `reginfo` (`OK`/`ERR` next to the
//!   account, `zzz` while pending) is polled as well, and the failure reason is read from the
//!   log (`reg: sip:…: 403 Forbidden (centrala/0.1.0)`).
//! - The Contact a registered baresip sends is `sip:USER-0xADDRESS@127.0.0.1:PORT`: the user
//!   part is not the extension, so a B2BUA must call the registered Contact URI as it is.
//! - baresip 1.0.0 (libre 1.1.0) fails a registration or call with ENOSYS ("Function not
//!   implemented") when a 401/407 carries any challenge other than MD5, whatever the order:
//!   a server that also offers SHA-256 (RFC 8760) cannot be used by this phone.
//! - `aufile` ends the call when its file ends (`AUDIO_ERROR` "end of file", then
//!   `CALL_CLOSED`), so the tone must outlast the call: [`PhoneConfig::tone_secs`].
//! - `sndfile` writes `snd_path/dump-YYYY-MM-DD-HH-MM-SS-enc.wav` (what the phone sent) and
//!   `…-dec.wav` (what it heard), named by local time when the audio started; the header is
//!   finished when the call closes. Two calls starting in the same second overwrite each other.
//! - A dial is answered at once with `ok:true` and empty data; how the call went comes only as
//!   events.
//! - The `mwi` module (1.0.0) loops forever, printing `mwi: subscribing to messages for …`,
//!   when the account's registration completes before the module's 1 ms start-up timer runs
//!   (a slow start under load): the timer re-subscribes every subscription in the list it is
//!   appending to. A phone with [`PhoneConfig::mwi`] therefore gets its account through the
//!   `uanew` command after start-up, never from the accounts file.

use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::audio;
use crate::pbx::password;
use crate::ports::{free_port, free_port_pair, free_udp_range};

/// How long the waits of a [`Phone`] last unless a test says otherwise.
pub const WAIT: Duration = Duration::from_secs(10);

/// How many RTP ports each phone gets.
pub const RTP_PORTS: u16 = 10;

/// Where Debian keeps baresip's modules.
pub const MODULE_PATH: &str = "/usr/lib/baresip/modules";

/// Whether the phone answers incoming calls by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerMode {
    /// Answers at once (`answermode=auto`).
    Auto,
    /// Rings until [`Phone::answer`] (`answermode=manual`).
    Manual,
}

/// The one audio codec the phone offers and accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// G.711 µ-law.
    Pcmu,
    /// G.711 A-law.
    Pcma,
}

impl Codec {
    fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }
}

/// How to set up a [`Phone`].
#[derive(Debug, Clone)]
pub struct PhoneConfig {
    /// The SIP user (the device user name in the daemon's configuration).
    pub user: String,
    /// The digest password; `None` for a phone that never authenticates.
    pub password: Option<String>,
    /// The daemon's SIP port on 127.0.0.1 to register with; `None` for a phone that does not
    /// register (for calls straight between phones).
    pub registrar: Option<u16>,
    /// Auto or manual answer.
    pub answer: AnswerMode,
    /// The codec.
    pub codec: Codec,
    /// The frequency of the tone the phone sends (Hz).
    pub tone_hz: f64,
    /// How long the tone lasts; the phone hangs up when it ends.
    pub tone_secs: f64,
    /// Whether the phone subscribes to message-waiting indication (baresip's `mwi` module:
    /// a `message-summary` SUBSCRIBE once registered; each NOTIFY body comes as an
    /// `MWI_NOTIFY` event, see [`Phone::wait_mwi`]).
    pub mwi: bool,
}

impl PhoneConfig {
    /// A device of the test configuration: user `user` with [`password`]`(user)`, registering
    /// with the daemon on 127.0.0.1:`pbx_port`; auto answer, PCMU, 1000 Hz for 60 s.
    pub fn registered(user: &str, pbx_port: u16) -> PhoneConfig {
        PhoneConfig {
            user: user.to_owned(),
            password: Some(password(user)),
            registrar: Some(pbx_port),
            answer: AnswerMode::Auto,
            codec: Codec::Pcmu,
            tone_hz: 1000.0,
            tone_secs: 60.0,
            mwi: false,
        }
    }

    /// A phone that does not register (`regint=0`) and is reached at [`Phone::uri`].
    pub fn direct(user: &str) -> PhoneConfig {
        PhoneConfig {
            user: user.to_owned(),
            password: None,
            registrar: None,
            answer: AnswerMode::Auto,
            codec: Codec::Pcmu,
            tone_hz: 1000.0,
            tone_secs: 60.0,
            mwi: false,
        }
    }

    /// Sets the answer mode.
    pub fn answer(mut self, mode: AnswerMode) -> PhoneConfig {
        self.answer = mode;
        self
    }

    /// Sets the codec.
    pub fn codec(mut self, codec: Codec) -> PhoneConfig {
        self.codec = codec;
        self
    }

    /// Sets the tone's frequency.
    pub fn tone(mut self, hz: f64) -> PhoneConfig {
        self.tone_hz = hz;
        self
    }

    /// Sets how long the tone (and so at most the call) lasts.
    pub fn tone_secs(mut self, secs: f64) -> PhoneConfig {
        self.tone_secs = secs;
        self
    }

    /// Subscribes to message-waiting indication once registered.
    pub fn mwi(mut self) -> PhoneConfig {
        self.mwi = true;
        self
    }

    /// Sets the password (e.g. a wrong one).
    pub fn password(mut self, password: &str) -> PhoneConfig {
        self.password = Some(password.to_owned());
        self
    }
}

/// One `ctrl_tcp` event.
#[derive(Debug, Clone)]
pub struct Event {
    /// `type`, e.g. `CALL_ESTABLISHED`.
    pub kind: String,
    /// `direction` of the call: `incoming` or `outgoing` (empty when absent).
    pub direction: String,
    /// `peeruri`: the other side (empty when absent).
    pub peer: String,
    /// `id`: the call's SIP Call-ID (empty when absent).
    pub call_id: String,
    /// `param`: e.g. the reason of `CALL_CLOSED`.
    pub param: String,
    /// The whole JSON object.
    pub json: Value,
}

impl Event {
    fn from_json(json: Value) -> Event {
        let field = |k: &str| json.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        Event {
            kind: field("type"),
            direction: field("direction"),
            peer: field("peeruri"),
            call_id: field("id"),
            param: field("param"),
            json,
        }
    }
}

/// How a call this phone placed (or took) went.
#[derive(Debug, Clone)]
pub enum CallOutcome {
    /// `CALL_ESTABLISHED` came.
    Established(Event),
    /// `CALL_CLOSED` came first; its `param` is the reason (e.g. the final response, as in
    /// `480 Temporarily Unavailable`).
    Closed(Event),
}

/// The files of one call's recording.
#[derive(Debug, Clone)]
pub struct CallRecording {
    /// What the phone heard (decoded from the RTP it received).
    pub received: PathBuf,
    /// What the phone sent (before encoding).
    pub sent: PathBuf,
}

enum Message {
    Event(Event),
    Response {
        token: String,
        ok: bool,
        data: String,
    },
}

/// A running baresip; killed (and reaped) on drop, even when the test panics.
pub struct Phone {
    config: PhoneConfig,
    child: Child,
    dir: tempfile::TempDir,
    sip_port: u16,
    ctrl: TcpStream,
    rx: mpsc::Receiver<Message>,
    log: Arc<Mutex<Vec<String>>>,
    events: Vec<Event>,
    /// Events before this index were consumed by a wait.
    seen: usize,
    next_token: u64,
}

impl Phone {
    /// Writes the config and a tone, starts baresip and connects to its `ctrl_tcp`.
    pub fn start(config: PhoneConfig) -> Phone {
        let dir = tempfile::Builder::new()
            .prefix(&format!("baresip-{}-", config.user))
            .tempdir()
            .expect("tempdir");
        let sip_port = free_port_pair();
        let ctrl_port = free_port();
        let rtp_first = free_udp_range(RTP_PORTS);
        let tone = dir.path().join("tone.wav");
        audio::write_tone(&tone, config.tone_hz, config.tone_secs);
        let rec = dir.path().join("rec");
        std::fs::create_dir(&rec).expect("recordings dir");
        let conf = format!(
            "poll_method\tepoll\n\
             sip_listen\t127.0.0.1:{sip_port}\n\
             net_interface\t127.0.0.1\n\
             call_local_timeout\t120\n\
             call_max_calls\t4\n\
             audio_player\taubridge,nil\n\
             audio_alert\taubridge,nil\n\
             audio_source\taufile,{tone}\n\
             rtp_ports\t{rtp_first}-{rtp_last}\n\
             module_path\t{MODULE_PATH}\n\
             module\tg711.so\n\
             module\taufile.so\n\
             module\taubridge.so\n\
             module\tsndfile.so\n\
             module_app\taccount.so\n\
             module_app\tmenu.so\n\
             module_app\tctrl_tcp.so\n\
             ctrl_tcp_listen\t127.0.0.1:{ctrl_port}\n\
             snd_path\t{rec}\n{mwi}",
            mwi = if config.mwi {
                "module_app\tmwi.so\n"
            } else {
                ""
            },
            tone = tone.display(),
            rtp_last = rtp_first + RTP_PORTS - 1,
            rec = rec.display(),
        );
        std::fs::write(dir.path().join("config"), conf).expect("write baresip config");
        // baresip 1.0's mwi module subscribes again, from a timer 1 ms after it loads, for
        // every subscription it already holds, and appends each new one to the list it is
        // walking: if the account's REGISTER_OK is handled before that timer (a slow start
        // under load), it loops forever and the phone goes dead. An MWI phone therefore
        // starts with no account and gets it through `uanew` once the loop runs.
        let accounts = if config.mwi {
            String::new()
        } else {
            account_line(&config, sip_port)
        };
        std::fs::write(dir.path().join("accounts"), accounts).expect("write baresip accounts");

        let mut child = Command::new("baresip")
            .arg("-f")
            .arg(dir.path())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start baresip ({e}): run scripts/setup.sh, which installs it")
            });
        let log = Arc::new(Mutex::new(Vec::new()));
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let log = log.clone();
            std::thread::spawn(move || collect_log(pipe, &log));
        }

        let deadline = Instant::now() + WAIT;
        let ctrl = loop {
            if let Ok(s) = TcpStream::connect(("127.0.0.1", ctrl_port)) {
                break s;
            }
            let exited = child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "baresip {} did not open ctrl_tcp on {ctrl_port} ({exited:?}):\n{}",
                    config.user,
                    tail(&log, 40)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let (tx, rx) = mpsc::channel();
        let reader = ctrl.try_clone().expect("clone ctrl socket");
        std::thread::spawn(move || read_ctrl(reader, &tx));
        let mut phone = Phone {
            config,
            child,
            dir,
            sip_port,
            ctrl,
            rx,
            log,
            events: Vec::new(),
            seen: 0,
            next_token: 1,
        };
        if phone.config.mwi {
            let line = account_line(&phone.config, sip_port);
            phone.command_ok("uanew", line.trim_end());
        }
        phone
    }

    /// The SIP user.
    pub fn user(&self) -> &str {
        &self.config.user
    }

    /// The port baresip listens for SIP on (UDP and TCP).
    pub fn sip_port(&self) -> u16 {
        self.sip_port
    }

    /// `sip:USER@127.0.0.1:SIP_PORT`: how to reach this phone directly.
    pub fn uri(&self) -> String {
        format!("sip:{}@127.0.0.1:{}", self.config.user, self.sip_port)
    }

    /// The config directory (with `rec/`, the recordings).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The last `lines` lines baresip printed.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.log, lines)
    }

    /// Every event received so far.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    fn pump(&mut self, timeout: Duration) -> Option<Message> {
        match self.rx.recv_timeout(timeout) {
            Ok(Message::Event(e)) => {
                self.events.push(e);
                None
            }
            Ok(m) => Some(m),
            Err(_) => None,
        }
    }

    fn failure(&self, what: &str) -> String {
        let kinds: Vec<&str> = self.events.iter().map(|e| e.kind.as_str()).collect();
        format!(
            "baresip {} ({}): {what}\nevents: {kinds:?}\n--- log tail\n{}",
            self.config.user,
            self.uri(),
            self.log_tail(40)
        )
    }

    /// Sends a `ctrl_tcp` command and waits for its answer: `Ok(data)` or `Err(data)`.
    pub fn command(&mut self, command: &str, params: &str) -> Result<String, String> {
        let token = format!("t{}", self.next_token);
        self.next_token += 1;
        let body =
            serde_json::json!({"command": command, "params": params, "token": token}).to_string();
        let frame = format!("{}:{body},", body.len());
        if let Err(e) = self.ctrl.write_all(frame.as_bytes()) {
            panic!("{}", self.failure(&format!("cannot send {command}: {e}")));
        }
        let deadline = Instant::now() + WAIT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            if let Some(Message::Response { token: t, ok, data }) = self.pump(left) {
                if t == token {
                    return if ok { Ok(data) } else { Err(data) };
                }
            }
        }
        panic!(
            "{}",
            self.failure(&format!(
                "no answer to {command} {params:?} within {WAIT:?}"
            ))
        );
    }

    #[track_caller]
    fn command_ok(&mut self, command: &str, params: &str) -> String {
        match self.command(command, params) {
            Ok(data) => data,
            Err(data) => panic!(
                "{}",
                self.failure(&format!("{command} {params:?} refused: {data}"))
            ),
        }
    }

    /// Dials `uri` (e.g. [`crate::pbx::Pbx::uri`]`("102")`); how it goes comes as events
    /// ([`Phone::wait_call`]).
    #[track_caller]
    pub fn dial(&mut self, uri: &str) {
        self.command_ok("dial", uri);
    }

    /// Answers the ringing call (for [`AnswerMode::Manual`]).
    #[track_caller]
    pub fn answer(&mut self) {
        self.command_ok("accept", "");
    }

    /// Hangs up the current call.
    #[track_caller]
    pub fn hangup(&mut self) {
        self.command_ok("hangup", "");
    }

    /// Sends DTMF digits on the current call (`sndcode`: RFC 4733 telephone-events when the
    /// call negotiated them).
    #[track_caller]
    pub fn send_digits(&mut self, digits: &str) {
        self.command_ok("sndcode", digits);
    }

    /// Waits up to `timeout` for an `MWI_NOTIFY` event (the NOTIFY's body in `param`) that
    /// satisfies `matches`; earlier ones are consumed. Panics with the log tail if none comes.
    #[track_caller]
    pub fn wait_mwi(&mut self, timeout: Duration, matches: impl Fn(&str) -> bool) -> Event {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_event_of(&["MWI_NOTIFY"], left) {
                Some(e) if matches(&e.param) => return e,
                Some(_) => {}
                None => panic!(
                    "{}",
                    self.failure(&format!("no matching MWI_NOTIFY within {timeout:?}"))
                ),
            }
        }
    }

    /// Puts the current call on hold (a re-INVITE with `a=sendonly`).
    #[track_caller]
    pub fn hold(&mut self) {
        self.command_ok("hold", "");
    }

    /// Resumes the held call (a re-INVITE with `a=sendrecv`).
    #[track_caller]
    pub fn resume(&mut self) {
        self.command_ok("resume", "");
    }

    /// Waits up to `timeout` for the next not yet consumed event whose type is one of `kinds`;
    /// events before it count as consumed too. `None` when none came.
    pub fn next_event_of(&mut self, kinds: &[&str], timeout: Duration) -> Option<Event> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(i) = self.events[self.seen..]
                .iter()
                .position(|e| kinds.contains(&e.kind.as_str()))
            {
                let at = self.seen + i;
                self.seen = at + 1;
                return Some(self.events[at].clone());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            // Responses to commands arrive only while a command waits; none is pending here.
            let _ = self.pump(left);
        }
    }

    /// Waits ([`WAIT`]) for the next event of type `kind`; panics with the log tail if none
    /// comes.
    #[track_caller]
    pub fn wait_event(&mut self, kind: &str) -> Event {
        self.wait_event_for(kind, WAIT)
    }

    /// [`Phone::wait_event`] with another bound.
    #[track_caller]
    pub fn wait_event_for(&mut self, kind: &str, timeout: Duration) -> Event {
        match self.next_event_of(&[kind], timeout) {
            Some(e) => e,
            None => panic!("{}", self.failure(&format!("no {kind} within {timeout:?}"))),
        }
    }

    /// Waits ([`WAIT`]) for the current call to be established or closed.
    #[track_caller]
    pub fn wait_call(&mut self) -> CallOutcome {
        match self.next_event_of(&["CALL_ESTABLISHED", "CALL_CLOSED"], WAIT) {
            Some(e) if e.kind == "CALL_ESTABLISHED" => CallOutcome::Established(e),
            Some(e) => CallOutcome::Closed(e),
            None => panic!(
                "{}",
                self.failure(&format!(
                    "the call neither established nor closed within {WAIT:?}"
                ))
            ),
        }
    }

    /// Waits ([`WAIT`]) for the registration: `Ok(())` on `REGISTER_OK`, `Err(reason)` on
    /// `REGISTER_FAIL` (e.g. `403 Forbidden`). Panics when neither comes.
    ///
    /// Events sent before the `ctrl_tcp` connection was made are lost, so besides the events
    /// this also asks `reginfo` (which shows `OK` or `ERR` next to the account).
    pub fn try_wait_registered(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(e) = self.next_event_of(&["REGISTER_OK", "REGISTER_FAIL"], Duration::ZERO) {
                return if e.kind == "REGISTER_OK" {
                    Ok(())
                } else {
                    Err(e.param)
                };
            }
            let info = strip_ansi(&self.command("reginfo", "").unwrap_or_default());
            let status = |word: &str| info.split_whitespace().any(|w| w == word);
            if status("OK") {
                return Ok(());
            }
            if status("ERR") {
                // The reason is only in the log; say what the log says.
                let reason = self
                    .log
                    .lock()
                    .map(|l| {
                        l.iter()
                            .rev()
                            .find(|line| line.contains("reg: "))
                            .cloned()
                            .unwrap_or_default()
                    })
                    .unwrap_or_default();
                return Err(strip_ansi(&reason));
            }
            if Instant::now() >= deadline {
                panic!(
                    "{}",
                    self.failure(&format!("not registered within {WAIT:?}; reginfo: {info}"))
                );
            }
            let _ = self.pump(Duration::from_millis(100));
        }
    }

    /// Waits for the registration to succeed; panics with the reason and the log tail if not.
    #[track_caller]
    pub fn wait_registered(&mut self) {
        if let Err(reason) = self.try_wait_registered() {
            panic!(
                "{}",
                self.failure(&format!("registration failed: {reason}"))
            );
        }
    }

    /// The recordings so far, oldest first (see the module documentation for the naming).
    pub fn recordings(&self) -> Vec<CallRecording> {
        let rec = self.dir.path().join("rec");
        let mut received: Vec<PathBuf> = std::fs::read_dir(&rec)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.to_string_lossy().ends_with("-dec.wav"))
                    .collect()
            })
            .unwrap_or_default();
        received.sort();
        received
            .into_iter()
            .map(|received| {
                let name = received.to_string_lossy().replace("-dec.wav", "-enc.wav");
                CallRecording {
                    received,
                    sent: PathBuf::from(name),
                }
            })
            .collect()
    }

    /// The latest call's recording; panics if the phone recorded none. Read it after the
    /// call closed: sndfile completes the WAV header only when it closes the file, a moment
    /// after `CALL_CLOSED`, so this waits (5 s at most) until both files have a length.
    #[track_caller]
    pub fn last_recording(&self) -> CallRecording {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let last = self.recordings().pop();
            let complete = last
                .as_ref()
                .is_some_and(|r| [&r.received, &r.sent].iter().all(|p| wav_complete(p)));
            match last {
                Some(r) if complete || Instant::now() >= deadline => return r,
                None if Instant::now() >= deadline => {
                    panic!("{}", self.failure("no recording in rec/"))
                }
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

/// Whether a WAV file's header has been completed: it names samples, and as many as the
/// file holds (libsndfile may update the header with a partial length before it closes the
/// file, so a non-zero length alone is not enough).
fn wav_complete(path: &Path) -> bool {
    let Ok(reader) = hound::WavReader::open(path) else {
        return false;
    };
    let spec = reader.spec();
    let samples = u64::from(reader.duration()) * u64::from(spec.channels);
    let data = samples * u64::from(spec.bits_per_sample / 8);
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    // The data chunk ends the file (after a header of at most a few hundred bytes).
    samples > 0 && len >= data && len - data <= 512
}

impl Drop for Phone {
    fn drop(&mut self) {
        let _ = self.ctrl.shutdown(Shutdown::Both);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn account_line(config: &PhoneConfig, sip_port: u16) -> String {
    let mut line = match config.registrar {
        Some(port) => format!("<sip:{}@127.0.0.1:{port}>", config.user),
        None => format!("<sip:{}@127.0.0.1:{sip_port}>;regint=0", config.user),
    };
    if let Some(pw) = &config.password {
        line.push_str(&format!(";auth_pass={pw}"));
    }
    let mode = match config.answer {
        AnswerMode::Auto => "auto",
        AnswerMode::Manual => "manual",
    };
    line.push_str(&format!(
        ";answermode={mode};audio_codecs={}\n",
        config.codec.name()
    ));
    line
}

/// Splits baresip's output into lines at `\n` and `\r`, dropping its once-a-second status
/// lines (`[0:00:01] audio=…`).
fn collect_log(mut pipe: Box<dyn Read + Send>, log: &Mutex<Vec<String>>) {
    let mut buf = [0u8; 4096];
    let mut line = Vec::new();
    loop {
        let n = match pipe.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &b in &buf[..n] {
            if b == b'\n' || b == b'\r' {
                push_line(&mut line, log);
            } else {
                line.push(b);
            }
        }
        // The status line is rewritten in place without a newline.
        if line.starts_with(b"[0:") && line.ends_with(b"    ") {
            line.clear();
        }
    }
    push_line(&mut line, log);
}

fn push_line(line: &mut Vec<u8>, log: &Mutex<Vec<String>>) {
    let text = String::from_utf8_lossy(line).trim_end().to_owned();
    line.clear();
    if text.is_empty() || (text.starts_with("[0:") && text.contains("audio=")) {
        return;
    }
    if let Ok(mut l) = log.lock() {
        l.push(text);
    }
}

fn tail(log: &Mutex<Vec<String>>, lines: usize) -> String {
    let l = log.lock().map(|l| l.clone()).unwrap_or_default();
    let from = l.len().saturating_sub(lines);
    strip_ansi(&l[from..].join("\n"))
}

/// Removes the colour escapes (`ESC[…m`) baresip puts around errors.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads netstrings (`LEN:JSON,`) from `ctrl_tcp` until it closes.
fn read_ctrl(stream: TcpStream, tx: &mpsc::Sender<Message>) {
    let mut r = BufReader::new(stream);
    loop {
        let mut len = 0usize;
        let mut byte = [0u8; 1];
        loop {
            if r.read_exact(&mut byte).is_err() {
                return;
            }
            match byte[0] {
                b'0'..=b'9' => len = len * 10 + usize::from(byte[0] - b'0'),
                b':' => break,
                _ => return,
            }
        }
        let mut body = vec![0u8; len + 1];
        if r.read_exact(&mut body).is_err() || body.pop() != Some(b',') {
            return;
        }
        let Ok(json) = serde_json::from_slice::<Value>(&body) else {
            continue;
        };
        let msg = if json.get("event").and_then(Value::as_bool) == Some(true) {
            Message::Event(Event::from_json(json))
        } else {
            let s = |k: &str| json.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            Message::Response {
                token: s("token"),
                ok: json.get("ok").and_then(Value::as_bool).unwrap_or(false),
                data: s("data"),
            }
        };
        if tx.send(msg).is_err() {
            return;
        }
    }
}
