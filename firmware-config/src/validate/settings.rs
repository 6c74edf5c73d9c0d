//! System settings, webhook, outside-call limits, trunks and lines.

use super::identity::{at, global, push};
use super::problem::{Problem, ProblemKind, Section};
use crate::bounds::MAX_OUTSIDE_CALLS_PER_HOUR;
use crate::config::Config;
use crate::line::Signalling;

pub(super) fn check(config: &Config, out: &mut Vec<Problem>) {
    check_system(config, out);
    check_webhook(config, out);
    check_outbound(config, out);
    check_storage(config, out);
    check_trunks(config, out);
    check_lines(config, out);
}

fn check_system(config: &Config, out: &mut Vec<Problem>) {
    let s = &config.system;
    let loc = |f: &str| global(Section::System, f);
    if s.name.trim().is_empty() {
        push(out, loc("name"), ProblemKind::Empty);
    }
    if s.sip_listen.is_empty() {
        push(out, loc("sip_listen"), ProblemKind::NoListen);
    }
    for (i, l) in s.sip_listen.iter().enumerate() {
        if let core::net::SocketAddr::V6(a) = l.address {
            if a.scope_id() != 0 {
                let msg = format!("{}: an interface scope (%{}) cannot be stored; listen on the address without it or on [::]", l.address, a.scope_id());
                push(
                    out,
                    loc(&format!("sip_listen[{i}].address")),
                    ProblemKind::BadPorts(msg),
                );
            }
        }
        if l.address.port() == 0 {
            push(
                out,
                loc(&format!("sip_listen[{i}].address")),
                ProblemKind::BadPorts("port 0 cannot be listened on".into()),
            );
        }
    }
    let r = s.rtp_ports;
    if r.first == 0 || r.last < r.first || u32::from(r.last) - u32::from(r.first) < 3 {
        let msg = format!(
            "RTP ports {}-{}: need a range of at least 4 ports, not starting at 0",
            r.first, r.last
        );
        push(out, loc("rtp_ports"), ProblemKind::BadPorts(msg));
    }
    for (field, path) in [
        ("control_socket", &s.control_socket),
        ("data_dir", &s.data_dir),
    ] {
        if !path.starts_with('/') {
            push(out, loc(field), ProblemKind::RelativePath(path.to_string()));
        }
    }
    if let Some(p) = &s.outbound_prefix {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            push(
                out,
                loc("outbound_prefix"),
                ProblemKind::NotDigits(p.to_string()),
            );
        }
    }
}

fn check_storage(config: &Config, out: &mut Vec<Problem>) {
    use crate::storage::{Store, MAX_WARN_PERCENT, MIN_WARN_PERCENT};
    let s = &config.storage;
    let loc = |f: &str| global(Section::Storage, f);
    for store in Store::ALL {
        let range = store.range_kib();
        let kib = s.kib(store);
        if !range.contains(&kib) {
            let (min, max) = (*range.start(), *range.end());
            push(
                out,
                loc(store.field()),
                ProblemKind::SizeLimit { kib, min, max },
            );
        }
    }
    if !(MIN_WARN_PERCENT..=MAX_WARN_PERCENT).contains(&s.warn_percent) {
        let kind = ProblemKind::WarnPercent {
            value: s.warn_percent,
            min: MIN_WARN_PERCENT,
            max: MAX_WARN_PERCENT,
        };
        push(out, loc("warn_percent"), kind);
    }
}

fn check_webhook(config: &Config, out: &mut Vec<Problem>) {
    if let Some(w) = &config.webhook {
        let loc = |f: &str| global(Section::Webhook, f);
        let rest = w
            .url
            .strip_prefix("http://")
            .or_else(|| w.url.strip_prefix("https://"));
        if rest.is_none_or(|r| r.is_empty() || r.starts_with('/')) {
            push(out, loc("url"), ProblemKind::BadUrl(w.url.to_string()));
        }
        if !(100..=60_000).contains(&w.timeout_ms) {
            let kind = ProblemKind::OutOfRange {
                value: w.timeout_ms,
                min: 100,
                max: 60_000,
            };
            push(out, loc("timeout_ms"), kind);
        }
    }
}

