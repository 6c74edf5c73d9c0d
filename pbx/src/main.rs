//! `centrala`: the PBX daemon and its configuration commands.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use pbx::cli::{Cli, Command};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        None | Some(Command::Run) => {
            let group = cli.control_group.as_deref();
            pbx::daemon::run(&cli.config_dir, cli.digest, group).map_err(|e| e.to_string())
        }
        Some(Command::Explain(args)) => pbx::explain_cmd::run(&cli.config_dir, &args),
        Some(Command::Contacts(cmd)) => {
            pbx::contacts_cmd::run(&cli.config_dir, cmd).map_err(|e| e.to_string())
        }
        Some(Command::Config(cmd)) => {
            pbx::config_cmd::run(&cli.config_dir, cmd).map_err(|e| e.to_string())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("centrala: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to standard error. `RUST_LOG` takes a level and per-module levels
/// (`info,pbx::routing=debug`); an invalid value is reported and `info` used.
fn init_logging() {
    let spec = std::env::var("RUST_LOG").unwrap_or_default();
    let (filter, bad) = match spec.trim() {
        "" => (Targets::new().with_default(tracing::Level::INFO), None),
        s => match s.parse::<Targets>() {
            Ok(t) => (t, None),
            Err(e) => (Targets::new().with_default(tracing::Level::INFO), Some(e)),
        },
    };
    let fmt = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    tracing_subscriber::registry().with(fmt).with(filter).init();
    if let Some(e) = bad {
        tracing::warn!(%spec, error = %e, "RUST_LOG not understood; logging at info");
    }
}
