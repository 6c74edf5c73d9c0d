//! The configuration on flash: postcard bodies in the two-slot store, schema versions and
//! their migration, and what the daemon does at start-up when slots are missing or bad.

mod v1;
mod v2;
mod v3;
mod v4;

use std::path::PathBuf;

use crate::config::Config;
use crate::default::{factory_default, GeneratedPassword, NoRandomness};
use crate::store::{DecodeRejection, Loaded, SlotId, SlotReport, SlotState, SlotStore, SlotWrite};
use crate::validate::{validate, Problem};

/// The schema version this build writes. Version 1 had one password per employee (user name =
/// extension); version 2 gives each employee a list of SIP devices; version 3 adds the limits
/// on outside calls (`outbound`); version 4 lets an analog line carry outside calls and run a
/// daily health check; version 5 adds the size limits of what the daemon writes (`storage`).
pub const SCHEMA_VERSION: u16 = 5;
/// The oldest schema version this build can read and migrate.
pub const OLDEST_READABLE: u16 = 1;

/// Why a slot's body could not be turned into a configuration.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body is not a postcard encoding of that schema version.
    #[error("the body does not decode as schema version {version}: {source}")]
    Postcard {
        /// The version the envelope claimed.
        version: u16,
        /// What postcard said.
        source: postcard::Error,
    },
    /// A version older than any this build knows.
    #[error(
        "schema version {0} is older than any this build can migrate (oldest: {OLDEST_READABLE})"
    )]
    TooOld(u16),
}

/// A failure to store a configuration.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The configuration is not valid; nothing was written.
    #[error("the configuration has {} problem(s); nothing was saved", .0.len())]
    Invalid(Vec<Problem>),
    /// Encoding failed (a bound was exceeded).
    #[error("cannot encode the configuration: {0}")]
    Encode(postcard::Error),
    /// The store holds a newer configuration than the one the change was made on (someone
    /// wrote it outside this process, e.g. `centrala config import` while the daemon runs);
    /// nothing was written.
    #[error(
        "the stored configuration is generation {found}, not {expected}: it was changed outside \
         the daemon (e.g. by `centrala config import`); restart the daemon to run it"
    )]
    Moved {
        /// The generation the change was made on.
        expected: u64,
        /// The newest usable generation stored now (0: none).
        found: u64,
    },
    /// Writing failed; the previous configuration is still in the other slot.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The slot's file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// How the configuration the daemon runs on was obtained.
#[derive(Debug)]
pub enum Startup {
    /// Read from a slot (and migrated if it was older).
    Loaded {
        /// The configuration.
        config: Config,
        /// Which slot.
        slot: SlotId,
        /// Its generation.
        generation: u64,
        /// The schema version it was stored in, if older than [`SCHEMA_VERSION`].
        migrated_from: Option<u16>,
        /// What was found in each slot.
        reports: [SlotReport; 2],
    },
    /// Nothing was stored: the factory default was created and saved.
    Created {
        /// The configuration.
        config: Config,
        /// The generated SIP passwords, to show once.
        passwords: Vec<GeneratedPassword>,
    },
    /// Slots exist but none could be used: running on the factory default, nothing written,
    /// the bad files left as they are.
    Fallback {
        /// The configuration.
        config: Config,
        /// The generated SIP passwords, to show once.
        passwords: Vec<GeneratedPassword>,
        /// Why each slot was refused.
        reports: [SlotReport; 2],
    },
}

impl Startup {
    /// The configuration to run on.
    pub fn config(&self) -> &Config {
        match self {
            Startup::Loaded { config, .. }
            | Startup::Created { config, .. }
            | Startup::Fallback { config, .. } => config,
        }
    }

    /// Takes the configuration out.
    pub fn into_config(self) -> Config {
        match self {
            Startup::Loaded { config, .. }
            | Startup::Created { config, .. }
            | Startup::Fallback { config, .. } => config,
        }
    }
}

/// Encodes a configuration as a body of the current schema.
pub fn encode(config: &Config) -> Result<Vec<u8>, postcard::Error> {
    postcard::to_allocvec(config)
}

