//! Writes the seed corpora into the directory given (default `seeds`):
//! `cargo run --example make_seeds -- seeds` from `fuzz/`, or `./make_seeds.sh`.

use std::fs;
use std::path::Path;

use firmware_config::persist::{self, SCHEMA_VERSION};
use firmware_config::{store, text, Config};
use firmware_config_fuzz::{fixed_default, small_office};

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let dir = dir.join(target);
    fs::create_dir_all(&dir).expect("create the seed directory");
    fs::write(dir.join(name), bytes).expect("write a seed");
}

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| "seeds".into());
    let out = Path::new(&out);
    let configs: [(&str, Config); 2] = [("default", fixed_default()), ("office", small_office())];
    for (name, config) in &configs {
        let body = persist::encode(config).expect("encode");
        let slot = store::encode_envelope(SCHEMA_VERSION, 7, &body);
        write(out, "postcard_body", &format!("{name}.body"), &body);
        write(out, "slot_decode", &format!("{name}.slot"), &slot);
        let toml = text::export(config).expect("export");
        write(out, "toml_import", &format!("{name}.toml"), toml.as_bytes());
    }
    // A few edge cases for the envelope: empty body, newer and older schema, torn write.
    let body = persist::encode(&configs[0].1).expect("encode");
    write(
        out,
        "slot_decode",
        "empty.slot",
        &store::encode_envelope(SCHEMA_VERSION, 9, b""),
    );
    let newer = store::encode_envelope(SCHEMA_VERSION + 1, 9, &body);
    write(out, "slot_decode", "newer.slot", &newer);
    write(
        out,
        "slot_decode",
        "v1.slot",
        &store::encode_envelope(1, 9, &body),
    );
    let torn = store::encode_envelope(SCHEMA_VERSION, 9, &body);
    write(out, "slot_decode", "torn.slot", &torn[..torn.len() / 2]);
    // A slot written by schema 1, kept by the persist tests: seeds the migration path.
    let v1 = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../firmware-config/tests/fixtures/v1-slot.bin"
    );
    let v1 = fs::read(v1).expect("read the stored version-1 slot");
    let body = store::decode_envelope(&v1)
        .expect("the version-1 slot is intact")
        .body;
    write(out, "slot_decode", "v1-fixture.slot", &v1);
    write(out, "postcard_body", "v1-fixture.body", body);
}
