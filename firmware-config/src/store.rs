//! The persistent two-slot (A/B) configuration store.
//!
//! The configuration lives in two files, `slot-a.bin` and `slot-b.bin`. A save always
//! overwrites the slot that is worth least (missing, corrupt, or holding the older
//! generation), so a power cut in the middle of a write can only damage that slot and the
//! other one still holds the previous configuration.
//!
//! The store is schema-agnostic: it keeps opaque body bytes tagged with a schema version.
//! Each slot file is one envelope, all integers little-endian:
//!
//! | offset | size | field            | meaning                                                |
//! |--------|------|------------------|--------------------------------------------------------|
//! | 0      | 8    | `magic`          | `b"CNTRLCFG"`                                          |
//! | 8      | 2    | `schema_version` | version of the body's schema                           |
//! | 10     | 8    | `generation`     | increases by one with every save                       |
//! | 18     | 4    | `body_len`       | body length in bytes, at most [`MAX_BODY`]             |
//! | 22     | 4    | `crc`            | CRC-32/ISO-HDLC over bytes 0..22 followed by the body  |
//! | 26     | n    | `body`           | exactly `body_len` bytes, nothing after it             |
//!
//! A slot that is corrupt, or whose body the last load's decoder rejected, is the first to
//! be overwritten; its file is copied to `slot-a.rejected` / `slot-b.rejected` beforehand
//! unless such a copy already exists.

use std::cmp::Reverse;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The eight bytes every slot file starts with.
pub const MAGIC: [u8; 8] = *b"CNTRLCFG";
/// Length of the envelope header in bytes.
pub const HEADER_LEN: usize = 26;
/// The largest body an envelope may declare.
pub const MAX_BODY: usize = 1 << 20;

const CRC_OFFSET: usize = 22;
const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// Why a slot file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SlotError {
    /// The file is shorter than a header.
    #[error("the slot is truncated: {len} bytes, a header needs {HEADER_LEN}")]
    Truncated {
        /// Length of the file in bytes.
        len: usize,
    },
    /// The file does not start with [`MAGIC`].
    #[error("the slot does not start with the configuration marker CNTRLCFG")]
    BadMagic,
    /// The body is shorter (torn write) or longer (trailing garbage) than declared.
    #[error("the header declares a body of {declared} bytes but {actual} bytes follow it")]
    LengthMismatch {
        /// Body length from the header.
        declared: u32,
        /// Bytes actually present after the header.
        actual: usize,
    },
    /// The header declares a body larger than [`MAX_BODY`].
    #[error("the header declares a body of {declared} bytes, more than the limit of {MAX_BODY}")]
    TooLarge {
        /// Body length from the header.
        declared: u32,
    },
    /// The checksum does not match the content.
    #[error("the checksum does not match: stored {stored:#010x}, computed {computed:#010x}")]
    Checksum {
        /// Checksum from the header.
        stored: u32,
        /// Checksum of the header and body as read.
        computed: u32,
    },
    /// The file could not be read.
    #[error("the slot could not be read: {0}")]
    Io(#[from] io::Error),
}

/// A decoded envelope, borrowing its body from the bytes it was decoded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// Schema version of the body.
    pub schema_version: u16,
    /// Save counter; the larger generation is the newer configuration.
    pub generation: u64,
    /// The opaque body bytes.
    pub body: &'a [u8],
}

fn checksum(header: &[u8], body: &[u8]) -> u32 {
    let mut digest = CRC32.digest();
    digest.update(header);
    digest.update(body);
    digest.finalize()
}

