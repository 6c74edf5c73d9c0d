//! `centrala explain`: why a call at an entry point goes where it goes.

use std::path::Path;

use chrono::{DateTime, Utc};
use firmware_config::number::PhoneNumber;
use firmware_config::persist::ConfigStore;
use firmware_config::{text, Config};

use crate::cli::ExplainArgs;
use crate::routing::crm::Crm;
use crate::routing::explain::explain;

/// Runs `centrala explain`, printing text or JSON; the error is the message for the admin.
pub fn run(dir: &Path, args: &ExplainArgs) -> Result<(), String> {
    let config = load(dir, args.config.as_deref())?;
    let at = DateTime::parse_from_rfc3339(args.at.trim())
        .map_err(|e| format!("--at '{}': not an RFC 3339 time with an offset ({e}); e.g. 2026-11-23T18:30:00+01:00", args.at))?
        .with_timezone(&Utc);
    let from = match &args.from {
        Some(f) => Some(
            PhoneNumber::parse(f, Some(config.system.default_country_code))
                .map_err(|e| format!("--from '{f}': {e}"))?,
        ),
        None => None,
    };
    let explanation = explain(&config, &Crm::default(), &args.entry, at, from.as_ref())
        .map_err(|e| e.to_string())?;
    if args.json {
        let json = serde_json::to_string_pretty(&explanation).map_err(|e| e.to_string())?;
        println!("{json}");
    } else {
        print!("{}", explanation.to_text());
    }
    Ok(())
}

fn load(dir: &Path, file: Option<&Path>) -> Result<Config, String> {
    if let Some(f) = file {
        let t = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        return text::import(&t).map_err(|e| format!("{}: {e}", f.display()));
    }
    let loaded = ConfigStore::new(dir)
        .load()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    // Unlike the daemon, explain never writes: an empty store is an error, not a default.
    match loaded.value {
        Some((_, _, _, config)) => Ok(config),
        None => Err(format!(
            "no stored configuration in {} (give --config FILE)",
            dir.display()
        )),
    }
}
