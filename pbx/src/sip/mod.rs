//! SIP: the wire format in front of rsip, RFC 3261 transactions, digest authentication and the
//! registrar. The protocol parts are sans-IO state machines fed with time.

pub mod digest;
pub mod method;
pub mod registrar;
pub mod sdp;
pub mod transaction;
pub mod wire;