/// Builds the envelope for `body`. A body longer than [`MAX_BODY`] yields an envelope that
/// [`decode_envelope`] rejects; [`SlotStore::save`] refuses such bodies.
pub fn encode_envelope(schema_version: u16, generation: u64, body: &[u8]) -> Vec<u8> {
    let body_len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&schema_version.to_le_bytes());
    out.extend_from_slice(&generation.to_le_bytes());
    out.extend_from_slice(&body_len.to_le_bytes());
    out.extend_from_slice(&checksum(&out, body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

fn field<const N: usize>(header: &[u8; HEADER_LEN], at: usize) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(&header[at..at + N]);
    out
}

/// Checks the header's length, magic and declared size; returns the envelope with an
/// unchecked body, the declared body length and the stored checksum.
fn parse_header(bytes: &[u8]) -> Result<(Envelope<'_>, u32, u32), SlotError> {
    let (header, body) = bytes
        .split_first_chunk::<HEADER_LEN>()
        .ok_or(SlotError::Truncated { len: bytes.len() })?;
    if header[..MAGIC.len()] != MAGIC {
        return Err(SlotError::BadMagic);
    }
    let declared = u32::from_le_bytes(field(header, 18));
    if declared as usize > MAX_BODY {
        return Err(SlotError::TooLarge { declared });
    }
    let schema_version = u16::from_le_bytes(field(header, 8));
    let generation = u64::from_le_bytes(field(header, 10));
    let envelope = Envelope {
        schema_version,
        generation,
        body,
    };
    Ok((
        envelope,
        declared,
        u32::from_le_bytes(field(header, CRC_OFFSET)),
    ))
}

/// Checks and decodes one slot file's bytes. Never allocates.
pub fn decode_envelope(bytes: &[u8]) -> Result<Envelope<'_>, SlotError> {
    let (envelope, declared, stored) = parse_header(bytes)?;
    let actual = envelope.body.len();
    if actual != declared as usize {
        return Err(SlotError::LengthMismatch { declared, actual });
    }
    let computed = checksum(&bytes[..CRC_OFFSET], envelope.body);
    if computed != stored {
        return Err(SlotError::Checksum { stored, computed });
    }
    Ok(envelope)
}

/// One of the two slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlotId {
    /// Slot A, file `slot-a.bin`.
    A,
    /// Slot B, file `slot-b.bin`.
    B,
}

impl SlotId {
    /// Both slots, A first.
    pub const ALL: [SlotId; 2] = [SlotId::A, SlotId::B];

    /// The other slot.
    pub fn other(self) -> SlotId {
        Self::ALL[1 - self.index()]
    }

    /// The slot's file name inside the store directory.
    pub fn file_name(self) -> &'static str {
        ["slot-a.bin", "slot-b.bin"][self.index()]
    }

    fn rejected_name(self) -> &'static str {
        ["slot-a.rejected", "slot-b.rejected"][self.index()]
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for SlotId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(["A", "B"][self.index()])
    }
}

/// Why the caller's decoder refused an intact envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeRejection<E> {
    /// Written by a newer build: intact but unreadable here, kept while it is the newest.
    NewerSchema {
        /// The body's schema version.
        version: u16,
    },
    /// The body does not decode (or migrate).
    Invalid(E),
}

/// What a load found in one slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotState {
    /// The file does not exist.
    Missing,
    /// This slot's configuration was loaded.
    Loaded {
        /// Its generation.
        generation: u64,
        /// Its schema version.
        schema_version: u16,
    },
    /// Intact but not decoded, because a newer slot decoded.
    NotNeeded {
        /// Its generation.
        generation: u64,
    },
    /// Corrupt, unreadable, or its body does not decode.
    Rejected {
        /// Its generation, if the header can be trusted.
        generation: Option<u64>,
        /// Plain-English reason.
        reason: String,
    },
    /// Intact but written with a schema newer than this build understands.
    NewerSchema {
        /// Its generation.
        generation: u64,
        /// Its schema version.
        version: u16,
    },
}

/// The state of one slot after a load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotReport {
    /// Which slot.
    pub slot: SlotId,
    /// What was found there.
    pub state: SlotState,
}

