//! Arbitrary bytes as a slot body of the current schema and of the older schemas 2 and 1.
//!
//! Invariants: nothing panics (decoding, validating or exporting whatever decodes); a body
//! that decodes re-encodes (as the current schema) into a body that decodes to the same
//! configuration.

#![no_main]

use firmware_config::persist::{self, SCHEMA_VERSION};
use firmware_config::{text, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for version in [SCHEMA_VERSION, 2, 1] {
        let Ok(config) = persist::decode(version, data) else {
            continue;
        };
        let body = persist::encode(&config).expect("a decoded configuration encodes");
        let again = persist::decode(SCHEMA_VERSION, &body)
            .unwrap_or_else(|e| panic!("the re-encoded body does not decode: {e:?}"));
        assert!(again == config, "the re-encoded body decodes differently");
        // A slot's body is not validated before it is used: these must cope with anything.
        let _ = validate::validate(&config);
        let _ = text::export(&config);
    }
});
