//! The System tab's items in words: the system settings, the outside-call limits and the
//! webhook, as labelled lines (the editors' rows and the difference a save makes).

use firmware_config::bounded::List;
use firmware_config::bounds::{MAX_LISTEN, MAX_PREFIXES};
use firmware_config::number::CountryCode;
use firmware_config::outbound::Outbound;
use firmware_config::storage::{kib_text, Storage, Store};
use firmware_config::system::{Listen, PortRange, System, ToneCountry, Transport, Webhook};

/// Added to the label of a setting the daemon reads only when it starts.
pub const AFTER_RESTART: &str = " (after a restart)";

/// A tone plan in words.
pub fn tone_country(t: ToneCountry) -> &'static str {
    match t {
        ToneCountry::PL => "PL (Poland)",
        ToneCountry::DE => "DE (Germany)",
        ToneCountry::GB => "GB (United Kingdom)",
        ToneCountry::US => "US (United States)",
    }
}

/// The listening sockets as they are typed: `udp 0.0.0.0:5060, tcp 0.0.0.0:5060`.
pub fn listen(l: &List<Listen, MAX_LISTEN>) -> String {
    let one = |x: &Listen| {
        let t = match x.transport {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        };
        format!("{t} {}", x.address)
    };
    l.iter().map(one).collect::<Vec<_>>().join(", ")
}

/// A port range as it is typed: `10000-10999`.
pub fn ports(r: PortRange) -> String {
    format!("{}-{}", r.first, r.last)
}

/// The country codes as they are typed (`+48, +49`); empty for every country.
pub fn country_codes(codes: &List<CountryCode, MAX_PREFIXES>) -> String {
    codes
        .iter()
        .map(|c| format!("+{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The system settings as labelled lines, in the editor's order. The four the daemon reads
/// only at start are labelled so ([`AFTER_RESTART`]).
pub fn system(s: &System) -> Vec<(String, String)> {
    let countries = match country_codes(&s.allowed_country_codes) {
        c if c.is_empty() => "every country".to_string(),
        c => c,
    };
    let restart = |label: &str| format!("{label}{AFTER_RESTART}");
    vec![
        ("office name".into(), s.name.to_string()),
        (
            "country code".into(),
            format!("+{}", s.default_country_code),
        ),
        ("tone country".into(), tone_country(s.tone_country).into()),
        (
            "outside prefix".into(),
            optional(s.outbound_prefix.as_deref()),
        ),
        (
            "voicemail number".into(),
            optional(s.voicemail_number.as_ref().map(|v| v.as_str())),
        ),
        ("outside calls to".into(), countries),
        (restart("SIP listen"), listen(&s.sip_listen)),
        (restart("RTP ports"), ports(s.rtp_ports)),
        (restart("control socket"), s.control_socket.to_string()),
        (restart("data directory"), s.data_dir.to_string()),
    ]
}

fn optional(v: Option<&str>) -> String {
    v.map(str::to_string).unwrap_or_else(|| "none".into())
}

/// A limit in words: `4`, or `0 (none)`.
fn limit(n: impl Into<u32>) -> String {
    match n.into() {
        0 => "0 (none)".into(),
        n => n.to_string(),
    }
}

/// The outside-call limits as labelled lines; each blocked prefix has a line of its own.
pub fn outbound(o: &Outbound) -> Vec<(String, String)> {
    let mut out = vec![
        ("office: calls at once".into(), limit(o.max_concurrent)),
        ("office: calls an hour".into(), limit(o.max_per_hour)),
        (
            "each employee: at once".into(),
            limit(o.max_concurrent_per_employee),
        ),
        (
            "each employee: an hour".into(),
            limit(o.max_per_hour_per_employee),
        ),
    ];
    for p in &o.blocked_prefixes {
        out.push((format!("blocked {p}"), "never dialled".into()));
    }
    out
}

/// The storage limits as labelled lines.
pub fn storage(s: &Storage) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Store::ALL
        .into_iter()
        .map(|store| (store.noun().to_string(), kib_text(s.kib(store))))
        .collect();
    out.push(("warn at".into(), format!("{} %", s.warn_percent)));
    out
}

/// A size in bytes in words: `512 B`, `12.3 KiB`, `4.0 MiB`, `1.2 GiB`.
pub fn bytes(n: u64) -> String {
    let units = [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in units {
        if n >= size {
            return format!("{:.1} {unit}", n as f64 / size as f64);
        }
    }
    format!("{n} B")
}

/// The webhook as labelled lines; the secret is never shown, a short fingerprint tells
/// whether it changed.
pub fn webhook(w: Option<&Webhook>) -> Vec<(String, String)> {
    let Some(w) = w else {
        return vec![("webhook".into(), "off".into())];
    };
    vec![
        ("webhook".into(), "on".into()),
        ("URL".into(), w.url.to_string()),
        ("secret".into(), secret(w)),
        ("timeout".into(), format!("{} ms", w.timeout_ms)),
    ]
}

/// The secret in words: none, or a fingerprint of it.
pub fn secret(w: &Webhook) -> String {
    match &w.secret {
        None => "none (unsigned)".into(),
        Some(s) => format!("set (#{:04x})", super::fingerprint(s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use firmware_config::default;

    #[test]
    fn restart_settings_say_so_and_secrets_stay_hidden() {
        let lines = system(&default::system());
        let restart: Vec<&str> = lines
            .iter()
            .filter(|(l, _)| l.ends_with(AFTER_RESTART))
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(restart.len(), 4);
        assert_eq!(restart[0], "udp 0.0.0.0:5060, tcp 0.0.0.0:5060");
        assert_eq!(restart[1], "10000-10999");
        let hook = Webhook {
            url: "https://x.example".try_into().expect("fits"),
            secret: Some("hunter22".try_into().expect("fits")),
            timeout_ms: 5000,
        };
        let lines = webhook(Some(&hook));
        assert!(lines.iter().all(|(_, v)| !v.contains("hunter22")));
        assert_eq!(webhook(None), [("webhook".to_string(), "off".to_string())]);
    }
}
