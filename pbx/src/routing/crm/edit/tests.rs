use chrono::DateTime;

use super::*;
use crate::routing::crm::import::{parse, ImportFormat};
use crate::routing::crm::Activity;

fn demo() -> Config {
    match firmware_config::default::factory_default() {
        Ok((config, _)) => config,
        Err(e) => panic!("no randomness: {e:?}"),
    }
}

fn draft(name: &str, numbers: &[&str]) -> ContactDraft {
    ContactDraft {
        name: name.into(),
        numbers: numbers.iter().map(|n| n.to_string()).collect(),
        ..ContactDraft::default()
    }
}

fn fields(problems: &[ContactError]) -> Vec<String> {
    problems.iter().map(ContactError::field).collect()
}

fn number(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s, None).unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn a_new_contact_gets_an_id_and_national_numbers_the_default_country() {
    let config = demo();
    let mut crm = Crm::default();
    let mut d = draft(
        " Jan Kowalski ",
        &["601 234 567", "", "+48601234567", "0048 22 123 45 67"],
    );
    d.responsible = Some("102".into());
    let (change, event) = crm.save(&d, &config).unwrap_or_else(|e| panic!("{e:?}"));
    let saved = change.after.clone().unwrap_or_else(|| panic!("saved"));
    assert_eq!(change.before, None);
    assert_eq!(saved.name, "Jan Kowalski");
    assert_eq!(
        saved.numbers,
        [number("+48601234567"), number("+48221234567")]
    );
    assert_eq!(
        saved.responsible.as_ref().map(Extension::as_str),
        Some("102")
    );
    assert_eq!(event, CrmEvent::ContactSaved(saved.clone()));
    let (second, _) = crm
        .save(&draft("Ewa", &["601234568"]), &config)
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_ne!(second.after.map(|c| c.id), Some(saved.id));
    assert_eq!(crm.contacts().len(), 2);
}

#[test]
fn every_problem_is_named_by_its_field_and_nothing_is_saved() {
    let config = demo();
    let mut crm = Crm::default();
    let mut d = draft("  ", &["601 234 567", "not a number"]);
    d.responsible = Some("199".into());
    let problems = crm.save(&d, &config).err().unwrap_or_default();
    assert_eq!(fields(&problems), ["name", "numbers[1]", "responsible"]);
    assert!(
        problems[2].to_string().contains("no employee 199"),
        "{}",
        problems[2]
    );
    let problems = crm
        .save(&draft("Jan", &[]), &config)
        .err()
        .unwrap_or_default();
    assert_eq!(fields(&problems), ["numbers"]);
    let mut d = draft("Jan", &["601234567"]);
    d.responsible = Some("1x".into());
    assert_eq!(
        fields(&crm.save(&d, &config).err().unwrap_or_default()),
        ["responsible"]
    );
    d.responsible = None;
    d.id = Some(42);
    assert_eq!(
        fields(&crm.save(&d, &config).err().unwrap_or_default()),
        ["id"]
    );
    assert!(crm.contacts().is_empty());
}

#[test]
fn a_number_of_another_contact_is_refused_but_a_contact_keeps_its_own() {
    let config = demo();
    let mut crm = Crm::default();
    let (first, _) = crm
        .save(&draft("Jan", &["601234567"]), &config)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let jan = first.after.unwrap_or_else(|| panic!("saved"));
    let problems = crm
        .save(&draft("Ewa", &["22 123 45 67", "+48 601 234 567"]), &config)
        .err()
        .unwrap_or_default();
    assert_eq!(fields(&problems), ["numbers[1]"]);
    assert!(problems[0].to_string().contains("'Jan'"), "{}", problems[0]);
    let mut again = draft("Jan K.", &["601234567", "601234569"]);
    again.id = Some(jan.id);
    assert!(crm.save(&again, &config).is_ok());
}

#[test]
fn an_edit_keeps_the_activities_live_and_after_replay() {
    let config = demo();
    let mut crm = Crm::default();
    let mut journal = Vec::new();
    let (change, event) = crm
        .save(&draft("Jan", &["601234567"]), &config)
        .unwrap_or_else(|e| panic!("{e:?}"));
    journal.push(event);
    let id = change.after.map(|c| c.id).unwrap_or_default();
    let activity = Activity {
        at: DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
        entry: Some("main".into()),
        note: "missed call after hours".into(),
    };
    crm.apply(CrmEvent::ContactActivity {
        id,
        activity: activity.clone(),
    });
    journal.push(CrmEvent::ContactActivity {
        id,
        activity: activity.clone(),
    });
    let mut edit = draft("Jan Kowalski", &["601234568"]);
    edit.id = Some(id);
    let (change, event) = crm.save(&edit, &config).unwrap_or_else(|e| panic!("{e:?}"));
    journal.push(event);
    assert_eq!(change.before.map(|c| c.name).as_deref(), Some("Jan"));
    let live = crm.contact(id).cloned().unwrap_or_else(|| panic!("kept"));
    assert_eq!(live.activities, [activity]);
    assert_eq!(live.numbers, [number("+48601234568")]);
    // The journal, through JSON, gives the same contact back.
    let mut replayed = Crm::default();
    for e in &journal {
        let line = serde_json::to_string(e).unwrap_or_default();
        replayed.apply(serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}")));
    }
    assert_eq!(replayed.contacts(), crm.contacts());
    // A removal too; the next new contact does not reuse the id.
    let (_, removed) = crm.remove(id).unwrap_or_else(|e| panic!("{e}"));
    replayed.apply(removed);
    assert!(replayed.contacts().is_empty());
    let (next, _) = replayed
        .save(&draft("Ewa", &["601234567"]), &config)
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(next.after.is_some_and(|c| c.id > id));
    assert_eq!(crm.remove(id).err(), Some(ContactError::NoSuchContact(id)));
}

