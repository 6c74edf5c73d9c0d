//! The Lines tab: the analog lines (a dead one marked) and, under them, the selected line's
//! jitter-buffer counters; beside them its diagnostics: state, audio, receive and transmit
//! levels, ERLE, the last caller ID raw and decoded, the health checks, and the events,
//! newest at the bottom. Times are in the office's time zone (the first schedule's).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use pbx::control::protocol::{CallerIdView, HealthView, LineDiagnostics, LineEventView};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::history::zone;
use super::lists::draw_list;
use super::{bad, cell, heading};
use crate::app::{App, Lines};

/// The width of the list of lines.
const LIST_WIDTH: u16 = 24;
/// The jitter box's height: its five counters and the border.
const JITTER_ROWS: u16 = 7;
/// The width of the labels of the diagnostics.
const LABEL: usize = 10;
/// The width of a level bar, for -60..0 dBFS.
const BAR: usize = 20;
/// The lowest level the bar shows.
const FLOOR_DBFS: f32 = -60.0;
/// At most this many rows of a caller ID's raw message.
const RAW_ROWS: usize = 3;

/// Draws the tab.
pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let l = &app.lines;
    if !l.loaded || l.lines.is_empty() {
        return draw_empty(frame, area, l);
    }
    let [left, details] =
        Layout::horizontal([Constraint::Length(LIST_WIDTH), Constraint::Min(20)]).areas(area);
    let [list, jitter] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(JITTER_ROWS)]).areas(left);
    let rows = l.lines.iter().map(list_row).collect();
    draw_list(
        frame,
        list,
        "Lines",
        format!("  {} State", cell("Name", 8)),
        rows,
        Some(l.selected),
    );
    if let Some(line) = l.current() {
        draw_jitter(frame, jitter, line);
        draw_details(frame, details, app, line);
    }
}

/// The selected line's jitter-buffer counters (of its current or last call).
fn draw_jitter(frame: &mut Frame, area: Rect, line: &LineDiagnostics) {
    let j = &line.jitter;
    let width = usize::from(area.width.saturating_sub(2));
    let rows: Vec<Line> = [
        ("received", j.received),
        ("late", j.late),
        ("concealed", j.concealed),
        ("drift drops", j.drift_drops),
        ("underruns", j.underruns),
    ]
    .into_iter()
    .map(|(what, n)| {
        let n = n.to_string();
        let pad = width.saturating_sub(what.chars().count() + n.len());
        Line::from(format!("{what}{}{n}", " ".repeat(pad)))
    })
    .collect();
    let block = Block::bordered()
        .title(format!(" Jitter · {} ", line.name))
        .title_style(heading());
    frame.render_widget(Paragraph::new(rows).block(block), area);
}

/// Before the first answer, on a refusal, and with no line configured.
fn draw_empty(frame: &mut Frame, area: Rect, l: &Lines) {
    let text = match (&l.error, l.loaded) {
        (Some(why), _) => vec![Line::from(format!("The daemon says: {why}")).style(bad())],
        (None, false) => vec![Line::from("Asking the daemon for the lines…")],
        (None, true) => vec![
            Line::from("No analog lines are configured.").style(heading()),
            Line::from(""),
            Line::from("Add a line as a [[lines]] item in the configuration file: its ALSA"),
            Line::from("devices, its ring and hook signalling, its country (README, \"Wiring a"),
            Line::from("board\"). An entry point with source = { analog_line = \"line1\" } takes"),
            Line::from("its calls. Then restart the daemon: it opens the lines when it starts."),
        ],
    };
    let block = Block::bordered().title(" Lines ").title_style(heading());
    frame.render_widget(Paragraph::new(text).block(block), area);
}

/// Whether the line is dead: its audio or signalling is down, or its last check failed.
pub(crate) fn dead(line: &LineDiagnostics) -> bool {
    line.state.starts_with("down") || line.health.as_ref().is_some_and(|h| !h.ok)
}

/// `✗ line1  down: …` in the list.
fn list_row(line: &LineDiagnostics) -> String {
    let mark = if dead(line) { "✗" } else { " " };
    format!("{mark} {} {}", cell(&line.name, 8), line.state)
}

fn draw_details(frame: &mut Frame, area: Rect, app: &App, line: &LineDiagnostics) {
    let title = if dead(line) {
        format!(" {} · DEAD ", line.name)
    } else {
        format!(" {} ", line.name)
    };
    let style = if dead(line) { bad() } else { heading() };
    let block = Block::bordered().title(title).title_style(style);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let zone = zone(app);
    let mut rows = facts(app, line, zone, width);
    let room = usize::from(inner.height).saturating_sub(rows.len());
    let area = EventArea { room, width };
    rows.extend(events(line, app.lines.scroll, area, app.now, zone));
    frame.render_widget(Paragraph::new(rows), inner);
}

