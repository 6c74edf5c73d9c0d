//! The registrar: who may register, where each employee's phones are, and digest
//! authentication of every other request (the one place that knows SIP passwords). Sans-IO:
//! time is passed in as `DateTime<Utc>`, the nonce key at construction.
//!
//! Decisions, per RFC 3261 §10.3 and common practice (Asterisk, Kamailio):
//!
//! - **Who owns an address of record.** A REGISTER's To user (the AOR) must be the
//!   authenticated device's own user name, or its employee's extension; anything else is 403.
//!   Bindings belong to the authenticated *device*: the 200 response lists that device's
//!   contacts, and `Contact: *` removes only that device's bindings, so one phone signing off
//!   never unregisters the employee's other phones. Ringing an employee uses
//!   [`Registrar::contacts_of`], which gathers all devices.
//! - **Authentication answers.** No credentials, a nonce this server did not issue, another
//!   realm, or something unsupported: 401 with fresh challenges (SHA-256, then MD5). An expired
//!   nonce with a right response, or a replayed nonce count: 401 with `stale=true`, so the
//!   phone retries silently. A wrong response to a valid nonce: 403 (as Asterisk does), not
//!   another 401, so a misconfigured phone does not loop. A malformed header: 400.
//! - **Unknown user names are indistinguishable.** They get the same challenges; their
//!   credentials are checked against a decoy password (same work, same nonce checks, so a
//!   stale nonce still gets `stale=true`), and the final answer is 403, as for a wrong password.
//! - **Expiry.** Per contact: its `expires` parameter, else the `Expires` header, else 3600 s.
//!   0 removes the binding; 1–59 s fails the whole request with 423 and `Min-Expires: 60`;
//!   more than 3600 s is shortened to 3600 s. `Contact: *` needs `Expires: 0` and no other
//!   contact (else 400).
//! - **Ordering (§10.3 step 7).** A binding with the same Call-ID and a CSeq not higher than
//!   the stored one aborts the whole request, unchanged, with 500 (the code RFC 3261 §12.2.2
//!   uses for an out-of-order CSeq); a different Call-ID replaces the binding.
//! - **Bounds.** At most [`MAX_CONTACTS_PER_DEVICE`] contacts per device; a new one beyond that
//!   evicts the device's binding closest to expiry that this request did not write (phones that
//!   reboot onto a new port leave old contacts behind). The total is bounded by the
//!   configuration: employees × devices × contacts.
//! - **Binding identity.** Contact URIs are compared as sent (phones resend them verbatim).
//!   The source address and transport of the latest REGISTER are kept with each binding, so
//!   requests to a phone behind NAT go where its REGISTER came from.

use core::fmt;
use core::net::SocketAddr;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use firmware_config::number::Extension;
use firmware_config::system::Transport;
use firmware_config::Config;

use super::digest::{Credentials, DigestAuth, ParseError, Verdict};

/// Shortest registration accepted, in seconds (423 below it).
pub const MIN_EXPIRES: u32 = 60;
/// Longest registration granted, in seconds (longer requests are shortened).
pub const MAX_EXPIRES: u32 = 3600;
/// Registration time when the request names none, in seconds.
pub const DEFAULT_EXPIRES: u32 = 3600;
/// Contacts one device may have registered at once.
pub const MAX_CONTACTS_PER_DEVICE: usize = 5;
/// The password unknown user names are checked against (the result is never accepted).
const DECOY_PASSWORD: &str = "centrala-decoy-password";

/// One `Contact` entry of a REGISTER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactEntry {
    /// `Contact: *` (remove all bindings; only with `Expires: 0`).
    Wildcard,
    /// A contact address.
    Uri {
        /// The contact URI as sent, without angle brackets or header parameters.
        uri: String,
        /// The contact's `expires` parameter, in seconds.
        expires: Option<u32>,
    },
}

/// What the registrar needs from a REGISTER request (the transport and wire layers extract it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRequest {
    /// The user part of the To URI: the address of record being registered.
    pub aor_user: String,
    /// The request method (`REGISTER`), as used in the digest.
    pub method: String,
    /// The `Authorization` header value, if any.
    pub authorization: Option<String>,
    /// The Contact entries, in order; empty for a query.
    pub contacts: Vec<ContactEntry>,
    /// The `Expires` header, in seconds.
    pub expires: Option<u32>,
    /// The Call-ID.
    pub call_id: String,
    /// The CSeq number.
    pub cseq: u32,
    /// Where the request came from (the NAT's public address for a phone behind one).
    pub source: SocketAddr,
    /// The transport it came over.
    pub transport: Transport,
}

/// A registered contact of one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The employee the device belongs to.
    pub extension: Extension,
    /// The device's SIP user name.
    pub username: String,
    /// The contact URI.
    pub contact: String,
    /// When the binding lapses.
    pub expires_at: DateTime<Utc>,
    /// The Call-ID of the REGISTER that last wrote it.
    pub call_id: String,
    /// The CSeq of the REGISTER that last wrote it.
    pub cseq: u32,
    /// Where that REGISTER came from: send requests for this contact there.
    pub source: SocketAddr,
    /// The transport it came over.
    pub transport: Transport,
}

