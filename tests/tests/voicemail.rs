//! Voicemail end to end with real phones: a baresip caller reaches the reception after hours
//! (its night switch forced closed), hears the greeting and leaves a message of its 1000 Hz
//! tone; the WAV under the data directory holds that tone and its JSON metadata names the
//! caller and the entry point. A baresip phone of the reception's group, subscribed to
//! message-waiting indication, is told a message waits; it then dials the voicemail number,
//! deletes the message with DTMF 7, and is told nothing waits any more.

use std::path::{Path, PathBuf};
use std::time::Duration;

use centrala_e2e::audio::Recording;
use centrala_e2e::baresip::{CallOutcome, Phone, PhoneConfig};
use centrala_e2e::pbx::{closed_office_hours, Pbx};
use firmware_config::bounded::Text;
use firmware_config::config::Config;
use firmware_config::schedule::AfterHours;
use serde_json::Value;

/// The tone the caller sends (and so the message holds).
const CALLER_TONE: f64 = 1000.0;
/// How long the caller's phone sends its tone, then hangs up: the built-in greeting (about
/// 5.7 s) and the beep, then about 5 s of message.
const CALLER_SECS: f64 = 11.0;

/// The reception (internal number 200, the office group) follows "office-hours", forced
/// closed for a day, with voicemail after hours and the built-in greeting.
fn closed_reception(config: &mut Config) {
    closed_office_hours(config, AfterHours::Voicemail).voicemail_greeting = None;
    let reception = config
        .entry_points
        .as_mut_slice()
        .iter_mut()
        .find(|e| e.name.as_str() == "reception")
        .expect("the demo office has a reception entry point");
    reception.schedule = Some(Text::new("office-hours").expect("fits"));
    assert!(
        config.system.voicemail_number.is_some(),
        "the demo office has a voicemail number"
    );
}

/// The files of the reception's mailbox with extension `ext`.
fn files(mailbox: &Path, ext: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(mailbox)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

#[test]
fn a_message_left_after_hours_holds_the_callers_tone_and_lights_the_phones_until_deleted() {
    let mut pbx = Pbx::start_with(closed_reception);
    let mailbox = pbx.dir().join("data/voicemail/entry-reception");
    let mut piotr = Phone::start(PhoneConfig::registered("102", pbx.port()).mwi());
    piotr.wait_registered();
    let mut anna = Phone::start(
        PhoneConfig::registered("101", pbx.port())
            .tone(CALLER_TONE)
            .tone_secs(CALLER_SECS),
    );
    anna.wait_registered();

    // (a) Anna calls the closed reception: answered by voicemail; her phone hangs up when
    // its tone ends, while recording.
    anna.dial(&pbx.uri("200"));
    match anna.wait_call() {
        CallOutcome::Established(_) => {}
        CallOutcome::Closed(e) => panic!("voicemail did not answer: {}", e.param),
    }
    anna.wait_event_for("CALL_CLOSED", Duration::from_secs(CALLER_SECS as u64 + 10));
    let saved = pbx.wait_for("voicemail message saved");
    assert!(saved.contains("mailbox=entry-reception"), "{saved}");
    let json = files(&mailbox, "json");
    let wav = files(&mailbox, "wav");
    assert_eq!((json.len(), wav.len()), (1, 1), "{json:?} {wav:?}");
    assert_eq!(json[0].file_stem(), wav[0].file_stem());
    let text = std::fs::read_to_string(&json[0]).expect("read the metadata");
    let meta: Value = serde_json::from_str(&text).expect("the metadata is JSON");
    assert_eq!(meta["caller"], "101", "{text}");
    assert_eq!(meta["entry"], "reception", "{text}");
    assert_eq!(meta["mailbox"]["kind"], "entry", "{text}");
    assert_eq!(meta["mailbox"]["value"], "reception", "{text}");
    assert_eq!(meta["heard"], false, "{text}");
    assert!(meta["received_at"].is_string(), "{text}");
    let duration_ms = meta["duration_ms"].as_u64().unwrap_or(0);
    assert!(
        (2_500..=9_000).contains(&duration_ms),
        "about 5 s of message expected: {text}"
    );
    let message = Recording::read(&wav[0]);
    assert_eq!(message.rate(), 8000);
    let secs = message.duration().as_secs_f64();
    assert!(
        (secs * 1000.0 - duration_ms as f64).abs() < 500.0,
        "the WAV lasts {secs} s, the metadata says {duration_ms} ms"
    );
    assert!(
        message.tone_fraction(CALLER_TONE) > 0.8,
        "the message should be the caller's tone: {}",
        message.describe(&[CALLER_TONE])
    );

    // (b) Piotr's phone (the office group answers the reception) is told a message waits.
    let lit = piotr.wait_mwi(Duration::from_secs(10), |body| {
        body.contains("Messages-Waiting: yes")
    });
    assert!(lit.param.contains("Voice-Message: 1/0"), "{}", lit.param);

    // (c) Piotr dials the voicemail number, hears the message start and deletes it with 7.
    piotr.dial(&pbx.uri("800"));
    match piotr.wait_call() {
        CallOutcome::Established(_) => {}
        CallOutcome::Closed(e) => panic!("the voicemail number did not answer: {}", e.param),
    }
    pbx.wait_for("voicemail message heard");
    piotr.send_digits("7");
    pbx.wait_for("voicemail message deleted");
    assert!(files(&mailbox, "json").is_empty());
    assert!(files(&mailbox, "wav").is_empty());
    let dark = piotr.wait_mwi(Duration::from_secs(10), |body| {
        body.contains("Voice-Message: 0/0")
    });
    assert!(
        dark.param.contains("Messages-Waiting: no"),
        "{}",
        dark.param
    );
    // "Message deleted", "end of messages", "goodbye", and Centrala hangs up.
    piotr.wait_event_for("CALL_CLOSED", Duration::from_secs(20));
    let log = pbx.stop();
    assert!(
        log.contains("voicemail call=1 what=greeting for the mailbox of entry point \"reception\""),
        "{log}"
    );
    assert!(
        log.contains("what=102 listens to 1 messages (1 new)"),
        "{log}"
    );
}