/// Decodes a body of the given schema version, migrating it to the current schema.
pub fn decode(version: u16, body: &[u8]) -> Result<Config, DecodeRejection<BodyError>> {
    let postcard = |source| DecodeRejection::Invalid(BodyError::Postcard { version, source });
    match version {
        SCHEMA_VERSION => postcard::from_bytes(body).map_err(postcard),
        4 => postcard::from_bytes::<v4::Config>(body)
            .map(v4::migrate)
            .map_err(postcard),
        3 => postcard::from_bytes::<v3::Config>(body)
            .map(|old| v4::migrate(v3::migrate(old)))
            .map_err(postcard),
        2 => postcard::from_bytes::<v2::Config>(body)
            .map(|old| v4::migrate(v3::migrate(v2::migrate(old))))
            .map_err(postcard),
        1 => postcard::from_bytes::<v1::Config>(body)
            .map(|old| v4::migrate(v3::migrate(v2::migrate(v1::migrate(old)))))
            .map_err(postcard),
        v if v > SCHEMA_VERSION => Err(DecodeRejection::NewerSchema { version: v }),
        v => Err(DecodeRejection::Invalid(BodyError::TooOld(v))),
    }
}

/// The configuration store of one appliance.
#[derive(Debug)]
pub struct ConfigStore {
    slots: SlotStore,
}

impl ConfigStore {
    /// A store in `dir` (created on the first save).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ConfigStore {
            slots: SlotStore::new(dir),
        }
    }

    /// The slot store underneath.
    pub fn slots(&self) -> &SlotStore {
        &self.slots
    }

    /// Reads the newest usable configuration, if any, with what was found in each slot.
    pub fn load(&self) -> std::io::Result<Loaded<Config>> {
        self.slots.load(decode)
    }

    /// What the daemon runs on: the newest usable slot; the factory default (saved) when
    /// nothing is stored; the factory default (not saved, bad files untouched) when slots exist
    /// but none can be used.
    pub fn startup(&mut self) -> Result<Startup, StartupError> {
        let Loaded { value, reports } = self.load().map_err(StartupError::Read)?;
        if let Some((slot, generation, version, config)) = value {
            let migrated_from = (version != SCHEMA_VERSION).then_some(version);
            return Ok(Startup::Loaded {
                config,
                slot,
                generation,
                migrated_from,
                reports,
            });
        }
        let (config, passwords) = factory_default().map_err(StartupError::Random)?;
        let nothing_stored = reports
            .iter()
            .all(|r| matches!(r.state, SlotState::Missing));
        if nothing_stored {
            self.save(&config).map_err(StartupError::Save)?;
            Ok(Startup::Created { config, passwords })
        } else {
            Ok(Startup::Fallback {
                config,
                passwords,
                reports,
            })
        }
    }

    /// [`ConfigStore::save`], but only over generation `expected` (0: nothing usable
    /// stored): if the newest usable configuration on disk is another one, nothing is written
    /// and [`SaveError::Moved`] says so — a change made on an old configuration never silently
    /// replaces a newer one.
    pub fn save_over(&mut self, config: &Config, expected: u64) -> Result<SlotWrite, SaveError> {
        let loaded = self.load().map_err(|source| SaveError::Io {
            path: self.slots.dir().to_path_buf(),
            source,
        })?;
        let found = loaded.value.map(|(_, g, _, _)| g).unwrap_or(0);
        if found != expected {
            return Err(SaveError::Moved { expected, found });
        }
        self.save(config)
    }

    /// Validates and stores a configuration in the older slot; only after the write is synced
    /// does it count.
    pub fn save(&mut self, config: &Config) -> Result<SlotWrite, SaveError> {
        let problems = validate(config);
        if !problems.is_empty() {
            return Err(SaveError::Invalid(problems));
        }
        let body = encode(config).map_err(SaveError::Encode)?;
        self.slots.create_dir().map_err(|source| SaveError::Io {
            path: self.slots.dir().to_path_buf(),
            source,
        })?;
        self.slots
            .save(SCHEMA_VERSION, &body)
            .map_err(|source| SaveError::Io {
                path: self.slots.dir().to_path_buf(),
                source,
            })
    }
}

/// Why the daemon could not decide what to run on.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The configuration directory could not be read at all.
    #[error("cannot read the configuration directory: {0}")]
    Read(std::io::Error),
    /// No randomness for the default passwords.
    #[error(transparent)]
    Random(NoRandomness),
    /// The factory default could not be saved.
    #[error("cannot save the factory default: {0}")]
    Save(SaveError),
}

#[cfg(test)]
mod tests;
