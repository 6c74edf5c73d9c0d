//! References between items, and queue groups that forward in a circle.

use super::identity::{at, push};
use super::problem::{Problem, ProblemKind, Section};
use crate::bounds::{RING_TIME_MAX_SECS, RING_TIME_MIN_SECS};
use crate::config::Config;
use crate::entry::{Destination, EntrySource};
use crate::group::{QueueGroup, Unanswered};
use crate::number::{Extension, PhoneNumber};

pub(super) fn check(config: &Config, out: &mut Vec<Problem>) {
    for (i, g) in config.groups.iter().enumerate() {
        check_group(config, i, g, out);
    }
    check_loops(config, out);
    for (i, e) in config.entry_points.iter().enumerate() {
        let loc = |f: &str| at(Section::EntryPoints, i, &e.name, f);
        match &e.source {
            EntrySource::AnalogLine(l) if config.line(l).is_none() => {
                push(
                    out,
                    loc("source.analog_line"),
                    ProblemKind::UnknownLine(l.to_string()),
                );
            }
            EntrySource::TrunkDid(d) if config.trunk(&d.trunk).is_none() => {
                push(
                    out,
                    loc("source.trunk_did.trunk"),
                    ProblemKind::UnknownTrunk(d.trunk.to_string()),
                );
            }
            _ => {}
        }
        match &e.destination {
            Destination::Employee(x) if config.employee(x).is_none() => {
                push(
                    out,
                    loc("destination.employee"),
                    ProblemKind::UnknownEmployee(x.to_string()),
                );
            }
            Destination::Group(g) if config.group(g).is_none() => {
                push(
                    out,
                    loc("destination.group"),
                    ProblemKind::UnknownGroup(g.to_string()),
                );
            }
            _ => {}
        }
        if let Some(s) = &e.schedule {
            if config.schedule(s).is_none() {
                push(
                    out,
                    loc("schedule"),
                    ProblemKind::UnknownSchedule(s.to_string()),
                );
            }
        }
    }
}

fn check_group(config: &Config, i: usize, g: &QueueGroup, out: &mut Vec<Problem>) {
    let loc = |f: &str| at(Section::Groups, i, &g.name, f);
    if g.members.is_empty() {
        push(out, loc("members"), ProblemKind::NoMembers);
    }
    for (m, member) in g.members.iter().enumerate() {
        let field = format!("members[{m}]");
        if config.employee(member).is_none() {
            push(
                out,
                loc(&field),
                ProblemKind::UnknownEmployee(member.to_string()),
            );
        } else if g.members[..m].contains(member) {
            push(
                out,
                loc(&field),
                ProblemKind::DuplicateMember(member.to_string()),
            );
        }
    }
    if !(RING_TIME_MIN_SECS..=RING_TIME_MAX_SECS).contains(&g.ring_time_secs) {
        let kind = ProblemKind::RingTime {
            secs: g.ring_time_secs,
            min: RING_TIME_MIN_SECS,
            max: RING_TIME_MAX_SECS,
        };
        push(out, loc("ring_time_secs"), kind);
    }
    match &g.unanswered {
        Unanswered::ForwardToLastMember => {
            if let Some(last) = g.members.last() {
                check_mobile(config, last, loc("unanswered"), out);
            }
        }
        Unanswered::ForwardToEmployee(x) => match config.employee(x) {
            None => push(
                out,
                loc("unanswered.forward_to_employee"),
                ProblemKind::UnknownEmployee(x.to_string()),
            ),
            Some(_) => check_mobile(config, x, loc("unanswered.forward_to_employee"), out),
        },
        Unanswered::ForwardToNumber(n) => {
            check_outside(config, n, loc("unanswered.forward_to_number"), out);
        }
        Unanswered::ForwardToGroup(t) if config.group(t).is_none() => {
            push(
                out,
                loc("unanswered.forward_to_group"),
                ProblemKind::UnknownGroup(t.to_string()),
            );
        }
        Unanswered::ForwardToGroup(_) | Unanswered::WaitForAgent => {}
    }
}

/// The employee a call is forwarded to needs an outside number the trunk may dial.
fn check_mobile(config: &Config, ext: &Extension, loc: super::Location, out: &mut Vec<Problem>) {
    match config.employee(ext).and_then(|e| e.mobile.as_ref()) {
        Some(n) => check_outside(config, n, loc, out),
        None if config.employee(ext).is_some() => {
            push(out, loc, ProblemKind::NoMobileNumber(ext.to_string()));
        }
        None => {}
    }
}

/// A number calls are forwarded to must be one the toll-fraud guard lets through: outside
/// calls on, in a country outside calls may reach, not starting with a blocked prefix.
pub(super) fn check_outside(
    config: &Config,
    n: &PhoneNumber,
    loc: super::Location,
    out: &mut Vec<Problem>,
) {
    let allowed = &config.system.allowed_country_codes;
    let cc = n.country_code();
    if !config.outbound.allows_outside_calls() {
        push(out, loc, ProblemKind::OutsideCallsOff);
    } else if !allowed.is_empty() && !allowed.contains(&cc) {
        push(out, loc, ProblemKind::CountryNotAllowed(cc.get()));
    } else if let Some(prefix) = config.outbound.blocked_prefix(n) {
        let kind = ProblemKind::BlockedNumber {
            number: n.to_string(),
            prefix: prefix.to_string(),
        };
        push(out, loc, kind);
    }
}

/// Each group forwards to at most one other group, so the forwarding graph is a set of chains;
/// follow each chain and report every circle once, starting at its first group in the list.
fn check_loops(config: &Config, out: &mut Vec<Problem>) {
    let next = |i: usize| -> Option<usize> {
        match &config.groups[i].unanswered {
            Unanswered::ForwardToGroup(t) => config.groups.iter().position(|g| g.name == *t),
            _ => None,
        }
    };
    for start in 0..config.groups.len() {
        let mut path = vec![start];
        let mut cur = start;
        while let Some(n) = next(cur) {
            if let Some(pos) = path.iter().position(|&p| p == n) {
                let cycle = &path[pos..];
                let first = cycle.iter().copied().min().unwrap_or(n);
                // Every node of a circle starts a walk; report it from its first node only.
                if first == start {
                    report_loop(config, cycle, out);
                }
                break;
            }
            path.push(n);
            cur = n;
        }
    }
}

fn report_loop(config: &Config, cycle: &[usize], out: &mut Vec<Problem>) {
    let mut names: Vec<String> = cycle
        .iter()
        .map(|&i| config.groups[i].name.to_string())
        .collect();
    names.push(names[0].clone());
    let g = &config.groups[cycle[0]];
    let loc = at(
        Section::Groups,
        cycle[0],
        &g.name,
        "unanswered.forward_to_group",
    );
    push(out, loc, ProblemKind::ForwardLoop(names));
}
