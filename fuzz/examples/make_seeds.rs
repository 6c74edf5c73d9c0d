//! Writes the seed corpora into the directory given (default `seeds`):
//! `cargo run --example make_seeds -- seeds` from `fuzz/`, or `./make_seeds.sh`.

use std::fs;
use std::path::Path;

use firmware_config::persist::{self, SCHEMA_VERSION};
use firmware_config::{store, text, Config};
use firmware_config_fuzz::calls::{
    self, command, ACK, ANSWER, CALL, CALLEE_REQUEST, CANCEL, FLIP_SDP, GENERATED, HOLD, IN_DIALOG,
    NO_CODEC, NO_SDP, OPEN_FAILED, OTHER_TAG, PCMU, REGISTER,
};
use firmware_config_fuzz::sip::{encode, source_byte, RECONFIGURE, TCP, TWICE};
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
    // And one written by schema 2 (no outbound limits yet).
    let v2 = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../firmware-config/tests/fixtures/v2-slot.bin"
    );
    let v2 = fs::read(v2).expect("read the stored version-2 slot");
    let body = store::decode_envelope(&v2)
        .expect("the version-2 slot is intact")
        .body;
    write(out, "slot_decode", "v2-fixture.slot", &v2);
    write(out, "postcard_body", "v2-fixture.body", body);
    sip_seeds(out);
    call_seeds(out);
    sdp_seeds(out);
    rtp_relay_seeds(out);
}

/// A phone at one of the fuzz target's sources, writing requests like SIPp's scenarios in
/// `tests/sipp/` do.
struct Phone {
    user: &'static str,
    host: String,
    source: u8,
    call: u32,
    cseq: u32,
    branch: u32,
}

/// An audio offer like SIPp's.
const OFFER: &str = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\n\
    c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8 0 101\r\n\
    a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
    a=fmtp:101 0-15\r\na=ptime:20\r\n";

impl Phone {
    /// `ip` and `port` index the target's source tables.
    fn new(user: &'static str, ip: usize, port: usize) -> Phone {
        let source = source_byte(ip, port);
        let addr = firmware_config_fuzz::sip::source(source);
        Phone {
            user,
            host: addr.to_string(),
            source,
            call: 1,
            cseq: 0,
            branch: 0,
        }
    }

    /// Starts a new dialog (a new Call-ID).
    fn new_call(&mut self) {
        self.call += 1;
        self.cseq = 0;
    }

    /// A request with a new branch and the next CSeq; `extra` are header lines.
    fn request(&mut self, method: &str, to: &str, extra: &[&str], body: &str) -> String {
        self.cseq += 1;
        self.branch += 1;
        self.with_branch(method, to, self.cseq, self.branch, extra, body)
    }

    /// A request with a given CSeq number and branch (an ACK or CANCEL reuses the INVITE's).
    fn with_branch(
        &self,
        method: &str,
        to: &str,
        cseq: u32,
        branch: u32,
        extra: &[&str],
        body: &str,
    ) -> String {
        let uri = if method == "REGISTER" {
            "sip:127.0.0.1:5060".to_owned()
        } else {
            format!("sip:{to}@127.0.0.1:5060")
        };
        let mut text = format!(
            "{method} {uri} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {host};branch=z9hG4bK-{source}-{branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:{user}@127.0.0.1>;tag=tag-{user}-{call}\r\n\
             To: <sip:{to}@127.0.0.1>\r\n\
             Call-ID: call-{user}-{call}@{host}\r\n\
             CSeq: {cseq} {method}\r\n\
             Contact: <sip:{user}@{host}>\r\n\
             User-Agent: seed\r\n",
            host = self.host,
            source = self.source,
            user = self.user,
            call = self.call,
        );
        for line in extra {
            text.push_str(line);
            text.push_str("\r\n");
        }
        if !body.is_empty() {
            text.push_str("Content-Type: application/sdp\r\n");
        }
        text.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        text
    }
}

/// One record of a sequence: control byte, source byte, message.
type Step = (u8, u8, String);

fn write_sequence(out: &Path, name: &str, steps: &[Step]) {
    let records: Vec<(u8, u8, &[u8])> = steps
        .iter()
        .map(|(control, source, text)| (*control, *source, text.as_bytes()))
        .collect();
    write(out, "sip_endpoint", name, &encode(&records));
}

