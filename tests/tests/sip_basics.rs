//! SIP basics against the real daemon, with SIPp as the peer (scenarios in `tests/sipp/`):
//! REGISTER with digest authentication, OPTIONS over UDP and TCP, 400 for a malformed request,
//! 501 for an unknown method, INVITEs challenged and then answered 404, or 480 for an employee without a registered phone, and a
//! flood from one address rate-limited while a registered phone keeps working.
//!
//! Each test runs its own daemon on 127.0.0.1 with a free port, configured from `centrala
//! config export` of a fresh directory with known passwords, imported with `centrala config
//! import`. Needs `sipp` on PATH (`scripts/setup.sh` installs Debian's `sip-tester`).

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use centrala_e2e::bin;

/// The known SIP password of a device in the test configuration.
fn password(user: &str) -> String {
    format!("test-password-{user}")
}

/// A port free for both UDP and TCP on 127.0.0.1.
fn free_port() -> u16 {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let port = udp.local_addr().expect("addr").port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no port free for both UDP and TCP");
}

/// Fails clearly when SIPp is missing.
fn require_sipp() {
    let found = Command::new("sipp")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(
        found,
        "sipp (SIPp) is not on PATH: run scripts/setup.sh, which installs Debian's sip-tester"
    );
}

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sipp")
        .join(name)
}

/// A running daemon, its directory, port and log.
struct Pbx {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    log_rx: mpsc::Receiver<String>,
    log: Vec<String>,
}

impl Pbx {
    /// Exports a fresh configuration, points SIP at 127.0.0.1:`port` (UDP and TCP), sets known
    /// passwords, imports it and starts the daemon; returns once it logged `ready`.
    fn start() -> Pbx {
        require_sipp();
        let dir = tempfile::tempdir().expect("tempdir");
        let store = dir.path().join("store");
        let out = Command::new(bin("centrala"))
            .arg("--config-dir")
            .arg(&store)
            .args(["config", "export"])
            .output()
            .expect("centrala config export");
        assert!(out.status.success(), "{out:?}");
        let port = free_port();
        let text = edit_config(&String::from_utf8_lossy(&out.stdout), port);
        let file = dir.path().join("config.toml");
        std::fs::write(&file, text).expect("write config");
        let out = Command::new(bin("centrala"))
            .arg("--config-dir")
            .arg(&store)
            .args(["config", "import"])
            .arg(&file)
            .output()
            .expect("centrala config import");
        assert!(out.status.success(), "{out:?}");

        let mut child = Command::new(bin("centrala"))
            .arg("--config-dir")
            .arg(&store)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
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
        let mut pbx = Pbx {
            child,
            dir,
            port,
            log_rx,
            log: Vec::new(),
        };
        pbx.wait_for("ready");
        for t in ["udp", "tcp"] {
            let line = format!("SIP listening on {t} 127.0.0.1:{port}");
            assert!(pbx.log_text().contains(&line), "{}", pbx.log_text());
        }
        pbx
    }

    fn log_text(&self) -> String {
        self.log.join("\n")
    }

