//! Registration and authentication: REGISTER through the registrar, the events for the
//! contacts it adds and removes, the rate-limit exemptions of live bindings, and digest checks
//! of other requests.

use super::*;
use crate::sip::message::parse_seconds;

impl Endpoint {
    /// Tells the router when an employee's reachability (any registered phone) changed.
    pub(super) fn report_reachable(&mut self, ext: &Extension) {
        let now = self.registrar.is_registered(self.now, ext);
        // Never reported counts as reachable: the router's default.
        let before = self.reachable.get(ext).copied().unwrap_or(true);
        self.reachable.insert(ext.clone(), now);
        if before != now {
            self.out.push_back(Output::Route(routing::Input::Reachable {
                employee: ext.clone(),
                reachable: now,
            }));
        }
    }

    /// Reports every employee of the configuration (at the first input and after a new
    /// configuration).
    pub(super) fn report_all_reachable(&mut self) {
        let config = Arc::clone(&self.config);
        self.reachable.retain(|e, _| config.employee(e).is_some());
        for e in config.employees.iter() {
            self.report_reachable(&e.extension);
        }
    }

    pub(super) fn register(&mut self, p: &Pending) -> Reply {
        let Some(aor_user) = p
            .header(|h| match h {
                Header::To(to) => Some(to.value()),
                _ => None,
            })
            .and_then(|to| uri_user(address_uri(to)))
        else {
            return Reply::new(400, "Bad Request (no user in To)");
        };
        let authorization = p.header(|h| match h {
            Header::Authorization(a) => Some(a.value()),
            _ => None,
        });
        let mut contacts = Vec::new();
        for value in p.request().iter().flat_map(|r| r.headers.iter()) {
            let Header::Contact(c) = value else { continue };
            match parse_contact(c.value()) {
                Some(entry) => contacts.push(entry),
                None => return Reply::new(400, "Bad Request (malformed Contact)"),
            }
        }
        let expires = match p.header(|h| match h {
            Header::Expires(e) => Some(e.value()),
            _ => None,
        }) {
            None => None,
            Some(v) => match parse_seconds(v) {
                Some(s) => Some(s),
                None => return Reply::new(400, "Bad Request (malformed Expires)"),
            },
        };
        let user = authorization
            .and_then(|a| Credentials::parse(a).ok())
            .map(|c| c.username);
        let before = user
            .as_deref()
            .map(|u| self.registrar.device_contacts(self.now, u))
            .unwrap_or_default();
        let request = RegisterRequest {
            aor_user,
            method: Method::Register.as_str().to_owned(),
            authorization: authorization.map(str::to_owned),
            contacts,
            expires,
            call_id: p.parsed.head.call_id.clone(),
            cseq: p.parsed.head.cseq,
            source: p.from,
            transport: p.transport,
        };
        match self.registrar.register(self.now, request) {
            RegisterOutcome::Challenge { www_authenticate } => challenge(www_authenticate),
            RegisterOutcome::Forbidden => {
                self.emit(Event::AuthFailed {
                    method: Method::Register,
                    user,
                    source: p.from,
                });
                Reply::new(403, "Forbidden")
            }
            RegisterOutcome::Ok { contacts } => {
                if let Some(user) = user {
                    let after = self.registrar.device_contacts(self.now, &user);
                    self.report_bindings(&user, &before, &after);
                    self.refresh_exempt();
                    if let Some(b) = after.first().or(before.first()) {
                        let ext = b.extension.clone();
                        self.report_reachable(&ext);
                    }
                }
                let date = self.now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
                let mut reply = Reply::new(200, "OK");
                for (uri, left) in contacts {
                    let value = format!("<{uri}>;expires={left}");
                    reply = reply.with(h::Contact::new(value).into());
                }
                reply.with(h::Date::new(date).into())
            }
            RegisterOutcome::IntervalTooBrief { min_expires } => {
                Reply::new(423, "Interval Too Brief")
                    .with(h::MinExpires::new(min_expires.to_string()).into())
            }
            RegisterOutcome::BadRequest(why) => Reply::new(400, format!("Bad Request ({why})")),
            RegisterOutcome::OutOfOrder => Reply::new(500, "Server Internal Error"),
        }
    }

