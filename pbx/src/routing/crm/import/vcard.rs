//! Contacts from vCards (2.1, 3.0 and 4.0): the name from `FN` (else `N`), the company from
//! `ORG`, every `TEL`.
//!
//! The cards are found here (`BEGIN:VCARD` … `END:VCARD`, numbered from 1) and each is read
//! alone with the `ical` crate, so one broken card is refused with its number and the others
//! are still read. Before that, each card's lines are made what `ical` reads:
//! - vCard 2.1's quoted-printable soft line breaks (a value ending in `=`) are joined, and
//!   such values are decoded here (`ENCODING=QUOTED-PRINTABLE`, in the `CHARSET` given:
//!   UTF-8, or ISO-8859-1; other charsets are read as UTF-8 where they are);
//! - vCard 2.1's bare parameters (`TEL;CELL;VOICE:…`) are written as `TYPE=CELL`;
//! - lines that are not properties (no `:`) are skipped.
//!
//! Folded lines (a line starting with a space continues the previous one) are unfolded by
//! `ical`. Values are unescaped (`\,`, `\;`, `\\`, `\n`); a `tel:` URI is read as its number.

use ical::parser::vcard::component::VcardContact;
use ical::property::Property;

use super::{refused, Record};
use crate::routing::crm::edit::{ContactDraft, Refusal};

/// One card's lines as found, before `ical` reads them.
struct Card {
    /// Its number in the file, from 1.
    number: usize,
    /// Its property lines, QP soft breaks joined, parameters made explicit.
    lines: Vec<String>,
}

/// Reads every card of `text` (see the module documentation).
pub fn parse(text: &str) -> Vec<Result<Record, Refusal>> {
    let mut out = Vec::new();
    let mut card: Option<Card> = None;
    let mut count = 0usize;
    for line in logical_lines(text) {
        let bare = line.trim();
        if bare.eq_ignore_ascii_case("BEGIN:VCARD") {
            if let Some(open) = card.take() {
                out.push(refused(place(open.number), "the card has no END:VCARD"));
            }
            count += 1;
            card = Some(Card {
                number: count,
                lines: Vec::new(),
            });
        } else if bare.eq_ignore_ascii_case("END:VCARD") {
            if let Some(done) = card.take() {
                out.push(read_card(&done));
            }
        } else if let Some(open) = card.as_mut() {
            if let Some(l) = property_line(&line) {
                open.lines.push(l);
            }
        }
    }
    if let Some(open) = card {
        out.push(refused(place(open.number), "the card has no END:VCARD"));
    }
    out
}

fn place(number: usize) -> String {
    format!("card {number}")
}

/// The file's lines with quoted-printable soft line breaks joined.
fn logical_lines(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut joining = false;
    for raw in text.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match out.last_mut() {
            Some(last) if joining => {
                last.pop(); // the soft break's `=`
                last.push_str(raw);
            }
            _ => out.push(raw.to_owned()),
        }
        let last = out.last().map(String::as_str).unwrap_or_default();
        joining = last.ends_with('=') && is_quoted_printable(last);
    }
    out
}

/// The part of a property line before its value (name and parameters).
fn head(line: &str) -> Option<&str> {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => return Some(&line[..i]),
            _ => {}
        }
    }
    None
}

fn is_quoted_printable(line: &str) -> bool {
    head(line).is_some_and(|h| h.to_ascii_uppercase().contains("QUOTED-PRINTABLE"))
}

/// `line` as `ical` reads it: a continuation as it is, a property with its bare parameters
/// named `TYPE=`; `None` for a line that is no property.
fn property_line(line: &str) -> Option<String> {
    if line.starts_with([' ', '\t']) {
        return Some(line.to_owned());
    }
    let head = head(line)?;
    let value = &line[head.len()..];
    let mut parts = head.split(';');
    let mut out = parts.next().unwrap_or_default().trim().to_owned();
    if out.is_empty() {
        return None;
    }
    for p in parts.map(str::trim).filter(|p| !p.is_empty()) {
        out.push(';');
        if !p.contains('=') {
            out.push_str("TYPE=");
        }
        out.push_str(p);
    }
    out.push_str(value);
    Some(out)
}

