use super::*;
use crate::bounded::{Table, Text};
use crate::default::factory_default;
use crate::number::CountryCode;
use crate::outbound::Outbound;
use crate::store::{decode_envelope, encode_envelope};

/// A slot written by schema version 1 (generation 7): the demo office with passwords
/// `old-pass-101` … `old-pass-103`. Regenerate with
/// `cargo test -p firmware-config write_v1_fixture -- --ignored` only if v1 itself was wrong.
const V1_SLOT: &[u8] = include_bytes!("../../tests/fixtures/v1-slot.bin");
const V1_FIXTURE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v1-slot.bin");

/// A slot written by schema version 2 (generation 11): the demo office with passwords
/// `v2-pass-101` … `v2-pass-103`, outside calls allowed to Poland only, no outbound limits.
/// Regenerate with `cargo test -p firmware-config write_v2_fixture -- --ignored` only if v2
/// itself was wrong.
const V2_SLOT: &[u8] = include_bytes!("../../tests/fixtures/v2-slot.bin");
const V2_FIXTURE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v2-slot.bin");

/// A slot written by schema version 3 (generation 15): the demo office with one analog line
/// `fxo1` (socket signalling, PL, three rings). Regenerate with
/// `cargo test -p firmware-config write_v3_fixture -- --ignored` only if v3 itself was wrong.
const V3_SLOT: &[u8] = include_bytes!("../../tests/fixtures/v3-slot.bin");
const V3_FIXTURE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v3-slot.bin");

/// A slot written by schema version 4 (generation 19): the v3 office with its line `fxo1`
/// carrying outside calls and checked daily at 03:00 Warsaw time. Regenerate with
/// `cargo test -p firmware-config write_v4_fixture -- --ignored` only if v4 itself was wrong.
const V4_SLOT: &[u8] = include_bytes!("../../tests/fixtures/v4-slot.bin");
const V4_FIXTURE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v4-slot.bin");

fn v1_office() -> v1::Config {
    let (c, _) = factory_default().expect("randomness");
    let employees = c
        .employees
        .iter()
        .map(|e| v1::Employee {
            extension: e.extension.clone(),
            name: e.name.clone(),
            mobile: e.mobile.clone(),
            presence: e.presence,
            password: Text::new(&format!("old-pass-{}", e.extension)).expect("fits"),
        })
        .collect();
    v1::Config {
        system: c.system,
        webhook: c.webhook,
        employees: Table::from_vec(employees).expect("fits"),
        groups: c.groups,
        schedules: c.schedules,
        entry_points: c.entry_points,
        trunks: c.trunks,
        lines: Table::default(),
    }
}

/// The v1 office as today's schema sees it.
fn current_office() -> Config {
    v4::migrate(v3::migrate(v2::migrate(v1::migrate(v1_office()))))
}

fn v2_office() -> v2::Config {
    let (c, _) = factory_default().expect("randomness");
    let mut employees = c.employees;
    for e in employees.as_mut_slice() {
        let password = Text::new(&format!("v2-pass-{}", e.extension)).expect("fits");
        e.devices[0].password = password;
    }
    let mut system = c.system;
    let poland = CountryCode::new(48).expect("assigned");
    system.allowed_country_codes.push(poland).expect("room");
    v2::Config {
        system,
        webhook: c.webhook,
        employees,
        groups: c.groups,
        schedules: c.schedules,
        entry_points: c.entry_points,
        trunks: c.trunks,
        lines: Table::default(),
    }
}

fn v3_line() -> v3::FxoLine {
    v3::FxoLine {
        name: Text::new("fxo1").expect("fits"),
        capture_device: Text::new("hw:1,0").expect("fits"),
        playback_device: Text::new("hw:1,0").expect("fits"),
        signalling: crate::line::Signalling::Socket(
            Text::new("/run/centrala/fxo1.sock").expect("fits"),
        ),
        country: crate::system::ToneCountry::PL,
        rings_before_answer: 3,
        number: None,
    }
}

fn v3_office() -> v3::Config {
    let mut office = v2::migrate(v2_office());
    office.lines.push(v3_line()).expect("room");
    office
}

fn v4_office() -> v4::Config {
    let mut office = v3::migrate(v3_office());
    let line = &mut office.lines.as_mut_slice()[0];
    line.outside_calls = true;
    line.health_check = Some(crate::line::HealthCheck {
        at: "03:00".parse().expect("a time"),
        time_zone: Text::new("Europe/Warsaw").expect("fits"),
    });
    office
}

