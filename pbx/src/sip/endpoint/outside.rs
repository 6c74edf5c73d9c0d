//! Calls that cross a SIP trunk: a provider's INVITE to one of our DIDs, an employee's
//! outside number, and the router's forwards to a number.
//!
//! Decisions:
//! - **A provider is recognised by its address**: the address and port its host resolves
//!   to, where Centrala registers and sends calls — providers do not authenticate to their
//!   customers. The port counts too, so phones on the provider's IP (or a test's loopback)
//!   are still phones; a provider that sends calls from other servers than the one it is
//!   configured as is not recognised (its calls are challenged like a phone's). What a
//!   provider sends can only reach an entry point ([`Target::Entry`]) — never the trunk
//!   again — so a forged INVITE costs nothing but a call to the office. Messages from a
//!   provider are not rate limited (it carries many callers).
//! - **Only two things reach a trunk**: an authenticated employee dialling the outbound
//!   prefix (the INVITE was challenged and checked like any other), and the router's own
//!   forwards. An unauthenticated INVITE for an outside number is challenged like any other
//!   and logged ([`Event::OutsideRefused`]); a provider's INVITE for an unknown DID gets 404.
//! - **The toll-fraud guard** ([`crate::routing::toll`]) admits every outside call before it
//!   goes out — an employee's against their own and the office's limits, a forward of the
//!   router's against the office's — and is told when the call is gone
//!   ([`Action::Released`]). A refusal ends the call with 403 and the reason in a `Warning`.
//! - The trunk for an outside call is the first configured trunk whose address is known.

use firmware_config::number::{CountryCode, PhoneNumber};
use firmware_config::trunk::SipTrunk;

use super::*;
use crate::routing::{CallId, Caller, Target};
use crate::sip::b2bua::OutsideRoute;

impl Endpoint {
    /// The trunk whose provider sent a message from `from`, if any.
    pub(super) fn trunk_at(&self, from: SocketAddr) -> Option<&SipTrunk> {
        let from = canonical(from);
        self.config.trunks.iter().find(|t| {
            let address = self.trunks.address(t);
            matches!(address, Some(Ok(a)) if canonical(a) == from)
        })
    }

    /// Where an employee's dialled number goes: an internal number, or an outside number
    /// after the outbound prefix; `None` when it leads nowhere.
    pub(super) fn dialled_target(&self, dialled: &str) -> Option<Target> {
        if let Ok(ext) = Extension::parse(dialled) {
            if leads_somewhere(&self.config, dialled) {
                return Some(Target::Dialled(ext));
            }
        }
        let rest = self.outside_digits(dialled)?;
        let country = Some(self.config.system.default_country_code);
        PhoneNumber::parse(rest, country).ok().map(Target::Outside)
    }

