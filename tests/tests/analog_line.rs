//! An analog line through the real daemon (issue 8): the line's audio is a pair of real ALSA
//! devices (the `file` plugin on FIFOs, TESTING.md), its signals come over the socket
//! backend, and the far side is a real baresip phone.
//!
//! - Incoming: the exchange rings twice with V.23 MDMF caller ID between the rings; the
//!   daemon answers the line on the second ring and phone 101 rings showing the caller's
//!   number in E.164; audio flows both ways (a tone on the line reaches the phone's
//!   recording, the phone's tone reaches the line's playback); the exchange's busy tone
//!   ends the call with a BYE to the phone, and the line goes back on hook.
//! - Outgoing: phone 101 dials an outside number; the daemon seizes the line, waits for
//!   dial tone and dials the number in national form, decoded here from the playback; the
//!   call connects and the phone's hang-up puts the line on hook.

use std::path::Path;
use std::time::{Duration, Instant};

use centrala_e2e::audio::Recording;
use centrala_e2e::baresip::{AnswerMode, CallOutcome, Phone, PhoneConfig};
use centrala_e2e::bin;
use centrala_e2e::control::Client;
use centrala_e2e::line::{self, Exchange, LineRig};
use centrala_e2e::pbx::Pbx;
use centrala_e2e::ssh::SshServer;
use centrala_e2e::tmux::Terminal;
use firmware_config::bounded::Text;
use firmware_config::config::Config;
use firmware_config::entry::{CrmOptions, Destination, EntryPoint, EntrySource};
use firmware_config::line::{FxoLine, Signalling};
use firmware_config::number::Extension;
use firmware_config::system::ToneCountry;
use serde_json::{json, Value};

fn text<const N: usize>(s: &str) -> Text<N> {
    Text::new(s).unwrap_or_else(|e| panic!("{s:?}: {e:?}"))
}

/// Line "line1" on the rig's devices and socket, Polish, answering on the second ring and
/// carrying outside calls; its entry point rings employee 101; outside calls need `0`.
fn add_line(config: &mut Config, rig: &LineRig) {
    let line = FxoLine {
        name: text("line1"),
        capture_device: text("line1_capture"),
        playback_device: text("line1_playback"),
        signalling: Signalling::Socket(text(&rig.signals.display().to_string())),
        country: ToneCountry::PL,
        rings_before_answer: 2,
        number: None,
        outside_calls: true,
        health_check: None,
    };
    config.lines.push(line).expect("room for a line");
    let entry = EntryPoint {
        name: text("analog"),
        source: EntrySource::AnalogLine(text("line1")),
        destination: Destination::Employee(Extension::parse("101").expect("extension")),
        schedule: None,
        hold_music: None,
        crm: CrmOptions::default(),
    };
    config.entry_points.push(entry).expect("room");
    config.system.outbound_prefix = Some(text("0"));
}

/// The daemon with line1 on a fresh rig, its exchange, and phone 101 (`answer`, sending a
/// 600 Hz tone) registered.
fn start(answer: AnswerMode) -> (Pbx, Exchange, Phone, tempfile::TempDir) {
    let (pbx, exchange, rigdir) = start_line();
    let config = PhoneConfig::registered("101", pbx.port())
        .answer(answer)
        .tone(600.0);
    let mut phone = Phone::start(config);
    phone.wait_registered();
    (pbx, exchange, phone, rigdir)
}

/// The daemon with line1 on a fresh rig, and its exchange connected to the line's signals.
fn start_line() -> (Pbx, Exchange, tempfile::TempDir) {
    let rigdir = tempfile::tempdir().expect("tempdir");
    let rig = LineRig::new(rigdir.path());
    let env = vec![(
        "ALSA_CONFIG_PATH".to_owned(),
        rig.asoundrc.display().to_string(),
    )];
    let mut exchange = Exchange::start(&rig);
    let mut pbx = Pbx::start_with_env(|c, _: &Path| add_line(c, &rig), env);
    pbx.wait_for_all(&["analog line", "state=Idle"]);
    exchange.connect_signals();
    assert!(
        exchange.wait_hook("hook 0", Duration::from_secs(5)),
        "the socket tells the hook state first"
    );
    (pbx, exchange, rigdir)
}

/// One ring burst of `ms` then `pause_ms` of silence, in real time.
fn ring(exchange: &mut Exchange, ms: u64, pause_ms: u64) {
    exchange.signal("ring 1");
    std::thread::sleep(Duration::from_millis(ms));
    exchange.signal("ring 0");
    std::thread::sleep(Duration::from_millis(pause_ms));
}

