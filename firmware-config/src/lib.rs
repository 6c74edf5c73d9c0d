//! Centrala's configuration: the schema of everything an administrator can set, phone-number
//! normalisation, whole-configuration validation, the persistent two-slot store and the TOML
//! text form used for backups and provisioning.

pub mod bounded;
pub mod bounds;
pub mod config;
pub mod default;
pub mod employee;
pub mod entry;
pub mod group;
pub mod line;
pub mod number;
pub mod outbound;
pub mod persist;
pub mod sample;
pub mod schedule;
pub mod storage;
pub mod store;
pub mod system;
pub mod text;
pub mod time;
pub mod trunk;
pub mod validate;

pub use config::Config;