#[test]
#[ignore = "writes the v4 fixture; run by hand only"]
fn write_v4_fixture() {
    let body = postcard::to_allocvec(&v4_office()).expect("encode");
    std::fs::write(V4_FIXTURE_PATH, encode_envelope(4, 19, &body)).expect("write fixture");
}

#[test]
fn the_v4_fixture_is_what_v4_wrote() {
    let env = decode_envelope(V4_SLOT).expect("fixture envelope");
    assert_eq!((env.schema_version, env.generation), (4, 19));
    let old: v4::Config = postcard::from_bytes(env.body).expect("v4 body");
    assert_eq!(old, v4_office());
}

#[test]
fn a_v4_slot_loads_with_the_default_storage_limits_and_keeps_everything_else() {
    let (_dir, mut store) = store_with(&[("slot-b.bin", V4_SLOT)]);
    let Startup::Loaded {
        config,
        slot,
        generation,
        migrated_from,
        ..
    } = store.startup().expect("startup")
    else {
        panic!("the v4 slot was not loaded");
    };
    assert_eq!((slot, generation, migrated_from), (SlotId::B, 19, Some(4)));
    assert_eq!(config.storage, crate::storage::Storage::default());
    let old = v4_office();
    assert_eq!(config.system, old.system);
    assert_eq!(config.outbound, old.outbound);
    assert_eq!(config.employees, old.employees);
    assert_eq!(config.lines, old.lines);
    assert!(config.lines[0].outside_calls);
    assert!(crate::validate::validate(&config).is_empty());
}

#[test]
fn a_v4_slot_saved_again_is_schema_5_with_its_limits() {
    let (dir, mut store) = store_with(&[("slot-a.bin", V4_SLOT)]);
    let mut config = store.startup().expect("startup").into_config();
    config.storage.calls_kib = 128;
    let written = store.save(&config).expect("save");
    assert_eq!((written.slot, written.generation), (SlotId::B, 20));
    let bytes = std::fs::read(dir.path().join("slot-b.bin")).expect("read");
    assert_eq!(decode_envelope(&bytes).expect("env").schema_version, 5);
    let Startup::Loaded { config: back, .. } = store.startup().expect("startup") else {
        panic!("not loaded");
    };
    assert_eq!(back.storage.calls_kib, 128);
    assert_eq!(
        std::fs::read(dir.path().join("slot-a.bin")).expect("a"),
        V4_SLOT
    );
}

#[test]
#[ignore = "writes the v3 fixture; run by hand only"]
fn write_v3_fixture() {
    let body = postcard::to_allocvec(&v3_office()).expect("encode");
    std::fs::write(V3_FIXTURE_PATH, encode_envelope(3, 15, &body)).expect("write fixture");
}

#[test]
fn the_v3_fixture_is_what_v3_wrote() {
    let env = decode_envelope(V3_SLOT).expect("fixture envelope");
    assert_eq!((env.schema_version, env.generation), (3, 15));
    let old: v3::Config = postcard::from_bytes(env.body).expect("v3 body");
    assert_eq!(old, v3_office());
}

#[test]
fn a_v3_slot_loads_with_its_lines_taking_no_outside_calls_and_no_health_check() {
    let (_dir, mut store) = store_with(&[("slot-a.bin", V3_SLOT)]);
    let Startup::Loaded {
        config,
        slot,
        generation,
        migrated_from,
        ..
    } = store.startup().expect("startup")
    else {
        panic!("the v3 slot was not loaded");
    };
    assert_eq!((slot, generation, migrated_from), (SlotId::A, 15, Some(3)));
    let old = v3_line();
    let line = &config.lines[0];
    assert_eq!(
        (&line.name, &line.signalling, line.rings_before_answer),
        (&old.name, &old.signalling, 3)
    );
    assert!(!line.outside_calls);
    assert_eq!(line.health_check, None);
    assert!(crate::validate::validate(&config).is_empty());
}

#[test]
#[ignore = "writes the committed fixture"]
fn write_v2_fixture() {
    let body = postcard::to_allocvec(&v2_office()).expect("encode");
    std::fs::write(V2_FIXTURE_PATH, encode_envelope(2, 11, &body)).expect("write fixture");
}

#[test]
#[ignore = "writes the committed fixture"]
fn write_v1_fixture() {
    let body = postcard::to_allocvec(&v1_office()).expect("encode");
    std::fs::write(V1_FIXTURE_PATH, encode_envelope(1, 7, &body)).expect("write fixture");
}

fn store_with(files: &[(&str, &[u8])]) -> (tempfile::TempDir, ConfigStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).expect("write slot");
    }
    let store = ConfigStore::new(dir.path());
    (dir, store)
}

