//! The daemon under test: a fresh configuration with known passwords, imported with the real
//! CLI, and `centrala` started on 127.0.0.1 with a free port; its log is read line by line so a
//! test can wait for what it expects.
//!
//! ```no_run
//! use centrala_e2e::pbx::{self, Pbx};
//! use firmware_config::group::Distribution;
//!
//! let mut pbx = Pbx::start_with(|config| {
//!     let office = pbx::group_mut(config, "office");
//!     office.distribution = Distribution::Simultaneously;
//!     office.ring_time_secs = 5;
//! });
//! pbx.sipp_ok("register.xml", &["-s", "101", "-au", "101", "-ap", &pbx::password("101")]);
//! pbx.wait_for("phone registered");
//! let log = pbx.stop();
//! ```

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use firmware_config::bounded::Text;
use firmware_config::config::Config;
use firmware_config::employee::{Employee, Presence, SipDevice};
use firmware_config::group::QueueGroup;
use firmware_config::system::{PortRange, Transport};

use crate::bin;
use crate::ports::{free_port, free_udp_range};
use crate::sipp::{Sipp, SippResult};

/// How long [`Pbx::wait_for`] waits for a log line.
pub const LOG_WAIT: Duration = Duration::from_secs(10);

/// How many RTP ports the test configuration gives the daemon (a free range per daemon, so
/// daemons of tests running in parallel do not share ports).
pub const RTP_PORTS: u16 = 40;

/// The known SIP password of a device in the test configuration.
pub fn password(user: &str) -> String {
    format!("test-password-{user}")
}

/// `centrala config export` of a fresh store in `dir` (the factory default, with random
/// passwords), as text.
pub fn export_default(dir: &Path) -> String {
    let out = Command::new(bin("centrala"))
        .arg("--config-dir")
        .arg(dir.join("store"))
        .args(["config", "export"])
        .output()
        .expect("centrala config export");
    assert!(out.status.success(), "centrala config export: {out:?}");
    String::from_utf8(out.stdout).expect("the export is UTF-8")
}

/// The exported default made fit for a test:
/// - SIP on UDP and TCP 127.0.0.1:`port` (instead of 0.0.0.0:5060);
/// - every device's password is [`password`] of its user name;
/// - RTP on `rtp_first`..`rtp_first + RTP_PORTS - 1`;
/// - data directory and control socket inside `dir`;
/// - no entry point follows a schedule, so calls route the same at any time of day (the
///   "office-hours" schedule itself stays, unused; a test that wants it sets
///   `entry_points[..].schedule` again in its edit).
pub fn test_config(exported: &str, port: u16, rtp_first: u16, dir: &Path) -> Config {
    let mut config = firmware_config::text::read(exported).expect("read the exported config");
    let listen = &mut config.system.sip_listen;
    assert_eq!(
        listen.len(),
        2,
        "expected UDP and TCP listeners:\n{exported}"
    );
    assert!(listen.iter().any(|l| l.transport == Transport::Udp));
    assert!(listen.iter().any(|l| l.transport == Transport::Tcp));
    for l in listen.iter_mut() {
        l.address = ([127, 0, 0, 1], port).into();
    }
    let mut devices = 0;
    for employee in config.employees.as_mut_slice() {
        for device in employee.devices.iter_mut() {
            device.password = text(&password(&device.username));
            devices += 1;
        }
    }
    assert_eq!(devices, 3, "expected three devices:\n{exported}");
    config.system.rtp_ports = PortRange {
        first: rtp_first,
        last: rtp_first + RTP_PORTS - 1,
    };
    config.system.data_dir = text(&dir.join("data").display().to_string());
    config.system.control_socket = text(&dir.join("control.sock").display().to_string());
    always_open(&mut config);
    config
}

/// Detaches every entry point from its schedule: always open.
pub fn always_open(config: &mut Config) {
    for entry in config.entry_points.as_mut_slice() {
        entry.schedule = None;
    }
}