#[test]
fn an_incoming_analog_call_rings_a_phone_with_the_callers_number_and_ends_on_busy_tone() {
    let (pbx, mut exchange, mut phone, _rig) = start(AnswerMode::Manual);
    // First ring, then the caller ID while the line is quiet, then the second ring.
    ring(&mut exchange, 1000, 300);
    exchange.say(&line::v23(&line::mdmf(
        "11231405",
        "221234567",
        "Jan Kowalski",
    )));
    exchange.wait_said(Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(1500));
    exchange.signal("ring 1");
    assert!(
        exchange.wait_hook("hook 1", Duration::from_secs(3)),
        "the line was not answered on the second ring\n{}",
        pbx.log_text()
    );
    exchange.signal("ring 0");
    let incoming = phone.wait_event_for("CALL_INCOMING", Duration::from_secs(10));
    assert!(
        incoming.peer.contains("+48221234567"),
        "the phone shows the caller in E.164: {incoming:?}"
    );
    phone.answer();
    phone.wait_event("CALL_ESTABLISHED");
    // Audio both ways: 3 s of 1400 Hz from the line; the phone sends 600 Hz all along.
    let mark = exchange.played_len();
    exchange.say(&line::tone(&[1400.0], 8000.0, 3000));
    exchange.wait_said(Duration::from_secs(6));
    std::thread::sleep(Duration::from_millis(500));
    let played = Recording::from_samples(&exchange.played_since(mark));
    assert!(
        played.tone_fraction(600.0) > 0.5,
        "the phone's tone reaches the line: {}",
        played.describe(&[600.0, 1400.0])
    );
    // The exchange's busy tone (the caller hung up) ends the call.
    exchange.say(&line::pl_busy(6));
    let closed = phone.wait_event_for("CALL_CLOSED", Duration::from_secs(10));
    assert!(
        exchange.wait_hook("hook 0", Duration::from_secs(3)),
        "the line is put back on hook"
    );
    exchange.hush();
    let log = pbx.stop();
    assert!(log.contains("analog call answered"), "{log}");
    assert!(
        !closed.param.contains("4") && !closed.param.contains("5"),
        "ended by BYE, not an error: {closed:?}"
    );
    let heard = Recording::read(&phone.last_recording().received);
    assert!(
        heard.tone_fraction(1400.0) > 0.3,
        "the line's tone reaches the phone: {}",
        heard.describe(&[600.0, 1400.0, 425.0])
    );
}