/// Everything but the events, a row each (long values wrapped under their label).
fn facts(app: &App, line: &LineDiagnostics, zone: Tz, width: usize) -> Vec<Line<'static>> {
    let plain = Style::new();
    let mut rows = Vec::new();
    let state_style = if line.state.starts_with("down") {
        bad()
    } else {
        plain
    };
    rows.extend(field("State", &line.state, width, state_style));
    let audio_style = if line.audio.starts_with("up") {
        plain
    } else {
        bad()
    };
    rows.extend(field("Audio", &line.audio, width, audio_style));
    rows.push(level_row("Receive", line.rx_dbfs));
    rows.push(level_row("Send", line.tx_dbfs));
    let erle = line
        .erle_db
        .map_or("— (nothing to measure yet)".into(), |db| {
            format!("{db:.1} dB")
        });
    rows.extend(field("ERLE", &erle, width, plain));
    rows.extend(caller_id(line.caller_id.as_ref(), app.now, zone, width));
    rows.extend(health(app, line, zone, width));
    rows
}

/// `Receive   ████████░░░░ -23.5 dBFS`.
fn level_row(label: &str, dbfs: Option<f32>) -> Line<'static> {
    let Some(db) = dbfs else {
        return Line::from(format!("{}— (no audio)", cell(label, LABEL)));
    };
    Line::from(format!("{}{} {}", cell(label, LABEL), bar(db), figure(db)))
}

/// The level as a bar of [`BAR`] cells from -60 to 0 dBFS.
pub(crate) fn bar(db: f32) -> String {
    let filled = if db.is_finite() {
        let share = (db.clamp(FLOOR_DBFS, 0.0) - FLOOR_DBFS) / -FLOOR_DBFS;
        // In 0..=BAR by the clamp above.
        (share * BAR as f32).round() as usize
    } else {
        0
    };
    let mut out = "█".repeat(filled);
    out.push_str(&"░".repeat(BAR - filled));
    out
}

/// `-23.5 dBFS`, or `silence` for no signal at all.
fn figure(db: f32) -> String {
    if db.is_finite() {
        format!("{db:.1} dBFS")
    } else {
        "silence".into()
    }
}

fn caller_id(
    id: Option<&CallerIdView>,
    now: DateTime<Utc>,
    zone: Tz,
    width: usize,
) -> Vec<Line<'static>> {
    let Some(id) = id else {
        return field("Caller ID", "none received yet", width, Style::new());
    };
    let mut decoded = vec![
        format!("at {}:", moment(id.at, now, zone, true)),
        id.number.clone().unwrap_or_else(|| "no number".into()),
    ];
    decoded.extend(id.name.as_ref().map(|n| format!("\"{n}\"")));
    decoded.extend(id.when.as_ref().map(|w| format!("sent {w}")));
    decoded.extend(id.missing.as_ref().map(|m| format!("({m})")));
    let mut rows = field("Caller ID", &decoded.join(" "), width, Style::new());
    let mut raw = field("  raw", &id.raw, width, Style::new());
    if raw.len() > RAW_ROWS {
        raw.truncate(RAW_ROWS);
        if let Some(last) = raw.last_mut() {
            last.push_span(Span::raw(" …"));
        }
    }
    rows.extend(raw);
    rows
}

fn health(app: &App, line: &LineDiagnostics, zone: Tz, width: usize) -> Vec<Line<'static>> {
    let now = app.now;
    let mut rows = match &line.health {
        None => field("Health", "not checked yet", width, Style::new()),
        Some(HealthView { at, ok, detail }) => {
            let (verdict, style) = if *ok {
                ("✓ works", Style::new())
            } else {
                ("✗ DEAD", bad())
            };
            let text = format!("{verdict} at {}: {detail}", moment(*at, now, zone, false));
            field("Health", &text, width, style)
        }
    };
    let asked = app
        .lines
        .check
        .as_ref()
        .is_some_and(|c| c.line == line.name);
    let next = match (asked, line.next_health_check) {
        (true, _) => "check asked for: runs as soon as the line is free".to_string(),
        (false, Some(at)) => moment(at, now, zone, false),
        (false, None) => "none scheduled".to_string(),
    };
    rows.extend(field("  next", &next, width, Style::new()));
    rows
}

