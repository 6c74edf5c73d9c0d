//! Running SIPp scenarios (`tests/sipp/*.xml`) against the daemon, to completion or in the
//! background (a SIPp UAS playing a phone), with a report that shows what went wrong.
//!
//! Every run gets `-i 127.0.0.1 -mi 127.0.0.1 -p LOCAL_PORT -m 1 -timeout 10s -timeout_error
//! -nostdin -trace_err -trace_msg`, with its error and message logs in the caller's directory;
//! arguments given by the test come after these, so a later `-m 5` or `-timeout 30s` wins.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Fails clearly when SIPp is missing (checked once per test process).
pub fn require_sipp() {
    static FOUND: OnceLock<bool> = OnceLock::new();
    let found = *FOUND.get_or_init(|| {
        Command::new("sipp")
            .arg("-v")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    });
    assert!(
        found,
        "sipp (SIPp) is not on PATH: run scripts/setup.sh, which installs Debian's sip-tester"
    );
}

/// The path of a scenario file in `tests/sipp/`, e.g. `scenario("register.xml")`.
pub fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sipp")
        .join(name)
}

/// How a SIPp run ended.
#[derive(Debug, Clone)]
pub struct SippResult {
    /// SIPp's exit code: 0 when every call succeeded, 1 when some failed, 97/99 and others
    /// for errors; -1 when it was killed.
    pub code: i32,
    /// The command, SIPp's stderr, its error log and its message trace, for failure messages.
    pub report: String,
}

impl SippResult {
    /// Whether every call succeeded.
    pub fn ok(&self) -> bool {
        self.code == 0
    }

    /// Panics with the report unless every call succeeded.
    #[track_caller]
    pub fn assert_ok(&self) {
        assert_eq!(self.code, 0, "{}", self.report);
    }
}

/// One SIPp invocation, before it runs.
#[derive(Debug, Clone)]
pub struct Sipp {
    scenario: String,
    target: Option<u16>,
    local_port: u16,
    log_dir: PathBuf,
    args: Vec<String>,
}

impl Sipp {
    /// Scenario `name` (in `tests/sipp/`) from 127.0.0.1:`local_port`, with its logs written
    /// to `log_dir` (also SIPp's working directory). Without [`Sipp::target`] it sends to no
    /// one: the form for a UAS that waits for requests.
    pub fn new(name: &str, local_port: u16, log_dir: &Path) -> Sipp {
        Sipp {
            scenario: name.to_owned(),
            target: None,
            local_port,
            log_dir: log_dir.to_owned(),
            args: Vec::new(),
        }
    }

    /// Sends to 127.0.0.1:`port` (the daemon).
    pub fn target(mut self, port: u16) -> Sipp {
        self.target = Some(port);
        self
    }

    /// Extra arguments, after the defaults (e.g. `["-s", "102", "-au", "101", "-ap", pw]`).
    pub fn args<S: AsRef<str>>(mut self, args: &[S]) -> Sipp {
        self.args.extend(args.iter().map(|a| a.as_ref().to_owned()));
        self
    }

    fn stem(&self) -> String {
        format!(
            "{}-{}",
            self.scenario.trim_end_matches(".xml"),
            self.local_port
        )
    }

    fn errors_file(&self) -> PathBuf {
        self.log_dir.join(format!("{}.errors.log", self.stem()))
    }

    fn messages_file(&self) -> PathBuf {
        self.log_dir.join(format!("{}.messages.log", self.stem()))
    }

    fn stderr_file(&self) -> PathBuf {
        self.log_dir.join(format!("{}.stderr.log", self.stem()))
    }

    fn command(&self) -> Command {
        require_sipp();
        let mut cmd = Command::new("sipp");
        if let Some(port) = self.target {
            cmd.arg(format!("127.0.0.1:{port}"));
        }
        cmd.arg("-sf")
            .arg(scenario(&self.scenario))
            .args(["-i", "127.0.0.1", "-mi", "127.0.0.1"])
            .args(["-p", &self.local_port.to_string()])
            .args(["-m", "1", "-timeout", "10s", "-timeout_error", "-nostdin"])
            .arg("-trace_err")
            .arg("-error_file")
            .arg(self.errors_file())
            .arg("-trace_msg")
            .arg("-message_file")
            .arg(self.messages_file())
            .args(&self.args)
            .current_dir(&self.log_dir)
            .stdin(Stdio::null());
        cmd
    }

    fn report(&self, code: i32, stderr: &str) -> String {
        format!(
            "sipp {} {:?} (from port {}) exited {code}\n--- stderr\n{stderr}\n--- errors\n{}\n--- messages\n{}",
            self.scenario,
            self.args,
            self.local_port,
            std::fs::read_to_string(self.errors_file()).unwrap_or_default(),
            std::fs::read_to_string(self.messages_file()).unwrap_or_default(),
        )
    }

    /// Runs the scenario to its end (bounded by SIPp's own `-timeout`).
    pub fn run(self) -> SippResult {
        let out = self.command().output().expect("run sipp");
        let code = out.status.code().unwrap_or(-1);
        let report = self.report(code, &String::from_utf8_lossy(&out.stderr));
        SippResult { code, report }
    }

    /// Starts the scenario in the background (e.g. a UAS that will answer a call) and returns
    /// once SIPp has had a moment to bind its port. The process is killed when the handle is
    /// dropped.
    pub fn spawn(self) -> SippProcess {
        let stderr = std::fs::File::create(self.stderr_file()).expect("sipp stderr file");
        let child = self
            .command()
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start sipp");
        // SIPp binds its port right after reading the scenario; there is no readiness signal.
        std::thread::sleep(Duration::from_millis(300));
        SippProcess {
            sipp: self,
            child: Some(child),
        }
    }
}

/// A SIPp running in the background; killed (and reaped) on drop.
#[derive(Debug)]
pub struct SippProcess {
    sipp: Sipp,
    child: Option<Child>,
}

impl SippProcess {
    /// Waits up to `timeout` for SIPp to finish; kills it if it did not (the result's code is
    /// then -1 and the report says so).
    pub fn wait(mut self, timeout: Duration) -> SippResult {
        let mut child = self.child.take().expect("sipp child");
        let deadline = Instant::now() + timeout;
        let mut killed = false;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for sipp") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                killed = true;
                break child.wait().expect("wait for sipp");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stderr = std::fs::read_to_string(self.sipp.stderr_file()).unwrap_or_default();
        if killed {
            stderr.push_str(&format!("\n(killed: still running after {timeout:?})"));
        }
        let code = if killed {
            -1
        } else {
            status.code().unwrap_or(-1)
        };
        let report = self.sipp.report(code, &stderr);
        SippResult { code, report }
    }
}

impl Drop for SippProcess {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