/// Clock steps (indices into `STEPS_MS`).
const NOW: u8 = 0;
const MS_100: u8 = 6;
const MS_500: u8 = 7;
const S_1: u8 = 8;
const S_2: u8 = 9;
const S_4: u8 = 10;
const S_32: u8 = 12;
const S_64: u8 = 13;
const MIN_10: u8 = 14;
const HOUR: u8 = 15;

fn sip_seeds(out: &Path) {
    let auth = |n: u8| format!("Authorization: @AUTH{}@", char::from(b'0' + n));
    let mut anna = Phone::new("101", 0, 0);
    let mut piotr = Phone::new("102", 1, 2);
    let mut ewa = Phone::new("103", 3, 1);

    // Register, refresh, register a second contact, unregister all.
    let a1 = auth(1);
    let steps = vec![
        (
            NOW,
            anna.source,
            anna.request("REGISTER", "101", &["Expires: 3600"], ""),
        ),
        (
            NOW,
            anna.source,
            anna.request("REGISTER", "101", &["Expires: 3600", &a1], ""),
        ),
        (
            S_32,
            anna.source,
            anna.request("REGISTER", "101", &["Expires: 120", &a1], ""),
        ),
        (
            NOW,
            anna.source,
            anna.request("REGISTER", "101", &["Expires: 30", &a1], ""),
        ),
        (
            MIN_10,
            anna.source,
            anna.request("REGISTER", "101", &["Expires: 0", &a1], "")
                .replace("Contact: <sip:101@127.0.0.1:5060>", "Contact: *"),
        ),
    ];
    write_sequence(out, "register.seq", &steps);

    // Registration that lapses, then a stale nonce, a wrong password, an unknown user,
    // SHA-256, and 103 removed by a configuration change.
    let steps = vec![
        (
            NOW,
            ewa.source,
            ewa.request("REGISTER", "103", &["Expires: 60"], ""),
        ),
        (
            NOW,
            ewa.source,
            ewa.request("REGISTER", "103", &["Expires: 60", &auth(3)], ""),
        ),
        (
            HOUR,
            ewa.source,
            ewa.request("REGISTER", "103", &["Expires: 60", &auth(3)], ""),
        ),
        (
            NOW,
            ewa.source,
            ewa.request("REGISTER", "103", &[&auth(0)], ""),
        ),
        (
            NOW,
            ewa.source,
            ewa.request("REGISTER", "109", &[&auth(9)], ""),
        ),
        (
            NOW,
            ewa.source,
            ewa.request("REGISTER", "103", &["Authorization: @SHA2563@"], ""),
        ),
        (
            RECONFIGURE,
            ewa.source,
            ewa.request("REGISTER", "103", &[&auth(3)], ""),
        ),
        (
            RECONFIGURE | S_1,
            ewa.source,
            ewa.request("REGISTER", "103", &[&auth(3)], ""),
        ),
    ];
    write_sequence(out, "register_stale.seq", &steps);

    // INVITE: challenge, ACK, authenticated INVITE to a number that exists (480) and to one
    // that does not (404), each ACKed.
    anna.new_call();
    let invite = anna.request("INVITE", "102", &[], OFFER);
    let ack = anna.with_branch("ACK", "102", anna.cseq, anna.branch, &[], "");
    let invite2 = anna.request("INVITE", "102", &[&a1], OFFER);
    let ack2 = anna.with_branch("ACK", "102", anna.cseq, anna.branch, &[], "");
    anna.new_call();
    let invite3 = anna.request("INVITE", "999", &[&a1], OFFER);
    let ack3 = anna.with_branch("ACK", "999", anna.cseq, anna.branch, &[], "");
    let steps = vec![
        (NOW, anna.source, invite),
        (NOW, anna.source, ack),
        (NOW, anna.source, invite2),
        (NOW, anna.source, ack2),
        (NOW, anna.source, invite3),
        (NOW, anna.source, ack3),
    ];
    write_sequence(out, "invite.seq", &steps);

    // An INVITE retransmitted and never ACKed (response retransmissions until Timer H), then
    // CANCELs: for the live INVITE transaction and for none.
    piotr.new_call();
    let invite = piotr.request("INVITE", "100", &[&auth(2)], OFFER);
    let cancel = piotr.with_branch("CANCEL", "100", piotr.cseq, piotr.branch, &[], "");
    let late_ack = piotr.with_branch("ACK", "100", piotr.cseq, piotr.branch, &[], "");
    let stray = piotr.with_branch("CANCEL", "100", 77, 77, &[], "");
    let steps = vec![
        (NOW, piotr.source, piotr.request("REGISTER", "102", &[], "")),
        (TWICE, piotr.source, invite.clone()),
        (MS_500, piotr.source, cancel.clone()),
        (S_1, piotr.source, invite),
        (S_2, piotr.source, cancel),
        (S_4, piotr.source, stray),
        (S_32, piotr.source, late_ack),
    ];
    write_sequence(out, "invite_cancel.seq", &steps);

    // The other methods, in and out of a dialog; OPTIONS over TCP, two in one segment.
    piotr.new_call();
    let mut tcp_options = piotr.request("OPTIONS", "101", &[], "");
    tcp_options.push_str(&piotr.request("OPTIONS", "101", &[&auth(2)], ""));
    let mut steps = vec![
        (NOW, piotr.source, piotr.request("REGISTER", "102", &[], "")),
        (TCP, piotr.source, tcp_options),
    ];
    for method in [
        "BYE",
        "REFER",
        "NOTIFY",
        "INFO",
        "SUBSCRIBE",
        "UPDATE",
        "PRACK",
        "PUBLISH",
        "FOO",
    ] {
        steps.push((NOW, piotr.source, piotr.request(method, "101", &[], "")));
    }
    steps.push((
        NOW,
        piotr.source,
        piotr.request("MESSAGE", "101", &[&auth(2)], ""),
    ));
    let options = piotr.request("OPTIONS", "101", &[], "");
    steps.push((
        NOW,
        piotr.source,
        options.replace("Max-Forwards: 70", "Max-Forwards: 0"),
    ));
    let bye = piotr.request("BYE", "101", &[], "");
    steps.push((
        NOW,
        piotr.source,
        bye.replace("Max-Forwards: 70", "Max-Forwards: 0"),
    ));
    let in_dialog = piotr
        .request("INVITE", "101", &[&auth(2)], OFFER)
        .replace("To: <sip:101@127.0.0.1>", "To: <sip:101@127.0.0.1>;tag=abc");
    steps.push((NOW, piotr.source, in_dialog));
    write_sequence(out, "methods.seq", &steps);

    // A flood from an unregistered source, and from a registered phone's address and another
    // port on the same host.
    let mut steps = vec![
        (NOW, anna.source, anna.request("REGISTER", "101", &[], "")),
        (
            NOW,
            anna.source,
            anna.request("REGISTER", "101", &[&a1], ""),
        ),
    ];
    // Short pings, each delivered twice: 50 from each source in one instant (burst 40).
    let mut scanner = Phone::new("scanner", 0, 3);
    let ping = |phone: &Phone, n: u32| {
        format!(
            "OPTIONS sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {};branch=z9hG4bK{n}\r\n\
             From: <sip:s@h>;tag=1\r\nTo: <sip:100@h>\r\nCall-ID: {n}\r\nCSeq: 1 OPTIONS\r\n\r\n",
            phone.host
        )
    };
    for n in 0..25 {
        steps.push((TWICE, anna.source, ping(&anna, n)));
        steps.push((TWICE, scanner.source, ping(&scanner, n)));
    }
    steps.push((
        S_1,
        scanner.source,
        scanner.request("INVITE", "100", &[], OFFER),
    ));
    write_sequence(out, "flood.seq", &steps);

    // Malformed messages, a response, keep-alives, compact and folded headers.
    let good = anna.request("OPTIONS", "101", &[], "");
    let steps = vec![
        (NOW, anna.source, "\r\n\r\n".to_owned()),
        (
            NOW,
            anna.source,
            good.replace("Via: ", "v: ").replace("Call-ID", "i"),
        ),
        (
            NOW,
            anna.source,
            good.replace("Max-Forwards: 70\r\n", "Max-Forwards:\r\n 70\r\n"),
        ),
        (NOW, anna.source, good.replace("Call-ID", "X-Call")),
        (NOW, anna.source, good.replace("SIP/2.0\r\n", "SIP/3.0\r\n")),
        (
            NOW,
            anna.source,
            good.replace("sip:101@127.0.0.1:5060", "tel:101"),
        ),
        (
            NOW,
            anna.source,
            good.replace("CSeq: ", "CSeq: 99999999999 "),
        ),
        (
            NOW,
            anna.source,
            good.replace("Content-Length: 0", "Content-Length: 10"),
        ),
        (TCP, anna.source, good.replace("Content-Length: 0\r\n", "")),
        (
            NOW,
            anna.source,
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1\r\n\r\n".to_owned(),
        ),
    ];
    write_sequence(out, "malformed.seq", &steps);
}

