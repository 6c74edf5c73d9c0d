//! `centrala`: the PBX daemon and its configuration commands.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use pbx::cli::{Cli, Command};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        None | Some(Command::Run) => pbx::daemon::run(&cli.config_dir).map_err(|e| e.to_string()),
        Some(Command::Explain(args)) => pbx::explain_cmd::run(&cli.config_dir, &args),
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