    /// Events for the contacts a REGISTER added or removed.
    pub(super) fn report_bindings(&mut self, user: &str, before: &[Binding], after: &[Binding]) {
        for b in after {
            if !before.iter().any(|o| o.contact == b.contact) {
                let left = b.expires_at.signed_duration_since(self.now).num_seconds();
                self.emit(Event::Registered {
                    user: user.to_owned(),
                    contact: b.contact.clone(),
                    source: b.source,
                    expires: u32::try_from(left.max(0)).unwrap_or(u32::MAX),
                });
            }
        }
        for o in before {
            if !after.iter().any(|b| b.contact == o.contact) {
                self.emit(Event::Unregistered {
                    user: user.to_owned(),
                    contact: o.contact.clone(),
                });
            }
        }
    }

    /// Rebuilds the rate-limit exemptions from the registrar's live bindings.
    pub(super) fn refresh_exempt(&mut self) {
        self.exempt.clear();
        let config = self.config.clone();
        for employee in config.employees.iter() {
            for device in &employee.devices {
                let bindings = self
                    .registrar
                    .device_contacts(self.now, device.username.as_str());
                for b in bindings {
                    let source = SocketAddr::new(b.source.ip().to_canonical(), b.source.port());
                    let until = self.exempt.entry(source).or_insert(b.expires_at);
                    *until = (*until).max(b.expires_at);
                }
            }
        }
    }

    /// Checks a request's credentials: the device, or the answer to send (401, 403, 400).
    pub(super) fn authenticate(&mut self, p: &Pending) -> Result<Authenticated, Reply> {
        let method = p.method().clone();
        let authorization = p.header(|h| match h {
            Header::Authorization(a) => Some(a.value()),
            Header::ProxyAuthorization(a) => Some(a.value()),
            _ => None,
        });
        match self
            .registrar
            .authenticate(self.now, method.as_str(), authorization)
        {
            Ok(who) => Ok(who),
            Err(AuthFailure::Challenge { www_authenticate }) => Err(challenge(www_authenticate)),
            Err(AuthFailure::Forbidden) => {
                let user = authorization
                    .and_then(|a| Credentials::parse(a).ok())
                    .map(|c| c.username);
                self.emit(Event::AuthFailed {
                    method,
                    user,
                    source: p.from,
                });
                Err(Reply::new(403, "Forbidden"))
            }
            Err(AuthFailure::BadRequest(e)) => Err(Reply::new(400, format!("Bad Request ({e})"))),
        }
    }

    /// A MESSAGE outside a dialog: authenticate, then 404 or an honest 480.
    pub(super) fn unconnected(&mut self, p: &Pending) -> Reply {
        let method = p.method().clone();
        let who = match self.authenticate(p) {
            Ok(who) => who,
            Err(reply) => return reply,
        };
        let target = p
            .request()
            .and_then(|r| r.uri.user())
            .unwrap_or_default()
            .to_owned();
        let exists = leads_somewhere(&self.config, &target);
        let status = if exists { 480 } else { 404 };
        self.emit(Event::NotConnected {
            method,
            user: who.username,
            target,
            status,
        });
        if !exists {
            return Reply::new(404, "Not Found");
        }
        Reply::new(480, "Temporarily Unavailable")
            .with(h::Warning::new(MESSAGE_NOT_CONNECTED_WARNING).into())
    }
}

/// One Contact value of a REGISTER; `None` if it is malformed.
pub(super) fn parse_contact(value: &str) -> Option<ContactEntry> {
    let value = value.trim();
    if value == "*" {
        return Some(ContactEntry::Wildcard);
    }
    let uri = address_uri(value);
    if uri.is_empty() {
        return None;
    }
    let mut expires = None;
    for param in split_params(address_params(value)).skip(1) {
        let (name, v) = param.split_once('=').unwrap_or((param, ""));
        if name.trim().eq_ignore_ascii_case("expires") {
            expires = Some(parse_seconds(v.trim().trim_matches('"'))?);
        }
    }
    Some(ContactEntry::Uri {
        uri: uri.to_owned(),
        expires,
    })
}
