//! Parsers of the System tab's fields: the system settings, the outside-call limits and the
//! webhook. Each returns the value or the reason, in words; the daemon checks again on save.

use std::net::SocketAddr;

use firmware_config::bounded::{List, Text};
use firmware_config::bounds::{
    MAX_LISTEN, MAX_OUTSIDE_CALLS_PER_HOUR, MAX_PREFIXES, PATH_LEN, SECRET_LEN, URL_LEN,
};
use firmware_config::number::{CountryCode, Extension};
use firmware_config::outbound::NumberPrefix;
use firmware_config::storage::{kib_text, Store, MAX_WARN_PERCENT, MIN_WARN_PERCENT};
use firmware_config::system::{Listen, PortRange, Transport};

/// The shortest webhook delivery time the daemon accepts, in milliseconds.
pub const TIMEOUT_MIN_MS: u32 = 100;
/// The longest webhook delivery time the daemon accepts, in milliseconds.
pub const TIMEOUT_MAX_MS: u32 = 60_000;
/// The delivery time a new webhook starts with (the configuration schema's default).
pub const TIMEOUT_DEFAULT_MS: u32 = 5000;

/// A country calling code such as `48` (a leading `+` is allowed).
pub fn country_code(s: &str) -> Result<CountryCode, String> {
    let s = s.trim();
    let digits = s.strip_prefix('+').unwrap_or(s);
    let code: u16 = digits
        .parse()
        .map_err(|_| format!("'{s}' is not a country code (e.g. 48)"))?;
    CountryCode::new(code).map_err(|_| format!("+{code} is not an assigned country code"))
}

/// The country codes outside calls may reach: `48, 49`; empty for every country.
pub fn country_codes(s: &str) -> Result<List<CountryCode, MAX_PREFIXES>, String> {
    let mut out = List::new();
    for word in s.split([',', ' ']).filter(|w| !w.is_empty()) {
        let code = country_code(word)?;
        if out.contains(&code) {
            return Err(format!("+{code} is listed twice"));
        }
        out.push(code)
            .map_err(|_| format!("at most {MAX_PREFIXES} country codes"))?;
    }
    Ok(out)
}

/// The digits dialled before an outside number (1–4 digits); empty for none.
pub fn outbound_prefix(s: &str) -> Result<Option<Text<4>>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{s}' must be digits only"));
    }
    Text::new(s)
        .map(Some)
        .map_err(|_| format!("'{s}' is too long: at most 4 digits"))
}

/// An internal number, or none when empty.
pub fn optional_extension(s: &str) -> Result<Option<Extension>, String> {
    match s.trim() {
        "" => Ok(None),
        t => super::extension(t).map(Some),
    }
}

/// SIP listening sockets: `udp 0.0.0.0:5060, tcp [::]:5060`.
pub fn listen(s: &str) -> Result<List<Listen, MAX_LISTEN>, String> {
    let mut out = List::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let one = listen_one(part)?;
        if out.contains(&one) {
            return Err(format!("'{part}' is listed twice"));
        }
        out.push(one)
            .map_err(|_| format!("at most {MAX_LISTEN} listening addresses"))?;
    }
    if out.is_empty() {
        return Err("at least one address is needed, e.g. udp 0.0.0.0:5060".into());
    }
    Ok(out)
}

fn listen_one(part: &str) -> Result<Listen, String> {
    let (word, address) = part
        .split_once(' ')
        .ok_or_else(|| format!("'{part}': write udp or tcp, then address:port"))?;
    let transport = match word.to_lowercase().as_str() {
        "udp" => Transport::Udp,
        "tcp" => Transport::Tcp,
        other => return Err(format!("'{other}' is not udp or tcp")),
    };
    let address: SocketAddr = address
        .trim()
        .parse()
        .map_err(|_| format!("'{}' is not address:port", address.trim()))?;
    if address.port() == 0 {
        return Err(format!("{address}: port 0 cannot be listened on"));
    }
    Ok(Listen { transport, address })
}

