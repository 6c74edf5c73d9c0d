//! `centrala-console`: the administrator's console.
//!
//! The console talks to the daemon's control socket, which the daemon does not serve yet
//! (issue "The console"). Until then it checks the socket and says so, so that an SSH login
//! wired to it already behaves predictably.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Centrala's administrator console.
#[derive(Debug, Parser)]
#[command(name = "centrala-console", version, about)]
struct Args {
    /// The daemon's control socket.
    #[arg(
        long,
        env = "CENTRALA_SOCKET",
        default_value = "/run/centrala/control.sock"
    )]
    socket: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match std::os::unix::net::UnixStream::connect(&args.socket) {
        Ok(_) => {
            eprintln!(
                "centrala-console: connected to {}, but this build has no console screens yet",
                args.socket.display()
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!(
                "centrala-console: cannot reach the daemon at {}: {e}",
                args.socket.display()
            );
            ExitCode::FAILURE
        }
    }
}