/// The result of [`SlotStore::load`].
#[derive(Debug)]
pub struct Loaded<T> {
    /// Slot, generation, schema version and value loaded; `None` if no slot decoded.
    pub value: Option<(SlotId, u64, u16, T)>,
    /// One report per slot, A then B.
    pub reports: [SlotReport; 2],
}

/// Where a save wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotWrite {
    /// The slot overwritten.
    pub slot: SlotId,
    /// The generation written.
    pub generation: u64,
}

/// A slot file as read from disk.
enum Found {
    Missing,
    /// The generation is known only when the header is trustworthy: complete, correctly
    /// marked, and only the body's length is wrong (a torn write or trailing garbage).
    Corrupt(Option<u64>, SlotError),
    Intact(Intact),
}

/// A slot file holding a verified envelope.
struct Intact {
    bytes: Vec<u8>,
    schema_version: u16,
    generation: u64,
}

impl Found {
    fn read(path: &Path) -> Found {
        let bytes = match read_slot(path) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Found::Missing,
            Err(error) => return Found::Corrupt(None, error),
        };
        let (schema_version, generation) = match decode_envelope(&bytes) {
            Ok(envelope) => (envelope.schema_version, envelope.generation),
            Err(error @ SlotError::LengthMismatch { .. }) => {
                let header = parse_header(&bytes).ok();
                return Found::Corrupt(header.map(|(e, ..)| e.generation), error);
            }
            Err(error) => return Found::Corrupt(None, error),
        };
        Found::Intact(Intact {
            bytes,
            schema_version,
            generation,
        })
    }
}

/// How much a slot is worth keeping, least first; a save overwrites the least.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Worth {
    Missing,
    Corrupt,
    Valid,
}

/// A load's decoder, as handed to [`SlotStore::load`].
type Decoder<'d, T, E> = &'d dyn Fn(u16, &[u8]) -> Result<T, DecodeRejection<E>>;

/// The two slot files in one directory.
#[derive(Debug)]
pub struct SlotStore {
    dir: PathBuf,
    /// Per slot, the generation whose intact envelope the last load's decoder found invalid;
    /// a save treats that slot as corrupt while it still holds that generation.
    invalid_body: Mutex<[Option<u64>; 2]>,
}

impl SlotStore {
    /// A store over `dir`; touches nothing on disk.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let invalid_body = Mutex::new([None; 2]);
        SlotStore {
            dir: dir.into(),
            invalid_body,
        }
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Creates the store directory and its parents.
    pub fn create_dir(&self) -> io::Result<()> {
        fs::create_dir_all(&self.dir)
    }

    /// The path of a slot's file.
    pub fn slot_path(&self, slot: SlotId) -> PathBuf {
        self.dir.join(slot.file_name())
    }

    fn invalid_body(&self) -> MutexGuard<'_, [Option<u64>; 2]> {
        let lock = self.invalid_body.lock();
        lock.unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads both slots and returns the newest that `decode` accepts, with a report per
    /// slot. Damaged or unreadable slots are reported, never fatal, and never modified.
    /// The `Result` is kept for future directory-level failures; today it is always `Ok`.
    pub fn load<T, E: fmt::Display>(
        &self,
        decode: impl Fn(u16, &[u8]) -> Result<T, DecodeRejection<E>>,
    ) -> Result<Loaded<T>, io::Error> {
        let found = SlotId::ALL.map(|slot| Found::read(&self.slot_path(slot)));
        let mut reports = SlotId::ALL.map(|slot| (slot, SlotState::Missing));
        let mut candidates = Vec::new();
        for (slot, found) in SlotId::ALL.into_iter().zip(&found) {
            match found {
                Found::Missing => {}
                Found::Corrupt(generation, error) => {
                    reports[slot.index()].1 = self.reject(slot, *generation, error);
                }
                Found::Intact(intact) => candidates.push((slot, intact)),
            }
        }
        candidates.sort_by_key(|&(slot, intact)| (Reverse(intact.generation), slot.index()));
        let value = self.decode_newest(candidates, &mut reports, &decode);
        let reports = reports.map(|(slot, state)| SlotReport { slot, state });
        Ok(Loaded { value, reports })
    }

