//! Names and numbers that must be well formed and unique.

use std::collections::HashMap;

use super::problem::{Location, Problem, ProblemKind, Section};
use crate::bounds::MIN_PASSWORD_LEN;
use crate::config::Config;

/// Builds the location of a field of the `index`-th item of a section.
pub(super) fn at(section: Section, index: usize, item: &str, field: &str) -> Location {
    Location {
        section,
        index: Some(index),
        item: item.to_string(),
        field: field.to_string(),
    }
}

/// Builds the location of a field of `system` or `webhook`.
pub(super) fn global(section: Section, field: &str) -> Location {
    Location {
        section,
        index: None,
        item: String::new(),
        field: field.to_string(),
    }
}

pub(super) fn push(out: &mut Vec<Problem>, location: Location, kind: ProblemKind) {
    out.push(Problem { location, kind });
}

pub(super) fn check(config: &Config, out: &mut Vec<Problem>) {
    check_names(config, out);
    check_extensions(config, out);
    check_devices(config, out);
    check_dids(config, out);
}

/// Every named item has a non-empty name of safe characters, unique in its section.
fn check_names(config: &Config, out: &mut Vec<Problem>) {
    let sections: [(Section, Vec<&str>); 5] = [
        (
            Section::Groups,
            config.groups.iter().map(|g| g.name.as_str()).collect(),
        ),
        (
            Section::Schedules,
            config.schedules.iter().map(|s| s.name.as_str()).collect(),
        ),
        (
            Section::EntryPoints,
            config
                .entry_points
                .iter()
                .map(|e| e.name.as_str())
                .collect(),
        ),
        (
            Section::Trunks,
            config.trunks.iter().map(|t| t.name.as_str()).collect(),
        ),
        (
            Section::Lines,
            config.lines.iter().map(|l| l.name.as_str()).collect(),
        ),
    ];
    for (section, names) in sections {
        let mut seen = HashMap::new();
        for (i, name) in names.iter().enumerate() {
            let loc = at(section, i, name, "name");
            if name.is_empty() {
                push(out, loc, ProblemKind::Empty);
            } else if !is_key(name) {
                push(out, loc, ProblemKind::BadName(name.to_string()));
            } else if seen.insert(*name, i).is_some() {
                push(out, loc, ProblemKind::DuplicateName(name.to_string()));
            }
        }
    }
    for (i, e) in config.employees.iter().enumerate() {
        if e.name.trim().is_empty() {
            push(
                out,
                at(Section::Employees, i, &e.extension.to_string(), "name"),
                ProblemKind::Empty,
            );
        }
    }
}

/// True for names that are safe to type on a command line and in a reference.
pub(super) fn is_key(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// Internal numbers are unique across employees, groups, internal entry points and the
/// voicemail number: a dialled number must reach exactly one thing.
fn check_extensions(config: &Config, out: &mut Vec<Problem>) {
    let mut owners: HashMap<String, String> = HashMap::new();
    let mut claim =
        |number: &str, owner: String, loc: Location, out: &mut Vec<Problem>| match owners
            .get(number)
        {
            Some(other) => push(
                out,
                loc,
                ProblemKind::DuplicateExtension {
                    number: number.into(),
                    other: other.clone(),
                },
            ),
            None => {
                owners.insert(number.into(), owner);
            }
        };
    for (i, e) in config.employees.iter().enumerate() {
        let n = e.extension.as_str();
        claim(
            n,
            format!("employee {n}"),
            at(Section::Employees, i, n, "extension"),
            out,
        );
    }
    for (i, g) in config.groups.iter().enumerate() {
        let n = g.number.as_str();
        claim(
            n,
            format!("group '{}'", g.name),
            at(Section::Groups, i, &g.name, "number"),
            out,
        );
    }
    for (i, e) in config.entry_points.iter().enumerate() {
        if let crate::entry::EntrySource::Internal(n) = &e.source {
            let loc = at(Section::EntryPoints, i, &e.name, "source.internal");
            claim(n.as_str(), format!("entry point '{}'", e.name), loc, out);
        }
    }
    if let Some(n) = &config.system.voicemail_number {
        let loc = global(Section::System, "voicemail_number");
        claim(n.as_str(), "the voicemail number".into(), loc, out);
    }
}

/// SIP user names are unique (they identify the phone that registers); passwords are long
/// enough not to fall to a SIP scanner's dictionary.
fn check_devices(config: &Config, out: &mut Vec<Problem>) {
    let mut users: HashMap<&str, &str> = HashMap::new();
    for (i, e) in config.employees.iter().enumerate() {
        let ext = e.extension.as_str();
        for (d, dev) in e.devices.iter().enumerate() {
            let field = |f: &str| at(Section::Employees, i, ext, &format!("devices[{d}].{f}"));
            if dev.username.is_empty() {
                push(out, field("username"), ProblemKind::Empty);
            } else if let Some(other) = users.insert(dev.username.as_str(), ext) {
                let kind = ProblemKind::DuplicateUsername {
                    name: dev.username.to_string(),
                    other: other.to_string(),
                };
                push(out, field("username"), kind);
            }
            let len = dev.password.chars().count();
            if len < MIN_PASSWORD_LEN {
                push(
                    out,
                    field("password"),
                    ProblemKind::WeakPassword {
                        len,
                        min: MIN_PASSWORD_LEN,
                    },
                );
            }
        }
    }
}

/// A trunk DID leads to one entry point only.
fn check_dids(config: &Config, out: &mut Vec<Problem>) {
    let mut seen: HashMap<String, String> = HashMap::new();
    for (i, e) in config.entry_points.iter().enumerate() {
        if let crate::entry::EntrySource::TrunkDid(d) = &e.source {
            let key = format!("{}/{}", d.trunk, d.did);
            if let Some(other) = seen.get(&key) {
                let kind = ProblemKind::DuplicateNumber {
                    number: d.did.to_string(),
                    other: format!("entry point '{other}'"),
                };
                push(
                    out,
                    at(Section::EntryPoints, i, &e.name, "source.trunk_did.did"),
                    kind,
                );
            } else {
                seen.insert(key, e.name.to_string());
            }
        }
    }
}
