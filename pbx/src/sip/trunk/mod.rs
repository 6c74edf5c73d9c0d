//! SIP trunks: Centrala as a client of a telephony provider. For now, registration: one
//! [`Registration`] per trunk with `register = true` keeps Centrala's contact registered at the
//! provider, answering digest challenges with [`auth`]. The endpoint drives them
//! (`endpoint/trunk.rs`); inbound and outbound trunk calls come later.

pub mod auth;
pub mod registration;

pub use registration::{Input, Output, Registration, Settings, State, TxFailure};