/// The RTP port range, `10000-10999`: at least 4 ports, not starting at 0.
pub fn port_range(s: &str) -> Result<PortRange, String> {
    let s = s.trim();
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("'{s}': write first-last, e.g. 10000-10999"))?;
    let port = |p: &str| {
        p.trim()
            .parse::<u16>()
            .map_err(|_| format!("'{}' is not a port (1–65535)", p.trim()))
    };
    let (first, last) = (port(a)?, port(b)?);
    if first == 0 {
        return Err("the range cannot start at port 0".into());
    }
    if last < first {
        return Err(format!("the range is reversed: {first} is above {last}"));
    }
    if last - first < 3 {
        return Err(format!("{first}-{last} is too small: at least 4 ports"));
    }
    Ok(PortRange { first, last })
}

/// An absolute path (a socket, a directory).
pub fn absolute_path(s: &str) -> Result<Text<PATH_LEN>, String> {
    let s = s.trim();
    if !s.starts_with('/') {
        return Err(format!("'{s}' must be an absolute path (start with /)"));
    }
    Text::new(s).map_err(|e| format!("the path {e}"))
}

/// A storage limit in KiB for `store`: `8 MiB`, `8M`, `512 KiB`, `512k`, `1 GiB`, or a bare
/// number of MiB; within the store's range.
pub fn size_kib(s: &str, store: Store) -> Result<u32, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("'{t}' is not a size (e.g. 8 MiB or 512 KiB)"))?;
    let factor = match unit.trim().to_lowercase().as_str() {
        "" | "m" | "mb" | "mib" => 1024,
        "k" | "kb" | "kib" => 1,
        "g" | "gb" | "gib" => 1024 * 1024,
        other => return Err(format!("'{other}' is not KiB, MiB or GiB")),
    };
    let range = store.range_kib();
    let kib = n.saturating_mul(factor);
    let (min, max) = (*range.start(), *range.end());
    if kib == 0 {
        return Err(format!("0 would keep nothing: at least {}", kib_text(min)));
    }
    match u32::try_from(kib) {
        Ok(k) if k < min => Err(format!(
            "at least {} for the {}",
            kib_text(min),
            store.noun()
        )),
        Ok(k) if k <= max => Ok(k),
        _ => Err(format!(
            "at most {} for the {}",
            kib_text(max),
            store.noun()
        )),
    }
}

/// The warning level: a percentage of a limit, 50–99 (a trailing `%` is allowed).
pub fn warn_percent(s: &str) -> Result<u8, String> {
    let t = s.trim().trim_end_matches('%').trim();
    let n: u8 = t.parse().map_err(|_| {
        format!("'{t}' is not a percentage ({MIN_WARN_PERCENT}–{MAX_WARN_PERCENT})")
    })?;
    if !(MIN_WARN_PERCENT..=MAX_WARN_PERCENT).contains(&n) {
        return Err(format!(
            "{n} % is out of range: {MIN_WARN_PERCENT}–{MAX_WARN_PERCENT} %"
        ));
    }
    Ok(n)
}

/// A limit of calls at once: 0–255 (0 = none allowed).
pub fn calls_at_once(s: &str) -> Result<u8, String> {
    let s = s.trim();
    s.parse()
        .map_err(|_| format!("'{s}' is not a number of calls (0–255)"))
}

/// A limit of calls an hour: 0 up to what the toll-fraud guard keeps (0 = none allowed).
pub fn calls_per_hour(s: &str) -> Result<u16, String> {
    let s = s.trim();
    let n: u16 = s
        .parse()
        .map_err(|_| format!("'{s}' is not a number of calls"))?;
    if n > MAX_OUTSIDE_CALLS_PER_HOUR {
        return Err(format!(
            "{n} is out of range: at most {MAX_OUTSIDE_CALLS_PER_HOUR} an hour"
        ));
    }
    Ok(n)
}

/// A blocked number prefix in international form, `+4870`.
pub fn number_prefix(s: &str) -> Result<NumberPrefix, String> {
    NumberPrefix::parse(s).map_err(|e| format!("'{}': {e}", s.trim()))
}

/// The webhook's address: `http://` or `https://` and a host.
pub fn url(s: &str) -> Result<Text<URL_LEN>, String> {
    let s = s.trim();
    let rest = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"));
    match rest {
        None => Err(format!("'{s}' must start with http:// or https://")),
        Some(r) if r.is_empty() || r.starts_with('/') || r.contains(' ') => {
            Err(format!("'{s}' has no host after the scheme"))
        }
        Some(_) => Text::new(s).map_err(|e| format!("the address {e}")),
    }
}