/// Where a `sip_calls` seed's phones are: source bytes, and the `a` that names each as a
/// device in a generated REGISTER or CALL.
const ANNA: (u8, u8) = (0, 1);
const PIOTR: (u8, u8) = (11, 2);
const EWA: (u8, u8) = (8, 3);

/// Indices into `calls::TARGETS`, `calls::STATUSES`, `calls::ANSWER_TO` and
/// `calls::IN_DIALOG_METHODS`.
const TO_102: u8 = 0;
const TO_GROUP: u8 = 1;
const TO_ENTRY: u8 = 2;
const TO_103: u8 = 3;
const TO_UNKNOWN: u8 = 5;
const TO_VOICEMAIL: u8 = 6;
const RINGING: u8 = 0;
const OK: u8 = 1;
const BUSY: u8 = 3;
const TERMINATED: u8 = 4;
const INVITE_: u8 = 0;
const CANCEL_: u8 = 1;
const BYE_: u8 = 2;
const BYE: u8 = 0;
const REINVITE: u8 = 1;
const INFO: u8 = 2;

/// A generated record: control (with [`GENERATED`]), source, kind, a, b.
fn gen(control: u8, source: u8, kind: u8, a: u8, b: u8) -> (u8, u8, Vec<u8>) {
    (control | GENERATED, source, command(kind, a, b))
}

