//! Trunk registrations: the endpoint's side of [`crate::sip::trunk`]. One [`Registration`] per
//! configured trunk with `register = true`, created and replaced on a new configuration,
//! started once the provider's address is known (an IP address in the configuration, or what
//! the shell resolved: [`Input::TrunkResolved`]) and our UDP address too. Their REGISTERs go
//! through client transactions; responses and failures for REGISTER transactions are taken
//! here before anything reaches the B2BUA (which never sends REGISTER). Their state changes
//! become [`Event::Trunk`]. At shutdown each unregisters, best effort.
//!
//! Decisions:
//! - **UDP only for now**: the transport shell sends TCP only on connections phones opened, so
//!   a trunk configured for TCP is reported as failed (not retried) instead of timing out.
//! - A trunk whose settings change is registered afresh (a new Call-ID). When its address of
//!   record (user, host, port) stays the same the old registration is simply dropped — the new
//!   REGISTER updates the same binding, while an `Expires: 0` racing it could remove it; when
//!   the address of record changes, or the trunk is removed, the old one unregisters first.

use std::collections::BTreeMap;

use firmware_config::trunk::SipTrunk;

use super::*;
use crate::sip::trunk::{self as sip_trunk, Registration, Resolved, Settings, TxFailure};

/// The registrations and what they need.
#[derive(Debug, Default)]
pub(super) struct Trunks {
    /// By trunk name.
    active: BTreeMap<String, Active>,
    /// Unregistering (trunk removed or changed, or shutdown) until they stop.
    leaving: Vec<Registration>,
    /// The shell's answers, by configured host and port.
    resolved: HashMap<(String, u16), Result<SocketAddr, String>>,
    /// Our UDP address as providers reach it.
    contact: Option<SocketAddr>,
    /// Numbers registrations, so each gets its own identifiers.
    generation: u64,
    shut_down: bool,
}

struct Active {
    trunk: SipTrunk,
    reg: Registration,
    /// The provider's address and our contact it was started with, or `None` while it waits.
    /// A trunk that cannot start (TCP, no address) is marked with its reason, reported once.
    started: Option<Result<(SocketAddr, SocketAddr), String>>,
}

/// Without the trunk's password.
impl std::fmt::Debug for Active {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Active")
            .field("reg", &self.reg)
            .field("started", &self.started)
            .finish_non_exhaustive()
    }
}

impl Trunks {
    /// Trunk registrations that will register from `contact` (our UDP address).
    pub(super) fn new(contact: Option<SocketAddr>) -> Trunks {
        Trunks {
            contact,
            ..Trunks::default()
        }
    }

    /// Our UDP address changed (the shell bound its sockets); used by registrations that
    /// start from now on.
    pub(super) fn set_contact(&mut self, contact: Option<SocketAddr>) {
        self.contact = contact;
    }

    /// When a registration must be woken next.
    pub(super) fn poll_timeout(&self) -> Option<DateTime<Utc>> {
        let active = self.active.values().map(|a| &a.reg);
        active
            .chain(self.leaving.iter())
            .filter_map(Registration::poll_timeout)
            .min()
    }

    /// The registration waiting for the REGISTER with `branch`.
    fn owner(&mut self, branch: &str) -> Option<&mut Registration> {
        let active = self.active.values_mut().map(|a| &mut a.reg);
        active
            .chain(self.leaving.iter_mut())
            .find(|r| r.owns(branch))
    }

    /// Every registration's queued outputs, with its trunk's name.
    fn outputs(&mut self) -> Vec<(String, sip_trunk::Output)> {
        let mut out = Vec::new();
        let active = self.active.values_mut().map(|a| &mut a.reg);
        for reg in active.chain(self.leaving.iter_mut()) {
            while let Some(o) = reg.poll_output() {
                out.push((reg.settings().trunk.clone(), o));
            }
        }
        out
    }

