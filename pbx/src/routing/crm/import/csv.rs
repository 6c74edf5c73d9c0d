//! Contacts from a CSV table: a header row naming the columns, one contact per row.
//!
//! - **Columns** are recognised by their header, in English or Polish, case and accents as
//!   written: the name (`name`, `full name`, `nazwa`, `imię i nazwisko`…, or `first name` /
//!   `imię` with `last name` / `nazwisko`), the company (`company`, `organization`, `firma`…),
//!   phone numbers (any header with `phone`, `telefon`, `tel`, `mobile`, `komórka`, `number`,
//!   `numer`, except a number's type or label; several columns allowed, several numbers in
//!   one cell separated by `;` or `,`), and the responsible employee's extension
//!   (`responsible`, `owner`, `opiekun`…). Other columns are ignored.
//! - **The delimiter** is the one of `,`, `;` and tab found most often outside quotes in the
//!   header row (`,` when none is), so spreadsheets saved with either list separator read.
//! - Quoted cells may hold delimiters, quotes (doubled) and line breaks; rows may be shorter
//!   or longer than the header; empty rows are skipped.

use ::csv::{ReaderBuilder, StringRecord, Trim};

use super::{refused, split_numbers, Record};
use crate::routing::crm::edit::{ContactDraft, Refusal};

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    First,
    Last,
    Company,
    Phone,
    Responsible,
    Other,
}

const NAME: &[&str] = &[
    "name",
    "full name",
    "fullname",
    "display name",
    "contact",
    "contact name",
    "nazwa",
    "imię i nazwisko",
    "imie i nazwisko",
    "nazwa kontaktu",
    "kontakt",
    "osoba",
];
const FIRST: &[&str] = &["first name", "firstname", "given name", "imię", "imie"];
const LAST: &[&str] = &[
    "last name",
    "lastname",
    "surname",
    "family name",
    "nazwisko",
];
const COMPANY: &[&str] = &[
    "company",
    "company name",
    "organization",
    "organisation",
    "organization name",
    "org",
    "firma",
    "nazwa firmy",
    "organizacja",
];
const RESPONSIBLE: &[&str] = &[
    "responsible",
    "responsible employee",
    "owner",
    "account owner",
    "extension",
    "opiekun",
    "opiekun klienta",
    "wewnętrzny",
    "numer wewnętrzny",
];
/// Words that make a header a phone column.
const PHONE_WORDS: &[&str] = &[
    "phone",
    "telephone",
    "telefon",
    "telefonu",
    "tel",
    "mobile",
    "cell",
    "komórka",
    "komórkowy",
    "komorka",
    "number",
    "numer",
];
/// Words that make a phone-like header something else (a number's type or label).
const NOT_PHONE_WORDS: &[&str] = &["type", "typ", "label", "etykieta", "rodzaj"];

/// A header as compared: lower case, punctuation as spaces, single spaces.
fn normal(header: &str) -> String {
    let spaced: String = header
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn column(header: &str) -> Column {
    let h = normal(header);
    let is = |list: &[&str]| list.contains(&h.as_str());
    if is(NAME) {
        return Column::Name;
    }
    if is(FIRST) {
        return Column::First;
    }
    if is(LAST) {
        return Column::Last;
    }
    if is(COMPANY) {
        return Column::Company;
    }
    if is(RESPONSIBLE) {
        return Column::Responsible;
    }
    let words: Vec<&str> = h.split(' ').collect();
    let phone = words.iter().any(|w| PHONE_WORDS.contains(w));
    let label = words.iter().any(|w| NOT_PHONE_WORDS.contains(w));
    if phone && !label {
        Column::Phone
    } else {
        Column::Other
    }
}

/// The delimiter found most often outside quotes in the first line.
fn delimiter(text: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for b in text.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                if let Some(c) = counts.iter_mut().find(|(d, _)| *d == b) {
                    c.1 += 1;
                }
            }
            _ => {}
        }
    }
    // The first of the most frequent: `,` wins a tie, and when there is none.
    let mut best = counts[0];
    for c in counts {
        if c.1 > best.1 {
            best = c;
        }
    }
    best.0
}

/// Reads a CSV table (see the module documentation).
pub fn parse(text: &str) -> Vec<Result<Record, Refusal>> {
    let mut reader = ReaderBuilder::new()
        .delimiter(delimiter(text))
        .has_headers(false)
        .flexible(true)
        .trim(Trim::All)
        .from_reader(text.as_bytes());
    let mut rows = reader.records();
    let columns: Vec<Column> = match rows.next() {
        None => return Vec::new(),
        Some(Err(e)) => return vec![refused(place(text, &e), format!("the header row: {e}"))],
        Some(Ok(header)) => header.iter().map(column).collect(),
    };
    if let Some(missing) = missing_columns(&columns) {
        return vec![refused("line 1".into(), missing)];
    }
    let mut out = Vec::new();
    for row in rows {
        match row {
            Ok(r) if r.iter().all(str::is_empty) => {}
            Ok(r) => out.push(Ok(record(text, &columns, &r))),
            Err(e) => out.push(refused(place(text, &e), e.to_string())),
        }
    }
    out
}

/// Why the header cannot be used, when it cannot.
fn missing_columns(columns: &[Column]) -> Option<String> {
    let has = |c: Column| columns.contains(&c);
    if !has(Column::Phone) {
        return Some(
            "the header row names no phone column (phone, telefon, tel, number, numer…)".into(),
        );
    }
    let named = [Column::Name, Column::First, Column::Last, Column::Company];
    if !named.iter().any(|c| has(*c)) {
        return Some(
            "the header row names no name column (name, nazwa, imię i nazwisko, first name, company, firma…)"
                .into(),
        );
    }
    None
}

