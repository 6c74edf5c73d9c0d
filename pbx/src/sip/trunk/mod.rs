//! SIP trunks: Centrala as a client of a telephony provider. Here, registration: one
//! [`Registration`] per trunk with `register = true` keeps Centrala's contact registered at the
//! provider, answering digest challenges with [`auth`]. The endpoint drives them
//! (`endpoint/trunk.rs`); [`resolve`] is the shell's part (host names to addresses), and
//! [`log_state`] how the daemon logs their states. Calls across a trunk are the endpoint's
//! (`endpoint/outside.rs`) and the B2BUA's (`b2bua/outside.rs`).

pub mod auth;
pub mod registration;
pub mod resolve;

use std::net::SocketAddr;

use chrono::{SecondsFormat, Utc};
use tracing::{info, warn};

pub use registration::{Input, Output, Registration, Settings, State, TxFailure};

/// A provider's host name as the shell resolved it, for the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The host as configured.
    pub host: String,
    /// The port as configured.
    pub port: u16,
    /// The address to register at, or why there is none.
    pub address: Result<SocketAddr, String>,
}

/// Logs a trunk registration's new state (`trunk registering`, `trunk registered`, `trunk
/// registration failed`, `trunk unregistered`).
pub fn log_state(trunk: &str, state: &State) {
    match state {
        State::Registering => info!(%trunk, "trunk registering"),
        State::Registered { until } => {
            let until = until.to_rfc3339_opts(SecondsFormat::Secs, true);
            info!(%trunk, %until, "trunk registered")
        }
        State::Failed {
            why,
            retry_at: Some(at),
        } => {
            let ms = (*at - Utc::now()).num_milliseconds().max(0);
            let retry_in_secs = (ms + 500) / 1000;
            let at = at.to_rfc3339_opts(SecondsFormat::Secs, true);
            warn!(%trunk, %why, retry_at = %at, retry_in_secs, "trunk registration failed")
        }
        State::Failed {
            why,
            retry_at: None,
        } => warn!(%trunk, %why, "trunk registration failed; not retrying"),
        State::Unregistered => info!(%trunk, "trunk unregistered"),
    }
}
