//! Reading contacts from the files people have: a CSV table ([`csv`]) or vCards ([`vcard`]),
//! each record becoming a [`ContactDraft`] to check and merge with [`Crm::import`], or a
//! [`Refusal`] naming its line or card and why.
//!
//! Parsing never fails as a whole and never panics: whatever the text, the answer is a list
//! of records and refusals in the order of the file (an unusable header is one refusal of
//! line 1). Text is UTF-8; a byte order mark is skipped.
//!
//! [`Crm::import`]: super::Crm::import

pub mod csv;
pub mod vcard;

use serde::{Deserialize, Serialize};

use super::edit::{ContactDraft, Refusal};

/// The most records one import reads; the rest is refused as one.
pub const MAX_RECORDS: usize = 20_000;

/// The formats an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormat {
    /// A table with a header row, `,` or `;` between cells.
    Csv,
    /// vCard 2.1, 3.0 or 4.0 (a `.vcf` file of one or many cards).
    Vcard,
}

/// One record read from a file, not checked yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Where in the file: `line 4`, `card 2`.
    pub place: String,
    /// What it says.
    pub draft: ContactDraft,
}

/// Reads `text` as `format`: records and refusals in the file's order.
pub fn parse(format: ImportFormat, text: &str) -> Vec<Result<Record, Refusal>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = match format {
        ImportFormat::Csv => csv::parse(text),
        ImportFormat::Vcard => vcard::parse(text),
    };
    if out.len() > MAX_RECORDS {
        let place = match &out[MAX_RECORDS] {
            Ok(r) => r.place.clone(),
            Err(r) => r.place.clone(),
        };
        out.truncate(MAX_RECORDS);
        out.push(Err(Refusal {
            place,
            name: None,
            reason: format!("an import reads at most {MAX_RECORDS} records; this one and the rest were not read"),
        }));
    }
    out
}

/// A refusal of `place` without a name.
fn refused(place: String, reason: impl Into<String>) -> Result<Record, Refusal> {
    Err(Refusal {
        place,
        name: None,
        reason: reason.into(),
    })
}

/// Splits one cell of phone numbers (`601 234 567; 22 123 45 67`) at `;` and `,`.
fn split_numbers(cell: &str) -> impl Iterator<Item = String> + '_ {
    cell.split([';', ','])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
}
