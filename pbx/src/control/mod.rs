//! The control socket: how the console (and tests) read and change the running PBX.
//!
//! - [`protocol`] is the wire format, shared with `centrala-console`;
//! - [`core`] decides requests (revisions, conflicts, validation), sans-IO;
//! - [`access`] decides who may open the socket and who the audit log names;
//! - [`audit`] is the append-only audit log of accepted changes;
//! - [`contacts`] answers the CRM's contact requests (list, save, remove, import), sans-IO;
//! - [`history`] keeps recent call records and notifications and answers the history,
//!   statistics and voicemail requests, sans-IO; [`journal`] is the files behind it;
//! - [`status`] takes the live state from the switch and paces its events;
//! - [`server`] is the tokio shell: the Unix socket, connections, storing and applying.

pub mod access;
pub mod audit;
pub mod contacts;
pub mod core;
pub mod history;
pub mod journal;
pub mod protocol;
pub mod server;
pub mod status;
