//! Whole-configuration validation: every problem at once, each naming the item and field.
//!
//! Validation never stops at the first problem: an administrator fixing a provisioning file
//! wants the full list. Each [`Problem`] says where ([`Location`]) and what ([`ProblemKind`]).

mod identity;
mod problem;
mod references;
mod schedules;
mod settings;

pub use problem::{Location, Problem, ProblemKind, Section};

use crate::config::Config;

/// Checks a configuration and returns every problem found (empty when it is valid).
pub fn validate(config: &Config) -> Vec<Problem> {
    let mut out = Vec::new();
    identity::check(config, &mut out);
    references::check(config, &mut out);
    schedules::check(config, &mut out);
    settings::check(config, &mut out);
    out
}

/// Checks a configuration, returning it back if valid, or every problem.
pub fn validated(config: Config) -> Result<Config, Vec<Problem>> {
    let problems = validate(&config);
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests;