    /// Decodes the intact slots newest first until one succeeds; records every outcome.
    fn decode_newest<T, E: fmt::Display>(
        &self,
        candidates: Vec<(SlotId, &Intact)>,
        reports: &mut [(SlotId, SlotState); 2],
        decode: Decoder<'_, T, E>,
    ) -> Option<(SlotId, u64, u16, T)> {
        let mut invalid = [None; 2];
        let mut value = None;
        for (slot, intact) in candidates {
            let state = match value {
                Some(_) => SlotState::NotNeeded {
                    generation: intact.generation,
                },
                None => self.try_decode(slot, intact, decode, &mut value),
            };
            if let SlotState::Rejected { generation, .. } = state {
                invalid[slot.index()] = generation;
            }
            reports[slot.index()].1 = state;
        }
        *self.invalid_body() = invalid;
        value
    }

    /// Runs the caller's decoder on one intact slot.
    fn try_decode<T, E: fmt::Display>(
        &self,
        slot: SlotId,
        intact: &Intact,
        decode: Decoder<'_, T, E>,
        value: &mut Option<(SlotId, u64, u16, T)>,
    ) -> SlotState {
        let (generation, schema_version) = (intact.generation, intact.schema_version);
        match decode(schema_version, &intact.bytes[HEADER_LEN..]) {
            Ok(decoded) => {
                *value = Some((slot, generation, schema_version, decoded));
                SlotState::Loaded {
                    generation,
                    schema_version,
                }
            }
            Err(DecodeRejection::NewerSchema { version }) => {
                let path = self.slot_path(slot);
                tracing::warn!(%slot, path = %path.display(), version, "slot has a newer schema");
                SlotState::NewerSchema {
                    generation,
                    version,
                }
            }
            Err(DecodeRejection::Invalid(e)) => {
                let reason = format_args!("the body does not decode: {e}");
                self.reject(slot, Some(generation), &reason)
            }
        }
    }

    fn reject(&self, slot: SlotId, generation: Option<u64>, why: &dyn fmt::Display) -> SlotState {
        let (reason, path) = (why.to_string(), self.slot_path(slot));
        tracing::warn!(%slot, path = %path.display(), %reason, "configuration slot rejected");
        SlotState::Rejected { generation, reason }
    }

    /// Writes `body` as the next generation into the slot worth least, judged from the slot
    /// files as they are now. A corrupt slot is first copied to `slot-X.rejected` (unless that
    /// file exists). Returns only after the file and the directory are synced.
    pub fn save(&mut self, schema_version: u16, body: &[u8]) -> io::Result<SlotWrite> {
        if body.len() > MAX_BODY {
            let msg = format!("the configuration is {} bytes, over {MAX_BODY}", body.len());
            return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        }
        let worth = SlotId::ALL.map(|slot| self.worth(slot));
        let highest = worth.iter().filter_map(|&(_, generation)| generation).max();
        let generation = highest
            .unwrap_or(0)
            .checked_add(1)
            .ok_or_else(|| io::Error::other("the configuration generation counter is exhausted"))?;
        // B only if it is worth strictly less, so ties go to A.
        let slot = SlotId::ALL[usize::from(worth[1] < worth[0])];
        if worth[slot.index()].0 == Worth::Corrupt {
            self.preserve_rejected(slot);
        }
        self.write_slot(slot, &encode_envelope(schema_version, generation, body))?;
        self.invalid_body()[slot.index()] = None;
        tracing::info!(%slot, generation, "configuration saved");
        Ok(SlotWrite { slot, generation })
    }

