//! Saves configurations into a store in a tight loop until killed: the crash test kills it at
//! random moments and checks that the store always loads.
//!
//! Usage: `store-torture DIR`. Prints `ready` once the first save is done; each saved
//! configuration's system name carries its save counter, so the test can check that what
//! loads is one that was really saved.

use std::io::Write;
use std::process::ExitCode;

use firmware_config::bounded::Text;
use firmware_config::persist::ConfigStore;
use firmware_config::sample::{office, BENCH};

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: store-torture DIR");
        return ExitCode::FAILURE;
    };
    let mut store = ConfigStore::new(dir);
    let mut config = office(BENCH, 1);
    for n in 0u64.. {
        config.system.name = Text::new(&format!("torture {n}")).unwrap_or_default();
        if let Err(e) = store.save(&config) {
            eprintln!("store-torture: save {n} failed: {e}");
            return ExitCode::FAILURE;
        }
        if n == 0 {
            println!("ready");
            let _ = std::io::stdout().flush();
        }
    }
    ExitCode::SUCCESS
}