/// The webhook's signing secret; none (unsigned) when empty.
pub fn secret(s: &str) -> Result<Option<Text<SECRET_LEN>>, String> {
    match s.trim() {
        "" => Ok(None),
        t => Text::new(t)
            .map(Some)
            .map_err(|e| format!("the secret {e}")),
    }
}

/// How long one webhook delivery may take, in milliseconds.
pub fn timeout_ms(s: &str) -> Result<u32, String> {
    let s = s.trim();
    let ms: u32 = s
        .parse()
        .map_err(|_| format!("'{s}' is not a number of milliseconds"))?;
    if !(TIMEOUT_MIN_MS..=TIMEOUT_MAX_MS).contains(&ms) {
        return Err(format!(
            "{ms} ms is out of range: between {TIMEOUT_MIN_MS} and {TIMEOUT_MAX_MS} ms"
        ));
    }
    Ok(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_are_refused_with_the_reason() {
        assert!(country_code("abc").unwrap_err().contains("not a country"));
        assert!(country_code("999").unwrap_err().contains("not an assigned"));
        assert!(country_codes("48, 48").unwrap_err().contains("twice"));
        assert!(outbound_prefix("0a").unwrap_err().contains("digits only"));
        assert!(outbound_prefix("00000").unwrap_err().contains("at most 4"));
        assert!(listen("").unwrap_err().contains("at least one"));
        assert!(listen("sctp 0.0.0.0:5060").unwrap_err().contains("sctp"));
        assert!(listen("udp 0.0.0.0:0").unwrap_err().contains("port 0"));
        assert!(listen("udp localhost")
            .unwrap_err()
            .contains("address:port"));
        assert!(port_range("10999-10000").unwrap_err().contains("reversed"));
        assert!(port_range("0-100").unwrap_err().contains("port 0"));
        assert!(port_range("5000-5002").unwrap_err().contains("at least 4"));
        assert!(port_range("5000").unwrap_err().contains("first-last"));
        assert!(port_range("5000-70000").unwrap_err().contains("70000"));
        assert!(absolute_path("var/lib").unwrap_err().contains("absolute"));
        assert!(calls_at_once("256").unwrap_err().contains("0–255"));
        assert!(calls_at_once("x").is_err());
        assert!(calls_per_hour("3601").unwrap_err().contains("at most 3600"));
        assert!(number_prefix("4870").unwrap_err().contains("international"));
        assert!(url("ftp://x").unwrap_err().contains("http://"));
        assert!(url("https://").unwrap_err().contains("no host"));
        assert!(timeout_ms("50").unwrap_err().contains("out of range"));
        assert!(timeout_ms("soon").unwrap_err().contains("not a number"));
        assert!(optional_extension("1a").is_err());
    }

    #[test]
    fn good_settings_read_as_meant() {
        assert_eq!(country_code("+49").map(u16::from), Ok(49));
        let codes = country_codes("48, 49 44").expect("codes");
        let codes: Vec<u16> = codes.iter().map(|c| c.get()).collect();
        assert_eq!(codes, [48, 49, 44]);
        assert!(country_codes(" ").expect("empty").is_empty());
        assert_eq!(outbound_prefix(""), Ok(None));
        assert_eq!(
            outbound_prefix(" 0 ").map(|p| p.map(|t| t.to_string())),
            Ok(Some("0".into()))
        );
        let l = listen("udp 0.0.0.0:5060, TCP [::]:5061").expect("listen");
        assert_eq!(l.len(), 2);
        assert_eq!(l[1].transport, Transport::Tcp);
        assert_eq!(l[1].address.port(), 5061);
        assert_eq!(
            port_range(" 10000 - 10999 "),
            Ok(PortRange {
                first: 10000,
                last: 10999
            })
        );
        assert_eq!(calls_per_hour("3600"), Ok(3600));
        assert_eq!(
            number_prefix("+48 70").map(|p| p.to_string()),
            Ok("+4870".into())
        );
        assert!(url("https://crm.example.com/hook").is_ok());
        assert_eq!(secret(""), Ok(None));
        assert_eq!(timeout_ms("2500"), Ok(2500));
        assert_eq!(optional_extension(""), Ok(None));
    }
}