/// The answer to a REGISTER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterOutcome {
    /// 401: send each value as its own `WWW-Authenticate` header, in order.
    Challenge {
        /// The challenges, most preferred algorithm first.
        www_authenticate: Vec<String>,
    },
    /// 403: wrong credentials, an unknown user, or an AOR the user does not own.
    Forbidden,
    /// 200: the device's current bindings, each with its remaining seconds (send each as a
    /// `Contact` with an `expires` parameter).
    Ok {
        /// `(contact URI, seconds left)`.
        contacts: Vec<(String, u32)>,
    },
    /// 423: send `Min-Expires` with this value.
    IntervalTooBrief {
        /// The shortest registration accepted, in seconds.
        min_expires: u32,
    },
    /// 400 with the reason as the reason phrase.
    BadRequest(BadRegister),
    /// 500: an older or repeated request for a binding (same Call-ID, CSeq not higher).
    OutOfOrder,
}

impl RegisterOutcome {
    /// The SIP status code to answer with.
    pub fn status_code(&self) -> u16 {
        match self {
            RegisterOutcome::Challenge { .. } => 401,
            RegisterOutcome::Forbidden => 403,
            RegisterOutcome::Ok { .. } => 200,
            RegisterOutcome::IntervalTooBrief { .. } => 423,
            RegisterOutcome::BadRequest(_) => 400,
            RegisterOutcome::OutOfOrder => 500,
        }
    }
}

/// Why a REGISTER is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadRegister {
    /// The Authorization header could not be read.
    #[error("bad Authorization header: {0}")]
    Authorization(ParseError),
    /// `Contact: *` came with other contacts.
    #[error("Contact * must be the only contact")]
    WildcardWithOthers,
    /// `Contact: *` came without `Expires: 0`.
    #[error("Contact * requires Expires: 0")]
    WildcardNeedsExpiresZero,
    /// A contact has an empty URI.
    #[error("empty Contact URI")]
    EmptyContact,
}

/// Why a request other than REGISTER is not authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// Answer 401 (or 407 from a proxy role) with these challenges, in order.
    Challenge {
        /// The challenge values, most preferred algorithm first.
        www_authenticate: Vec<String>,
    },
    /// Answer 403: wrong credentials or an unknown user.
    Forbidden,
    /// Answer 400: the header is malformed.
    BadRequest(ParseError),
}

impl From<AuthFailure> for RegisterOutcome {
    fn from(failure: AuthFailure) -> RegisterOutcome {
        match failure {
            AuthFailure::Challenge { www_authenticate } => {
                RegisterOutcome::Challenge { www_authenticate }
            }
            AuthFailure::Forbidden => RegisterOutcome::Forbidden,
            AuthFailure::BadRequest(e) => {
                RegisterOutcome::BadRequest(BadRegister::Authorization(e))
            }
        }
    }
}

/// An authenticated device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The device's SIP user name.
    pub username: String,
    /// The employee it belongs to.
    pub extension: Extension,
}

/// One SIP account from the configuration.
#[derive(Clone)]
struct Account {
    password: String,
    extension: Extension,
}

/// What a REGISTER asks for, once checked.
enum Plan {
    /// No Contact: list the bindings.
    Query,
    /// `Contact: *`: remove all the device's bindings.
    RemoveAll,
    /// Add, refresh (expires > 0) or remove (expires = 0) these contacts.
    Update(Vec<(String, u32)>),
}

/// The registrar and authenticator of the appliance's SIP devices.
pub struct Registrar {
    digest: DigestAuth,
    accounts: BTreeMap<String, Account>,
    /// Each device's bindings, by user name.
    bindings: BTreeMap<String, Vec<Binding>>,
}

impl fmt::Debug for Registrar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bound: usize = self.bindings.values().map(Vec::len).sum();
        f.debug_struct("Registrar")
            .field("digest", &self.digest)
            .field("accounts", &self.accounts.keys().collect::<Vec<_>>())
            .field("bindings", &bound)
            .finish()
    }
}

impl Registrar {
    /// A registrar for the devices in `config`, answering challenges for `realm`, with nonces
    /// keyed by `secret` (from the system's random source at start-up).
    pub fn new(config: &Config, realm: impl Into<String>, secret: [u8; 32]) -> Registrar {
        Registrar::with_digest(config, DigestAuth::new(realm, secret))
    }

    /// A registrar using a configured [`DigestAuth`] (nonce lifetime, offered algorithms).
    pub fn with_digest(config: &Config, digest: DigestAuth) -> Registrar {
        Registrar {
            digest,
            accounts: accounts(config),
            bindings: BTreeMap::new(),
        }
    }

    /// Takes a new configuration: bindings of devices that still exist stay (following their
    /// device if it moved to another employee); bindings of removed devices are dropped.
    pub fn replace_config(&mut self, config: &Config) {
        self.accounts = accounts(config);
        let accounts = &self.accounts;
        self.bindings.retain(|name, _| accounts.contains_key(name));
        for (name, list) in &mut self.bindings {
            let Some(account) = accounts.get(name) else {
                continue;
            };
            for b in list.iter_mut() {
                b.extension = account.extension.clone();
            }
        }
    }

    /// Handles one REGISTER at `now`.
    pub fn register(&mut self, now: DateTime<Utc>, req: RegisterRequest) -> RegisterOutcome {
        let who = match self.authenticate(now, &req.method, req.authorization.as_deref()) {
            Ok(who) => who,
            Err(failure) => return failure.into(),
        };
        if req.aor_user != who.username && req.aor_user != who.extension.as_str() {
            return RegisterOutcome::Forbidden;
        }
        let plan = match plan(&req) {
            Ok(plan) => plan,
            Err(outcome) => return outcome,
        };
        self.drop_expired_of(now, &who.username);
        if let Err(outcome) = self.apply(now, &who, &req, plan) {
            return outcome;
        }
        let contacts = self.listing(now, &who.username);
        RegisterOutcome::Ok { contacts }
    }

