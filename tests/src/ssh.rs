//! A private OpenSSH server on 127.0.0.1 for the console's SSH path (TESTING.md): its own
//! config, host key and client key in a temp dir, public-key authentication only, logging in
//! as the user running the tests. A key can carry a forced command (`command="…"` in
//! `authorized_keys`), which is how an appliance admin account opens the console straight away.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::ports::free_port;

/// Where Debian installs the server.
const SSHD: &str = "/usr/sbin/sshd";

/// A running private sshd; killed on drop.
pub struct SshServer {
    dir: tempfile::TempDir,
    port: u16,
    child: Child,
}

/// A client key the server accepts, optionally bound to a forced command.
pub struct ClientKey {
    path: PathBuf,
}

impl SshServer {
    /// Starts sshd accepting `forced_command` keys: each entry is a forced command for one
    /// client key (`None`: a plain login key). Returns the server and the keys, in order.
    pub fn start(forced_commands: &[Option<&str>]) -> (SshServer, Vec<ClientKey>) {
        let dir = tempfile::tempdir().expect("sshd dir");
        keygen(&dir.path().join("host_key"));
        let mut authorized = String::new();
        let mut keys = Vec::new();
        for (i, forced) in forced_commands.iter().enumerate() {
            let path = dir.path().join(format!("client_key_{i}"));
            keygen(&path);
            let public = std::fs::read_to_string(path.with_extension("pub")).expect("public key");
            if let Some(command) = forced {
                let escaped = command.replace('"', "\\\"");
                authorized.push_str(&format!("command=\"{escaped}\",no-port-forwarding "));
            }
            authorized.push_str(public.trim());
            authorized.push('\n');
            keys.push(ClientKey { path });
        }
        let authorized_path = dir.path().join("authorized_keys");
        std::fs::write(&authorized_path, authorized).expect("authorized_keys");
        let port = free_port();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nPidFile {pid}\n\
             AuthorizedKeysFile {authorized}\nPubkeyAuthentication yes\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n\
             StrictModes no\nPermitRootLogin prohibit-password\nPrintMotd no\nPrintLastLog no\n\
             AcceptEnv TERM\nLogLevel VERBOSE\n",
            host = dir.path().join("host_key").display(),
            pid = dir.path().join("sshd.pid").display(),
            authorized = authorized_path.display(),
        );
        let config_path = dir.path().join("sshd_config");
        std::fs::write(&config_path, config).expect("sshd_config");
        // Privilege separation needs this directory (as root); harmless otherwise.
        let _ = std::fs::create_dir_all("/run/sshd");
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("sshd.log")).expect("sshd log"))
            .spawn()
            .expect("sshd starts (scripts/setup.sh installs openssh-server)");
        let server = SshServer { dir, port, child };
        server.wait_listening();
        (server, keys)
    }

    fn wait_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "sshd did not listen on {}:\n{}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's log (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// The `ssh -tt` command line that logs in with `key` (running `command` when the key has
    /// no forced command), as one shell string for tmux.
    pub fn ssh_command(&self, key: &ClientKey, command: Option<&str>) -> String {
        let user = whoami();
        let mut line = format!(
            "ssh -tt -p {port} -i {key} -o StrictHostKeyChecking=no \
             -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes \
             -o SendEnv=TERM {user}@127.0.0.1",
            port = self.port,
            key = key.path.display(),
        );
        if let Some(c) = command {
            line.push(' ');
            line.push_str(&shell_quote(c));
        }
        line
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An ed25519 key pair at `path` (and `path.pub`), without a passphrase.
fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "centrala-e2e", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen runs");
    assert!(status.success(), "ssh-keygen failed for {}", path.display());
}

/// The login name of the user running the tests.
pub fn whoami() -> String {
    let out = Command::new("id").arg("-un").output().expect("id -un");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `s` as one single-quoted shell word.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