/// Reads one card with `ical`.
fn read_card(card: &Card) -> Result<Record, Refusal> {
    let mut text = String::from("BEGIN:VCARD\n");
    for l in &card.lines {
        text.push_str(l);
        text.push('\n');
    }
    text.push_str("END:VCARD\n");
    let parsed = ical::VcardParser::new(text.as_bytes()).next();
    match parsed {
        Some(Ok(contact)) => Ok(Record {
            place: place(card.number),
            draft: draft(&contact),
        }),
        Some(Err(e)) => refused(place(card.number), format!("not a valid vCard: {e}")),
        None => refused(place(card.number), "an empty card"),
    }
}

/// Name, company and numbers of one card.
fn draft(card: &VcardContact) -> ContactDraft {
    let values = |name: &'static str| {
        card.properties
            .iter()
            .filter(move |p| property_name(p).eq_ignore_ascii_case(name))
            .filter_map(|p| decoded(p).filter(|v| !v.trim().is_empty()))
    };
    let name = values("FN")
        .map(|v| unescape(&v))
        .next()
        .or_else(|| values("N").map(|v| structured_name(&v)).next())
        .unwrap_or_default();
    let company = values("ORG")
        .map(|v| unescape(split_unescaped(&v).first().copied().unwrap_or_default()))
        .find(|c| !c.trim().is_empty());
    let numbers = values("TEL").map(|v| tel(&v)).collect();
    ContactDraft {
        id: None,
        name: name.trim().to_owned(),
        company: company.map(|c| c.trim().to_owned()),
        numbers,
        responsible: None,
    }
}

/// The property's name without a group (`item1.TEL` is `TEL`).
fn property_name(p: &Property) -> &str {
    p.name.rsplit('.').next().unwrap_or_default()
}

/// The value, quoted-printable decoded when the parameters say so.
fn decoded(p: &Property) -> Option<String> {
    let value = p.value.as_deref()?;
    let params = p.params.as_deref().unwrap_or_default();
    let has = |key: &str, wanted: &str| {
        params.iter().any(|(k, vs)| {
            k.eq_ignore_ascii_case(key) && vs.iter().any(|v| v.eq_ignore_ascii_case(wanted))
        })
    };
    if !(has("ENCODING", "QUOTED-PRINTABLE") || has("TYPE", "QUOTED-PRINTABLE")) {
        return Some(value.to_owned());
    }
    let bytes = quoted_printable(value);
    let latin1 = ["ISO-8859-1", "LATIN1", "WINDOWS-1252"]
        .iter()
        .any(|c| has("CHARSET", c));
    Some(if latin1 {
        bytes.iter().map(|&b| char::from(b)).collect()
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Decodes quoted-printable (`=C4=85` is the byte 0xC4 then 0x85; a `=` not followed by two
/// hex digits is kept as it is).
fn quoted_printable(value: &str) -> Vec<u8> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| {
            let h = std::str::from_utf8(h).ok()?;
            u8::from_str_radix(h, 16).ok()
        });
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Splits a structured value at `;` not escaped.
fn split_unescaped(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in value.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            ';' if !escaped => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => escaped = false,
        }
    }
    parts.push(&value[start..]);
    parts
}

/// `\,` `\;` `\\` as the character, `\n` as a space.
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push(' '),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// `N:Family;Given;Middle;Prefix;Suffix` as `Prefix Given Middle Family Suffix`.
fn structured_name(value: &str) -> String {
    let parts: Vec<String> = split_unescaped(value).into_iter().map(unescape).collect();
    let part = |i: usize| parts.get(i).map(String::as_str).unwrap_or_default();
    [part(3), part(1), part(2), part(0), part(4)]
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A telephone value: a `tel:` URI's number (without `;ext=` and the like), or the text.
fn tel(value: &str) -> String {
    let value = unescape(value.trim());
    match value.get(..4) {
        Some(scheme) if scheme.eq_ignore_ascii_case("tel:") => {
            let number = &value[4..];
            number.split(';').next().unwrap_or_default().to_owned()
        }
        _ => value,
    }
}

#[cfg(test)]
mod tests;
