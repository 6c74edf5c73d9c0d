//! CRM contacts end to end: a CSV imported with `centrala contacts import` (a dry run first,
//! which stores nothing), a vCard imported over the control socket (merged into a known
//! contact by its number, a card without a number refused with its number), the contacts
//! listed, audited, kept across a restart, and then a call from a contact's number, missed
//! after hours, attached to that contact and notified to its responsible employee.
//!
//! Needs `sipp` on PATH (the provider delivering the call through the trunk).

use std::path::Path;
use std::process::Command;

use centrala_e2e::bin;
use centrala_e2e::control::Client;
use centrala_e2e::pbx::{closed_did, Pbx};
use centrala_e2e::ports::free_port;
use centrala_e2e::sipp::Sipp;
use centrala_e2e::ssh::whoami;
use serde_json::{json, Value};

/// A control-socket client that said hello as `user`.
fn connect(pbx: &Pbx, user: &str) -> Client {
    let mut client = Client::connect(&pbx.dir().join("control.sock"));
    let hello = client.hello(user);
    assert_eq!(hello["reply"], "hello", "{hello}");
    client
}

/// Every contact and lead, as `kind name [numbers…] responsible activities` lines.
fn contacts(client: &mut Client) -> (Value, Vec<String>) {
    let reply = client.ask(json!({"request": "contacts"}));
    assert_eq!(reply["reply"], "contacts", "{reply}");
    let rows = reply["contacts"].as_array().cloned().unwrap_or_default();
    assert_eq!(reply["total"], rows.len(), "{reply}");
    let lines = rows
        .iter()
        .map(|c| {
            let numbers: Vec<&str> = c["numbers"]
                .as_array()
                .map(|n| n.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            format!(
                "{} {} [{}] {} {}",
                c["kind"].as_str().unwrap_or("?"),
                c["name"].as_str().unwrap_or("?"),
                numbers.join(" "),
                c["responsible"].as_str().unwrap_or("-"),
                c["activities"]
            )
        })
        .collect();
    (reply, lines)
}

/// How the audit log names `user` of this test process (see `control::access`).
fn audited_as(user: &str) -> String {
    let login = whoami();
    if login == user {
        login
    } else {
        format!("{login} (as {user})")
    }
}

/// `centrala contacts import FILE ARGS…` against the test's store; its standard output.
fn cli_import(pbx: &Pbx, file: &Path, args: &[&str]) -> String {
    let out = Command::new(bin("centrala"))
        .arg("--config-dir")
        .arg(pbx.dir().join("store"))
        .args(["contacts", "import"])
        .arg(file)
        .args(args)
        .env("USER", "ola")
        .output()
        .expect("run centrala contacts import");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

const CSV: &str = "\u{feff}Imię i nazwisko;Firma;Telefon;Telefon komórkowy;Opiekun\r\n\
    Jan Kowalski;\"Hurtownia; Kowalski\";601 234 567;;102\r\n\
    Zofia Wiśniewska;Piekarnia;22 765 43 21;\"601 000 111, 601 000 112\";\r\n\
    Błędny;;12ab;;\r\n";

const VCF: &str = "BEGIN:VCARD\r\nVERSION:2.1\r\n\
    N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Nowak;=C5=81ucja;;;\r\n\
    TEL;CELL:+48 601 999 888\r\nEND:VCARD\r\n\
    BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jan K. (telefon)\r\nORG:Hurtownia\r\n\
    TEL;TYPE=CELL:+48601234567\r\nTEL;TYPE=WORK:+48 22 111 22 33\r\nEND:VCARD\r\n\
    BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bez numeru\r\nEMAIL:x@example.com\r\nEND:VCARD\r\n";

#[test]
fn contacts_are_imported_listed_kept_and_a_missed_call_is_attached_to_one() {
    let logs = tempfile::tempdir().expect("tempdir");
    let provider_port = free_port();
    let mut pbx = Pbx::start_with(|c| closed_did(c, provider_port));
    let mut ala = connect(&pbx, "ala");

    // The CSV: a dry run reports and stores nothing; then it is imported.
    let csv = pbx.dir().join("kontakty.csv");
    std::fs::write(&csv, CSV).expect("write the CSV");
    let dry = cli_import(&pbx, &csv, &["--dry-run"]);
    assert!(dry.contains("dry run: nothing was stored"), "{dry}");
    assert!(
        dry.contains("added 2, merged 0, unchanged 0, refused 1"),
        "{dry}"
    );
    assert!(
        dry.contains("line 4 (Błędny): '12ab' is not a phone number"),
        "{dry}"
    );
    assert_eq!(contacts(&mut ala).1, Vec::<String>::new());
    let done = cli_import(&pbx, &csv, &[]);
    assert!(
        done.contains("added 2, merged 0, unchanged 0, refused 1"),
        "{done}"
    );
    assert!(!done.contains("dry run"), "{done}");

    // The vCard over the socket: a new contact, one merged by its number, one refused.
    let reply = ala.ask(json!({
        "request": "import_contacts", "format": "vcard", "text": VCF, "dry_run": false
    }));
    assert_eq!(reply["reply"], "imported", "{reply}");
    let report = &reply["report"];
    assert_eq!(
        (&report["added"], &report["merged"], &report["unchanged"]),
        (&json!(1), &json!(1), &json!(0)),
        "{reply}"
    );
    assert_eq!(report["refused"][0]["place"], "card 3", "{reply}");
    assert_eq!(report["refused"][0]["name"], "Bez numeru", "{reply}");

    let (listed, before) = contacts(&mut ala);
    assert_eq!(
        before,
        [
            "contact Jan Kowalski [+48601234567 +48221112233] 102 0",
            "contact Zofia Wiśniewska [+48227654321 +48601000111 +48601000112] - 0",
            "contact Łucja Nowak [+48601999888] - 0",
        ]
    );
    let jan = listed["contacts"][0]["id"].as_u64().expect("an id");
    assert_eq!(listed["contacts"][0]["company"], "Hurtownia; Kowalski");

    // A saved edit and a refused one.
    let reply = ala.ask(json!({"request": "save_contact", "contact": {
        "name": "Ktoś", "numbers": ["601234567"]
    }}));
    assert_eq!(reply["reply"], "invalid", "{reply}");
    assert_eq!(
        reply["problems"][0]["path"],
        "new contact, field 'numbers[0]'"
    );

    // Every change is in the audit log, by whom.
    let audit =
        std::fs::read_to_string(pbx.dir().join("data").join("audit.log")).expect("the audit log");
    let crm: Vec<Value> = audit
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["crm"] == true)
        .collect();
    assert_eq!(crm.len(), 2, "{audit}");
    assert_eq!(crm[0]["by"], audited_as("ola"));
    assert_eq!(crm[1]["by"], audited_as("ala"));
    assert!(
        crm[1]["changed"]
            .as_array()
            .is_some_and(|c| c.contains(&json!(format!("contact #{jan} 'Jan Kowalski'")))),
        "{audit}"
    );

    // Kept across a restart.
    drop(ala);
    pbx.restart();
    let mut ala = connect(&pbx, "ala");
    assert_eq!(contacts(&mut ala).1, before);

    // A call from Jan's number, missed after hours: attached to him, his employee told.
    Sipp::new("provider_uac_refused.xml", provider_port, logs.path())
        .target(pbx.port())
        .args(&["-s", "48221234567", "-key", "from", "+48221112233"])
        .run()
        .assert_ok();
    let notified = pbx.wait_for_all(&[
        "notified by SIP MESSAGE",
        &format!("added to contact #{jan}"),
    ]);
    assert!(notified.contains("employees=102"), "{notified}");
    let reply = ala.ask(json!({"request": "notifications", "limit": 5}));
    let last = &reply["notifications"][0];
    assert_eq!(last["employees"], json!(["102"]), "{reply}");
    let (listed, after) = contacts(&mut ala);
    assert_eq!(
        after[0],
        "contact Jan Kowalski [+48601234567 +48221112233] 102 1"
    );
    assert_eq!(
        listed["contacts"][0]["last_activity"]["entry"], "direct-line",
        "{listed}"
    );
    pbx.stop();
}
