//! Arbitrary bytes as a contacts file (the first byte chooses CSV or vCard), parsed and
//! imported into a CRM that already knows a few contacts, against the demo office.
//!
//! Invariants:
//! - neither parser panics; every record and refusal names its place (`line N` or `card N`);
//! - the import accounts for every record exactly once (added + merged + unchanged +
//!   refused);
//! - afterwards ids are unique, no number belongs to two contacts, every contact has a name
//!   and at most `MAX_NUMBERS` numbers;
//! - a dry run changes nothing, and replaying the import's events on the CRM before it gives
//!   the CRM after it.

#![no_main]

use std::collections::HashSet;
use std::sync::OnceLock;

use firmware_config::Config;
use libfuzzer_sys::fuzz_target;
use pbx::routing::crm::edit::MAX_NUMBERS;
use pbx::routing::crm::import::{parse, ImportFormat};
use pbx::routing::crm::{ContactDraft, Crm, CrmEdit, CrmEdited};

fn demo() -> &'static Config {
    static DEMO: OnceLock<Config> = OnceLock::new();
    DEMO.get_or_init(|| match firmware_config::default::factory_default() {
        Ok((config, _)) => config,
        Err(e) => panic!("no randomness for the demo office: {e:?}"),
    })
}

/// A CRM with two contacts whose numbers an input may repeat.
fn known() -> Crm {
    let mut crm = Crm::default();
    for (name, number) in [("Jan", "601234567"), ("Ewa", "221234567")] {
        let draft = ContactDraft {
            name: name.into(),
            numbers: vec![number.into()],
            ..ContactDraft::default()
        };
        if let Err(e) = crm.save(&draft, demo()) {
            panic!("the seed contact does not save: {e:?}");
        }
    }
    crm
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let format = if first % 2 == 0 { ImportFormat::Csv } else { ImportFormat::Vcard };
    let records = parse(format, text);
    for r in &records {
        let place = match r {
            Ok(r) => &r.place,
            Err(r) => &r.place,
        };
        assert!(place.starts_with("line ") || place.starts_with("card "), "{place}");
    }
    let count = records.len();

    let mut dry = known();
    let before = dry.contacts().to_vec();
    let edit = CrmEdit::Import { records: records.clone(), dry_run: true };
    let (edited, events) = dry.edit(edit, demo());
    assert!(events.is_empty(), "a dry run journals nothing");
    assert_eq!(dry.contacts(), before.as_slice(), "a dry run changes nothing");
    let CrmEdited::Imported { report: dry_report, .. } = edited else {
        panic!("an import answers with a report");
    };

    let mut crm = known();
    let (edited, events) = crm.edit(CrmEdit::Import { records, dry_run: false }, demo());
    let CrmEdited::Imported { report, .. } = edited else {
        panic!("an import answers with a report");
    };
    let accounted = report.added + report.merged + report.unchanged + report.refused.len();
    assert_eq!(accounted, count, "{report:?}");
    assert_eq!(
        (dry_report.added, dry_report.merged, dry_report.refused.len()),
        (report.added, report.merged, report.refused.len())
    );

    let mut ids = HashSet::new();
    let mut numbers = HashSet::new();
    for c in crm.contacts() {
        assert!(ids.insert(c.id), "id {} given twice", c.id);
        assert!(!c.name.trim().is_empty());
        assert!(!c.numbers.is_empty() && c.numbers.len() <= MAX_NUMBERS);
        for n in &c.numbers {
            assert!(numbers.insert(n.clone()), "{n} belongs to two contacts");
        }
    }

    let mut replayed = known();
    for e in events {
        replayed.apply(e);
    }
    assert_eq!(replayed.contacts(), crm.contacts());
});
