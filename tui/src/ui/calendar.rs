//! The calendar of an entry point: 14 days with their kind, open ranges and a per-hour bar,
//! the selected moment, and the explanation panel.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::{cell, heading, selected};
use crate::app::{App, Calendar, Day, Hour};

/// Column widths: day, kind, open ranges (a selection mark takes 1, the hour bar 24).
const DAY: usize = 10;
const KIND: usize = 20;
const OPEN: usize = 20;

/// Draws the calendar over `area`.
pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App, cal: &Calendar) {
    let view = app.config.as_ref().and_then(|c| cal.view(c, app.now));
    let Some(view) = view else {
        let text = format!(
            "The entry point '{}' no longer exists. Esc closes.",
            cal.entry
        );
        frame.render_widget(Paragraph::new(text), area);
        return;
    };
    let title = format!(" Calendar of '{}' · {} ", cal.entry, view.zone);
    let block = Block::bordered().title(title).title_style(heading());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = vec![Line::from(head()).style(heading())];
    lines.extend(
        view.days
            .iter()
            .enumerate()
            .map(|(i, d)| day_line(d, (i == cal.day).then_some(cal.minute / 60), view.scheduled)),
    );
    lines.push(Line::from(
        "  █ open  ▒ partly open  · closed  (blank: hour skipped by the clock)",
    ));
    lines.push(Line::from(vec![
        Span::styled(format!("{}: ", view.moment), heading()),
        Span::raw(view.status.clone()),
    ]));
    lines.push(Line::from(typing_line(cal)));
    frame.render_widget(Paragraph::new(lines), inner);
    if let Some(text) = &cal.explanation {
        panel(frame, area, &view.moment, text);
    }
}

/// The heading row, with the hours over the bar.
fn head() -> String {
    format!(
        " {} {} {} {}",
        cell("Day", DAY),
        cell("Kind", KIND),
        cell("Open", OPEN),
        "0     6     12    18    "
    )
}

/// One day's row; `hour` marks the selected hour on the selected day.
fn day_line(day: &Day, hour: Option<u16>, scheduled: bool) -> Line<'static> {
    let open = match (scheduled, day.open.as_slice()) {
        (false, _) => "always".to_string(),
        (true, []) => "closed".to_string(),
        (true, [all]) if all == "00:00–24:00" => "all day".to_string(),
        (true, ranges) => ranges_text(ranges),
    };
    let text = format!(
        "{}{} {} {} ",
        if hour.is_some() { "▶" } else { " " },
        cell(&day.date.format("%a %d %b").to_string(), DAY),
        fit(&day.kind, KIND),
        cell(&open, OPEN),
    );
    let row = if hour.is_some() {
        selected()
    } else {
        Style::new()
    };
    let mut spans = vec![Span::styled(text, row)];
    for (h, state) in day.hours.iter().enumerate() {
        let mark = match state {
            Hour::Open => "█",
            Hour::Partly => "▒",
            Hour::Closed => "·",
            Hour::Skipped => " ",
        };
        let style = if hour == Some(h as u16) {
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        } else {
            row
        };
        spans.push(Span::styled(mark, style));
    }
    Line::from(spans)
}

/// `text` padded to `width`, or cut with an ellipsis.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return cell(text, width);
    }
    let cut: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{cut}…")
}

/// Ranges joined, as many as fit, then `+N`.
fn ranges_text(ranges: &[String]) -> String {
    let mut out = String::new();
    for (i, r) in ranges.iter().enumerate() {
        let more = ranges.len() - i - 1;
        let tail = if more > 0 { 3 } else { 0 };
        let sep = usize::from(!out.is_empty());
        if out.chars().count() + sep + r.chars().count() + tail > OPEN {
            out += &format!(" +{}", ranges.len() - i);
            break;
        }
        if sep == 1 {
            out.push(' ');
        }
        out += r;
    }
    out
}

fn typing_line(cal: &Calendar) -> String {
    if cal.typed.is_empty() {
        "Type a time (HH:MM) and Enter to go to it; Enter explains the selected moment".into()
    } else {
        format!(
            "Go to: {}_  (Enter goes and explains, Esc clears)",
            cal.typed
        )
    }
}

/// The explanation, in a panel at the bottom of the calendar.
fn panel(frame: &mut Frame, area: Rect, moment: &str, text: &str) {
    let inner = usize::from(area.width.saturating_sub(2)).max(1);
    let wrapped: usize = text
        .lines()
        .map(|l| l.chars().count().div_ceil(inner).max(1))
        .sum();
    let height = u16::try_from(wrapped)
        .unwrap_or(u16::MAX)
        .saturating_add(2)
        .min(area.height);
    let [_, rect] = Layout::vertical([Constraint::Min(0), Constraint::Length(height)]).areas(area);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(format!(" Explanation: {moment} · Esc closes "))
        .title_style(heading());
    let lines: Vec<Line> = text.lines().map(|l| Line::from(l.to_string())).collect();
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}
