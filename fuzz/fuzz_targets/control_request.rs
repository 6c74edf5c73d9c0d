//! Arbitrary bytes as one line of the control protocol, and what the daemon's core makes of
//! the requests that decode.
//!
//! Invariants:
//! - `decode_request` never panics; it refuses a line longer than `MAX_LINE` as too long, and
//!   a message of another version as such;
//! - a decoded message is encoded (`encode_line`) as one line that decodes to the same
//!   message;
//! - the core decides every decoded request without panicking, against the demo office;
//!   a change it would save validates, names at least one changed item, and the revision
//!   stays the same until the save is confirmed; a confirmed save becomes the next revision.

#![no_main]

use std::sync::{Arc, OnceLock};

use firmware_config::Config;
use libfuzzer_sys::fuzz_target;
use pbx::control::core::{Core, Decision};
use pbx::control::protocol::{decode_request, encode_line, DecodeError, MAX_LINE, VERSION};

fn demo() -> &'static Arc<Config> {
    static DEMO: OnceLock<Arc<Config>> = OnceLock::new();
    DEMO.get_or_init(|| match firmware_config::default::factory_default() {
        Ok((config, _)) => Arc::new(config),
        Err(e) => panic!("no randomness for the demo office: {e:?}"),
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let message = match decode_request(line) {
        Ok(m) => m,
        Err(DecodeError::TooLong(n)) => {
            assert!(n > MAX_LINE, "refused {n} bytes as too long");
            return;
        }
        Err(DecodeError::Version(v)) => {
            assert_ne!(v, VERSION, "refused our own version");
            return;
        }
        Err(DecodeError::Json(_)) => return,
    };
    assert_eq!(message.v, VERSION);
    let encoded = encode_line(&message);
    assert!(encoded.ends_with('\n'));
    assert!(!encoded[..encoded.len() - 1].contains('\n'), "not one line");
    let again = decode_request(encoded.trim_end_matches('\n'))
        .unwrap_or_else(|e| panic!("our encoding does not decode: {e}\n{encoded}"));
    assert_eq!(again, message, "round trip changed the message");

    let base = 7;
    let mut core = Core::new(base, Arc::clone(demo()));
    match core.handle(&message.request) {
        Decision::Reply(_) => assert_eq!(core.revision(), base),
        Decision::Save { config, changed } => {
            let problems = firmware_config::validate::validate(&config);
            assert!(problems.is_empty(), "would save an invalid configuration: {problems:?}");
            assert!(!changed.is_empty(), "would save a change of nothing");
            assert_eq!(core.revision(), base, "current before the save is confirmed");
            let saved = core.saved(base + 1, "fuzz").expect("a pending save");
            assert_eq!(core.revision(), base + 1);
            assert!(Arc::ptr_eq(&saved.config, core.config()));
        }
    }
});
