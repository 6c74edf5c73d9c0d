//! The daemon shell: loads the configuration, says what it serves, and runs until SIGTERM.

use std::path::Path;

use firmware_config::persist::{ConfigStore, Startup};
use firmware_config::store::{SlotReport, SlotState};
use firmware_config::Config;
use tracing::{error, info, warn};

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// Reading or creating the configuration failed.
    #[error(transparent)]
    Startup(#[from] firmware_config::persist::StartupError),
    /// The async runtime or the signal handlers could not be set up.
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
}

/// Loads the configuration from `dir` (or creates the default), logs it, and waits for SIGTERM
/// or SIGINT.
pub fn run(dir: &Path) -> Result<(), DaemonError> {
    let mut store = ConfigStore::new(dir);
    let startup = store.startup()?;
    report_startup(&startup);
    let config = startup.into_config();
    log_services(&config);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(DaemonError::Runtime)?;
    runtime
        .block_on(wait_for_shutdown())
        .map_err(DaemonError::Runtime)?;
    info!("shutting down");
    Ok(())
}

async fn wait_for_shutdown() -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    info!("ready");
    tokio::select! {
        _ = term.recv() => info!("SIGTERM received"),
        _ = int.recv() => info!("SIGINT received"),
    }
    Ok(())
}

/// Logs how the configuration was obtained; loudly when running on the factory default
/// because the stored slots could not be used.
pub fn report_startup(startup: &Startup) {
    match startup {
        Startup::Loaded {
            slot,
            generation,
            migrated_from,
            reports,
            ..
        } => {
            info!(%slot, generation, "configuration loaded");
            if let Some(v) = migrated_from {
                warn!(
                    from = v,
                    to = firmware_config::persist::SCHEMA_VERSION,
                    "configuration migrated from an older schema; it is rewritten at the next save"
                );
            }
            log_reports(reports);
        }
        Startup::Created { passwords, .. } => {
            warn!("no stored configuration: created the factory default (demo office)");
            for p in passwords {
                warn!(user = %p.username, password = %p.password, "SIP password generated; shown only this once");
            }
        }
        Startup::Fallback {
            passwords, reports, ..
        } => {
            error!("NO USABLE CONFIGURATION: every stored slot was refused; running on the FACTORY DEFAULT");
            error!("the refused slot files are left untouched for inspection; import a backup with `centrala config import`");
            log_reports(reports);
            for p in passwords {
                warn!(user = %p.username, password = %p.password, "SIP password generated for this run only; shown only this once");
            }
        }
    }
}

fn log_reports(reports: &[SlotReport; 2]) {
    for r in reports {
        match &r.state {
            SlotState::Rejected { reason, .. } => error!(slot = %r.slot, %reason, "slot refused"),
            SlotState::NewerSchema {
                generation,
                version,
            } => {
                warn!(slot = %r.slot, generation, version, "slot written by a newer Centrala; kept but not used")
            }
            _ => {}
        }
    }
}

/// Logs what the daemon serves with this configuration.
pub fn log_services(config: &Config) {
    let s = &config.system;
    info!(office = %s.name, country = %s.default_country_code, "serving");
    for l in s.sip_listen.iter() {
        info!(transport = ?l.transport, address = %l.address, "SIP listen address configured");
    }
    for e in config.employees.iter() {
        info!(extension = %e.extension, name = %e.name, devices = e.devices.len(), presence = ?e.presence, "employee");
    }
    for g in config.groups.iter() {
        info!(group = %g.name, number = %g.number, members = g.members.len(), distribution = ?g.distribution, "queue group");
    }
    for e in config.entry_points.iter() {
        info!(entry = %e.name, source = ?e.source, destination = ?e.destination, schedule = ?e.schedule.as_deref(), "entry point");
    }
    for t in config.trunks.iter() {
        info!(trunk = %t.name, host = %t.host, "SIP trunk");
    }
    for l in config.lines.iter() {
        info!(line = %l.name, capture = %l.capture_device, playback = %l.playback_device, "analog line");
    }
}
