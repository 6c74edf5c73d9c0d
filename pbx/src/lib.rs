//! Centrala's daemon as a library: the command line, the configuration commands and the
//! daemon shell, shared by the `centrala` binary and the tests.

pub mod cli;
pub mod config_cmd;
pub mod contacts_cmd;
pub mod control;
pub mod daemon;
pub mod explain_cmd;
pub mod line;
pub mod media;
pub mod notify;
pub mod routing;
pub mod sip;
pub mod storage;
pub mod switch;
pub mod voicemail;
pub mod watchdog;