    /// Authenticates any request (INVITE, REFER, MESSAGE, ...) from a device by its
    /// `Authorization` (or `Proxy-Authorization`) value, with the same rules as REGISTER.
    /// Nonce counts are remembered, so a captured header cannot be replayed.
    pub fn authenticate(
        &mut self,
        now: DateTime<Utc>,
        method: &str,
        authorization: Option<&str>,
    ) -> Result<Authenticated, AuthFailure> {
        let Some(header) = authorization else {
            return Err(self.challenge(now, false));
        };
        let creds = match Credentials::parse(header) {
            Ok(creds) => creds,
            Err(ParseError::Unsupported(_)) => return Err(self.challenge(now, false)),
            Err(e) => return Err(AuthFailure::BadRequest(e)),
        };
        let account = self.accounts.get(&creds.username).cloned();
        let password = account.as_ref().map_or(DECOY_PASSWORD, |a| &a.password);
        let verdict = self.digest.verify_once(now, method, &creds, password);
        match (verdict, account) {
            (Verdict::Ok, Some(account)) => Ok(Authenticated {
                username: creds.username,
                extension: account.extension,
            }),
            (Verdict::Ok | Verdict::WrongPassword, _) => Err(AuthFailure::Forbidden),
            (Verdict::Stale | Verdict::Replayed, _) => Err(self.challenge(now, true)),
            (Verdict::BadNonce | Verdict::WrongRealm | Verdict::Unsupported(_), _) => {
                Err(self.challenge(now, false))
            }
        }
    }

    /// Fresh challenges (SHA-256, then MD5 by default), e.g. for a request that came without
    /// credentials.
    pub fn challenge(&self, now: DateTime<Utc>, stale: bool) -> AuthFailure {
        let www_authenticate = self.digest.challenges(now, stale);
        AuthFailure::Challenge { www_authenticate }
    }

    /// Every binding not yet expired at `now`, by device user name (read-only, for status).
    pub fn bindings(&self, now: DateTime<Utc>) -> impl Iterator<Item = &Binding> + '_ {
        self.bindings
            .values()
            .flatten()
            .filter(move |b| b.expires_at > now)
    }

    /// All live contacts of all devices of the employee: where to ring them.
    pub fn contacts_of(&self, now: DateTime<Utc>, extension: &Extension) -> Vec<Binding> {
        self.live(now)
            .filter(|b| &b.extension == extension)
            .cloned()
            .collect()
    }

    /// Whether any device of the employee is registered.
    pub fn is_registered(&self, now: DateTime<Utc>, extension: &Extension) -> bool {
        self.live(now).any(|b| &b.extension == extension)
    }

    /// The live contacts of one device.
    pub fn device_contacts(&self, now: DateTime<Utc>, username: &str) -> Vec<Binding> {
        let list = self.bindings.get(username).map(Vec::as_slice);
        let live = list
            .unwrap_or_default()
            .iter()
            .filter(|b| b.expires_at > now);
        live.cloned().collect()
    }

    /// Removes every binding that has lapsed by `now` and returns them (for logging and for
    /// telling the router the phones are gone).
    pub fn expire(&mut self, now: DateTime<Utc>) -> Vec<Binding> {
        let mut gone = Vec::new();
        for list in self.bindings.values_mut() {
            let (dead, live): (Vec<Binding>, Vec<Binding>) =
                list.drain(..).partition(|b| b.expires_at <= now);
            *list = live;
            gone.extend(dead);
        }
        self.bindings.retain(|_, list| !list.is_empty());
        gone
    }

    /// When the next binding lapses: call [`Registrar::expire`] then.
    pub fn poll_timeout(&self) -> Option<DateTime<Utc>> {
        self.bindings.values().flatten().map(|b| b.expires_at).min()
    }

    fn live(&self, now: DateTime<Utc>) -> impl Iterator<Item = &Binding> {
        let all = self.bindings.values().flatten();
        all.filter(move |b| b.expires_at > now)
    }

    fn drop_expired_of(&mut self, now: DateTime<Utc>, username: &str) {
        if let Some(list) = self.bindings.get_mut(username) {
            list.retain(|b| b.expires_at > now);
        }
    }

    /// Carries out a checked plan, all or nothing.
    fn apply(
        &mut self,
        now: DateTime<Utc>,
        who: &Authenticated,
        req: &RegisterRequest,
        plan: Plan,
    ) -> Result<(), RegisterOutcome> {
        let list = self.bindings.entry(who.username.clone()).or_default();
        match plan {
            Plan::Query => {}
            Plan::RemoveAll => {
                check_order(list.iter(), req)?;
                list.clear();
            }
            Plan::Update(changes) => {
                let touched = list
                    .iter()
                    .filter(|b| changes.iter().any(|c| c.0 == b.contact));
                check_order(touched, req)?;
                for (uri, expires) in changes {
                    write_binding(list, now, who, req, uri, expires);
                }
                evict_beyond_cap(list, req);
            }
        }
        if list.is_empty() {
            self.bindings.remove(&who.username);
        }
        Ok(())
    }

    /// `(contact, seconds left)` of the device's live bindings.
    fn listing(&self, now: DateTime<Utc>, username: &str) -> Vec<(String, u32)> {
        let bindings = self.device_contacts(now, username);
        bindings
            .into_iter()
            .map(|b| (b.contact, seconds_left(now, b.expires_at)))
            .collect()
    }
}