/// Both phones register.
fn registered(phones: &[(u8, u8)]) -> Vec<(u8, u8, Vec<u8>)> {
    phones
        .iter()
        .map(|&(source, device)| gen(NOW, source, REGISTER, device, 0))
        .collect()
}

fn write_calls(out: &Path, name: &str, steps: &[(u8, u8, Vec<u8>)]) {
    let records: Vec<(u8, u8, &[u8])> = steps
        .iter()
        .map(|(control, source, bytes)| (*control, *source, bytes.as_slice()))
        .collect();
    write(out, "sip_calls", name, &encode(&records));
}

fn call_seeds(out: &Path) {
    assert_eq!(
        usize::from(PIOTR.1),
        2,
        "the device numbering of calls::REGISTER"
    );
    let (anna, piotr, ewa) = (ANNA.0, PIOTR.0, EWA.0);
    assert_eq!(calls::TARGETS[usize::from(TO_102)], "102");

    // Anna calls Piotr, he answers, she hangs up.
    let mut steps = registered(&[ANNA, PIOTR]);
    steps.extend([
        gen(NOW, anna, CALL, ANNA.1, TO_102),
        gen(MS_100, piotr, ANSWER, INVITE_, RINGING),
        gen(S_2, piotr, ANSWER, INVITE_, OK),
        gen(NOW, anna, ACK, 0, 0),
        gen(S_4, anna, IN_DIALOG, INFO, 0),
        gen(S_4, anna, IN_DIALOG, BYE, 0),
        gen(NOW, piotr, ANSWER, BYE_, OK),
    ]);
    write_calls(out, "answer_bye.seq", &steps);

    // Anna cancels while Piotr rings; his phone confirms the CANCEL and ends with 487.
    let mut steps = registered(&[ANNA, PIOTR]);
    steps.extend([
        gen(NOW, anna, CALL, ANNA.1, TO_102),
        gen(NOW, piotr, ANSWER, INVITE_, RINGING),
        gen(S_1, anna, CANCEL, 0, 0),
        gen(NOW, piotr, ANSWER, CANCEL_, OK),
        gen(NOW, piotr, ANSWER, INVITE_, TERMINATED),
        gen(NOW, anna, ACK, 0, 0),
    ]);
    write_calls(out, "cancel.seq", &steps);

    // The group (in order): members ring in turn, Ewa answers and hangs up; Anna's phone
    // answers the BYE.
    let mut steps = registered(&[ANNA, PIOTR, EWA]);
    steps.extend([
        gen(NOW, piotr, CALL, PIOTR.1, TO_GROUP),
        gen(NOW, anna, ANSWER, INVITE_, BUSY),
        gen(NOW, ewa, ANSWER, INVITE_, RINGING),
        gen(S_32, ewa, ANSWER, CANCEL_, OK),
        gen(NOW, ewa, ANSWER, INVITE_, TERMINATED),
        gen(S_32, ewa, ANSWER, INVITE_, RINGING),
        gen(NOW, ewa, ANSWER, INVITE_, OK | PCMU),
        gen(NOW, piotr, ACK, 0, 0),
        gen(S_4, ewa, CALLEE_REQUEST, BYE, 0),
        gen(NOW, piotr, ANSWER, BYE_, OK),
    ]);
    write_calls(out, "group.seq", &steps);

    // The entry point (office hours at the start): Piotr answers, Anna holds and resumes,
    // Piotr holds from his side, Anna hangs up.
    let mut steps = registered(&[ANNA, PIOTR, EWA]);
    steps.extend([
        gen(NOW, anna, CALL, ANNA.1, TO_ENTRY),
        gen(NOW, piotr, ANSWER, INVITE_, OK),
        gen(NOW, ewa, ANSWER, INVITE_, OK | OTHER_TAG),
        gen(NOW, anna, ACK, 0, 0),
        gen(S_2, anna, IN_DIALOG, REINVITE, HOLD),
        gen(NOW, anna, ACK, 0, 0),
        gen(NOW, piotr, ANSWER, INVITE_, OK | HOLD),
        gen(S_2, anna, IN_DIALOG, REINVITE, 0),
        gen(NOW, anna, ACK, 0, 0),
        gen(NOW, piotr, ANSWER, INVITE_, OK),
        gen(S_2, piotr, CALLEE_REQUEST, REINVITE, HOLD),
        gen(NOW, piotr, ACK, 0, 0),
        gen(NOW, anna, ANSWER, INVITE_, OK | HOLD),
        gen(S_2, anna, IN_DIALOG, BYE, 0),
        gen(NOW, piotr, ANSWER, BYE_, OK),
    ]);
    write_calls(out, "entry_hold.seq", &steps);

    // Nobody answers: the ring time runs out; a 2xx that is never ACKed; numbers that do not
    // lead anywhere, offers without SDP or without a common codec, a wrong password.
    let mut steps = registered(&[ANNA, PIOTR]);
    steps.extend([
        gen(NOW, anna, CALL, ANNA.1, TO_102),
        gen(NOW, piotr, ANSWER, INVITE_, RINGING),
        gen(S_32, piotr, ANSWER, CANCEL_, OK),
        gen(NOW, piotr, ANSWER, INVITE_, TERMINATED),
        gen(NOW, anna, ACK, 0, 0),
        gen(S_1, piotr, CALL, PIOTR.1, 4),
        gen(NOW, anna, ANSWER, INVITE_, OK),
        gen(S_64, piotr, ANSWER, BYE_, OK),
        gen(NOW, anna, ANSWER, BYE_, OK),
        gen(S_1, anna, CALL, ANNA.1, TO_UNKNOWN),
        gen(NOW, anna, ACK, 0, 0),
        gen(NOW, anna, CALL, ANNA.1, TO_VOICEMAIL),
        gen(NOW, anna, ACK, 0, 0),
        gen(NOW, anna, CALL, ANNA.1, TO_102 | NO_SDP),
        gen(NOW, anna, ACK, 0, 0),
        gen(NOW, anna, CALL, ANNA.1, TO_102 | NO_CODEC),
        gen(NOW, anna, ACK, 0, 0),
        gen(NOW, anna, CALL, 0, TO_102),
        gen(NOW, anna, CALL, 4, TO_102),
    ]);
    write_calls(out, "unanswered.seq", &steps);

    // A port that cannot be bound, mid-call; then a call to 103 while 103 is removed from the
    // configuration, answered anyway.
    let mut steps = registered(&[ANNA, PIOTR, EWA]);
    steps.extend([
        gen(NOW, anna, CALL, ANNA.1, TO_102),
        gen(NOW, piotr, ANSWER, INVITE_, OK),
        gen(NOW, anna, OPEN_FAILED, 0, 0),
        gen(NOW, anna, ACK, 0, 0),
        gen(NOW, piotr, ANSWER, BYE_, OK),
        gen(S_1, anna, CALL, ANNA.1, TO_103),
        gen(NOW, ewa, ANSWER, INVITE_, RINGING | FLIP_SDP),
        gen(RECONFIGURE, ewa, ANSWER, INVITE_, OK),
        gen(NOW, anna, ACK, 0, 0),
        gen(RECONFIGURE | S_1, ewa, CALLEE_REQUEST, BYE, 0),
        gen(NOW, anna, ANSWER, BYE_, OK),
    ]);
    write_calls(out, "open_failed_reconfigure.seq", &steps);

    // Over TCP, with raw messages: Ewa registers by hand, Anna's INVITE is written out and
    // retransmitted, Ewa answers over TCP.
    let mut ewa_phone = Phone::new("103", 3, 1);
    let mut anna_phone = Phone::new("101", 0, 0);
    anna_phone.new_call();
    let a3 = "Authorization: @AUTH3@";
    let a1 = "Authorization: @AUTH1@";
    let invite = anna_phone.request("INVITE", "103", &[a1], OFFER);
    let steps: Vec<(u8, u8, Vec<u8>)> = vec![
        (
            TCP,
            ewa,
            ewa_phone.request("REGISTER", "103", &[], "").into_bytes(),
        ),
        (
            TCP,
            ewa,
            ewa_phone.request("REGISTER", "103", &[a3], "").into_bytes(),
        ),
        gen(NOW, anna, REGISTER, ANNA.1, 0),
        (TWICE, anna, invite.into_bytes()),
        gen(TCP, ewa, ANSWER, INVITE_, RINGING),
        gen(TCP | MS_500, ewa, ANSWER, INVITE_, OK),
        gen(NOW, anna, ACK, 0, 0),
        gen(TCP | S_2, ewa, CALLEE_REQUEST, BYE, 0),
        gen(S_1, anna, ANSWER, BYE_, OK),
    ];
    write_calls(out, "tcp_raw.seq", &steps);
}