    /// A slot's worth and the generation it counts with, from the file as it is now.
    fn worth(&self, slot: SlotId) -> (Worth, Option<u64>) {
        match Found::read(&self.slot_path(slot)) {
            Found::Missing => (Worth::Missing, None),
            Found::Corrupt(generation, _) => (Worth::Corrupt, generation),
            Found::Intact(Intact { generation, .. }) => {
                let invalid = self.invalid_body()[slot.index()] == Some(generation);
                let worth = if invalid {
                    Worth::Corrupt
                } else {
                    Worth::Valid
                };
                (worth, Some(generation))
            }
        }
    }

    /// Keeps a copy of a corrupt slot; failing to do so is logged, not fatal.
    fn preserve_rejected(&self, slot: SlotId) {
        let target = self.dir.join(slot.rejected_name());
        if let Err(e) = copy_if_absent(&self.slot_path(slot), &target) {
            let path = target.display();
            tracing::warn!(%slot, %path, error = %e, "could not keep the corrupt slot");
        }
    }

    fn write_slot(&self, slot: SlotId, bytes: &[u8]) -> io::Result<()> {
        let mut file = File::create(self.slot_path(slot))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        sync_dir(&self.dir)
    }
}

/// Reads a slot file, at most one byte more than the largest valid envelope.
/// A missing file is `Ok(None)`.
fn read_slot(path: &Path) -> Result<Option<Vec<u8>>, SlotError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mut bytes = Vec::new();
    file.take((HEADER_LEN + MAX_BODY + 1) as u64)
        .read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

fn copy_if_absent(from: &Path, to: &Path) -> io::Result<()> {
    let mut source = File::open(from)?;
    let mut target = match OpenOptions::new().write(true).create_new(true).open(to) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(e),
    };
    io::copy(&mut source, &mut target)?;
    target.sync_all()
}

