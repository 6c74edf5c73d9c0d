//! The readable text form (TOML) used for backups and provisioning.
//!
//! Export writes every setting; import reads it back exactly (numbers in national form are
//! completed with the file's own `system.default_country_code`). Import errors name the line
//! and the field: syntax and type errors from the TOML reader, and validation problems located
//! in the text by the item and field they belong to.

use core::fmt;
use core::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::config::Config;
use crate::number::{with_default_country, CountryCode};
use crate::validate::{validate, Problem};

/// The first line of every exported file.
pub const HEADER: &str = "# Centrala configuration (text form of schema 5)";

/// Could not write the text form.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the configuration as TOML: {0}")]
pub struct ExportError(#[from] toml::ser::Error);

/// Writes a configuration as TOML.
pub fn export(config: &Config) -> Result<String, ExportError> {
    let body = toml::to_string_pretty(config)?;
    Ok(format!("{HEADER}\n\n{body}"))
}

/// A position in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// A validation problem, with where it is in the text when that could be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedProblem {
    /// The problem.
    pub problem: Problem,
    /// Where in the text.
    pub position: Option<Position>,
}

impl fmt::Display for LocatedProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(f, "{p}: {}", self.problem),
            None => write!(f, "{}", self.problem),
        }
    }
}

/// Why a text could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Not TOML, a wrong type, an unknown key, an invalid value.
    #[error("{}{message}", position.map(|p| format!("{p}: ")).unwrap_or_default())]
    Read {
        /// Where, if the reader said.
        position: Option<Position>,
        /// What is wrong, naming the key.
        message: String,
    },
    /// Read fine, but the configuration is not valid.
    #[error("{} problem(s):\n{}", .0.len(), .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<LocatedProblem>),
}

/// Reads a configuration from TOML and validates it.
pub fn import(text: &str) -> Result<Config, ImportError> {
    let config = read(text)?;
    let problems = validate(&config);
    if problems.is_empty() {
        return Ok(config);
    }
    let doc = DeTable::parse(text).ok();
    let located = problems
        .into_iter()
        .map(|problem| {
            let span = doc.as_ref().and_then(|d| locate(d.get_ref(), &problem));
            LocatedProblem {
                position: span.map(|s| position(text, s.start)),
                problem,
            }
        })
        .collect();
    Err(ImportError::Invalid(located))
}

/// Reads a configuration from TOML without validating it.
pub fn read(text: &str) -> Result<Config, ImportError> {
    let doc = DeTable::parse(text).map_err(|e| read_error(text, &e))?;
    let country = default_country(doc.get_ref());
    with_default_country(country, || toml::from_str::<Config>(text))
        .map_err(|e| read_error(text, &e))
}

fn read_error(text: &str, e: &toml::de::Error) -> ImportError {
    let message = e.message().trim();
    // The reader's own message names the key only for unknown fields; say which key it is.
    let key = e.span().and_then(|s| key_at(text, s.start));
    ImportError::Read {
        position: e.span().map(|s| position(text, s.start)),
        message: match key {
            Some(key) => format!("{key}: {message}"),
            None => message.to_string(),
        },
    }
}

/// The path (`groups[0].ring_time_secs`) of the innermost key or value at a byte offset, if
/// the text is TOML. A table's span is only its header, so the smallest span holding the
/// offset is the innermost one.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let doc = DeTable::parse(text).ok()?;
    let mut best = None;
    visit_table(doc.get_ref(), "", offset, &mut best);
    best.map(|(_, path)| path)
}

/// The shortest span holding the offset so far, and its path.
type Best = Option<(usize, String)>;

fn visit_table(table: &DeTable<'_>, prefix: &str, offset: usize, best: &mut Best) {
    for (key, value) in table.iter() {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        consider(key.span(), &path, offset, best);
        visit_value(value, &path, offset, best);
    }
}

fn visit_value(value: &Spanned<DeValue<'_>>, path: &str, offset: usize, best: &mut Best) {
    match value.get_ref() {
        DeValue::Table(t) => visit_table(t, path, offset, best),
        DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                visit_value(item, &format!("{path}[{i}]"), offset, best);
            }
        }
        _ => {}
    }
    consider(value.span(), path, offset, best);
}

fn consider(span: Range<usize>, path: &str, offset: usize, best: &mut Best) {
    let len = span.len();
    if span.contains(&offset) && best.as_ref().is_none_or(|(l, _)| len <= *l) {
        *best = Some((len, path.to_string()));
    }
}

/// The file's own default country code, used to complete national numbers in it.
fn default_country(doc: &DeTable<'_>) -> Option<CountryCode> {
    let system = doc.get("system")?.get_ref().as_table()?;
    let cc = system.get("default_country_code")?.get_ref().as_integer()?;
    let value = u16::from_str_radix(cc.as_str(), cc.radix()).ok()?;
    CountryCode::new(value).ok()
}

/// Finds the span of a problem's field (or, failing that, of its item) in the document.
fn locate(doc: &DeTable<'_>, problem: &Problem) -> Option<Range<usize>> {
    let loc = &problem.location;
    let section = doc.get(loc.section.key())?;
    let item = match loc.index {
        Some(i) => section.get_ref().get(i)?,
        None => section,
    };
    let mut best = item.span();
    let mut cur: &DeValue<'_> = item.get_ref();
    for part in field_path(&loc.field) {
        let next = match part {
            PathPart::Key(k) => cur.get(k),
            PathPart::Index(i) => cur.get(i),
        };
        match next {
            Some(v) => {
                best = v.span();
                cur = v.get_ref();
            }
            None => break,
        }
    }
    Some(best)
}

enum PathPart<'a> {
    Key(&'a str),
    Index(usize),
}

/// Splits `holidays[0].start` into `holidays`, `0`, `start` (one index per segment).
fn field_path(field: &str) -> Vec<PathPart<'_>> {
    let mut out = Vec::new();
    for seg in field.split('.') {
        match seg.split_once('[') {
            Some((key, index)) => {
                if !key.is_empty() {
                    out.push(PathPart::Key(key));
                }
                if let Ok(i) = index.trim_end_matches(']').parse() {
                    out.push(PathPart::Index(i));
                }
            }
            None if !seg.is_empty() => out.push(PathPart::Key(seg)),
            None => {}
        }
    }
    out
}

/// Line and column of a byte offset.
fn position(text: &str, offset: usize) -> Position {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Position { line, column }
}

#[cfg(test)]
mod tests;
