//! SIP: the wire format in front of rsip, RFC 3261 transactions, digest authentication, the
//! registrar, per-source rate limiting, the endpoint (the transaction user for everything but
//! calls), registration at SIP trunk providers and the tokio transport. The protocol parts are
//! sans-IO state machines fed with time.

pub mod address;
pub mod b2bua;
pub mod dialog;
pub mod digest;
pub mod endpoint;
pub mod message;
pub mod method;
pub mod rate;
pub mod registrar;
pub mod sdp;
pub mod transaction;
pub mod transport;
pub mod trunk;
pub mod wire;