/// Makes a new directory entry durable. Platforms that cannot open or sync a directory
/// (not Unix) are allowed to refuse.
fn sync_dir(dir: &Path) -> io::Result<()> {
    match File::open(dir).and_then(|d| d.sync_all()) {
        Err(e) if cfg!(unix) => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SlotId::{A, B};

    const CURRENT: u16 = 3;
    type Value = Option<(SlotId, u64, u16, Vec<u8>)>;

    /// A decoder for schema `CURRENT`: the body `b"bad"` does not decode.
    fn decode(version: u16, body: &[u8]) -> Result<Vec<u8>, DecodeRejection<&'static str>> {
        match body {
            _ if version > CURRENT => Err(DecodeRejection::NewerSchema { version }),
            b"bad" => Err(DecodeRejection::Invalid("bad body")),
            _ => Ok(body.to_vec()),
        }
    }

    fn store() -> (tempfile::TempDir, SlotStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SlotStore::new(dir.path().join("config"));
        store.create_dir().unwrap();
        (dir, store)
    }

    fn save(store: &mut SlotStore, version: u16, body: &[u8]) -> (SlotId, u64) {
        let write = store.save(version, body).unwrap();
        (write.slot, write.generation)
    }

    /// Saves `body(1..=3)`: A holds generation 3, B generation 2.
    fn save_three(store: &mut SlotStore) {
        let writes: Vec<_> = (1..=3).map(|i| save(store, CURRENT, &body(i))).collect();
        assert_eq!(writes, [(A, 1), (B, 2), (A, 3)]);
    }

    fn load(store: &SlotStore) -> (Value, [SlotState; 2]) {
        let loaded = store.load(decode).unwrap();
        assert_eq!(loaded.reports.each_ref().map(|r| r.slot), SlotId::ALL);
        (loaded.value, loaded.reports.map(|r| r.state))
    }

    fn body(seed: u8) -> Vec<u8> {
        (0..300u16)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed)
            .collect()
    }

    fn read(store: &SlotStore, name: &str) -> Vec<u8> {
        fs::read(store.dir().join(name)).unwrap()
    }

    #[test]
    fn envelope_round_trips_and_speaks_english() {
        let bytes = encode_envelope(7, 42, b"hello");
        assert_eq!(bytes.len(), HEADER_LEN + 5);
        let expected = Envelope {
            schema_version: 7,
            generation: 42,
            body: b"hello",
        };
        assert_eq!(decode_envelope(&bytes).unwrap(), expected);
        let error = decode_envelope(&[0; 12]).unwrap_err().to_string();
        assert_eq!(error, "the slot is truncated: 12 bytes, a header needs 26");
    }

    #[test]
    fn every_single_bit_flip_is_rejected() {
        let bytes = encode_envelope(2, 9, b"some body");
        for bit in 0..bytes.len() * 8 {
            let mut damaged = bytes.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            assert!(
                decode_envelope(&damaged).is_err(),
                "flip of bit {bit} accepted"
            );
        }
    }

    #[test]
    fn truncation_and_trailing_garbage_are_rejected() {
        let mut bytes = encode_envelope(2, 9, b"some body");
        for len in 0..bytes.len() {
            match decode_envelope(&bytes[..len]) {
                Err(SlotError::Truncated { len: l }) => assert!(l == len && len < HEADER_LEN),
                Err(SlotError::LengthMismatch {
                    declared: 9,
                    actual,
                }) => assert!(actual < 9),
                other => panic!("length {len}: {other:?}"),
            }
        }
        bytes.push(0);
        let error = decode_envelope(&bytes).unwrap_err();
        assert!(matches!(
            error,
            SlotError::LengthMismatch {
                declared: 9,
                actual: 10
            }
        ));
    }

    #[test]
    fn wrong_magic_and_huge_length_are_rejected() {
        let mut bytes = encode_envelope(1, 1, b"");
        bytes[18..22].copy_from_slice(&u32::MAX.to_le_bytes());
        let error = decode_envelope(&bytes).unwrap_err();
        assert!(matches!(error, SlotError::TooLarge { declared: u32::MAX }));
        bytes[0] = b'X';
        assert!(matches!(decode_envelope(&bytes), Err(SlotError::BadMagic)));
    }

    #[test]
    fn empty_store_loads_nothing() {
        let (_dir, store) = store();
        assert_eq!(
            load(&store),
            (None, [SlotState::Missing, SlotState::Missing])
        );
    }

    #[test]
    fn saves_alternate_slots_and_load_picks_newest() {
        let (_dir, mut store) = store();
        save_three(&mut store);
        let (value, states) = load(&store);
        assert_eq!(value, Some((A, 3, CURRENT, body(3))));
        let loaded = SlotState::Loaded {
            generation: 3,
            schema_version: CURRENT,
        };
        assert_eq!(states, [loaded, SlotState::NotNeeded { generation: 2 }]);
    }

    #[test]
    fn torn_or_flipped_newest_slot_falls_back_to_previous() {
        let (_dir, mut store) = store();
        save_three(&mut store);
        let intact = read(&store, "slot-a.bin");
        let torn = (0..intact.len()).map(|len| intact[..len].to_vec());
        let flipped = (0..intact.len()).map(|at| {
            let mut bytes = intact.clone();
            bytes[at] ^= 0x5a;
            bytes
        });
        for damaged in torn.chain(flipped) {
            fs::write(store.slot_path(A), &damaged).unwrap();
            let (value, [state_a, _]) = load(&store);
            assert_eq!(value, Some((B, 2, CURRENT, body(2))), "damage {damaged:?}");
            assert!(matches!(state_a, SlotState::Rejected { .. }));
        }
    }

    #[test]
    fn torn_write_with_intact_header_counts_its_generation() {
        let (_dir, mut store) = store();
        save_three(&mut store);
        let intact = read(&store, "slot-a.bin");
        fs::write(store.slot_path(A), &intact[..HEADER_LEN + 10]).unwrap();
        assert_eq!(save(&mut store, CURRENT, &body(4)), (A, 4));
        assert_eq!(load(&store).0, Some((A, 4, CURRENT, body(4))));
    }

    #[test]
    fn both_corrupt_loads_nothing_and_leaves_files_alone() {
        let (_dir, store) = store();
        fs::write(store.slot_path(A), b"garbage long enough to hold a header").unwrap();
        fs::write(store.slot_path(B), b"short").unwrap();
        let before = [read(&store, "slot-a.bin"), read(&store, "slot-b.bin")];
        let (value, states) = load(&store);
        assert!(value.is_none());
        for state in states {
            let SlotState::Rejected {
                generation: None,
                reason,
            } = state
            else {
                panic!("not rejected: {state:?}");
            };
            assert!(!reason.is_empty());
        }
        assert_eq!(
            before,
            [read(&store, "slot-a.bin"), read(&store, "slot-b.bin")]
        );
        assert!(!store.dir().join("slot-a.rejected").exists());
    }

    #[test]
    fn save_over_corrupt_slot_keeps_first_rejected_copy() {
        let (_dir, mut store) = store();
        fs::write(store.slot_path(A), b"first garbage").unwrap();
        fs::write(store.slot_path(B), b"other garbage").unwrap();
        assert_eq!(save(&mut store, CURRENT, b"one"), (A, 1));
        assert_eq!(save(&mut store, CURRENT, b"two"), (B, 2));
        assert_eq!(read(&store, "slot-a.rejected"), b"first garbage");
        assert_eq!(read(&store, "slot-b.rejected"), b"other garbage");
        fs::write(store.slot_path(A), b"second garbage").unwrap();
        assert_eq!(save(&mut store, CURRENT, b"three"), (A, 3));
        assert_eq!(read(&store, "slot-a.rejected"), b"first garbage");
        assert_eq!(load(&store).0, Some((A, 3, CURRENT, b"three".to_vec())));
    }

    #[test]
    fn newer_schema_slot_is_protected_while_newest() {
        let (_dir, mut store) = store();
        save(&mut store, CURRENT, b"one");
        save(&mut store, CURRENT, b"two");
        assert_eq!(save(&mut store, CURRENT + 1, b"future"), (A, 3));
        let (value, [state_a, _]) = load(&store);
        assert_eq!(value, Some((B, 2, CURRENT, b"two".to_vec())));
        let newer = SlotState::NewerSchema {
            generation: 3,
            version: CURRENT + 1,
        };
        assert_eq!(state_a, newer);
        assert_eq!(save(&mut store, CURRENT, b"four"), (B, 4));
        let slot_a = read(&store, "slot-a.bin");
        assert_eq!(decode_envelope(&slot_a).unwrap().body, b"future");
    }

    #[test]
    fn invalid_body_falls_back_and_is_sacrificed_next() {
        let (_dir, mut store) = store();
        save(&mut store, CURRENT, b"good");
        save(&mut store, CURRENT, b"bad");
        let (value, [_, state_b]) = load(&store);
        assert_eq!(value, Some((A, 1, CURRENT, b"good".to_vec())));
        let SlotState::Rejected {
            generation: Some(2),
            reason,
        } = state_b
        else {
            panic!("slot B not rejected: {state_b:?}");
        };
        assert!(reason.contains("bad body"), "{reason}");
        assert_eq!(save(&mut store, CURRENT, b"better"), (B, 3));
        assert_eq!(
            read(&store, "slot-b.rejected"),
            encode_envelope(CURRENT, 2, b"bad")
        );
    }

    #[test]
    fn oversized_body_is_refused() {
        let (_dir, mut store) = store();
        let error = store.save(CURRENT, &vec![0; MAX_BODY + 1]).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(!store.slot_path(A).exists());
    }

    #[test]
    fn slot_ids_display_and_swap() {
        assert_eq!((A.to_string(), B.to_string()), ("A".into(), "B".into()));
        assert_eq!((A.other(), B.other()), (B, A));
    }
}