/// Forces the demo office's "office-hours" schedule closed for a day (its night switch) with
/// `after_hours` as what happens to calls meanwhile; returns the schedule for more changes.
pub fn closed_office_hours(
    config: &mut Config,
    after_hours: firmware_config::schedule::AfterHours,
) -> &mut firmware_config::schedule::Schedule {
    use firmware_config::schedule::{Forced, NightSwitch};
    let schedule = config
        .schedules
        .as_mut_slice()
        .iter_mut()
        .find(|s| s.name.as_str() == "office-hours")
        .expect("the demo office has an office-hours schedule");
    schedule.after_hours = after_hours;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let tomorrow = now + 86_400;
    schedule.night_switch = Some(NightSwitch {
        state: Forced::Closed,
        until: firmware_config::time::Instant(tomorrow),
    });
    schedule
}

/// Trunk "carrier" at 127.0.0.1:`port` (UDP, user trunk-user / trunk-secret), registering or
/// not.
pub fn carrier(port: u16, register: bool) -> firmware_config::trunk::SipTrunk {
    firmware_config::trunk::SipTrunk {
        name: text("carrier"),
        host: text("127.0.0.1"),
        port,
        transport: Transport::Udp,
        username: text("trunk-user"),
        password: text("trunk-secret"),
        register,
        register_expiry_secs: 60,
        caller_id: None,
    }
}

/// [`carrier`] at `port` (not registering) delivering +48 22 123 45 67 to the entry point
/// "direct-line", which follows "office-hours" — forced closed for a day, hanging up after
/// hours — and looks callers up, creating a lead for an unknown one; its calls go to "office".
pub fn closed_did(config: &mut Config, port: u16) {
    use firmware_config::entry::{
        CrmOptions, Destination, EntryPoint, EntrySource, TrunkDid, UnknownCaller,
    };
    config
        .trunks
        .push(carrier(port, false))
        .expect("room for a trunk");
    closed_office_hours(config, firmware_config::schedule::AfterHours::HangUp);
    let entry = EntryPoint {
        name: text("direct-line"),
        source: EntrySource::TrunkDid(TrunkDid {
            trunk: text("carrier"),
            did: firmware_config::number::PhoneNumber::parse("+48221234567", None).expect("number"),
        }),
        destination: Destination::Group(text("office")),
        schedule: Some(text("office-hours")),
        hold_music: None,
        crm: CrmOptions {
            lookup: true,
            unknown_caller: UnknownCaller::CreateLead,
        },
    };
    config
        .entry_points
        .push(entry)
        .expect("room for an entry point");
}

/// The queue group called `name`; panics if there is none.
pub fn group_mut<'a>(config: &'a mut Config, name: &str) -> &'a mut QueueGroup {
    config
        .groups
        .as_mut_slice()
        .iter_mut()
        .find(|g| g.name.as_str() == name)
        .unwrap_or_else(|| panic!("no group {name:?} in the configuration"))
}

/// Adds an available employee with one device whose user name is the extension and whose
/// password is [`password`] of it (e.g. a fourth member for a group).
pub fn add_employee(config: &mut Config, extension: &str, name: &str) {
    let mut employee = Employee {
        extension: extension.parse().expect("an extension"),
        name: text(name),
        mobile: None,
        presence: Presence::Available,
        devices: Default::default(),
    };
    let device = SipDevice {
        username: text(extension),
        password: text(&password(extension)),
    };
    assert!(employee.devices.push(device).is_ok());
    config
        .employees
        .push(employee)
        .expect("room for an employee");
}

/// Writes `config` as TOML to `file` and imports it into the store in `dir` with the CLI;
/// returns the CLI's output (failing the test if it refused).
pub fn import(dir: &Path, config: &Config, file: &Path) -> std::process::Output {
    let text = firmware_config::text::export(config).expect("export the test config");
    std::fs::write(file, text).expect("write config");
    let out = Command::new(bin("centrala"))
        .arg("--config-dir")
        .arg(dir.join("store"))
        .args(["config", "import"])
        .arg(file)
        .output()
        .expect("centrala config import");
    assert!(
        out.status.success(),
        "centrala config import {}: {}\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(file).unwrap_or_default()
    );
    out
}

