//! The console's Contacts tab for real: `centrala-console --socket` in tmux at 80×24 imports a
//! CSV file (the daemon's dry-run report first, naming the refused line; Enter imports the
//! rest), finds a contact by searching, edits its number, and the daemon has it after a
//! restart.

use centrala_e2e::bin;
use centrala_e2e::control::Client;
use centrala_e2e::pbx::Pbx;
use centrala_e2e::tmux::Terminal;
use serde_json::{json, Value};

fn contacts(socket: &std::path::Path) -> Vec<Value> {
    let reply = Client::connect(socket).ask(json!({"request": "contacts"}));
    reply["contacts"].as_array().cloned().unwrap_or_default()
}

#[test]
fn contacts_are_imported_from_csv_searched_and_edited_in_the_console() {
    let mut pbx = Pbx::start();
    let socket = pbx.dir().join("control.sock");
    let csv = pbx.dir().join("klienci.csv");
    std::fs::write(
        &csv,
        "nazwa;firma;telefon\nJan Kowalczyk;Budimex;601 234 567\n\
         Ewa Lis;;22 123 45 67\nBez Numeru;;\n",
    )
    .expect("write the CSV");
    let command = format!(
        "{} --socket {}",
        bin("centrala-console").display(),
        socket.display()
    );
    let t = Terminal::start(&command, 80, 24);
    t.wait_for(&["1 Dashboard", "rev "]);
    t.keys(&["8"]);
    t.wait_for(&["Contacts and leads: 0", "i import"]);
    t.keys(&["i"]);
    t.wait_for(&["Import contacts from"]);
    t.type_text(&csv.display().to_string());
    t.keys(&["Enter"]);
    t.wait_for(&[
        "nothing stored yet",
        "2 added",
        "1 refused",
        "line 4 (Bez Numeru)",
    ]);
    assert!(contacts(&socket).is_empty(), "a dry run stores nothing");
    t.keys(&["Enter"]);
    t.wait_for(&[
        "Imported: 2 added",
        "Contacts and leads: 2",
        "Jan Kowalczyk",
    ]);

    t.keys(&["/"]);
    t.type_text("lis");
    t.keys(&["Enter"]);
    t.wait_for(&["matching 'lis': 1", "Ewa Lis"]);
    t.keys(&["Enter"]);
    t.wait_for(&["Contact ", "Numbers"]);
    t.keys(&["Down", "Down", "Enter"]);
    t.wait_for(&["e.g. +48 601 234 567"]);
    t.type_text(", 501 000 111");
    t.keys(&["Enter"]);
    t.keys(&["s"]);
    t.wait_for(&["Saved contact 'Ewa Lis'"]);
    t.keys(&["q"]);

    pbx.restart();
    let stored = contacts(&socket);
    assert_eq!(stored.len(), 2, "{stored:?}");
    let ewa = stored
        .iter()
        .find(|c| c["name"] == "Ewa Lis")
        .unwrap_or_else(|| panic!("Ewa Lis in {stored:?}"));
    assert_eq!(ewa["numbers"], json!(["+48221234567", "+48501000111"]));
    pbx.stop();
}