/// Where the events go: `room` rows (the heading included) of `width` columns.
struct EventArea {
    room: usize,
    width: usize,
}

/// The events that fit the area, newest at the bottom, `scroll` of the newest left out; a
/// long event is wrapped under its text.
fn events(
    line: &LineDiagnostics,
    scroll: usize,
    area: EventArea,
    now: DateTime<Utc>,
    zone: Tz,
) -> Vec<Line<'static>> {
    if area.room == 0 {
        return Vec::new();
    }
    let all = &line.events;
    let end = all.len().saturating_sub(scroll);
    let mut start = end;
    // Filled from the newest up, then turned over.
    let mut shown: Vec<Line<'static>> = Vec::new();
    for e in all[..end].iter().rev() {
        let rows = event_rows(e, now, zone, area.width);
        if shown.len() + rows.len() > area.room - 1 {
            break;
        }
        shown.extend(rows.into_iter().rev());
        start -= 1;
    }
    shown.reverse();
    let head = match (all.is_empty(), scroll) {
        (true, _) => "Events: none yet".to_string(),
        (false, 0) if start == 0 => format!("Events ({}), newest last", all.len()),
        (false, 0) => format!("Events ({}), newest last · PgUp older", all.len()),
        (false, _) => format!("Events {}–{} of {} · PgDn newer", start + 1, end, all.len()),
    };
    let mut rows = vec![Line::from(head).style(heading())];
    rows.extend(shown);
    rows
}

/// `09:55:03 ring on`, wrapped under the text when longer than `width`.
fn event_rows(e: &LineEventView, now: DateTime<Utc>, zone: Tz, width: usize) -> Vec<Line<'static>> {
    let style = if e.what.contains("dead") || e.what.contains("no dial tone") {
        bad()
    } else {
        Style::new()
    };
    let time = moment(e.at, now, zone, true);
    let indent = time.chars().count() + 1;
    wrap(&e.what, width.saturating_sub(indent).max(1))
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let lead = if i == 0 { time.as_str() } else { "" };
            Line::from(format!("{} {part}", cell(lead, indent - 1))).style(style)
        })
        .collect()
}

/// A moment in `zone`: the time alone on the day of `now`, else with the date; with the
/// seconds when `seconds`.
fn moment(at: DateTime<Utc>, now: DateTime<Utc>, zone: Tz, seconds: bool) -> String {
    let at = at.with_timezone(&zone);
    let time = if seconds { "%H:%M:%S" } else { "%H:%M" };
    if at.date_naive() == now.with_timezone(&zone).date_naive() {
        at.format(time).to_string()
    } else {
        at.format(&format!("%m-%d {time}")).to_string()
    }
}

/// `label` then `text` wrapped at word boundaries to `width`, the rows after the first
/// indented under the text.
fn field(label: &str, text: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    let room = width.saturating_sub(LABEL).max(1);
    wrap(text, room)
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let label = if i == 0 { label } else { "" };
            Line::from(vec![
                Span::raw(cell(label, LABEL)),
                Span::styled(part, style),
            ])
        })
        .collect()
}

/// `text` in rows of at most `width` characters, broken between words (a longer word is cut).
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    let mut row = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        let used = row.chars().count();
        if used > 0 && used + 1 + word.len() <= width {
            row.push(' ');
            row.extend(word);
            continue;
        }
        if used > 0 {
            rows.push(std::mem::take(&mut row));
        }
        while word.len() > width {
            rows.push(word.drain(..width).collect());
        }
        row.extend(word);
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_wrap_at_the_width_and_long_words_are_cut() {
        assert_eq!(wrap("80 1c 01 08", 5), ["80 1c", "01 08"]);
        assert_eq!(wrap("A221234567C", 4), ["A221", "2345", "67C"]);
        assert_eq!(wrap("", 10), [""]);
        assert_eq!(wrap("up (8000 Hz)", 40), ["up (8000 Hz)"]);
    }

    #[test]
    fn the_bar_runs_from_minus_60_to_0_dbfs() {
        let filled = |db: f32| bar(db).chars().filter(|c| *c == '█').count();
        assert_eq!(filled(0.0), BAR);
        assert_eq!(filled(-30.0), BAR / 2);
        assert_eq!(filled(-60.0), 0);
        assert_eq!(filled(-90.0), 0);
        assert_eq!(filled(3.0), BAR);
        assert_eq!(filled(f32::NEG_INFINITY), 0);
        assert_eq!(bar(-12.0).chars().count(), BAR);
    }
}