fn text<const N: usize>(s: &str) -> Text<N> {
    Text::new(s).unwrap_or_else(|e| panic!("{s:?} does not fit: {e:?}"))
}

/// Starts `centrala` on the store in `dir`, its log read line by line into the receiver.
fn spawn(dir: &Path, env: &[(String, String)]) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(bin("centrala"))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .arg("--config-dir")
        .arg(dir.join("store"))
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start centrala");
    let (tx, log_rx) = mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, log_rx)
}

/// A running daemon with its temporary directory, SIP port and log. Dropping it kills the
/// daemon (also when the test panics); [`Pbx::stop`] stops it cleanly and checks that.
pub struct Pbx {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    rtp_first: u16,
    log_rx: mpsc::Receiver<String>,
    log: Vec<String>,
    env: Vec<(String, String)>,
}

impl Pbx {
    /// Starts the daemon with [`test_config`] unchanged.
    pub fn start() -> Pbx {
        Pbx::start_with(|_| {})
    }

    /// Starts the daemon with [`test_config`] changed by `edit` (a group's distribution and
    /// members, ring times, presence, a schedule ...); returns once it logged `ready` and
    /// listens on UDP and TCP.
    pub fn start_with(edit: impl FnOnce(&mut Config)) -> Pbx {
        let dir = tempfile::Builder::new()
            .prefix("centrala-e2e-")
            .tempdir()
            .expect("tempdir");
        Pbx::start_dir(dir, edit, Vec::new())
    }

    /// As [`Pbx::start_with`], with these environment variables set for the daemon (e.g.
    /// `ALSA_CONFIG_PATH` for a test asoundrc); `edit` is also given the test's directory.
    pub fn start_with_env(
        edit: impl FnOnce(&mut Config, &Path),
        env: Vec<(String, String)>,
    ) -> Pbx {
        let dir = tempfile::Builder::new()
            .prefix("centrala-e2e-")
            .tempdir()
            .expect("tempdir");
        let path = dir.path().to_owned();
        Pbx::start_dir(dir, |c| edit(c, &path), env)
    }

    fn start_dir(
        dir: tempfile::TempDir,
        edit: impl FnOnce(&mut Config),
        env: Vec<(String, String)>,
    ) -> Pbx {
        let exported = export_default(dir.path());
        let port = free_port();
        let rtp_first = free_udp_range(RTP_PORTS);
        let mut config = test_config(&exported, port, rtp_first, dir.path());
        edit(&mut config);
        import(dir.path(), &config, &dir.path().join("config.toml"));
        let (child, log_rx) = spawn(dir.path(), &env);
        let mut pbx = Pbx {
            child,
            dir,
            port,
            rtp_first,
            log_rx,
            log: Vec::new(),
            env,
        };
        pbx.wait_ready();
        pbx
    }

    fn wait_ready(&mut self) {
        self.wait_for("ready");
        for t in ["udp", "tcp"] {
            let line = format!("SIP listening on {t} 127.0.0.1:{}", self.port);
            assert!(self.log_text().contains(&line), "{}", self.log_text());
        }
    }

    /// Stops the daemon cleanly (as [`Pbx::stop`]) and starts it again on the same directory
    /// (the same store, data and ports); returns the first run's log. The log read from now
    /// on is the new run's.
    pub fn restart(&mut self) -> String {
        let log = self.terminate();
        let (child, log_rx) = spawn(self.dir.path(), &self.env);
        self.child = child;
        self.log_rx = log_rx;
        self.log.clear();
        self.wait_ready();
        log
    }

