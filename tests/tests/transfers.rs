//! SPEC §3 with real peers: attended transfer from a phone's transfer button (REFER with
//! Replaces). baresip 1.0 has no attended transfer, so the transferor is SIPp: one scenario
//! answers the caller's call and writes that dialog's identifiers down
//! (`uas_answer_note.xml`), the other places the consultation call and completes the transfer
//! from it with REFER + Replaces (`uac_consult_refer.xml`: the phone-side variant; the usual
//! variant, REFER in the answered call, is covered in `pbx/src/switch/tests/transfers.rs`). The
//! caller and the target are baresip phones, each sending its own tone, so what the caller
//! hears shows who it talks to.

use std::time::{Duration, Instant};

use centrala_e2e::audio::Recording;
use centrala_e2e::baresip::{AnswerMode, CallOutcome, Phone, PhoneConfig};
use centrala_e2e::pbx::{add_employee, password, Pbx};
use centrala_e2e::ports::free_port;
use centrala_e2e::sipp::Sipp;

const CALLER_TONE: f64 = 1000.0;
const TARGET_TONE: f64 = 1400.0;

fn phone(pbx: &mut Pbx, user: &str, answer: AnswerMode, tone: f64) -> Phone {
    let config = PhoneConfig::registered(user, pbx.port())
        .answer(answer)
        .tone(tone);
    let mut p = Phone::start(config);
    p.wait_registered();
    pbx.wait_for_all(&["phone registered", &format!("user={user}")]);
    p
}

/// Waits for the consultation scenario's "Call-ID to-tag from-tag" line.
fn dialog_ids(path: &std::path::Path) -> [String; 3] {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let parts: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
        if let [a, b, c] = parts.as_slice() {
            return [a.clone(), b.clone(), c.clone()];
        }
        assert!(
            Instant::now() < deadline,
            "no dialog ids in {path:?}: {text:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn attended_transfer_joins_the_caller_to_the_target_the_employee_consulted() {
    let mut pbx = Pbx::start_with(|c| add_employee(c, "104", "Caller Four"));
    let mut target = phone(&mut pbx, "103", AnswerMode::Auto, TARGET_TONE);
    let mut caller = phone(&mut pbx, "104", AnswerMode::Auto, CALLER_TONE);
    // The employee's phone (102) answers the caller and notes that dialog's identifiers.
    let ids_file = pbx.path("answered-call.txt");
    let ids_path = ids_file.to_string_lossy().to_string();
    let pw = password("102");
    let port = free_port();
    pbx.sipp_from(
        port,
        "register.xml",
        &["-s", "102", "-au", "102", "-ap", &pw],
    )
    .assert_ok();
    let answered = Sipp::new("uas_answer_note.xml", port, pbx.dir())
        .args(&[
            "-s", "102", "-key", "qfile", &ids_path, "-d", "4000", "-timeout", "30s",
        ])
        .spawn();
    caller.dial(&pbx.uri("102"));
    match caller.wait_call() {
        CallOutcome::Established(_) => {}
        CallOutcome::Closed(e) => panic!("not established: {}\n{}", e.param, pbx.log_text()),
    }
    let [call_id, its_tag, our_tag] = dialog_ids(&ids_file);
    // Then the employee calls the target and, once they have talked, transfers from that
    // consultation call: REFER with Replaces naming the caller's call.
    let consult = Sipp::new("uac_consult_refer.xml", free_port(), pbx.dir())
        .target(pbx.port())
        .args(&[
            "-s", "103", "-au", "102", "-ap", &pw, "-key", "caller", "102", "-d", "500", "-key",
            "target", "104", "-key", "qcid", &call_id, "-key", "qto", &our_tag, "-key", "qfrom",
            &its_tag, "-timeout", "30s",
        ])
        .spawn();
    target.wait_event("CALL_ESTABLISHED");
    consult.wait(Duration::from_secs(15)).assert_ok();
    pbx.wait_for_all(&["transferred", "by=102", "to=103", "attended=true"]);
    // The employee's phone hangs up the caller's call too; the caller and the target talk on.
    answered.wait(Duration::from_secs(15)).assert_ok();
    std::thread::sleep(Duration::from_millis(2000));
    caller.hangup();
    caller.wait_event("CALL_CLOSED");
    target.wait_event("CALL_CLOSED");
    let heard = Recording::read(&caller.last_recording().received);
    let timeline = heard.timeline(0.25, &[(TARGET_TONE, 'T')]);
    assert!(
        timeline.contains("TTTTTT"),
        "the caller hears the target: {timeline}"
    );
    pbx.wait_for_all(&["call record", "\"attended\":true"]);
    pbx.stop();
}