    /// Where `trunk`'s provider is: its resolved address, or its host when that is an IP
    /// address; `None` while the shell has not said.
    pub(super) fn address(&self, trunk: &SipTrunk) -> Option<Result<SocketAddr, String>> {
        let key = (trunk.host.to_string(), trunk.port);
        if let Some(found) = self.resolved.get(&key) {
            return Some(found.clone());
        }
        let ip = trunk.host.as_str().parse::<IpAddr>().ok()?;
        Some(Ok(SocketAddr::new(ip, trunk.port)))
    }
}

impl Endpoint {
    /// A new configuration or resolved address: create, replace or drop registrations, start
    /// the ones that can start, and send what they ask.
    pub(super) fn trunks_sync(&mut self) {
        if self.trunks.shut_down {
            return;
        }
        self.trunks_reconcile();
        self.trunks_start();
        self.trunks_flush();
        self.drain();
    }

    /// The shell resolved a provider's host.
    pub(super) fn trunk_resolved(&mut self, resolved: Resolved) {
        let Resolved {
            host,
            port,
            address,
        } = resolved;
        self.trunks.resolved.insert((host, port), address);
        self.trunks_sync();
    }

    /// Time passed: registrations refresh and retry.
    pub(super) fn trunks_timeout(&mut self) {
        let now = self.now;
        let active = self.trunks.active.values_mut().map(|a| &mut a.reg);
        for reg in active.chain(self.trunks.leaving.iter_mut()) {
            reg.handle_input(now, sip_trunk::Input::Timeout);
        }
        self.trunks_flush();
    }

    /// The daemon stops: every registration unregisters (best effort) and none starts again.
    pub(super) fn trunks_shutdown(&mut self) {
        self.trunks.shut_down = true;
        let names: Vec<String> = self.trunks.active.keys().cloned().collect();
        for name in names {
            self.trunk_leave(&name);
        }
        self.trunks_flush();
    }

    /// Takes what the transaction layer reports about REGISTER transactions (all of them
    /// Centrala's trunk registrations); gives anything else back.
    pub(super) fn trunk_claim(&mut self, output: tx::Output) -> Option<tx::Output> {
        let now = self.now;
        match output {
            tx::Output::Response { key, code, bytes } if key.method == Method::Register => {
                let parsed = match self.received.take() {
                    Some(p) if *p.bytes == *bytes => Some(p),
                    _ => wire::parse(&bytes).ok(),
                };
                if let (Some(reg), Some(message)) = (self.trunks.owner(&key.branch), &parsed) {
                    reg.handle_input(now, sip_trunk::Input::Response { code, message });
                }
            }
            tx::Output::Timeout {
                key: tx::Key::Client(key),
                ..
            } if key.method == Method::Register => {
                self.trunk_failed(&key.branch, TxFailure::Timeout)
            }
            tx::Output::TransportError {
                key: tx::Key::Client(key),
            } if key.method == Method::Register => {
                self.trunk_failed(&key.branch, TxFailure::Transport)
            }
            other => return Some(other),
        }
        self.trunks_flush();
        None
    }

    fn trunk_failed(&mut self, branch: &str, why: TxFailure) {
        let now = self.now;
        if let Some(reg) = self.trunks.owner(branch) {
            reg.handle_input(now, sip_trunk::Input::Failed { branch, why });
        }
    }

    /// Makes the registrations match the configuration's trunks with `register = true`.
    fn trunks_reconcile(&mut self) {
        let config = Arc::clone(&self.config);
        let wanted = || config.trunks.iter().filter(|t| t.register);
        let names: Vec<String> = self.trunks.active.keys().cloned().collect();
        for name in names {
            let Some(old) = self.trunks.active.get(&name) else {
                continue;
            };
            let new = wanted().find(|t| t.name.as_str() == name);
            if new.is_some_and(|t| *t == old.trunk) {
                continue;
            }
            let same_aor = new.is_some_and(|t| {
                t.host == old.trunk.host
                    && t.port == old.trunk.port
                    && t.username == old.trunk.username
            });
            if same_aor {
                self.trunks.active.remove(&name);
            } else {
                self.trunk_leave(&name);
            }
        }
        for trunk in wanted() {
            let name = trunk.name.to_string();
            if !self.trunks.active.contains_key(&name) {
                let reg = Registration::new(Settings::from_trunk(trunk), self.trunk_seed(&name));
                let trunk = trunk.clone();
                let active = Active {
                    trunk,
                    reg,
                    started: None,
                };
                self.trunks.active.insert(name, active);
            }
        }
    }

