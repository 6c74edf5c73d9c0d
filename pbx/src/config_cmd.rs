//! `centrala config check | export | import`.

use std::io::{Read, Write};
use std::path::Path;

use firmware_config::persist::{ConfigStore, SaveError, Startup};
use firmware_config::text::{self, ImportError};

use crate::cli::ConfigCommand;
use crate::daemon::report_startup;

/// Why a configuration command failed; printed for the admin, exit status 1.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The text is not a valid configuration.
    #[error("{path}: {source}")]
    Import {
        /// The file.
        path: String,
        /// What is wrong.
        source: ImportError,
    },
    /// The store could not be read or written.
    #[error("{0}")]
    Store(String),
}

/// Runs one configuration command against the store in `dir`.
pub fn run(dir: &Path, command: ConfigCommand) -> Result<(), CommandError> {
    match command {
        ConfigCommand::Check { file } => check(&file),
        ConfigCommand::Export { file } => export(dir, file.as_deref()),
        ConfigCommand::Import { file } => import(dir, &file),
    }
}

fn read_input(file: &Path) -> Result<String, CommandError> {
    let path = file.display().to_string();
    let mut text = String::new();
    let result = if file == Path::new("-") {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(file).map(|t| text = t)
    };
    result
        .map(|_| text)
        .map_err(|source| CommandError::File { path, source })
}

fn check(file: &Path) -> Result<(), CommandError> {
    let text = read_input(file)?;
    let path = file.display().to_string();
    let config = text::import(&text).map_err(|source| CommandError::Import {
        path: path.clone(),
        source,
    })?;
    println!(
        "{path}: valid ({} employees, {} groups, {} schedules, {} entry points, {} trunks, {} lines)",
        config.employees.len(),
        config.groups.len(),
        config.schedules.len(),
        config.entry_points.len(),
        config.trunks.len(),
        config.lines.len()
    );
    Ok(())
}

fn export(dir: &Path, file: Option<&Path>) -> Result<(), CommandError> {
    let mut store = ConfigStore::new(dir);
    let startup = store
        .startup()
        .map_err(|e| CommandError::Store(e.to_string()))?;
    report_startup(&startup);
    if let Startup::Fallback { .. } = startup {
        return Err(CommandError::Store(format!(
            "no stored configuration in {} can be read (see the log above); nothing exported",
            dir.display()
        )));
    }
    let out = text::export(startup.config()).map_err(|e| CommandError::Store(e.to_string()))?;
    match file {
        None => std::io::stdout()
            .write_all(out.as_bytes())
            .map_err(|source| CommandError::File {
                path: "standard output".into(),
                source,
            }),
        Some(f) => std::fs::write(f, out).map_err(|source| CommandError::File {
            path: f.display().to_string(),
            source,
        }),
    }
}

fn import(dir: &Path, file: &Path) -> Result<(), CommandError> {
    let text = read_input(file)?;
    let path = file.display().to_string();
    let config = text::import(&text).map_err(|source| CommandError::Import { path, source })?;
    let mut store = ConfigStore::new(dir);
    let running = running_daemon(&store);
    match store.save(&config) {
        Ok(w) => {
            eprintln!(
                "imported: saved as generation {} in slot {} of {}",
                w.generation,
                w.slot,
                dir.display()
            );
            if let Some(socket) = running {
                eprintln!(
                    "note: a daemon is running on this configuration (it answers on {socket}); \
                     it runs the imported one once restarted, and refuses console changes \
                     until then"
                );
            }
            Ok(())
        }
        Err(SaveError::Invalid(problems)) => {
            let list: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
            Err(CommandError::Store(format!(
                "refused:\n{}",
                list.join("\n")
            )))
        }
        Err(e) => Err(CommandError::Store(e.to_string())),
    }
}

/// The control socket of a daemon running on `store`'s configuration, if one answers.
fn running_daemon(store: &ConfigStore) -> Option<String> {
    let loaded = store.load().ok()?;
    let (_, _, _, config) = loaded.value?;
    let socket = config.system.control_socket.as_str().to_owned();
    std::os::unix::net::UnixStream::connect(&socket)
        .ok()
        .map(|_| socket)
}