/// `line N` of the record starting at `offset` (counted here: after a CRLF line end the
/// reader says a record starts at the `\n`, and counts lines one short).
fn line_at(text: &str, offset: u64) -> String {
    let bytes = text.as_bytes();
    let mut end = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(text.len());
    while bytes.get(end).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
        end += 1;
    }
    let line = text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1;
    format!("line {line}")
}

fn place(text: &str, e: &::csv::Error) -> String {
    match e.position() {
        Some(p) => line_at(text, p.byte()),
        None => "line ?".into(),
    }
}

fn record(text: &str, columns: &[Column], row: &StringRecord) -> Record {
    let mut draft = ContactDraft::default();
    let (mut first, mut last) = (String::new(), String::new());
    for (column, cell) in columns.iter().zip(row.iter()) {
        if cell.is_empty() {
            continue;
        }
        match column {
            Column::Name if draft.name.is_empty() => draft.name = cell.to_owned(),
            Column::First => first = cell.to_owned(),
            Column::Last => last = cell.to_owned(),
            Column::Company if draft.company.is_none() => draft.company = Some(cell.to_owned()),
            Column::Phone => draft.numbers.extend(split_numbers(cell)),
            Column::Responsible if draft.responsible.is_none() => {
                draft.responsible = Some(cell.to_owned())
            }
            _ => {}
        }
    }
    if draft.name.is_empty() {
        draft.name = format!("{first} {last}").trim().to_owned();
    }
    Record {
        place: line_at(text, row.position().map_or(0, |p| p.byte())),
        draft,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drafts(text: &str) -> Vec<Result<(String, ContactDraft), String>> {
        super::super::parse(super::super::ImportFormat::Csv, text)
            .into_iter()
            .map(|r| match r {
                Ok(r) => Ok((r.place, r.draft)),
                Err(e) => Err(format!("{}: {}", e.place, e.reason)),
            })
            .collect()
    }

    fn draft(name: &str, company: Option<&str>, numbers: &[&str]) -> ContactDraft {
        ContactDraft {
            id: None,
            name: name.into(),
            company: company.map(Into::into),
            numbers: numbers.iter().map(|n| n.to_string()).collect(),
            responsible: None,
        }
    }

    #[test]
    fn english_headers_with_commas_and_quoted_cells() {
        let text = "Name,Company,Phone\r\n\"Kowalski, Jan\",\"ACME, Inc.\",+48 601 234 567\r\nAnna Nowak,,601234568\r\n";
        assert_eq!(
            drafts(text),
            vec![
                Ok((
                    "line 2".into(),
                    draft("Kowalski, Jan", Some("ACME, Inc."), &["+48 601 234 567"])
                )),
                Ok(("line 3".into(), draft("Anna Nowak", None, &["601234568"]))),
            ]
        );
    }

    #[test]
    fn polish_headers_semicolons_a_bom_and_several_numbers() {
        let text = "\u{feff}Imię i nazwisko;Firma;Telefon;Telefon komórkowy;Opiekun\n\
                    Zofia Wiśniewska;Piekarnia;22 123 45 67;601 234 567, 601 234 568;102\n";
        let mut expected = draft(
            "Zofia Wiśniewska",
            Some("Piekarnia"),
            &["22 123 45 67", "601 234 567", "601 234 568"],
        );
        expected.responsible = Some("102".into());
        assert_eq!(drafts(text), vec![Ok(("line 2".into(), expected))]);
    }

    #[test]
    fn first_and_last_name_columns_are_joined_and_labels_are_not_numbers() {
        let text = "Imię;Nazwisko;Numer;Phone 1 - Type;Phone 1 - Value\nJan;Kowalski;601234567;Mobile;\"601 234 568; 601 234 569\"\n";
        assert_eq!(
            drafts(text),
            vec![Ok((
                "line 2".into(),
                draft(
                    "Jan Kowalski",
                    None,
                    &["601234567", "601 234 568", "601 234 569"]
                )
            ))]
        );
    }

    #[test]
    fn a_quoted_cell_may_span_lines_and_the_next_row_keeps_its_line_number() {
        let text = "name,phone,notes\nJan,601234567,\"two\nlines\"\n,,\nEwa,601234568,\n";
        let got = drafts(text);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(matches!(&got[1], Ok((place, d)) if place == "line 5" && d.name == "Ewa"));
    }

    #[test]
    fn a_header_without_a_phone_or_name_column_is_one_refusal_of_line_1() {
        let got = drafts("name;email\nJan;jan@example.com\n");
        assert_eq!(got.len(), 1);
        assert!(matches!(&got[0], Err(e) if e.starts_with("line 1: ") && e.contains("phone")));
        let got = drafts("telefon;email\n601234567;x\n");
        assert!(matches!(&got[0], Err(e) if e.contains("name")));
        assert!(drafts("").is_empty());
    }

    #[test]
    fn the_delimiter_is_the_most_frequent_outside_quotes() {
        assert_eq!(delimiter("a;b;c\n1,2;3"), b';');
        assert_eq!(delimiter("\"a;b;c\",d,e\n"), b',');
        assert_eq!(delimiter("name\tphone\n"), b'\t');
        assert_eq!(delimiter("name\n"), b',');
    }
}