/// The accounts of a configuration by user name; a user name configured twice belongs to
/// nobody (validation refuses such a configuration, and guessing would be unsafe).
fn accounts(config: &Config) -> BTreeMap<String, Account> {
    let mut out = BTreeMap::new();
    let mut twice = BTreeSet::new();
    for employee in config.employees.iter() {
        for device in &employee.devices {
            let account = Account {
                password: device.password.as_str().to_owned(),
                extension: employee.extension.clone(),
            };
            if out
                .insert(device.username.as_str().to_owned(), account)
                .is_some()
            {
                twice.insert(device.username.as_str().to_owned());
            }
        }
    }
    out.retain(|name, _| !twice.contains(name));
    out
}

/// Checks a REGISTER's contacts and expiry times.
fn plan(req: &RegisterRequest) -> Result<Plan, RegisterOutcome> {
    let bad = |why| Err(RegisterOutcome::BadRequest(why));
    if req.contacts.contains(&ContactEntry::Wildcard) {
        if req.contacts.len() != 1 {
            return bad(BadRegister::WildcardWithOthers);
        }
        if req.expires != Some(0) {
            return bad(BadRegister::WildcardNeedsExpiresZero);
        }
        return Ok(Plan::RemoveAll);
    }
    if req.contacts.is_empty() {
        return Ok(Plan::Query);
    }
    let mut changes = Vec::with_capacity(req.contacts.len());
    for entry in &req.contacts {
        let ContactEntry::Uri { uri, expires } = entry else {
            continue;
        };
        if uri.trim().is_empty() {
            return bad(BadRegister::EmptyContact);
        }
        let asked = expires.or(req.expires).unwrap_or(DEFAULT_EXPIRES);
        if asked != 0 && asked < MIN_EXPIRES {
            let min_expires = MIN_EXPIRES;
            return Err(RegisterOutcome::IntervalTooBrief { min_expires });
        }
        changes.push((uri.clone(), asked.min(MAX_EXPIRES)));
    }
    Ok(Plan::Update(changes))
}

/// RFC 3261 §10.3 step 7: a binding written under the same Call-ID with a CSeq at least as
/// high aborts the request.
fn check_order<'a>(
    mut bindings: impl Iterator<Item = &'a Binding>,
    req: &RegisterRequest,
) -> Result<(), RegisterOutcome> {
    let stale = bindings.any(|b| b.call_id == req.call_id && req.cseq <= b.cseq);
    if stale {
        Err(RegisterOutcome::OutOfOrder)
    } else {
        Ok(())
    }
}

/// Adds, refreshes or (with `expires` 0) removes one contact of a device.
fn write_binding(
    list: &mut Vec<Binding>,
    now: DateTime<Utc>,
    who: &Authenticated,
    req: &RegisterRequest,
    uri: String,
    expires: u32,
) {
    list.retain(|b| b.contact != uri);
    if expires == 0 {
        return;
    }
    list.push(Binding {
        extension: who.extension.clone(),
        username: who.username.clone(),
        contact: uri,
        expires_at: now
            .checked_add_signed(TimeDelta::seconds(i64::from(expires)))
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
        call_id: req.call_id.clone(),
        cseq: req.cseq,
        source: req.source,
        transport: req.transport,
    });
}

/// Keeps at most [`MAX_CONTACTS_PER_DEVICE`] bindings, dropping first those this request did
/// not write, closest to expiry first.
fn evict_beyond_cap(list: &mut Vec<Binding>, req: &RegisterRequest) {
    while list.len() > MAX_CONTACTS_PER_DEVICE {
        let victim = list
            .iter()
            .enumerate()
            .min_by_key(|(_, b)| (b.call_id == req.call_id && b.cseq == req.cseq, b.expires_at))
            .map(|(i, _)| i);
        match victim {
            Some(i) => {
                list.remove(i);
            }
            None => return,
        }
    }
}