    /// The SIP port (UDP and TCP) on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The daemon's RTP port range (first, last).
    pub fn rtp_ports(&self) -> (u16, u16) {
        (self.rtp_first, self.rtp_first + RTP_PORTS - 1)
    }

    /// The test's temporary directory (store, config.toml, SIPp logs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `sip:NUMBER@127.0.0.1:PORT`, the URI a phone dials to reach `number` through the daemon.
    pub fn uri(&self, number: &str) -> String {
        format!("sip:{number}@127.0.0.1:{}", self.port)
    }

    /// The log read so far, one line per line.
    pub fn log_text(&self) -> String {
        self.log.join("\n")
    }

    /// Reads what the daemon logged since the last read, without waiting.
    pub fn drain_log(&mut self) {
        while let Ok(line) = self.log_rx.try_recv() {
            self.log.push(line);
        }
    }

    /// Waits until a log line (read so far or within [`LOG_WAIT`]) contains `needle`; returns
    /// the first such line. Panics with the whole log when none comes.
    #[track_caller]
    pub fn wait_for(&mut self, needle: &str) -> String {
        self.wait_for_line(needle, LOG_WAIT, |l| l.contains(needle))
    }

    /// Waits until a log line contains every one of `needles` (e.g. `["phone registered",
    /// "user=102"]`); returns the first such line.
    #[track_caller]
    pub fn wait_for_all(&mut self, needles: &[&str]) -> String {
        let what = needles.join(" + ");
        self.wait_for_line(&what, LOG_WAIT, |l| needles.iter().all(|n| l.contains(n)))
    }

    /// Waits up to `timeout` for a log line that satisfies `matches`; returns the first such
    /// line (searching what was read already first). Panics naming `what` with the whole log.
    #[track_caller]
    pub fn wait_for_line(
        &mut self,
        what: &str,
        timeout: Duration,
        matches: impl Fn(&str) -> bool,
    ) -> String {
        if let Some(line) = self.log.iter().find(|l| matches(l)) {
            return line.clone();
        }
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.log_rx.recv_timeout(left) {
                Ok(line) => {
                    let done = matches(&line);
                    self.log.push(line.clone());
                    if done {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!(
            "no daemon log line with {what:?} within {timeout:?}; saw:\n{}",
            self.log_text()
        );
    }

    /// Runs SIPp scenario `name` against the daemon from a free local port; see [`Sipp`].
    pub fn sipp(&self, name: &str, args: &[&str]) -> SippResult {
        self.sipp_from(free_port(), name, args)
    }

    /// Runs SIPp scenario `name` against the daemon from 127.0.0.1:`local_port` (e.g. the
    /// port a phone registered from).
    pub fn sipp_from(&self, local_port: u16, name: &str, args: &[&str]) -> SippResult {
        Sipp::new(name, local_port, self.dir())
            .target(self.port)
            .args(args)
            .run()
    }

    /// Runs SIPp scenario `name` and asserts that every call succeeded.
    #[track_caller]
    pub fn sipp_ok(&self, name: &str, args: &[&str]) {
        self.sipp(name, args).assert_ok();
    }

    /// A path in the test's directory, e.g. for a log saved next to a failure.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir().join(name)
    }

    /// Stops the daemon with SIGTERM, checks it exits cleanly (within [`LOG_WAIT`]), and
    /// returns the whole log.
    pub fn stop(mut self) -> String {
        self.terminate()
    }

    fn terminate(&mut self) -> String {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + LOG_WAIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                self.drain_log();
                panic!(
                    "the daemon did not exit within {LOG_WAIT:?} of SIGTERM; log:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        while let Ok(line) = self.log_rx.recv_timeout(Duration::from_secs(5)) {
            self.log.push(line);
        }
        let log = self.log_text();
        assert!(status.success(), "exit status {status}\n{log}");
        assert!(log.contains("SIGTERM received"), "{log}");
        log
    }
}

impl Drop for Pbx {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
