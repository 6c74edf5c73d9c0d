//! Arbitrary UTF-8 as a TOML configuration file.
//!
//! Invariants: neither `import` nor `read` panics; whatever `read` accepts exports, and the
//! export reads back to the same configuration.

#![no_main]

use firmware_config::text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    // `import` is `read` then validation (and locating the problems in the text); when `read`
    // fails, `import` fails the same way, so it is only worth running when `read` succeeds.
    let Ok(config) = text::read(input) else {
        return;
    };
    let imported = text::import(input);
    if let Ok(imported) = &imported {
        assert!(*imported == config, "import and read disagree");
    }
    let exported = text::export(&config).expect("a configuration that was read exports");
    match text::read(&exported) {
        Ok(again) => assert!(again == config, "the export reads back differently"),
        Err(e) => panic!("the export does not read back: {e}\n{exported}"),
    }
    // Validation sees the same configuration either way, so the verdict cannot change.
    assert_eq!(
        imported.is_ok(),
        text::import(&exported).is_ok(),
        "the export imports differently"
    );
});