/// Whole seconds until `at`, rounded up (a binding with 0.5 s left reports 1).
fn seconds_left(now: DateTime<Utc>, at: DateTime<Utc>) -> u32 {
    let millis = at.signed_duration_since(now).num_milliseconds().max(0);
    u32::try_from((millis + 999) / 1000).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::digest::{expected_response, Algorithm, NonceCount, Qop, QopParams};
    use firmware_config::bounded::{List, Table, Text};
    use firmware_config::employee::{Employee, Presence, SipDevice};

    const REALM: &str = "office.example";

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    fn secs(n: i64) -> TimeDelta {
        TimeDelta::seconds(n)
    }

    fn ext(s: &str) -> Extension {
        Extension::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn text<const N: usize>(s: &str) -> Text<N> {
        Text::new(s).unwrap_or_else(|_| panic!("{s} too long"))
    }

    fn employee(extension: &str, devices: &[(&str, &str)]) -> Employee {
        let mut list = List::new();
        for (username, password) in devices {
            let device = SipDevice {
                username: text(username),
                password: text(password),
            };
            assert!(list.push(device).is_ok());
        }
        Employee {
            extension: ext(extension),
            name: text(&format!("Employee {extension}")),
            mobile: None,
            presence: Presence::Available,
            devices: list,
        }
    }

    fn config(employees: Vec<Employee>) -> Config {
        let employees = Table::from_vec(employees).unwrap_or_else(|_| panic!("too many"));
        Config {
            system: firmware_config::default::system(),
            webhook: None,
            outbound: Default::default(),
            storage: Default::default(),
            employees,
            groups: Table::new(),
            schedules: Table::new(),
            entry_points: Table::new(),
            trunks: Table::new(),
            lines: Table::new(),
        }
    }

    /// 101 has a desk phone and a softphone; 102 has one phone.
    fn office() -> Config {
        config(vec![
            employee(
                "101",
                &[("101", "desk-pw-101"), ("101-soft", "soft-pw-101")],
            ),
            employee("102", &[("102", "desk-pw-102")]),
        ])
    }

    fn registrar() -> Registrar {
        Registrar::new(&office(), REALM, [42; 32])
    }

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, 10], port))
    }

    /// A simulated phone: user name, password, Call-ID and CSeq counter.
    struct Phone {
        user: &'static str,
        password: &'static str,
        call_id: String,
        cseq: u32,
        nc: u32,
        algorithm: Algorithm,
        nonce: Option<String>,
    }

    impl Phone {
        fn new(user: &'static str, password: &'static str) -> Phone {
            Phone {
                user,
                password,
                call_id: format!("call-{user}@192.0.2.10"),
                cseq: 0,
                nc: 0,
                algorithm: Algorithm::Md5,
                nonce: None,
            }
        }

        fn contact(&self) -> String {
            format!("sip:{}@192.0.2.10:5060", self.user)
        }

        fn request(
            &mut self,
            contacts: Vec<ContactEntry>,
            expires: Option<u32>,
        ) -> RegisterRequest {
            self.cseq += 1;
            RegisterRequest {
                aor_user: self.user.into(),
                method: "REGISTER".into(),
                authorization: self.authorization(),
                contacts,
                expires,
                call_id: self.call_id.clone(),
                cseq: self.cseq,
                source: addr(5060),
                transport: Transport::Udp,
            }
        }

        fn authorization(&mut self) -> Option<String> {
            let nonce = self.nonce.clone()?;
            self.nc += 1;
            let mut creds = Credentials {
                username: self.user.into(),
                realm: REALM.into(),
                nonce,
                uri: "sip:office.example".into(),
                response: String::new(),
                algorithm: self.algorithm,
                qop: Some(QopParams {
                    qop: Qop::Auth,
                    cnonce: format!("cn{}", self.nc),
                    nc: NonceCount::new(self.nc),
                }),
                opaque: None,
            };
            creds.response = expected_response(&creds, "REGISTER", self.password);
            Some(creds.to_string())
        }

        /// Takes the nonce of the challenge for the phone's algorithm.
        fn learn(&mut self, outcome: &RegisterOutcome) {
            let RegisterOutcome::Challenge { www_authenticate } = outcome else {
                panic!("expected a challenge, got {outcome:?}");
            };
            let wanted = format!("algorithm={}", self.algorithm);
            let challenge = www_authenticate.iter().find(|c| c.contains(&wanted));
            let challenge = challenge.unwrap_or_else(|| panic!("no {wanted} challenge"));
            let start = challenge.find("nonce=\"").map_or(0, |i| i + 7);
            let rest = &challenge[start..];
            self.nonce = Some(rest[..rest.find('"').unwrap_or(0)].to_owned());
            self.nc = 0;
        }

        /// REGISTER, answering one challenge if needed.
        fn register(
            &mut self,
            r: &mut Registrar,
            now: DateTime<Utc>,
            contacts: Vec<ContactEntry>,
            expires: Option<u32>,
        ) -> RegisterOutcome {
            let outcome = r.register(now, self.request(contacts.clone(), expires));
            if !matches!(outcome, RegisterOutcome::Challenge { .. }) {
                return outcome;
            }
            self.learn(&outcome);
            r.register(now, self.request(contacts, expires))
        }

        fn bind(
            &mut self,
            r: &mut Registrar,
            now: DateTime<Utc>,
            expires: Option<u32>,
        ) -> RegisterOutcome {
            let contact = ContactEntry::Uri {
                uri: self.contact(),
                expires: None,
            };
            self.register(r, now, vec![contact], expires)
        }
    }

    fn uri(uri: &str, expires: Option<u32>) -> ContactEntry {
        ContactEntry::Uri {
            uri: uri.into(),
            expires,
        }
    }

    fn contacts(outcome: &RegisterOutcome) -> Vec<(String, u32)> {
        match outcome {
            RegisterOutcome::Ok { contacts } => contacts.clone(),
            other => panic!("expected 200, got {other:?}"),
        }
    }

    #[test]
    fn challenge_then_success_with_md5_and_sha256() {
        for algorithm in [Algorithm::Md5, Algorithm::Sha256] {
            let mut r = registrar();
            let mut phone = Phone::new("101", "desk-pw-101");
            phone.algorithm = algorithm;
            let first = r.register(t0(), phone.request(vec![uri(&phone.contact(), None)], None));
            assert_eq!(first.status_code(), 401);
            phone.learn(&first);
            let second = r.register(t0(), phone.request(vec![uri(&phone.contact(), None)], None));
            assert_eq!(contacts(&second), vec![(phone.contact(), DEFAULT_EXPIRES)]);
            assert!(r.is_registered(t0(), &ext("101")));
            let bound = r.contacts_of(t0(), &ext("101"));
            assert_eq!(bound.len(), 1);
            assert_eq!(
                (bound[0].source, bound[0].transport),
                (addr(5060), Transport::Udp)
            );
        }
    }

    #[test]
    fn challenges_offer_sha256_first() {
        let mut r = registrar();
        let mut phone = Phone::new("101", "desk-pw-101");
        let outcome = r.register(t0(), phone.request(vec![], None));
        let RegisterOutcome::Challenge { www_authenticate } = outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!(www_authenticate.len(), 2);
        assert!(www_authenticate[0].contains("algorithm=SHA-256"));
        assert!(www_authenticate[1].contains("algorithm=MD5"));
    }

    #[test]
    fn wrong_password_is_forbidden_after_the_challenge() {
        let mut r = registrar();
        let mut phone = Phone::new("101", "not-the-password");
        assert_eq!(phone.bind(&mut r, t0(), None), RegisterOutcome::Forbidden);
        assert!(!r.is_registered(t0(), &ext("101")));
    }

    #[test]
    fn unknown_user_gets_the_same_challenge_then_forbidden() {
        let mut r = registrar();
        let mut known = Phone::new("101", "desk-pw-101");
        let mut unknown = Phone::new("999", "whatever-pw");
        let a = r.register(t0(), known.request(vec![], None));
        let b = r.register(t0(), unknown.request(vec![], None));
        // Only the nonce differs (each challenge gets its own): nothing reveals the user.
        let shape = |o: &RegisterOutcome| {
            let text = format!("{o:?}");
            text.split("nonce=")
                .map(|part| {
                    part.split_once(',')
                        .map_or(part, |(_, rest)| rest)
                        .to_owned()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            shape(&a),
            shape(&b),
            "challenges must not depend on the user name"
        );
        unknown.learn(&b);
        let c = r.register(t0(), unknown.request(vec![], None));
        assert_eq!(c, RegisterOutcome::Forbidden);
        // With an expired nonce, only the right password earns `stale=true`; a stranger
        // (unknown user, or known user with a wrong password) gets 403 either way.
        let late = t0() + secs(600);
        let mut guesser = Phone::new("101", "a-wrong-guess");
        guesser.learn(&a);
        let stale_unknown = r.register(late, unknown.request(vec![], None));
        let stale_guess = r.register(late, guesser.request(vec![], None));
        assert_eq!(stale_unknown, RegisterOutcome::Forbidden);
        assert_eq!(stale_guess, RegisterOutcome::Forbidden);
        known.learn(&a);
        let stale_known = r.register(late, known.request(vec![], None));
        assert!(
            format!("{stale_known:?}").contains("stale=true"),
            "{stale_known:?}"
        );
    }

    #[test]
    fn registering_another_users_aor_is_forbidden() {
        let mut r = registrar();
        let mut phone = Phone::new("102", "desk-pw-102");
        let first = r.register(t0(), phone.request(vec![], None));
        phone.learn(&first);
        let mut req = phone.request(vec![uri("sip:evil@198.51.100.1", None)], None);
        req.aor_user = "101".into();
        assert_eq!(r.register(t0(), req), RegisterOutcome::Forbidden);
        assert!(!r.is_registered(t0(), &ext("101")));
    }

    #[test]
    fn a_device_may_register_its_employees_extension() {
        let mut r = registrar();
        let mut soft = Phone::new("101-soft", "soft-pw-101");
        let first = r.register(t0(), soft.request(vec![], None));
        soft.learn(&first);
        let mut req = soft.request(vec![uri("sip:soft@192.0.2.11", None)], None);
        req.aor_user = "101".into();
        assert_eq!(r.register(t0(), req).status_code(), 200);
        assert!(r.is_registered(t0(), &ext("101")));
    }

    #[test]
    fn two_devices_of_one_employee_are_both_rung() {
        let mut r = registrar();
        let mut desk = Phone::new("101", "desk-pw-101");
        let mut soft = Phone::new("101-soft", "soft-pw-101");
        assert_eq!(desk.bind(&mut r, t0(), None).status_code(), 200);
        let soft_only = soft.bind(&mut r, t0(), None);
        // Each device's 200 lists its own bindings.
        assert_eq!(contacts(&soft_only), vec![(soft.contact(), 3600)]);
        let mut all: Vec<String> = r
            .contacts_of(t0(), &ext("101"))
            .into_iter()
            .map(|b| b.contact)
            .collect();
        all.sort();
        let mut expected = vec![desk.contact(), soft.contact()];
        expected.sort();
        assert_eq!(all, expected);
        assert!(r.contacts_of(t0(), &ext("102")).is_empty());
    }

    #[test]
    fn bindings_expire_after_their_time() {
        let mut r = registrar();
        let mut phone = Phone::new("102", "desk-pw-102");
        let ok = phone.bind(&mut r, t0(), Some(120));
        assert_eq!(contacts(&ok), vec![(phone.contact(), 120)]);
        assert_eq!(r.poll_timeout(), Some(t0() + secs(120)));
        assert!(r.is_registered(t0() + secs(119), &ext("102")));
        assert!(!r.is_registered(t0() + secs(120), &ext("102")));
        assert!(r.expire(t0() + secs(119)).is_empty());
        let gone = r.expire(t0() + secs(120));
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].contact, phone.contact());
        assert_eq!(r.poll_timeout(), None);
    }

    #[test]
    fn refresh_extends_the_binding() {
        let mut r = registrar();
        let mut phone = Phone::new("102", "desk-pw-102");
        phone.bind(&mut r, t0(), Some(300));
        let later = t0() + secs(200);
        let refreshed = phone.bind(&mut r, later, Some(300));
        assert_eq!(contacts(&refreshed), vec![(phone.contact(), 300)]);
        assert!(r.is_registered(t0() + secs(499), &ext("102")));
        assert_eq!(r.poll_timeout(), Some(later + secs(300)));
        assert_eq!(r.contacts_of(later, &ext("102")).len(), 1);
    }

    #[test]
    fn long_requests_are_shortened_and_contact_expires_wins() {
        let mut r = registrar();
        let mut phone = Phone::new("102", "desk-pw-102");
        let both = vec![
            uri("sip:a@192.0.2.10", Some(7200)),
            uri("sip:b@192.0.2.10", None),
        ];
        let ok = phone.register(&mut r, t0(), both, Some(600));
        let expected = vec![
            ("sip:a@192.0.2.10".into(), 3600),
            ("sip:b@192.0.2.10".into(), 600),
        ];
        assert_eq!(contacts(&ok), expected);
    }

    #[test]
    fn expires_zero_removes_one_contact() {
        let mut r = registrar();
        let mut phone = Phone::new("102", "desk-pw-102");
        let two = vec![uri("sip:a@192.0.2.10", None), uri("sip:b@192.0.2.10", None)];
        assert_eq!(contacts(&phone.register(&mut r, t0(), two, None)).len(), 2);
        let remove_a = vec![uri("sip:a@192.0.2.10", Some(0))];
        let ok = phone.register(&mut r, t0() + secs(1), remove_a, None);
        assert_eq!(contacts(&ok), vec![("sip:b@192.0.2.10".into(), 3599)]);
    }

    #[test]
    fn wildcard_removes_all_of_the_devices_bindings() {
        let mut r = registrar();
        let mut desk = Phone::new("101", "desk-pw-101");
        let mut soft = Phone::new("101-soft", "soft-pw-101");
        let two = vec![uri("sip:a@192.0.2.10", None), uri("sip:b@192.0.2.10", None)];
        desk.register(&mut r, t0(), two, None);
        soft.bind(&mut r, t0(), None);
        let ok = desk.register(&mut r, t0(), vec![ContactEntry::Wildcard], Some(0));
        assert_eq!(contacts(&ok), vec![]);
        let left = r.contacts_of(t0(), &ext("101"));
        assert_eq!(left.len(), 1, "the softphone stays registered");
        assert_eq!(left[0].username, "101-soft");
    }

    #[test]
    fn wildcard_rules_are_enforced() {
        let mut r = registrar();
        let mut phone = Phone::new("102", "desk-pw-102");
        let star = phone.register(&mut r, t0(), vec![ContactEntry::Wildcard], Some(60));
        assert_eq!(
            star,
            RegisterOutcome::BadRequest(BadRegister::WildcardNeedsExpiresZero)
        );
        let mixed = vec![ContactEntry::Wildcard, uri("sip:a@192.0.2.10", None)];
        let mixed = phone.register(&mut r, t0(), mixed, Some(0));
        assert_eq!(
            mixed,
            RegisterOutcome::BadRequest(BadRegister::WildcardWithOthers)
        );
        assert_eq!(mixed.status_code(), 400);
    }

    #[test]
    fn too_brief_an_interval_is_423() {
        let mut r = registrar();
        let mut phone = Phone::new("102", "desk-pw-102");
        let brief = phone.bind(&mut r, t0(), Some(59));
        assert_eq!(brief, RegisterOutcome::IntervalTooBrief { min_expires: 60 });
        assert_eq!(brief.status_code(), 423);
        assert!(!r.is_registered(t0(), &ext("102")));
        let per_contact = vec![
            uri("sip:a@192.0.2.10", None),
            uri("sip:b@192.0.2.10", Some(30)),
        ];
        let brief = phone.register(&mut r, t0(), per_contact, None);
        assert_eq!(brief.status_code(), 423);
        assert!(!r.is_registered(t0(), &ext("102")), "all or nothing");
        assert_eq!(phone.bind(&mut r, t0(), Some(60)).status_code(), 200);
    }

    #[test]
    fn stale_nonce_gets_a_stale_challenge_then_succeeds() {
        let mut r = registrar();
        let mut phone = Phone::new("102", "desk-pw-102");
        phone.bind(&mut r, t0(), Some(600));
        // The phone refreshes after the nonce expired, with the old nonce.
        let later = t0() + secs(400);
        let req = phone.request(vec![uri(&phone.contact(), None)], Some(600));
        let outcome = r.register(later, req);
        let RegisterOutcome::Challenge { www_authenticate } = &outcome else {
            panic!("{outcome:?}");
        };
        assert!(www_authenticate.iter().all(|c| c.ends_with("stale=true")));
        phone.learn(&outcome);
        let req = phone.request(vec![uri(&phone.contact(), None)], Some(600));
        assert_eq!(r.register(later, req).status_code(), 200);
    }

    #[test]
    fn replayed_request_gets_a_stale_challenge() {
        let mut r = registrar();
        let mut phone = Phone::new("102", "desk-pw-102");
        phone.bind(&mut r, t0(), None);
        let mut again = phone.request(vec![], None);
        let copy = again.clone();
        assert_eq!(r.register(t0(), again.clone()).status_code(), 200);
        again.cseq += 1; // same Authorization (same nc), new CSeq
        let replay = r.register(t0(), again);
        assert!(format!("{replay:?}").contains("stale=true"), "{replay:?}");
        assert_eq!(r.register(t0(), copy).status_code(), 401);
    }

    #[test]
    fn out_of_order_cseq_is_refused_without_change() {
        let mut r = registrar();
        let mut phone = Phone::new("102", "desk-pw-102");
        phone.bind(&mut r, t0(), Some(300));
        let stored_cseq = phone.cseq;
        let mut old = phone.request(vec![uri(&phone.contact(), Some(0))], None);
        old.cseq = stored_cseq; // same Call-ID, not higher
        assert_eq!(r.register(t0(), old), RegisterOutcome::OutOfOrder);
        assert!(r.is_registered(t0(), &ext("102")));
        // Another Call-ID (the phone rebooted) may replace it whatever its CSeq.
        phone.call_id = "rebooted@192.0.2.10".into();
        phone.cseq = 0;
        let ok = phone.bind(&mut r, t0(), Some(900));
        assert_eq!(contacts(&ok), vec![(phone.contact(), 900)]);
    }

    #[test]
    fn contacts_per_device_are_capped_by_evicting_the_oldest() {
        let mut r = registrar();
        let mut phone = Phone::new("102", "desk-pw-102");
        for i in 0..(MAX_CONTACTS_PER_DEVICE as i64 + 2) {
            let contact = uri(&format!("sip:102@192.0.2.10:{}", 5000 + i), None);
            phone.register(&mut r, t0() + secs(i), vec![contact], None);
        }
        let now = t0() + secs(10);
        let left = r.contacts_of(now, &ext("102"));
        assert_eq!(left.len(), MAX_CONTACTS_PER_DEVICE);
        assert!(left
            .iter()
            .all(|b| !b.contact.ends_with(":5000") && !b.contact.ends_with(":5001")));
    }

    #[test]
    fn query_lists_bindings_without_changing_them() {
        let mut r = registrar();
        let mut phone = Phone::new("102", "desk-pw-102");
        phone.bind(&mut r, t0(), Some(100));
        let listed = phone.register(&mut r, t0() + secs(30), vec![], None);
        assert_eq!(contacts(&listed), vec![(phone.contact(), 70)]);
    }

    #[test]
    fn replacing_the_config_drops_removed_devices() {
        let mut r = registrar();
        let mut desk = Phone::new("101", "desk-pw-101");
        let mut soft = Phone::new("101-soft", "soft-pw-101");
        desk.bind(&mut r, t0(), None);
        soft.bind(&mut r, t0(), None);
        let without_soft = config(vec![
            employee("101", &[("101", "desk-pw-101")]),
            employee("102", &[("102", "desk-pw-102")]),
        ]);
        r.replace_config(&without_soft);
        let left = r.contacts_of(t0(), &ext("101"));
        assert_eq!(
            left.iter().map(|b| b.username.as_str()).collect::<Vec<_>>(),
            ["101"]
        );
        // The removed device can no longer register.
        soft.nonce = None;
        assert_eq!(soft.bind(&mut r, t0(), None), RegisterOutcome::Forbidden);
    }

    #[test]
    fn a_device_moved_to_another_employee_follows() {
        let mut r = registrar();
        let mut soft = Phone::new("101-soft", "soft-pw-101");
        soft.bind(&mut r, t0(), None);
        let moved = config(vec![
            employee("101", &[("101", "desk-pw-101")]),
            employee(
                "102",
                &[("102", "desk-pw-102"), ("101-soft", "soft-pw-101")],
            ),
        ]);
        r.replace_config(&moved);
        assert!(!r.is_registered(t0(), &ext("101")));
        assert_eq!(r.contacts_of(t0(), &ext("102")).len(), 1);
    }

    #[test]
    fn authenticate_other_requests() {
        let mut r = registrar();
        let missing = r.authenticate(t0(), "INVITE", None);
        let Err(AuthFailure::Challenge { www_authenticate }) = missing else {
            panic!("{missing:?}");
        };
        let mut creds = Credentials {
            username: "101-soft".into(),
            realm: REALM.into(),
            nonce: {
                let c = &www_authenticate[0];
                let start = c.find("nonce=\"").map_or(0, |i| i + 7);
                c[start..start + 48].to_owned()
            },
            uri: "sip:102@office.example".into(),
            response: String::new(),
            algorithm: Algorithm::Sha256,
            qop: Some(QopParams {
                qop: Qop::Auth,
                cnonce: "abc".into(),
                nc: NonceCount::new(1),
            }),
            opaque: None,
        };
        creds.response = expected_response(&creds, "INVITE", "soft-pw-101");
        let header = creds.to_string();
        let ok = r.authenticate(t0(), "INVITE", Some(&header));
        let expected = Authenticated {
            username: "101-soft".into(),
            extension: ext("101"),
        };
        assert_eq!(ok, Ok(expected));
        // The same header again is a replay.
        let again = r.authenticate(t0(), "INVITE", Some(&header));
        assert!(format!("{again:?}").contains("stale=true"), "{again:?}");
        // Signed for INVITE, presented for another method.
        let other = r.authenticate(t0(), "BYE", Some(&header));
        assert_eq!(other, Err(AuthFailure::Forbidden));
        let garbage = r.authenticate(t0(), "INVITE", Some("Digest username=\"x"));
        assert!(matches!(garbage, Err(AuthFailure::BadRequest(_))));
        let basic = r.authenticate(t0(), "INVITE", Some("Basic abc"));
        assert!(matches!(
            basic,
            Err(AuthFailure::BadRequest(ParseError::NotDigest))
        ));
    }

    #[test]
    fn unsupported_algorithm_gets_a_fresh_challenge() {
        let mut r = registrar();
        let header = "Digest username=\"101\", realm=\"office.example\", nonce=\"n\", \
                      uri=\"sip:office.example\", response=\"x\", algorithm=MD5-sess";
        let outcome = r.authenticate(t0(), "REGISTER", Some(header));
        assert!(
            matches!(outcome, Err(AuthFailure::Challenge { .. })),
            "{outcome:?}"
        );
    }

    #[test]
    fn forged_nonce_gets_a_fresh_challenge() {
        let mut r = registrar();
        let mut phone = Phone::new("102", "desk-pw-102");
        phone.nonce = Some(format!(
            "{:016x}{}",
            t0().timestamp_millis(),
            "0".repeat(32)
        ));
        let outcome = r.register(t0(), phone.request(vec![], None));
        let RegisterOutcome::Challenge { www_authenticate } = &outcome else {
            panic!("{outcome:?}");
        };
        assert!(www_authenticate.iter().all(|c| !c.contains("stale")));
    }

    #[test]
    fn debug_output_hides_passwords() {
        let r = registrar();
        let shown = format!("{r:?}");
        assert!(!shown.contains("desk-pw-101"), "{shown}");
    }
}
