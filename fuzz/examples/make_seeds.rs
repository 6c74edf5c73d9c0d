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
    rtp_relay_seeds(out);
}

/// RTP packets for `rtp_relay`: three parameter bytes (flags, A's and B's telephone-event
/// types), then the datagram.
fn rtp_relay_seeds(out: &Path) {
    let header = |flags: u8, pt: u8, b0: u8| -> Vec<u8> {
        vec![flags, 101, 96, b0, pt, 0x12, 0x34, 0, 0, 0x0a, 0, 0xde, 0xad, 0xbe, 0xef]
    };
    // µ-law to A-law, 20 ms of audio.
    let mut audio = header(0b0000_1110, 0, 0x80);
    audio.extend((0..160u8).map(|i| i.wrapping_mul(37)));
    write(out, "rtp_relay", "ulaw-to-alaw.bin", &audio);
    // A-law, same law both sides, marker set.
    let mut same = header(0b0000_0011, 0x88, 0x80);
    same.extend([0xd5; 160]);
    write(out, "rtp_relay", "alaw-same.bin", &same);
    // A telephone-event (digit 5, end bit) mapped from 101 to 96.
    let mut event = header(0b0000_1100, 101, 0x80);
    event.extend([5, 0x8a, 0x03, 0x20]);
    write(out, "rtp_relay", "event.bin", &event);
    // One CSRC, a one-word extension, two bytes of padding.
    let mut full = header(0b0000_0010, 0, 0xb1);
    full.extend([1, 2, 3, 4, 0xbe, 0xde, 0, 1, 9, 9, 9, 9, 0x7f, 0x80, 0xff, 0, 2]);
    write(out, "rtp_relay", "csrc-ext-padding.bin", &full);
    // Comfort noise (dropped), and B on hold (sendonly: dropped).
    let mut cn = header(0, 13, 0x80);
    cn.push(40);
    write(out, "rtp_relay", "comfort-noise.bin", &cn);
    let mut hold = header(0b0001_0000, 0, 0x80);
    hold.extend([0xff; 160]);
    write(out, "rtp_relay", "b-on-hold.bin", &hold);
}