    /// Reads log lines until one contains `needle` (10 s at most).
    fn wait_for(&mut self, needle: &str) {
        if self.log.iter().any(|l| l.contains(needle)) {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.log_rx.recv_timeout(left) {
                Ok(line) => {
                    let done = line.contains(needle);
                    self.log.push(line);
                    if done {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no log line with {needle:?}; saw:\n{}", self.log_text());
    }

    /// Runs SIPp against the daemon with `scenario`, `-m 1` and a free local port; returns
    /// its exit code and, for failures, what it printed and logged.
    fn sipp(&self, name: &str, args: &[&str]) -> (i32, String) {
        self.sipp_from(free_port(), name, args)
    }

    fn sipp_from(&self, local_port: u16, name: &str, args: &[&str]) -> (i32, String) {
        let stem = format!("{}-{local_port}", name.trim_end_matches(".xml"));
        let errors = self.dir.path().join(format!("{stem}.errors.log"));
        let messages = self.dir.path().join(format!("{stem}.messages.log"));
        let out = Command::new("sipp")
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("-sf")
            .arg(scenario(name))
            .args(["-i", "127.0.0.1", "-mi", "127.0.0.1"])
            .args(["-p", &local_port.to_string()])
            .args(["-m", "1", "-timeout", "10s", "-timeout_error", "-nostdin"])
            .arg("-trace_err")
            .arg("-error_file")
            .arg(&errors)
            .arg("-trace_msg")
            .arg("-message_file")
            .arg(&messages)
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .expect("run sipp");
        let code = out.status.code().unwrap_or(-1);
        let report = format!(
            "sipp {name} {args:?} exited {code}\n--- stderr\n{}\n--- errors\n{}\n--- messages\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&errors).unwrap_or_default(),
            std::fs::read_to_string(&messages).unwrap_or_default(),
        );
        (code, report)
    }

    /// Asserts SIPp's exit code 0 (every call successful).
    fn sipp_ok(&self, name: &str, args: &[&str]) {
        let (code, report) = self.sipp(name, args);
        assert_eq!(code, 0, "{report}");
    }

    /// Stops the daemon with SIGTERM, checks it exits cleanly, and returns the whole log.
    fn stop(mut self) -> String {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
        let status = self.child.wait().expect("wait");
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

/// The exported default with SIP on 127.0.0.1:`port` and known passwords.
fn edit_config(exported: &str, port: u16) -> String {
    let mut out = String::new();
    let (mut addresses, mut passwords) = (0, 0);
    let mut user = String::new();
    for line in exported.lines() {
        let trimmed = line.trim();
        if let Some(name) = trimmed.strip_prefix("username = ") {
            user = name.trim_matches('"').to_owned();
        }
        if trimmed == r#"address = "0.0.0.0:5060""# {
            out.push_str(&format!("address = \"127.0.0.1:{port}\"\n"));
            addresses += 1;
        } else if trimmed.starts_with("password = ") {
            out.push_str(&format!("password = \"{}\"\n", password(&user)));
            passwords += 1;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert_eq!(
        addresses, 2,
        "expected UDP and TCP on 0.0.0.0:5060:\n{exported}"
    );
    assert_eq!(passwords, 3, "expected three devices:\n{exported}");
    out
}

#[test]
fn register_with_digest_authentication_and_a_wrong_password() {
    let mut pbx = Pbx::start();
    let pw = password("101");
    pbx.sipp_ok("register.xml", &["-s", "101", "-au", "101", "-ap", &pw]);
    pbx.wait_for("phone registered");
    pbx.sipp_ok(
        "register_forbidden.xml",
        &["-s", "102", "-au", "102", "-ap", "not-the-password"],
    );
    pbx.wait_for("SIP authentication failed");
    let log = pbx.stop();
    let registered = log
        .lines()
        .find(|l| l.contains("phone registered"))
        .unwrap_or_default();
    assert!(
        registered.contains("user=101") && registered.contains("expires=3600"),
        "{registered}"
    );
    let failed = log
        .lines()
        .find(|l| l.contains("SIP authentication failed"))
        .unwrap_or_default();
    assert!(
        failed.contains("method=REGISTER") && failed.contains("user=102"),
        "{failed}"
    );
}

#[test]
fn options_over_udp_and_tcp() {
    let pbx = Pbx::start();
    pbx.sipp_ok("options.xml", &[]);
    pbx.sipp_ok("options.xml", &["-t", "t1"]);
    pbx.stop();
}

#[test]
fn malformed_request_gets_400_and_unknown_method_501() {
    let pbx = Pbx::start();
    pbx.sipp_ok("malformed.xml", &[]);
    pbx.sipp_ok("unknown_method.xml", &[]);
    // The daemon is still serving.
    pbx.sipp_ok("options.xml", &[]);
    pbx.stop();
}

#[test]
fn invites_are_challenged_then_404_or_480_for_an_unreachable_employee() {
    let mut pbx = Pbx::start();
    let pw = password("101");
    let auth = ["-au", "101", "-ap", pw.as_str()];
    pbx.sipp_ok("invite_404.xml", &[&["-s", "999"][..], &auth].concat());
    pbx.wait_for("target=999");
    // Employee 102 has no registered phone: the router sends the call to voicemail, which is
    // not served yet, so the caller gets 480 saying so.
    pbx.sipp_ok(
        "invite_unreachable.xml",
        &[&["-s", "102"][..], &auth].concat(),
    );
    pbx.wait_for("call ended");
    // Wrong credentials on an INVITE: 403, never a call (the scenario fails).
    let (code, report) = pbx.sipp(
        "invite_unreachable.xml",
        &["-s", "102", "-au", "101", "-ap", "wrong-password"],
    );
    assert_ne!(code, 0, "{report}");
    assert!(report.contains("SIP/2.0 403 Forbidden"), "{report}");
    let log = pbx.stop();
    assert!(
        log.contains("no such number: answered 404 method=INVITE user=101 target=999"),
        "{log}"
    );
    assert!(
        log.contains("call started call=1 caller=101 dialled=102"),
        "{log}"
    );
    assert!(
        log.contains("call ended call=1 why=480 Temporarily Unavailable"),
        "{log}"
    );
}

/// An OPTIONS request from `local` to the daemon.
fn options(local: SocketAddr, port: u16, n: usize) -> String {
    format!(
        "OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {local};branch=z9hG4bK-flood-{n};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:scanner@{local}>;tag=f{n}\r\n\
         To: <sip:100@127.0.0.1>\r\n\
         Call-ID: flood-{n}@{local}\r\n\
         CSeq: 1 OPTIONS\r\n\
         User-Agent: friendly-scanner\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

/// Whether one OPTIONS from `socket` is answered within 500 ms.
fn answered(socket: &UdpSocket, port: u16, n: usize) -> bool {
    let local = socket.local_addr().expect("addr");
    socket
        .send_to(options(local, port, n).as_bytes(), ("127.0.0.1", port))
        .expect("send");
    socket
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let mut buf = [0u8; 4096];
    socket.recv_from(&mut buf).is_ok()
}

#[test]
fn a_flood_is_rate_limited_while_a_registered_phone_keeps_working() {
    const FLOOD: usize = 2000;
    const FLOOD_TIME: Duration = Duration::from_secs(3);
    let mut pbx = Pbx::start();
    let port = pbx.port;
    let pw = password("101");
    let register = ["-s", "101", "-au", "101", "-ap", pw.as_str()];
    // The phone registers from its own port before the flood.
    let phone_port = free_port();
    let (code, report) = pbx.sipp_from(phone_port, "register.xml", &register);
    assert_eq!(code, 0, "{report}");

    // The flood: FLOOD OPTIONS from one port of the same IP, spread over FLOOD_TIME, counting
    // the answers.
    let flooding = Arc::new(AtomicBool::new(true));
    let scanner = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let flood = {
        let flooding = flooding.clone();
        std::thread::spawn(move || {
            let local = scanner.local_addr().expect("addr");
            scanner.set_nonblocking(true).expect("nonblocking");
            let started = Instant::now();
            let mut buf = [0u8; 4096];
            let mut answers = 0;
            for n in 0..FLOOD {
                let due = started + FLOOD_TIME.mul_f64(n as f64 / FLOOD as f64);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let _ = scanner.send_to(options(local, port, n).as_bytes(), ("127.0.0.1", port));
                while scanner.recv_from(&mut buf).is_ok() {
                    answers += 1;
                }
            }
            flooding.store(false, Ordering::SeqCst);
            let elapsed = started.elapsed();
            scanner.set_nonblocking(false).expect("blocking");
            scanner
                .set_read_timeout(Some(Duration::from_millis(500)))
                .expect("timeout");
            while scanner.recv_from(&mut buf).is_ok() {
                answers += 1;
            }
            (answers, elapsed)
        })
    };

    std::thread::sleep(Duration::from_millis(700));
    pbx.wait_for("rate limiting SIP traffic");
    // During the flood: the registered phone re-registers (exempt: its binding's address and
    // port) ...
    let (code, report) = pbx.sipp_from(phone_port, "register.xml", &register);
    assert_eq!(code, 0, "{report}");
    // ... another IP is unaffected ...
    let other_ip = UdpSocket::bind("127.0.0.2:0").expect("bind 127.0.0.2");
    assert!(answered(&other_ip, port, 1), "127.0.0.2 was not answered");
    // ... and another, unregistered port of the flooding IP is limited with the scanner.
    let same_ip = UdpSocket::bind("127.0.0.1:0").expect("bind");
    assert!(
        !answered(&same_ip, port, 2),
        "an unregistered port was answered"
    );
    assert!(
        flooding.load(Ordering::SeqCst),
        "the flood ended before the checks; they did not run during it"
    );

    let (answers, elapsed) = flood.join().expect("flood thread");
    // A burst of 40, then 20/s (a little slack for timing).
    let allowed = 40.0 + 20.0 * (elapsed.as_secs_f64() + 1.0);
    assert!(
        answers >= 20 && (answers as f64) <= allowed,
        "{answers} of {FLOOD} flood requests answered in {elapsed:?} (at most {allowed})"
    );
    let log = pbx.stop();
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("rate limiting SIP traffic"))
        .collect();
    assert_eq!(warnings.len(), 1, "one line per source per 10 s:\n{log}");
    assert!(warnings[0].contains("source=127.0.0.1"), "{}", warnings[0]);
    assert_eq!(log.matches("phone registered").count(), 1, "{log}");
}

#[test]
fn an_address_that_cannot_be_bound_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    let out = Command::new(bin("centrala"))
        .arg("--config-dir")
        .arg(&store)
        .args(["config", "export"])
        .output()
        .expect("export");
    let port = free_port();
    let taken = UdpSocket::bind(("127.0.0.1", port)).expect("take the port");
    let file = dir.path().join("config.toml");
    let text = edit_config(&String::from_utf8_lossy(&out.stdout), port);
    std::fs::write(&file, text).expect("write");
    let import = Command::new(bin("centrala"))
        .arg("--config-dir")
        .arg(&store)
        .args(["config", "import"])
        .arg(&file)
        .output()
        .expect("import");
    assert!(import.status.success(), "{import:?}");
    let out = Command::new(bin("centrala"))
        .arg("--config-dir")
        .arg(&store)
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    drop(taken);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen for SIP on udp 127.0.0.1:{port}: ")),
        "{stderr}"
    );
    assert!(!stderr.lines().any(|l| l.ends_with(": ready")), "{stderr}");
}
