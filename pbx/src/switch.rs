//! The switch: the SIP endpoint (with its B2BUA) and the router joined into one sans-IO
//! machine, so the daemon's shell moves bytes and timers only, and whole calls are tested in
//! virtual time from SIP message to SIP message.
//!
//! The endpoint's [`endpoint::Output::Route`] inputs go to the [`Router`]; the router's
//! outputs go back to the endpoint as [`endpoint::Input::Route`]; what is left for the shell
//! comes out of [`Switch::poll_output`].

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use firmware_config::Config;

use crate::media;
use crate::routing::{self, Router};
use crate::sip::endpoint::{self, Endpoint};

/// Rounds of router ⇄ endpoint exchange after one input before the switch gives up (a
/// call's whole life takes a handful).
const MAX_ROUNDS: usize = 10_000;

/// What the shell must do.
#[derive(Debug, Clone)]
pub enum Output {
    /// A SIP message to send, or an event to log.
    Sip(endpoint::Output),
    /// A command for the media engine.
    Media(media::Command),
    /// Something the router decided that only the shell cares about: a call record, a
    /// notification, a CRM change.
    Routed(routing::Output),
}

/// The endpoint and the router. See the module documentation.
#[derive(Debug)]
pub struct Switch {
    endpoint: Endpoint,
    router: Router,
    out: VecDeque<Output>,
}

impl Switch {
    /// Joins an endpoint and a router.
    pub fn new(endpoint: Endpoint, router: Router) -> Switch {
        Switch {
            endpoint,
            router,
            out: VecDeque::new(),
        }
    }

    /// The endpoint (registrations, calls).
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Mutable access to the endpoint (to set its local addresses).
    pub fn endpoint_mut(&mut self) -> &mut Endpoint {
        &mut self.endpoint
    }

    /// The router (statistics, waiting calls).
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Feeds the endpoint one input at `now` and runs both machines until they are quiet.
    pub fn handle_input(&mut self, now: DateTime<Utc>, input: endpoint::Input) {
        if let endpoint::Input::Config(config) = &input {
            self.router
                .handle_input(now, routing::Input::Config(Arc::clone(config)));
        }
        let timeout = matches!(input, endpoint::Input::Timeout);
        self.endpoint.handle_input(now, input);
        if timeout {
            self.router.handle_input(now, routing::Input::Timeout);
        }
        self.settle(now);
    }

    /// Changes the router's CRM (see [`Router::edit_crm`]); the journal's events follow from
    /// [`Switch::poll_output`].
    pub fn edit_crm(
        &mut self,
        now: DateTime<Utc>,
        edit: routing::crm::CrmEdit,
    ) -> routing::crm::CrmEdited {
        let edited = self.router.edit_crm(now, edit);
        self.settle(now);
        edited
    }

    /// Replaces the configuration of both machines.
    pub fn replace_config(&mut self, now: DateTime<Utc>, config: Arc<Config>) {
        self.handle_input(now, endpoint::Input::Config(config));
    }

    /// The next thing for the shell, until there is none.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When to feed [`endpoint::Input::Timeout`] next.
    pub fn poll_timeout(&self) -> Option<DateTime<Utc>> {
        let a = self.endpoint.poll_timeout();
        let b = self.router.poll_timeout();
        [a, b].into_iter().flatten().min()
    }

    fn settle(&mut self, now: DateTime<Utc>) {
        for round in 0.. {
            if round == MAX_ROUNDS {
                // The endpoint and the router keep answering each other at one instant (a
                // bug, as the fuzzed livelocks were): stop here rather than freeze the daemon;
                // what is left is carried on at the next input.
                tracing::error!(rounds = round, "the router and the SIP side did not settle");
                break;
            }
            let mut moved = false;
            while let Some(o) = self.endpoint.poll_output() {
                match o {
                    endpoint::Output::Route(input) => {
                        moved = true;
                        self.router.handle_input(now, input);
                    }
                    endpoint::Output::Media(c) => self.out.push_back(Output::Media(c)),
                    other => self.out.push_back(Output::Sip(other)),
                }
            }
            while let Some(o) = self.router.poll_output() {
                match o {
                    routing::Output::Notify(n) => {
                        // Phones get it as SIP MESSAGE; the shell (webhook, log) too.
                        let input = endpoint::Input::Notify(n.clone());
                        self.endpoint.handle_input(now, input);
                        self.out
                            .push_back(Output::Routed(routing::Output::Notify(n)));
                    }
                    routing::Output::Record(_) | routing::Output::Crm(_) => {
                        self.out.push_back(Output::Routed(o))
                    }
                    call => {
                        moved = true;
                        self.endpoint
                            .handle_input(now, endpoint::Input::Route(call));
                    }
                }
            }
            if !moved {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests;