/// Per-employee limits within the office's, the hourly limit within what the guard keeps, and
/// each blocked prefix listed once.
fn check_outbound(config: &Config, out: &mut Vec<Problem>) {
    let o = &config.outbound;
    let loc = |f: &str| global(Section::Outbound, f);
    let pairs = [
        (
            "max_concurrent_per_employee",
            u32::from(o.max_concurrent_per_employee),
            "max_concurrent",
            u32::from(o.max_concurrent),
        ),
        (
            "max_per_hour_per_employee",
            u32::from(o.max_per_hour_per_employee),
            "max_per_hour",
            u32::from(o.max_per_hour),
        ),
    ];
    for (field, value, office_field, office) in pairs {
        if value > office {
            let kind = ProblemKind::AboveOfficeLimit {
                value,
                office_field,
                office,
            };
            push(out, loc(field), kind);
        }
    }
    if o.max_per_hour > MAX_OUTSIDE_CALLS_PER_HOUR {
        let kind = ProblemKind::OutOfRange {
            value: o.max_per_hour.into(),
            min: 0,
            max: MAX_OUTSIDE_CALLS_PER_HOUR.into(),
        };
        push(out, loc("max_per_hour"), kind);
    }
    for (i, p) in o.blocked_prefixes.iter().enumerate() {
        if o.blocked_prefixes[..i].contains(p) {
            let kind = ProblemKind::DuplicatePrefix(p.to_string());
            push(out, loc(&format!("blocked_prefixes[{i}]")), kind);
        }
    }
}

fn check_trunks(config: &Config, out: &mut Vec<Problem>) {
    for (i, t) in config.trunks.iter().enumerate() {
        let loc = |f: &str| at(Section::Trunks, i, &t.name, f);
        if t.host.trim().is_empty() {
            push(out, loc("host"), ProblemKind::Empty);
        }
        if t.port == 0 {
            push(
                out,
                loc("port"),
                ProblemKind::BadPorts("port 0 is not a SIP port".into()),
            );
        }
        if t.register && !(60..=86_400).contains(&t.register_expiry_secs) {
            let kind = ProblemKind::OutOfRange {
                value: t.register_expiry_secs,
                min: 60,
                max: 86_400,
            };
            push(out, loc("register_expiry_secs"), kind);
        }
    }
}

fn check_lines(config: &Config, out: &mut Vec<Problem>) {
    for (i, l) in config.lines.iter().enumerate() {
        let loc = |f: &str| at(Section::Lines, i, &l.name, f);
        for (field, dev) in [
            ("capture_device", &l.capture_device),
            ("playback_device", &l.playback_device),
        ] {
            if dev.trim().is_empty() {
                push(out, loc(field), ProblemKind::Empty);
            }
        }
        if !(1..=10).contains(&l.rings_before_answer) {
            let kind = ProblemKind::OutOfRange {
                value: l.rings_before_answer.into(),
                min: 1,
                max: 10,
            };
            push(out, loc("rings_before_answer"), kind);
        }
        match &l.signalling {
            Signalling::Gpio(g) if g.chip.trim().is_empty() => {
                push(out, loc("signalling.gpio.chip"), ProblemKind::Empty)
            }
            Signalling::AlsaControl(a) if a.card.trim().is_empty() => {
                push(out, loc("signalling.alsa_control.card"), ProblemKind::Empty);
            }
            Signalling::Socket(p) if !p.starts_with('/') => {
                push(
                    out,
                    loc("signalling.socket"),
                    ProblemKind::RelativePath(p.to_string()),
                );
            }
            _ => {}
        }
        if let Some(check) = &l.health_check {
            if check.time_zone.parse::<chrono_tz::Tz>().is_err() {
                let kind = ProblemKind::UnknownTimeZone(check.time_zone.to_string());
                push(out, loc("health_check.time_zone"), kind);
            }
        }
    }
}
