//! The History tab: finished calls (with the missed-only and group filters), statistics per
//! queue group, voicemail messages, notifications. Times are shown in the office's time zone
//! (the first schedule's), named in the list's title.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::lists::draw_list;
use super::{cell, selected};
use crate::app::{App, History, Pane};

/// Draws the History tab.
pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let [panes, list] = Layout::vertical([Constraint::Length(1), Constraint::Min(2)]).areas(area);
    let h = &app.history;
    draw_panes(frame, panes, h);
    let zone = zone(app);
    let (title, head, rows) = match h.pane {
        Pane::Calls => calls(h, zone),
        Pane::Statistics => statistics(h),
        Pane::Voicemail => voicemail(h, zone),
        Pane::Notifications => notifications(h, zone),
    };
    let title = if h.loaded {
        title
    } else {
        format!("{title} (asking the daemon…)")
    };
    draw_list(frame, list, &title, head, rows, Some(h.selected));
}

/// The views, the one shown in reverse video, and `v` to change.
fn draw_panes(frame: &mut Frame, area: Rect, h: &History) {
    let mut spans = Vec::new();
    for pane in Pane::ALL {
        let style = if pane == h.pane {
            selected()
        } else {
            Style::new()
        };
        spans.push(Span::styled(format!(" {} ", pane.title()), style));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::raw("  (v: next view)"));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The zone times are shown in: the first schedule's, else UTC.
pub(super) fn zone(app: &App) -> Tz {
    app.config
        .as_ref()
        .and_then(|c| c.schedules.first())
        .and_then(|s| s.time_zone.parse().ok())
        .unwrap_or(Tz::UTC)
}

/// `MM-DD HH:MM` in `zone`.
fn when(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%m-%d %H:%M").to_string()
}

/// `m:ss`, or `h:mm:ss` from an hour on.
fn seconds(s: u64) -> String {
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

type View = (String, String, Vec<String>);

fn calls(h: &History, zone: Tz) -> View {
    let mut filters = Vec::new();
    if h.missed_only {
        filters.push("missed only".to_owned());
    }
    if let Some(g) = &h.group {
        filters.push(format!("group '{g}'"));
    }
    if filters.is_empty() {
        filters.push("all".to_owned());
    }
    let title = format!("Calls: {} · times {}", filters.join(", "), zone.name());
    let head = format!(
        "{} {} {} {} {:>5} {:>5} Outcome",
        cell("When", 11),
        cell("Caller", 13),
        cell("Via", 12),
        cell("Ans.", 6),
        "Wait",
        "Talk",
    );
    let rows = h
        .records
        .iter()
        .map(|r| {
            let via = r
                .entry
                .clone()
                .or_else(|| r.groups.first().cloned())
                .unwrap_or_else(|| "direct".to_owned());
            let answered = r.answered_by.as_ref().map_or("-", |e| e.as_str());
            let mut outcome = r.outcome.clone();
            if r.after_hours {
                outcome.push_str(", after hours");
            }
            format!(
                "{} {} {} {} {:>5} {:>5} {}",
                when(r.at, zone),
                cell(&r.caller, 13),
                cell(&via, 12),
                cell(answered, 6),
                seconds(r.wait_s),
                seconds(r.talk_s),
                outcome
            )
        })
        .collect();
    (title, head, rows)
}

fn statistics(h: &History) -> View {
    let title = "Statistics per group since the daemon started".to_owned();
    let head = format!(
        "{} {:>7} {:>8} {:>6} {:>9} {:>9} {:>9}",
        cell("Group", 16),
        "Offered",
        "Answered",
        "Missed",
        "Avg wait",
        "Longest",
        "Avg talk"
    );
    let rows = h
        .statistics
        .iter()
        .map(|g| {
            format!(
                "{} {:>7} {:>8} {:>6} {:>9} {:>9} {:>9}",
                cell(&g.group, 16),
                g.offered,
                g.answered,
                g.missed,
                seconds(g.average_wait_s),
                seconds(g.longest_wait_s),
                seconds(g.average_talk_s)
            )
        })
        .collect();
    (title, head, rows)
}

fn voicemail(h: &History, zone: Tz) -> View {
    let new = h.voicemail.iter().filter(|m| !m.heard).count();
    let title = format!(
        "Voicemail: {} message(s), {new} new · times {}",
        h.voicemail.len(),
        zone.name()
    );
    let head = format!(
        "{} {} {} {} {:>6} {}",
        cell("Received", 11),
        cell("Mailbox", 18),
        cell("Caller", 14),
        cell("Entry", 14),
        "Length",
        "State"
    );
    let rows = h
        .voicemail
        .iter()
        .map(|m| {
            format!(
                "{} {} {} {} {:>6} {}",
                when(m.received_at, zone),
                cell(&m.mailbox, 18),
                cell(&m.caller, 14),
                cell(m.entry.as_deref().unwrap_or("-"), 14),
                seconds(m.duration_s),
                if m.heard { "heard" } else { "NEW" }
            )
        })
        .collect();
    (title, head, rows)
}

fn notifications(h: &History, zone: Tz) -> View {
    let title = format!("Notifications · times {}", zone.name());
    let head = format!("{} {} {}", cell("When", 11), cell("Told", 14), "What");
    let rows = h
        .notifications
        .iter()
        .map(|n| {
            let told: Vec<&str> = n.employees.iter().map(|e| e.as_str()).collect();
            format!(
                "{} {} {}",
                when(n.at, zone),
                cell(&told.join(","), 14),
                n.text
            )
        })
        .collect();
    (title, head, rows)
}