#[test]
fn the_v1_fixture_is_what_v1_wrote() {
    let env = decode_envelope(V1_SLOT).expect("fixture envelope");
    assert_eq!((env.schema_version, env.generation), (1, 7));
    let old: v1::Config = postcard::from_bytes(env.body).expect("v1 body");
    assert_eq!(old.employees.len(), 3);
    assert_eq!(old.employees[2].password.as_str(), "old-pass-103");
}

#[test]
fn a_v1_slot_migrates_and_phones_keep_their_credentials() {
    let (_dir, mut store) = store_with(&[("slot-a.bin", V1_SLOT)]);
    let Startup::Loaded {
        config,
        slot,
        generation,
        migrated_from,
        ..
    } = store.startup().expect("startup")
    else {
        panic!("the v1 slot was not loaded");
    };
    assert_eq!((slot, generation, migrated_from), (SlotId::A, 7, Some(1)));
    for e in config.employees.iter() {
        assert_eq!(e.devices.len(), 1);
        assert_eq!(e.devices[0].username.as_str(), e.extension.as_str());
        assert_eq!(
            e.devices[0].password.as_str(),
            format!("old-pass-{}", e.extension)
        );
    }
    assert_eq!(config.groups, v1_office().groups);
    assert_eq!(config.outbound, Outbound::default());
    assert!(crate::validate::validate(&config).is_empty());
}

#[test]
fn the_v2_fixture_is_what_v2_wrote() {
    let env = decode_envelope(V2_SLOT).expect("fixture envelope");
    assert_eq!((env.schema_version, env.generation), (2, 11));
    let old: v2::Config = postcard::from_bytes(env.body).expect("v2 body");
    assert_eq!(old, v2_office());
}

#[test]
fn a_v2_slot_loads_with_the_default_outbound_limits() {
    let (_dir, mut store) = store_with(&[("slot-b.bin", V2_SLOT)]);
    let Startup::Loaded {
        config,
        slot,
        generation,
        migrated_from,
        ..
    } = store.startup().expect("startup")
    else {
        panic!("the v2 slot was not loaded");
    };
    assert_eq!((slot, generation, migrated_from), (SlotId::B, 11, Some(2)));
    assert_eq!(config.outbound, Outbound::default());
    let old = v2_office();
    assert_eq!(config.system, old.system);
    assert_eq!(config.employees, old.employees);
    assert_eq!(config.entry_points, old.entry_points);
    assert_eq!(
        config.employees[1].devices[0].password.as_str(),
        "v2-pass-102"
    );
    assert!(crate::validate::validate(&config).is_empty());
}

#[test]
fn the_newer_of_a_v1_and_a_v2_slot_wins() {
    let (_dir, mut store) = store_with(&[("slot-a.bin", V1_SLOT), ("slot-b.bin", V2_SLOT)]);
    let Startup::Loaded {
        slot,
        migrated_from,
        ..
    } = store.startup().expect("startup")
    else {
        panic!("not loaded");
    };
    assert_eq!((slot, migrated_from), (SlotId::B, Some(2)));
}

#[test]
fn saving_after_a_migration_keeps_the_old_slot_intact() {
    let (dir, mut store) = store_with(&[("slot-a.bin", V1_SLOT)]);
    let config = store.startup().expect("startup").into_config();
    let written = store.save(&config).expect("save");
    assert_eq!((written.slot, written.generation), (SlotId::B, 8));
    assert_eq!(
        std::fs::read(dir.path().join("slot-a.bin")).expect("read"),
        V1_SLOT
    );
    let Startup::Loaded {
        migrated_from,
        generation,
        ..
    } = store.startup().expect("startup")
    else {
        panic!("not loaded");
    };
    assert_eq!((migrated_from, generation), (None, 8));
}

#[test]
fn an_empty_store_gets_the_default_saved_once() {
    let (dir, mut store) = store_with(&[]);
    let Startup::Created { config, passwords } = store.startup().expect("startup") else {
        panic!("default not created");
    };
    assert_eq!(passwords.len(), 3);
    assert!(dir.path().join("slot-a.bin").exists());
    let Startup::Loaded { config: again, .. } = store.startup().expect("startup") else {
        panic!("default not stored");
    };
    assert_eq!(again, config);
}

