//! Keys → actions: what a key press means, depending only on the key and the input mode.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// How keys are read at the moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Letters are commands.
    Normal,
    /// Letters are typed into a field or a search.
    Typing,
    /// The calendar: ←→ move by the hour, digits and `:` type a time.
    Calendar,
}

/// What the administrator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Leave the console.
    Quit,
    /// Selection up.
    Up,
    /// Selection down.
    Down,
    /// The next screen.
    NextTab,
    /// The previous screen.
    PrevTab,
    /// Go to screen number `n` (0-based).
    Tab(usize),
    /// Open, edit or confirm the selected thing.
    Enter,
    /// Close, cancel, go back.
    Back,
    /// Save the editor's changes (shows the difference first).
    Save,
    /// Reload the configuration from the daemon.
    Reload,
    /// Add (a member, a holiday, an item).
    Add,
    /// Remove the selected member, holiday or prefix; on a list, delete the selected item
    /// (after a question).
    Delete,
    /// Move the selected member up.
    MoveUp,
    /// Move the selected member down.
    MoveDown,
    /// Cycle the selected employee's presence.
    Presence,
    /// Set or clear the selected schedule's night switch.
    NightSwitch,
    /// Toggle the selected weekday off.
    DayOff,
    /// Give every open weekday the selected weekday's hours.
    CopyHours,
    /// Search the list (contacts).
    Search,
    /// Import from a file (contacts).
    Import,
    /// A typed character.
    Char(char),
    /// Delete the character before the cursor.
    Backspace,
    /// Open the selected entry point's calendar; on the Lines tab, check the selected line
    /// now (both are `c`).
    Calendar,
    /// An hour earlier (the calendar).
    Earlier,
    /// An hour later (the calendar).
    Later,
    /// The next view of the History tab.
    View,
    /// Toggle "missed calls only" (the History tab).
    Missed,
    /// The next queue group to filter calls by (the History tab).
    GroupFilter,
    /// Scroll towards older entries (the Lines tab's events).
    PageUp,
    /// Scroll towards newer entries.
    PageDown,
}

/// The action for a key press, or `None` for a key that means nothing here.
pub fn action(key: KeyEvent, mode: Mode) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('q')) {
        return Some(Action::Quit);
    }
    if let Some(a) = common(key) {
        return Some(a);
    }
    match mode {
        Mode::Typing => typing(key, ctrl),
        Mode::Normal => normal(key, ctrl),
        Mode::Calendar => calendar(key, ctrl),
    }
}

/// Keys that mean the same in both modes.
fn common(key: KeyEvent) -> Option<Action> {
    let shift = key.modifiers.contains(KeyModifiers::SHIFT);
    Some(match key.code {
        KeyCode::Up if shift => Action::MoveUp,
        KeyCode::Down if shift => Action::MoveDown,
        KeyCode::Up => Action::Up,
        KeyCode::Down => Action::Down,
        KeyCode::Enter => Action::Enter,
        KeyCode::Esc => Action::Back,
        KeyCode::Backspace => Action::Backspace,
        _ => return None,
    })
}

fn typing(key: KeyEvent, ctrl: bool) -> Option<Action> {
    match key.code {
        KeyCode::Char(c) if !ctrl => Some(Action::Char(c)),
        _ => None,
    }
}

fn normal(key: KeyEvent, ctrl: bool) -> Option<Action> {
    if ctrl {
        return None;
    }
    Some(match key.code {
        KeyCode::Tab | KeyCode::Right => Action::NextTab,
        KeyCode::BackTab | KeyCode::Left => Action::PrevTab,
        KeyCode::Delete => Action::Delete,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Char(c) => return letter(c),
        _ => return None,
    })
}

fn calendar(key: KeyEvent, ctrl: bool) -> Option<Action> {
    if ctrl {
        return None;
    }
    Some(match key.code {
        KeyCode::Left | KeyCode::Char('h') => Action::Earlier,
        KeyCode::Right | KeyCode::Char('l') => Action::Later,
        KeyCode::Char(c) if c.is_ascii_digit() || c == ':' => Action::Char(c),
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('k') => Action::Up,
        KeyCode::Char('j') => Action::Down,
        KeyCode::Char('r') => Action::Reload,
        _ => return None,
    })
}