#[test]
fn an_outside_call_seizes_the_line_waits_for_dial_tone_and_dials_the_number() {
    let (pbx, mut exchange, mut phone, _rig) = start(AnswerMode::Auto);
    let mark = exchange.played_len();
    phone.dial(&pbx.uri("0221234567"));
    assert!(
        exchange.wait_hook("hook 1", Duration::from_secs(5)),
        "the line was not seized\n{}",
        pbx.log_text()
    );
    // Dial tone until the first digit, as an exchange does.
    exchange.say(&line::pl_dial_tone(5000));
    let end = std::time::Instant::now() + Duration::from_secs(5);
    while line::dtmf_digits(&exchange.played_since(mark)).is_empty() {
        assert!(
            std::time::Instant::now() < end,
            "no digit dialled\n{}",
            pbx.log_text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    exchange.hush();
    match phone.wait_call() {
        CallOutcome::Established(_) => {}
        CallOutcome::Closed(e) => panic!("the call failed: {e:?}\n{}", pbx.stop()),
    }
    let dialled = line::dtmf_digits(&exchange.played_since(mark));
    assert_eq!(dialled, "221234567", "digits dialled on the line");
    std::thread::sleep(Duration::from_millis(500));
    phone.hangup();
    assert!(
        exchange.wait_hook("hook 0", Duration::from_secs(5)),
        "the line is released when the phone hangs up\n{}",
        pbx.log_text()
    );
}

/// The line's diagnostics over the control socket: line1 in the dashboard's status.
fn line_diagnostics(client: &mut Client) -> Value {
    let reply = client.ask(json!({"request": "lines"}));
    assert_eq!(reply["reply"], "lines", "{reply}");
    reply["lines"][0].clone()
}

/// Waits until line1's diagnostics satisfy `ok`.
fn wait_diagnostics(client: &mut Client, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let line = line_diagnostics(client);
        if ok(&line) {
            return line;
        }
        assert!(Instant::now() < end, "{what}: {line:#}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_line_diagnostics_show_rings_and_caller_id_and_a_dead_line_is_reported() {
    let (pbx, mut exchange, _rig) = start_line();
    let socket = pbx.dir().join("control.sock");
    let mut client = Client::connect(&socket);
    client.hello("installer");
    let mut watcher = Client::connect(&socket);
    watcher.hello("watcher");
    watcher.ask(json!({"request": "subscribe"}));
    let status = client.ask(json!({"request": "status"}));
    assert_eq!(status["lines"][0]["state"], "idle", "{status}");
    // One ring with caller ID after it; the caller gives up: the screen shows the ring, the
    // caller ID raw and decoded, and the missed call.
    ring(&mut exchange, 1000, 300);
    exchange.say(&line::v23(&line::mdmf(
        "11231405",
        "221234567",
        "Jan Kowalski",
    )));
    let line = wait_diagnostics(&mut client, "the caller ID", |l| !l["caller_id"].is_null());
    let id = &line["caller_id"];
    assert_eq!(id["number"], "221234567", "{line:#}");
    assert_eq!(id["name"], "Jan Kowalski");
    assert_eq!(id["when"], "11-23 14:05");
    assert!(
        id["raw"].as_str().is_some_and(|r| r.starts_with("80 ")),
        "{id}"
    );
    let events = |l: &Value| l["events"].to_string();
    assert!(events(&line).contains("ring on"), "{line:#}");
    assert!(events(&line).contains("ring off after 1."), "{line:#}");
    assert!(
        line["audio"].as_str().is_some_and(|a| a.starts_with("up")),
        "{line:#}"
    );
    assert!(line["rx_dbfs"].is_number(), "{line:#}");
    let line = wait_diagnostics(&mut client, "the missed call", |l| {
        events(l).contains("missed call from +48221234567")
    });
    assert_eq!(line["state"], "idle");
    // The installer's view: the console's Lines tab over SSH shows the same, live.
    let forced = format!(
        "{} --socket {}",
        bin("centrala-console").display(),
        socket.display()
    );
    let (server, keys) = SshServer::start(&[Some(forced.as_str())]);
    let console = Terminal::start(&server.ssh_command(&keys[0], None), 80, 24);
    console.wait_for(&["Dashboard"]);
    console.keys(&["9"]);
    console.wait_for(&[
        "line1",
        "221234567",
        "Jan Kowalski",
        "80 23 01",
        "missed call",
    ]);
    // A check on request with dial tone: the line is seized, hears it, and is released.
    let asked = client.ask(json!({"request": "check_line", "line": "line1"}));
    assert_eq!(asked["reply"], "check_started", "{asked}");
    assert!(
        exchange.wait_hook("hook 1", Duration::from_secs(5)),
        "seized"
    );
    // Dial tone until the line is released, as an exchange gives it (PL dial tone shares
    // its frequency with ringback, so it is recognised after 1.25 s).
    exchange.say(&line::pl_dial_tone(5000));
    assert!(
        exchange.wait_hook("hook 0", Duration::from_secs(5)),
        "released"
    );
    exchange.hush();
    let line = wait_diagnostics(&mut client, "a passed check", |l| !l["health"].is_null());
    assert_eq!(line["health"]["ok"], true, "{line:#}");
    // Again with a dead line (no dial tone): reported dead, and the console is told.
    client.ask(json!({"request": "check_line", "line": "line1"}));
    assert!(
        exchange.wait_hook("hook 1", Duration::from_secs(5)),
        "seized again"
    );
    assert!(
        exchange.wait_hook("hook 0", Duration::from_secs(6)),
        "released after 3 s"
    );
    let line = wait_diagnostics(&mut client, "a failed check", |l| {
        l["health"]["ok"] == false
    });
    assert!(
        line["health"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("no dial tone")),
        "{line:#}"
    );
    let end = Instant::now() + Duration::from_secs(5);
    console.wait_for(&["dead", "no dial tone"]);
    let told = loop {
        let message = watcher.receive().expect("an event");
        let text = message["event"]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if text.contains("Line line1 is dead") {
            break text;
        }
        assert!(Instant::now() < end, "no dead-line notification");
    };
    assert!(told.contains("no dial tone"), "{told}");
    let unknown = client.ask(json!({"request": "check_line", "line": "line9"}));
    assert_eq!(unknown["reply"], "error", "{unknown}");
    let log = pbx.stop();
    assert!(log.contains("LINE DEAD"), "{log}");
}