fn sdp_seeds(out: &Path) {
    let seeds = [
        (
            "sipp.sdp",
            "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\n\
            c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
        ),
        ("phone.sdp", OFFER),
        (
            "hold.sdp",
            "v=0\no=- 1 2 IN IP4 10.0.0.5\ns=call\nc=IN IP4 0.0.0.0\nt=0 0\n\
            m=audio 4000 RTP/AVP 8 101\na=rtpmap:8 PCMA/8000\na=rtpmap:101 telephone-event/8000\n\
            a=sendonly\n",
        ),
        (
            "video.sdp",
            "v=0\r\no=- 7 7 IN IP6 2001:db8::1\r\ns=-\r\nt=0 0\r\n\
            m=video 5002 RTP/AVP 96\r\nc=IN IP6 2001:db8::1\r\na=rtpmap:96 H264/90000\r\n\
            m=audio 5000 RTP/AVP 18 0\r\nc=IN IP6 2001:db8::1\r\na=rtpmap:18 G729/8000\r\n\
            a=ptime:30\r\na=recvonly\r\nm=audio 0 RTP/AVP 8\r\n",
        ),
        (
            "opus.sdp",
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1/127\r\n\
            t=0 0\r\nm=audio 7078/2 RTP/SAVP 111 0\r\na=rtpmap:111 opus/48000/2\r\n\
            a=rtpmap:0 PCMU/8000\r\na=inactive\r\n",
        ),
    ];
    for (name, text) in seeds {
        write(out, "sdp_parse", name, text.as_bytes());
    }
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