    /// The number after the outbound prefix, when `dialled` is one and a trunk exists.
    fn outside_digits<'a>(&self, dialled: &'a str) -> Option<&'a str> {
        let prefix = self.config.system.outbound_prefix.as_ref()?;
        let rest = dialled.strip_prefix(prefix.as_str())?;
        leads_somewhere(&self.config, dialled).then_some(rest)
    }

    /// An INVITE outside a dialog from a trunk's provider: a call to one of our DIDs.
    pub(super) fn inbound_call(
        &mut self,
        key: &ServerKey,
        p: Pending,
        trunk: String,
    ) -> Option<(Reply, Pending)> {
        let dialled = p
            .request()
            .and_then(|r| r.uri.user())
            .unwrap_or_default()
            .to_owned();
        let country = self.config.system.default_country_code;
        let entry = provider_number(&dialled, country).and_then(|did| self.did_entry(&trunk, &did));
        let Some(entry) = entry else {
            self.emit(Event::NotConnected {
                method: Method::Invite,
                user: format!("trunk {trunk}"),
                target: dialled,
                status: 404,
            });
            return Some((Reply::new(404, "Not Found"), p));
        };
        let caller = outside_caller(&p.parsed, country);
        self.entry_call(key, p, caller, dialled, entry)
    }

    /// Hands the B2BUA a call from `caller` (and their display name) for `entry`: a
    /// provider's call to a DID, or a call an analog line answered.
    pub(super) fn entry_call(
        &mut self,
        key: &ServerKey,
        p: Pending,
        (caller, caller_name): (Caller, String),
        dialled: String,
        entry: String,
    ) -> Option<(Reply, Pending)> {
        let new = NewCall {
            key: key.clone(),
            invite: p.parsed.clone(),
            source: Destination {
                addr: p.from,
                transport: tx_transport(p.transport),
            },
            tag: self.tag(&p.parsed.head),
            caller,
            caller_name,
            dialled,
            target: Target::Entry(entry),
        };
        let reply = self.b2bua.invite(self.now, new)?;
        Some((reply, p))
    }

    /// The entry point of `trunk`'s DID `did`.
    fn did_entry(&self, trunk: &str, did: &PhoneNumber) -> Option<String> {
        self.config
            .entry_points
            .iter()
            .find_map(|e| match &e.source {
                EntrySource::TrunkDid(d) if d.trunk.as_str() == trunk && d.did == *did => {
                    Some(e.name.to_string())
                }
                _ => None,
            })
    }

    /// An INVITE for an outside number whose sender did not (or could not) authenticate.
    pub(super) fn outside_unauthenticated(&mut self, p: &Pending, dialled: &str, status: u16) {
        if self.outside_digits(dialled).is_none() {
            return;
        }
        self.emit(Event::OutsideRefused {
            source: Some(p.from),
            by: None,
            target: dialled.to_owned(),
            why: match status {
                403 => "wrong credentials".to_owned(),
                _ => "not authenticated".to_owned(),
            },
        });
    }

    /// The router sends call `call` out to `number`: through the first idle line that may
    /// carry outside calls, else the first trunk with a known address, if the toll-fraud
    /// guard admits it.
    pub(super) fn dial_out(&mut self, call: CallId, number: PhoneNumber) {
        let by = self.b2bua.dialled_out_by(call).cloned();
        if let Err(refusal) = self.toll.admit(self.now, call, by.as_ref(), &number) {
            let why = refusal.to_string();
            self.emit(Event::OutsideRefused {
                source: None,
                by,
                target: number.to_string(),
                why: why.clone(),
            });
            return self.b2bua.refuse_outside(self.now, call, 403, &why);
        }
        let trunk = self.config.trunks.iter().find_map(|t| {
            let addr = self.trunks.address(t)?.ok()?;
            Some(OutsideRoute {
                trunk: t.name.to_string(),
                addr,
                host: t.host.to_string(),
                port: t.port,
                username: t.username.to_string(),
                password: t.password.to_string(),
                caller_id: t.caller_id.clone(),
            })
        });
        let route = self.line_route().or(trunk);
        let now = self.now;
        match route {
            Some(route) => self.b2bua.dial_out(now, call, number, route),
            None => {
                let why = "no idle analog line or reachable SIP trunk for outside calls";
                self.b2bua.refuse_outside(now, call, 503, why)
            }
        }
    }
}

/// An address with an IPv4-mapped IPv6 address made plain IPv4.
fn canonical(a: SocketAddr) -> SocketAddr {
    SocketAddr::new(a.ip().to_canonical(), a.port())
}

/// Who a provider says is calling: the From user part as a phone number (national numbers
/// completed with our country), withheld when anonymous or unreadable; and the display name.
fn outside_caller(invite: &Parsed, country: CountryCode) -> (Caller, String) {
    let from = message::header(invite, "From").unwrap_or_default();
    let name = display_name(from);
    let user = rsip::Uri::try_from(address_of(from))
        .ok()
        .and_then(|u| u.user().map(str::to_owned))
        .unwrap_or_default();
    let private = message::header(invite, "Privacy").is_some_and(|p| p.contains("id"));
    if private || user.eq_ignore_ascii_case("anonymous") {
        return (Caller::Withheld, name);
    }
    match provider_number(&user, country) {
        Some(n) => (Caller::Number(n), name),
        None => (Caller::Withheld, name),
    }
}