#[test]
fn both_slots_bad_runs_the_default_and_leaves_the_files_alone() {
    let mut torn = encode_envelope(SCHEMA_VERSION, 4, b"whatever");
    torn.truncate(20);
    let mut flipped = encode_envelope(
        SCHEMA_VERSION,
        5,
        &encode(&current_office()).expect("encode"),
    );
    flipped[40] ^= 0x10;
    let (dir, mut store) = store_with(&[("slot-a.bin", &torn), ("slot-b.bin", &flipped)]);
    let Startup::Fallback { reports, .. } = store.startup().expect("startup") else {
        panic!("expected the factory fallback");
    };
    assert!(
        reports
            .iter()
            .all(|r| matches!(r.state, SlotState::Rejected { .. })),
        "{reports:?}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("slot-a.bin")).expect("a"),
        torn
    );
    assert_eq!(
        std::fs::read(dir.path().join("slot-b.bin")).expect("b"),
        flipped
    );
}

#[test]
fn a_slot_from_a_newer_schema_is_kept_and_the_older_one_used() {
    let current = encode(&current_office()).expect("encode");
    let newer = encode_envelope(SCHEMA_VERSION + 1, 9, b"future body");
    let older = encode_envelope(SCHEMA_VERSION, 8, &current);
    let (dir, mut store) = store_with(&[("slot-a.bin", &newer), ("slot-b.bin", &older)]);
    let startup = store.startup().expect("startup");
    let Startup::Loaded {
        slot,
        generation,
        reports,
        config,
        ..
    } = startup
    else {
        panic!("older slot not used");
    };
    assert_eq!((slot, generation), (SlotId::B, 8));
    assert!(reports.iter().any(|r| matches!(r.state, SlotState::NewerSchema { version, .. } if version == SCHEMA_VERSION + 1)));
    // The next save overwrites the older slot, never the newer-schema one.
    let w = store.save(&config).expect("save");
    assert_eq!((w.slot, w.generation), (SlotId::B, 10));
    assert_eq!(
        std::fs::read(dir.path().join("slot-a.bin")).expect("a"),
        newer
    );
}

#[test]
fn a_body_that_does_not_decode_falls_back_to_the_other_slot() {
    let good = encode_envelope(
        SCHEMA_VERSION,
        3,
        &encode(&current_office()).expect("encode"),
    );
    let garbage = encode_envelope(SCHEMA_VERSION, 4, &[0xff; 64]);
    let (_dir, mut store) = store_with(&[("slot-a.bin", &good), ("slot-b.bin", &garbage)]);
    let Startup::Loaded { slot, reports, .. } = store.startup().expect("startup") else {
        panic!("good slot not used");
    };
    assert_eq!(slot, SlotId::A);
    let reason = reports.iter().find_map(|r| match &r.state {
        SlotState::Rejected { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    assert!(
        reason.is_some_and(|r| r.contains(&format!("schema version {SCHEMA_VERSION}"))),
        "{reports:?}"
    );
}

#[test]
fn an_invalid_configuration_is_not_saved() {
    let (dir, mut store) = store_with(&[]);
    let mut config = current_office();
    config.groups.as_mut_slice()[0].ring_time_secs = 500;
    match store.save(&config) {
        Err(SaveError::Invalid(problems)) => assert_eq!(problems.len(), 1),
        other => panic!("saved an invalid configuration: {other:?}"),
    }
    assert!(!dir.path().join("slot-a.bin").exists());
}

#[test]
fn too_old_a_schema_is_refused_with_its_version() {
    match decode(0, &[]) {
        Err(DecodeRejection::Invalid(BodyError::TooOld(0))) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_save_over_an_old_generation_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (config, _) = crate::default::factory_default().unwrap_or_else(|e| panic!("{e:?}"));
    let mut daemon = ConfigStore::new(dir.path());
    let first = daemon
        .save_over(&config, 0)
        .unwrap_or_else(|e| panic!("{e}"));
    // Someone else (an import) writes the next generation behind the daemon's back.
    let mut other = ConfigStore::new(dir.path());
    let mut imported = config.clone();
    imported.system.name = crate::bounded::Text::new("Imported").unwrap_or_else(|e| panic!("{e}"));
    let theirs = other.save(&imported).unwrap_or_else(|e| panic!("{e}"));
    // The daemon's change, made on its first generation, is refused.
    let refused = daemon.save_over(&config, first.generation);
    assert!(
        matches!(refused, Err(SaveError::Moved { expected, found })
            if expected == first.generation && found == theirs.generation),
        "{refused:?}"
    );
    let loaded = daemon.load().unwrap_or_else(|e| panic!("{e}"));
    let (_, generation, _, stored) = loaded.value.unwrap_or_else(|| panic!("stored"));
    assert_eq!(generation, theirs.generation);
    assert_eq!(stored.system.name.as_str(), "Imported");
    // On the newest generation it goes through.
    let next = daemon
        .save_over(&config, theirs.generation)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(next.generation, theirs.generation + 1);
}