fn letter(c: char) -> Option<Action> {
    Some(match c {
        'q' => Action::Quit,
        'k' => Action::Up,
        'j' => Action::Down,
        'K' => Action::MoveUp,
        'J' => Action::MoveDown,
        'e' => Action::Enter,
        's' => Action::Save,
        'r' => Action::Reload,
        'a' => Action::Add,
        'x' => Action::Delete,
        'p' => Action::Presence,
        'n' => Action::NightSwitch,
        'o' => Action::DayOff,
        'w' => Action::CopyHours,
        '/' => Action::Search,
        'i' => Action::Import,
        'c' => Action::Calendar,
        'v' => Action::View,
        'm' => Action::Missed,
        'g' => Action::GroupFilter,
        '1'..='9' => Action::Tab(c as usize - '1' as usize),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn letters_are_commands_in_lists_and_text_in_fields() {
        assert_eq!(
            action(key(KeyCode::Char('a')), Mode::Normal),
            Some(Action::Add)
        );
        assert_eq!(
            action(key(KeyCode::Char('a')), Mode::Typing),
            Some(Action::Char('a'))
        );
        assert_eq!(
            action(key(KeyCode::Char('q')), Mode::Typing),
            Some(Action::Char('q'))
        );
        assert_eq!(
            action(key(KeyCode::Char('3')), Mode::Normal),
            Some(Action::Tab(2))
        );
        assert_eq!(action(key(KeyCode::Char('z')), Mode::Normal), None);
        assert_eq!(
            action(key(KeyCode::Char('6')), Mode::Normal),
            Some(Action::Tab(5))
        );
        assert_eq!(
            action(key(KeyCode::Char('7')), Mode::Normal),
            Some(Action::Tab(6))
        );
        assert_eq!(action(key(KeyCode::Char('0')), Mode::Normal), None);
        let normal = |c| action(key(KeyCode::Char(c)), Mode::Normal);
        assert_eq!(normal('v'), Some(Action::View));
        assert_eq!(normal('m'), Some(Action::Missed));
        assert_eq!(normal('g'), Some(Action::GroupFilter));
        assert_eq!(
            action(key(KeyCode::Char('m')), Mode::Typing),
            Some(Action::Char('m'))
        );
    }

    #[test]
    fn control_c_quits_everywhere_and_arrows_work_while_typing() {
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action(ctrl_c, Mode::Typing), Some(Action::Quit));
        assert_eq!(action(key(KeyCode::Down), Mode::Typing), Some(Action::Down));
        let shift_up = KeyEvent::new(KeyCode::Up, KeyModifiers::SHIFT);
        assert_eq!(action(shift_up, Mode::Normal), Some(Action::MoveUp));
    }

    #[test]
    fn in_the_calendar_arrows_move_by_the_hour_and_digits_type_a_time() {
        let cal = |code| action(key(code), Mode::Calendar);
        assert_eq!(cal(KeyCode::Left), Some(Action::Earlier));
        assert_eq!(cal(KeyCode::Right), Some(Action::Later));
        assert_eq!(cal(KeyCode::Char('l')), Some(Action::Later));
        assert_eq!(cal(KeyCode::Char('1')), Some(Action::Char('1')));
        assert_eq!(cal(KeyCode::Char(':')), Some(Action::Char(':')));
        assert_eq!(cal(KeyCode::Char('j')), Some(Action::Down));
        assert_eq!(cal(KeyCode::Enter), Some(Action::Enter));
        assert_eq!(cal(KeyCode::Esc), Some(Action::Back));
        assert_eq!(cal(KeyCode::Char('a')), None);
        assert_eq!(
            action(key(KeyCode::Char('c')), Mode::Normal),
            Some(Action::Calendar)
        );
        assert_eq!(
            action(key(KeyCode::Right), Mode::Normal),
            Some(Action::NextTab)
        );
    }

    #[test]
    fn page_keys_scroll_and_9_shows_the_lines() {
        let normal = |code| action(key(code), Mode::Normal);
        assert_eq!(normal(KeyCode::PageUp), Some(Action::PageUp));
        assert_eq!(normal(KeyCode::PageDown), Some(Action::PageDown));
        assert_eq!(normal(KeyCode::Char('9')), Some(Action::Tab(8)));
        assert_eq!(action(key(KeyCode::PageUp), Mode::Typing), None);
    }

    #[test]
    fn key_releases_are_ignored() {
        let mut k = key(KeyCode::Enter);
        k.kind = KeyEventKind::Release;
        assert_eq!(action(k, Mode::Normal), None);
    }
}
