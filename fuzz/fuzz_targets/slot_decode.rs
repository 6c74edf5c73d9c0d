//! Arbitrary bytes as a slot file: the envelope decoder, the body decoder behind it, and a
//! whole `ConfigStore::load` with these bytes in slot A and a fixed valid slot B.
//!
//! Invariants: nothing panics; the load picks A exactly when A's envelope and body decode
//! and A is at least as new as B (ties go to A); otherwise it picks B.
//!
//! Random bytes almost never carry a correct CRC, so each input is also tried a second time
//! sealed in a correct envelope: schema version from the first byte (0 to 3: too old, 1,
//! current, newer), generation from the second (0 to 10, around B's 5), body the rest.

#![no_main]

use std::fs;
use std::path::PathBuf;
use std::sync::OnceLock;

use firmware_config::persist::{self, ConfigStore, SCHEMA_VERSION};
use firmware_config::store::{self, SlotId, SlotState, HEADER_LEN, MAX_BODY};
use firmware_config::Config;
use libfuzzer_sys::fuzz_target;

/// Slot B's generation.
const B_GENERATION: u64 = 5;

struct Fixture {
    dir: PathBuf,
    b_config: Config,
}

/// One store directory per process, slot B written once (a load never modifies files).
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        // run.sh points TMPDIR at a directory of its own and removes it afterwards.
        let dir = std::env::temp_dir().join(format!("slot_decode-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("create the store directory");
        let b_config = firmware_config_fuzz::small_office();
        let body = persist::encode(&b_config).expect("encode slot B");
        let slot_b = store::encode_envelope(SCHEMA_VERSION, B_GENERATION, &body);
        fs::write(dir.join(SlotId::B.file_name()), slot_b).expect("write slot B");
        Fixture { dir, b_config }
    })
}

fuzz_target!(|data: &[u8]| {
    check_slot_a(data);
    if let [version, generation, body @ ..] = data {
        let version = u16::from(version % 4);
        let generation = u64::from(generation % 11);
        check_slot_a(&store::encode_envelope(version, generation, body));
    }
});

/// Loads the store with `data` as slot A and checks which slot it picked, and why.
fn check_slot_a(data: &[u8]) {
    // The decoders on their own.
    let a = store::decode_envelope(data).ok().map(|envelope| {
        let decoded = persist::decode(envelope.schema_version, envelope.body);
        (envelope.generation, envelope.schema_version, decoded.ok())
    });

    // The store reads at most one byte more than the largest valid envelope; bigger inputs
    // are invalid either way (libFuzzer's inputs are far smaller anyway).
    let a = if data.len() <= HEADER_LEN + MAX_BODY {
        a
    } else {
        None
    };

    let fixture = fixture();
    fs::write(fixture.dir.join(SlotId::A.file_name()), data).expect("write slot A");
    let loaded = ConfigStore::new(&fixture.dir)
        .load()
        .expect("load never fails");
    let (slot, generation, version, config) = loaded.value.expect("slot B is always usable");
    let [state_a, state_b] = loaded.reports.map(|r| r.state);

    match a {
        Some((a_gen, a_version, Some(a_config))) if a_gen >= B_GENERATION => {
            assert_eq!((slot, generation, version), (SlotId::A, a_gen, a_version));
            assert!(config == a_config, "slot A loaded but not as decoded");
            assert_eq!(
                state_a,
                SlotState::Loaded {
                    generation: a_gen,
                    schema_version: a_version
                }
            );
            assert_eq!(
                state_b,
                SlotState::NotNeeded {
                    generation: B_GENERATION
                }
            );
        }
        _ => {
            assert_eq!(
                (slot, generation, version),
                (SlotId::B, B_GENERATION, SCHEMA_VERSION)
            );
            assert!(
                config == fixture.b_config,
                "slot B loaded but not as written"
            );
            let b_loaded = SlotState::Loaded {
                generation: B_GENERATION,
                schema_version: SCHEMA_VERSION,
            };
            assert_eq!(state_b, b_loaded);
            match a {
                // An intact envelope is decoded only if it is newer than B.
                Some((a_gen, _, _)) if a_gen < B_GENERATION => {
                    assert_eq!(state_a, SlotState::NotNeeded { generation: a_gen })
                }
                Some((a_gen, a_version, _)) if a_version > SCHEMA_VERSION => assert_eq!(
                    state_a,
                    SlotState::NewerSchema {
                        generation: a_gen,
                        version: a_version
                    }
                ),
                Some((a_gen, _, _)) => assert!(
                    matches!(state_a, SlotState::Rejected { generation: Some(g), .. } if g == a_gen),
                    "{state_a:?}"
                ),
                None => assert!(matches!(state_a, SlotState::Rejected { .. }), "{state_a:?}"),
            }
        }
    }
}