/// A number as providers write it in a URI's user part: international with `+` or `00`,
/// national with a leading `0`, or — common among providers — international without any
/// prefix (`48221234567`): digits starting with our country code, ten or more of them.
/// Anything else is national.
fn provider_number(user: &str, country: CountryCode) -> Option<PhoneNumber> {
    let digits_only = !user.is_empty() && user.bytes().all(|b| b.is_ascii_digit());
    let code = country.to_string();
    if digits_only && !user.starts_with('0') && user.starts_with(&code) && user.len() >= 10 {
        return PhoneNumber::parse(&format!("+{user}"), None).ok();
    }
    PhoneNumber::parse(user, Some(country)).ok()
}

/// The URI inside a name-addr (`"Name" <sip:…>;tag=…`), or the whole value for an addr-spec.
fn address_of(value: &str) -> &str {
    match (value.find('<'), value.find('>')) {
        (Some(a), Some(b)) if a < b => &value[a + 1..b],
        _ => value.split(';').next().unwrap_or_default().trim(),
    }
}

/// The display name of a name-addr, without quotes.
pub(super) fn display_name(value: &str) -> String {
    let before = value.split('<').next().unwrap_or_default().trim();
    before.trim_matches('"').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite(from: &str, privacy: Option<&str>) -> Parsed {
        let privacy = privacy
            .map(|p| format!("Privacy: {p}\r\n"))
            .unwrap_or_default();
        let text = format!(
            "INVITE sip:48221234567@10.0.0.1 SIP/2.0\r\n\
             Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKx\r\n\
             From: {from};tag=a\r\nTo: <sip:48221234567@10.0.0.1>\r\n\
             Call-ID: c\r\nCSeq: 1 INVITE\r\n{privacy}Content-Length: 0\r\n\r\n"
        );
        wire::parse(text.as_bytes()).expect("parses")
    }

    fn pl() -> CountryCode {
        CountryCode::new(48).expect("48")
    }

    fn n(s: &str) -> Option<PhoneNumber> {
        PhoneNumber::parse(s, None).ok()
    }

    #[test]
    fn provider_numbers_in_every_usual_form() {
        for form in [
            "+48221234567",
            "0048221234567",
            "48221234567",
            "0221234567",
            "221234567",
        ] {
            assert_eq!(provider_number(form, pl()), n("+48221234567"), "{form}");
        }
        assert_eq!(provider_number("+4930123456", pl()), n("+4930123456"));
        assert_eq!(provider_number("", pl()), None);
        assert_eq!(provider_number("abc", pl()), None);
    }

    #[test]
    fn a_providers_caller_is_read_from_the_from_header() {
        let (c, name) = outside_caller(&invite("\"Jan\" <sip:+48601234567@p.example>", None), pl());
        assert_eq!(
            c,
            Caller::Number(PhoneNumber::parse("+48601234567", None).expect("n"))
        );
        assert_eq!(name, "Jan");
        let (c, _) = outside_caller(&invite("<sip:0601234567@p.example>", None), pl());
        assert_eq!(
            c,
            Caller::Number(PhoneNumber::parse("+48601234567", None).expect("n"))
        );
        let (c, _) = outside_caller(&invite("<sip:anonymous@anonymous.invalid>", None), pl());
        assert_eq!(c, Caller::Withheld);
        let (c, _) = outside_caller(&invite("<sip:+48601234567@p.example>", Some("id")), pl());
        assert_eq!(c, Caller::Withheld);
        let (c, _) = outside_caller(&invite("<sip:somebody@p.example>", None), pl());
        assert_eq!(c, Caller::Withheld);
    }
}
