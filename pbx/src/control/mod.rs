//! The control socket: how the console (and tests) read and change the running PBX.
//! [`protocol`] is the wire format, shared with `centrala-console`.

pub mod audit;
pub mod core;
pub mod protocol;