    /// Stops `name`'s registration and keeps it until it has unregistered.
    fn trunk_leave(&mut self, name: &str) {
        if let Some(mut old) = self.trunks.active.remove(name) {
            old.reg.handle_input(self.now, sip_trunk::Input::Stop);
            self.trunks.leaving.push(old.reg);
        }
    }

    /// Starts every registration whose provider address (or reason not to start) is known,
    /// and restarts one whose provider or contact address changed.
    fn trunks_start(&mut self) {
        let now = self.now;
        let contact = self.trunks.contact;
        let names: Vec<String> = self.trunks.active.keys().cloned().collect();
        for name in names {
            let Some(a) = self.trunks.active.get(&name) else {
                continue;
            };
            let Some(address) = self.trunks.address(&a.trunk) else {
                continue; // the shell has not resolved it yet
            };
            let verdict = match (address, contact, a.trunk.transport) {
                (_, _, Transport::Tcp) => Err(
                    "registration over TCP is not supported yet (Centrala opens no TCP \
                     connections); configure the trunk for UDP"
                        .to_owned(),
                ),
                (_, None, _) => Err("no UDP listener to register from".to_owned()),
                (Err(e), _, _) => Err(format!("cannot resolve {}: {e}", a.trunk.host)),
                (Ok(addr), Some(contact), _) => Ok((addr, contact)),
            };
            if a.started.as_ref() == Some(&verdict) {
                continue;
            }
            let Some(a) = self.trunks.active.get_mut(&name) else {
                continue;
            };
            a.started = Some(verdict.clone());
            match verdict {
                Ok((addr, contact)) => {
                    let provider = Destination {
                        addr,
                        transport: tx::Transport::Udp,
                    };
                    let start = sip_trunk::Input::Start { provider, contact };
                    a.reg.handle_input(now, start);
                }
                Err(why) => {
                    let state = sip_trunk::State::Failed {
                        why,
                        retry_at: None,
                    };
                    self.emit(Event::Trunk { trunk: name, state });
                }
            }
        }
    }

    /// Moves the registrations' outputs on: REGISTERs into client transactions, states into
    /// events. Forgets registrations that finished unregistering.
    fn trunks_flush(&mut self) {
        loop {
            let outputs = self.trunks.outputs();
            if outputs.is_empty() {
                break;
            }
            for (trunk, output) in outputs {
                match output {
                    sip_trunk::Output::Send(request) => {
                        let branch = request.key.branch.clone();
                        let now = self.tx_now();
                        let sent = self
                            .transactions
                            .handle_input(now, tx::Input::Send(request));
                        if sent.is_err() {
                            self.trunk_failed(&branch, TxFailure::Transport);
                        }
                    }
                    sip_trunk::Output::State(state) => self.emit(Event::Trunk { trunk, state }),
                }
            }
        }
        self.trunks.leaving.retain(|r| !r.is_stopped());
    }

    /// The identifiers' seed of a new registration for `name`: the endpoint's secret, the
    /// name and a generation, hashed.
    fn trunk_seed(&mut self, name: &str) -> [u8; 32] {
        self.trunks.generation += 1;
        let mut hash = Sha256::new();
        hash.update(self.secret);
        hash.update(b"trunk-registration\0");
        hash.update(name.as_bytes());
        hash.update([0]);
        hash.update(self.trunks.generation.to_be_bytes());
        hash.finalize().into()
    }
}

#[cfg(test)]
mod tests;