#[test]
fn an_import_adds_merges_and_refuses_with_places() {
    let config = demo();
    let mut crm = Crm::default();
    let (first, _) = crm
        .save(&draft("Jan Kowalski", &["601234567"]), &config)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let jan = first.after.unwrap_or_else(|| panic!("saved"));
    crm.save(&draft("Ewa", &["601234568"]), &config)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let text = "nazwa;firma;telefon;opiekun\n\
        Jan K. (phone);Hurtownia;601 234 567, 22 123 45 67;103\n\
        Anna Nowak;;601 111 222;\n\
        Anna again;;+48 601 111 222;\n\
        ;Sklep;601 333 444;\n\
        Nobody;;;\n\
        Bad;;12ab;\n\
        Both;;601234567;\n\
        Two owners;;601234567, 601234568;\n\
        Unknown boss;;601 555 666;199\n";
    let (report, changes, events) = crm.import(parse(ImportFormat::Csv, text), &config);
    assert_eq!(
        (report.added, report.merged, report.unchanged),
        (2, 1, 2),
        "{report:?}"
    );
    let refused: Vec<(&str, &str)> = report
        .refused
        .iter()
        .map(|r| (r.place.as_str(), r.name.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        refused,
        [
            ("line 6", "Nobody"),
            ("line 7", "Bad"),
            ("line 9", "Two owners"),
            ("line 10", "Unknown boss")
        ]
    );
    assert!(report.refused[0].reason.contains("no phone number"));
    assert!(report.refused[2].reason.contains("several contacts"));
    assert_eq!(changes.len(), 3);
    assert_eq!(events.len(), 3);
    // Merged: the new number added, the name kept, the missing company and responsible filled.
    let merged = crm
        .contact(jan.id)
        .cloned()
        .unwrap_or_else(|| panic!("kept"));
    assert_eq!(merged.name, "Jan Kowalski");
    assert_eq!(
        merged.numbers,
        [number("+48601234567"), number("+48221234567")]
    );
    assert_eq!(merged.company.as_deref(), Some("Hurtownia"));
    assert_eq!(
        merged.responsible.as_ref().map(Extension::as_str),
        Some("103")
    );
    // A row with only a company is named after it.
    assert!(crm.contacts().iter().any(|c| c.name == "Sklep"));
    assert_eq!(crm.contacts().len(), 4);
    // The same file again changes nothing.
    let (again, changes, _) = crm.import(parse(ImportFormat::Csv, text), &config);
    assert_eq!((again.added, again.merged, again.unchanged), (0, 0, 5));
    assert!(changes.is_empty());
}

#[test]
fn a_stored_id_at_the_end_of_the_range_is_not_given_twice() {
    let config = demo();
    let mut crm = Crm::default();
    crm.apply(CrmEvent::ContactSaved(Contact {
        id: u64::MAX,
        name: "Last".into(),
        company: None,
        numbers: vec![number("+48601234567")],
        responsible: None,
        activities: Vec::new(),
    }));
    let problems = crm.save(&draft("Next", &["601234568"]), &config).err();
    assert_eq!(problems, Some(vec![ContactError::Full]));
    assert_eq!(crm.contacts().len(), 1);
    assert_eq!(crm.contacts()[0].name, "Last");
}

#[test]
fn a_name_of_control_characters_is_empty() {
    // Found by the contacts_import fuzz target: NULs became spaces after trimming.
    let mut crm = Crm::default();
    let problems = crm
        .save(&draft("\0\0\t\u{7}", &["601234567"]), &demo())
        .err();
    assert_eq!(problems.map(|p| fields(&p)), Some(vec!["name".to_owned()]));
    let (saved, _) = crm
        .save(&draft("\u{0}Jan\r\nKowalski\u{0}", &["601234567"]), &demo())
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        saved.after.map(|c| c.name).as_deref(),
        Some("Jan  Kowalski")
    );
}
