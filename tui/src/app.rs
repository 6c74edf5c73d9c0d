//! The console's state, and how actions and the daemon's messages change it.
//!
//! Nothing here does I/O: [`App::on_action`], [`App::on_reply`] and [`App::on_event`] change
//! the state and return the [`Command`]s (requests) the event loop should send; the time is
//! given in [`App::now`]. The screens draw this state (`ui`).

mod calendar;
mod contacts;
mod create;
mod delete;
mod editors;
mod employee;
mod entry;
mod history;
mod lines;
mod overlay;
mod system;

use chrono::{DateTime, Utc};
use firmware_config::group::QueueGroup;
use firmware_config::schedule::Schedule;
use firmware_config::Config;
use pbx::control::protocol::{
    Event, FieldProblem, Item, ItemKey, Reply, Request, Revision, Status, StorageReport,
};

use crate::action::{Action, Mode};
use crate::describe::Change;

pub use calendar::{parse_time, Calendar, Day, Hour, View as CalendarView, DAYS};
pub use contacts::{
    format_of, report_line, ContactForm, ContactRow, Contacts, ContactsView, PendingImport,
};
pub use create::NewKind;
pub use delete::key_words;
pub use editors::{Editor, GroupRow, ItemEditor, ScheduleRow};
pub use employee::EmployeeRow;
pub use entry::EntryRow;
pub use history::{History, Pane};
pub use lines::{Lines, PendingCheck, POLL_EVERY, POLL_GIVE_UP};
pub use overlay::{Choice, Input, InputFor, PickFor, Picker};
pub use system::{OutboundRow, Section, StorageRow, SystemRow, WebhookRow};

/// What the event loop should do for the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Send this request to the daemon.
    Send(Request),
    /// Read this file (contacts to import) and hand it to [`App::on_file`].
    ReadFile(String),
}

impl Command {
    /// The request to send, if this is one.
    pub fn request(&self) -> Option<&Request> {
        match self {
            Command::Send(r) => Some(r),
            Command::ReadFile(_) => None,
        }
    }
}

/// The console's screens, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// The live dashboard.
    Dashboard,
    /// Employees and their presence.
    Employees,
    /// Queue groups.
    Groups,
    /// Schedules.
    Schedules,
    /// Entry points.
    Entries,
    /// Call history, statistics, voicemail, notifications.
    History,
    /// System settings, outside-call limits, the webhook.
    System,
    /// The CRM's contacts and leads.
    Contacts,
    /// The analog lines' diagnostics.
    Lines,
}

impl Tab {
    /// Every tab, in order (a new tab is added here, to [`Tab::KEYS`] and to `title`).
    pub const ALL: [Tab; 9] = [
        Tab::Dashboard,
        Tab::Employees,
        Tab::Groups,
        Tab::Schedules,
        Tab::Entries,
        Tab::History,
        Tab::System,
        Tab::Contacts,
        Tab::Lines,
    ];

    /// The number of tabs.
    pub const COUNT: usize = Tab::ALL.len();

    /// The digit keys of the tabs, as the help bar names them.
    pub const KEYS: &'static str = "1-9/Tab";

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Dashboard => "Dashboard",
            Tab::Employees => "Employees",
            Tab::Groups => "Groups",
            Tab::Schedules => "Schedules",
            Tab::Entries => "Entries",
            Tab::History => "History",
            Tab::System => "System",
            Tab::Contacts => "Contacts",
            Tab::Lines => "Lines",
        }
    }

    fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// The tone of a status-line message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Information.
    Info,
    /// Something worked.
    Good,
    /// Something was refused or failed.
    Bad,
}

/// The status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Its tone.
    pub tone: Tone,
    /// Its text.
    pub text: String,
}

/// The connection to the daemon, as the screens show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// Waiting for the first answers.
    Connecting,
    /// Talking to the daemon.
    Ready,
    /// The daemon went away (why).
    Lost(String),
}

/// A window over the screen that takes the keys until it is closed.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    /// A text field.
    Input(Input),
    /// A list to pick from, with search.
    Picker(Picker),
    /// The difference a save makes, waiting for confirmation.
    Confirm {
        /// What is saved.
        title: String,
        /// The difference.
        changes: Vec<Change>,
        /// The request that saves it.
        request: Request,
    },
    /// A save was refused because someone else changed the configuration.
    Conflict {
        /// The revision now.
        current: Revision,
        /// What changed meanwhile.
        changed: Vec<String>,
    },
    /// A save was refused as invalid.
    Problems(Vec<FieldProblem>),
    /// Delete this item? (`y` sends the removal.)
    Delete {
        /// Which item.
        key: ItemKey,
        /// The question, naming it.
        question: String,
    },
    /// The daemon refused a removal: nothing was deleted.
    NotDeleted {
        /// What happened, naming the item.
        heading: String,
        /// The daemon's reasons.
        reasons: Vec<String>,
        /// The configuration changed meanwhile: `r` reloads.
        conflict: bool,
    },
}

/// Everything the console knows and shows.
#[derive(Debug, Clone)]
pub struct App {
    /// Who is at the keyboard (sent in Hello, for the audit log).
    pub user: String,
    /// The office's name (from the daemon).
    pub office: String,
    /// The current time (set by the event loop).
    pub now: DateTime<Utc>,
    /// The connection.
    pub connection: Connection,
    /// The configuration's revision, once known.
    pub revision: Option<Revision>,
    /// The configuration, once known.
    pub config: Option<Config>,
    /// The live state.
    pub live: Status,
    /// How full the daemon's stores are (the dashboard warns from it).
    pub storage: StorageReport,
    /// The screen shown.
    pub tab: Tab,
    /// The selected row of each tab's list.
    pub selected: [usize; Tab::COUNT],
    /// The open editor, if any.
    pub editor: Option<Editor>,
    /// The open overlay, if any.
    pub overlay: Option<Overlay>,
    /// The open calendar of an entry point, if any.
    pub calendar: Option<Calendar>,
    /// The History tab.
    pub history: History,
    /// The Contacts tab.
    pub contacts: Contacts,
    /// The Lines tab.
    pub lines: Lines,
    /// The status line.
    pub note: Option<Note>,
    /// True once the administrator asked to leave.
    pub quit: bool,
    /// A reload was asked after a conflict: the editor takes the new revision as its base.
    rebase_on_reload: bool,
    /// The name of the entry point being started, while its source is picked.
    new_entry: Option<firmware_config::bounded::Text<{ firmware_config::bounds::KEY_LEN }>>,
}

impl App {
    /// A console for `user`, not yet connected.
    pub fn new(user: &str, now: DateTime<Utc>) -> App {
        App {
            user: user.to_string(),
            office: String::new(),
            now,
            connection: Connection::Connecting,
            revision: None,
            config: None,
            live: Status::default(),
            storage: StorageReport::default(),
            tab: Tab::Dashboard,
            selected: [0; Tab::COUNT],
            editor: None,
            overlay: None,
            calendar: None,
            history: History::new(),
            contacts: Contacts::new(),
            lines: Lines::new(),
            note: None,
            quit: false,
            rebase_on_reload: false,
            new_entry: None,
        }
    }

    /// The requests that start a session: introduce, read the configuration and the live
    /// state, subscribe to events.
    pub fn start(&self) -> Vec<Command> {
        let client = format!("centrala-console {}", env!("CARGO_PKG_VERSION"));
        [
            Request::Hello {
                client,
                user: self.user.clone(),
            },
            Request::GetConfig,
            Request::Status,
            Request::Storage,
            Request::Subscribe,
        ]
        .into_iter()
        .map(Command::Send)
        .collect()
    }

    /// How keys are read now.
    pub fn mode(&self) -> Mode {
        match self.overlay {
            Some(Overlay::Input(_) | Overlay::Picker(_) | Overlay::Delete { .. }) => Mode::Typing,
            None if self.calendar.is_some() => Mode::Calendar,
            _ => Mode::Normal,
        }
    }

    /// Applies one action.
    pub fn on_action(&mut self, action: Action) -> Vec<Command> {
        if action == Action::Quit {
            self.quit = true;
            return Vec::new();
        }
        if self.overlay.is_some() {
            return self.overlay_action(action);
        }
        if self.calendar.is_some() {
            return self.calendar_action(action);
        }
        if self.editor.is_some() {
            return self.editor_action(action);
        }
        self.list_action(action)
    }

    /// Takes in the reply to `request`.
    pub fn on_reply(&mut self, request: &Request, reply: Reply) -> Vec<Command> {
        if let (
            Request::Remove { key, .. },
            Reply::Conflict { .. } | Reply::Invalid { .. } | Reply::Error { .. },
        ) = (request, &reply)
        {
            self.delete_refused(key, reply);
            return Vec::new();
        }
        match reply {
            Reply::Hello { office, .. } => {
                self.office = office;
                self.connection = Connection::Ready;
            }
            Reply::Config { revision, config } => self.loaded(revision, *config),
            Reply::Status(status) => self.live = status,
            Reply::Storage(report) => self.storage = report,
            Reply::Subscribed => {}
            Reply::Lines { .. } | Reply::CheckStarted { .. } => self.on_lines_reply(request, reply),
            Reply::Error { message }
                if matches!(request, Request::Lines | Request::CheckLine { .. }) =>
            {
                self.on_lines_reply(request, Reply::Error { message })
            }
            Reply::History { .. }
            | Reply::Statistics { .. }
            | Reply::Voicemail { .. }
            | Reply::Notifications { .. } => {
                self.history.on_reply(&reply);
            }
            Reply::Contacts { .. }
            | Reply::ContactSaved { .. }
            | Reply::ContactRemoved { .. }
            | Reply::Imported { .. } => return self.on_contacts_reply(request, reply),
            Reply::Saved { revision } => return self.saved(request, revision),
            Reply::Conflict { current, changed } => {
                self.say(
                    Tone::Bad,
                    format!(
                        "Not saved: changed meanwhile ({}). r reloads, Esc keeps editing",
                        changed.join(", ")
                    ),
                );
                self.overlay = Some(Overlay::Conflict { current, changed });
            }
            Reply::Invalid { problems } => {
                self.say(
                    Tone::Bad,
                    format!(
                        "Not saved: {} problem(s); your edit is kept",
                        problems.len()
                    ),
                );
                self.overlay = Some(Overlay::Problems(problems));
            }
            Reply::Error { message } => self.say(Tone::Bad, format!("The daemon says: {message}")),
        }
        Vec::new()
    }

    /// Takes in a pushed event.
    pub fn on_event(&mut self, event: Event) -> Vec<Command> {
        match event {
            Event::Status(status) => self.live = status,
            Event::Storage(report) => self.storage = report,
            Event::ConfigChanged {
                revision,
                by,
                changed,
            } => {
                if self.revision.is_some_and(|r| r >= revision) {
                    return Vec::new();
                }
                self.say(
                    Tone::Info,
                    format!("{by} changed {} (revision {revision})", changed.join(", ")),
                );
                return vec![Command::Send(Request::GetConfig)];
            }
            Event::Notification { text, .. } => {
                self.say(Tone::Info, text);
                // A notification means a call ended: what the History tab shows may be stale.
                if self.tab == Tab::History {
                    return vec![Command::Send(self.history.request())];
                }
            }
        }
        Vec::new()
    }

    /// The connection ended.
    pub fn on_closed(&mut self, why: &str) {
        self.connection = Connection::Lost(why.to_string());
        self.say(Tone::Bad, format!("Disconnected: {why}. q quits"));
    }

    /// Sets the status line.
    pub fn say(&mut self, tone: Tone, text: impl Into<String>) {
        self.note = Some(Note {
            tone,
            text: text.into(),
        });
    }

    /// The number of rows in a tab's list.
    pub fn list_len(&self, tab: Tab) -> usize {
        let Some(c) = &self.config else { return 0 };
        match tab {
            Tab::Dashboard => 0,
            Tab::Employees => c.employees.len(),
            Tab::Groups => c.groups.len(),
            Tab::Schedules => c.schedules.len(),
            Tab::Entries => c.entry_points.len(),
            Tab::History => 0,
            Tab::System => Section::ALL.len(),
            Tab::Contacts => self.contacts.rows.len(),
            Tab::Lines => self.lines.lines.len(),
        }
    }

    /// The selected row of the current tab.
    pub fn selection(&self) -> usize {
        self.selected[self.tab.index()]
    }

    fn loaded(&mut self, revision: Revision, config: Config) {
        if self.rebase_on_reload {
            self.rebase_on_reload = false;
            if let Some(editor) = &mut self.editor {
                editor.rebase(revision, &config);
                self.say(
                    Tone::Info,
                    format!("Reloaded revision {revision}; your edit is kept: s shows what it changes now"),
                );
            }
        }
        self.revision = Some(revision);
        self.config = Some(config);
        self.clamp_selections();
    }

    /// Keeps each list's selection on a row that exists.
    fn clamp_selections(&mut self) {
        for tab in Tab::ALL {
            let len = self.list_len(tab);
            let sel = &mut self.selected[tab.index()];
            *sel = (*sel).min(len.saturating_sub(1));
        }
    }

    fn saved(&mut self, request: &Request, revision: Revision) -> Vec<Command> {
        let what = what(request, self.config.as_ref());
        let restart = match (request, &self.config) {
            (Request::Replace { item, .. }, Some(config)) => system::restart_note(config, item),
            _ => None,
        };
        if let Some(config) = &mut self.config {
            apply(config, request);
        }
        self.revision = Some(revision);
        self.clamp_selections();
        if let (Some(editor), Request::Replace { item, .. }) = (&mut self.editor, request) {
            editor.saved(item, revision);
        }
        let verb = match request {
            Request::Remove { .. } => "Deleted",
            _ => "Saved",
        };
        let mut note = format!("{verb} {what} (revision {revision})");
        if let Some(restart) = restart {
            note = format!("{note}; {restart}");
        }
        self.say(Tone::Good, note);
        Vec::new()
    }

    fn list_action(&mut self, action: Action) -> Vec<Command> {
        let tab = self.tab.index();
        let len = self.list_len(self.tab);
        if self.tab == Tab::History {
            if let Some(commands) = self.history_action(action) {
                return commands;
            }
        }
        if self.tab == Tab::Contacts {
            if let Some(commands) = self.contacts_action(action) {
                return commands;
            }
        }
        if self.tab == Tab::Lines {
            if let Some(commands) = self.lines_action(action) {
                return commands;
            }
        }
        match action {
            Action::Up => self.selected[tab] = self.selected[tab].saturating_sub(1),
            Action::Down => {
                self.selected[tab] = (self.selected[tab] + 1).min(len.saturating_sub(1))
            }
            Action::NextTab => return self.show(Tab::ALL[(tab + 1) % Tab::ALL.len()]),
            Action::PrevTab => {
                return self.show(Tab::ALL[(tab + Tab::ALL.len() - 1) % Tab::ALL.len()])
            }
            Action::Tab(n) => return self.show(Tab::ALL.get(n).copied().unwrap_or(self.tab)),
            Action::Reload => return vec![Command::Send(Request::GetConfig)],
            Action::Enter => self.open_editor(),
            Action::Delete => self.ask_delete(),
            Action::Presence => return self.cycle_presence(),
            Action::NightSwitch => self.ask_night_switch(),
            Action::Calendar if self.tab == Tab::Entries => self.open_calendar(),
            Action::Add if NewKind::of(self.tab).is_some() => {
                if let Some(kind) = NewKind::of(self.tab) {
                    self.start_new(kind);
                }
            }
            Action::Add if self.tab == Tab::Employees && self.config.is_some() => {
                self.ask(
                    "New employee: extension",
                    "2–6 digits, not yet used",
                    String::new(),
                    InputFor::NewEmployeeExtension,
                );
            }
            _ => {}
        }
        Vec::new()
    }

    /// Shows `tab`; the History and Contacts tabs ask for their lists each time they are
    /// shown, the Lines tab starts polling the diagnostics.
    fn show(&mut self, tab: Tab) -> Vec<Command> {
        let came = tab != self.tab;
        self.tab = tab;
        match tab {
            Tab::History if came => vec![Command::Send(self.history.refetch())],
            Tab::Contacts if came => self.contacts_shown(),
            Tab::Lines if came => self.lines_shown(),
            _ => Vec::new(),
        }
    }

    /// The History tab's own keys (`None`: not one of them).
    fn history_action(&mut self, action: Action) -> Option<Vec<Command>> {
        let request = match action {
            Action::Up | Action::Down => {
                self.history.step(action == Action::Down);
                return Some(Vec::new());
            }
            Action::View => self.history.next_pane(),
            Action::Missed => self.history.toggle_missed(),
            Action::GroupFilter => self.history.cycle_group(self.config.as_ref()),
            Action::Reload => {
                let again = self.history.refetch();
                return Some(vec![
                    Command::Send(Request::GetConfig),
                    Command::Send(again),
                ]);
            }
            _ => return None,
        };
        Some(vec![Command::Send(request)])
    }

    fn open_editor(&mut self) {
        let (Some(config), Some(base)) = (&self.config, self.revision) else {
            return;
        };
        let at = self.selection();
        self.editor = match self.tab {
            Tab::Groups => config
                .groups
                .get(at)
                .map(|g| Editor::Group(Box::new(ItemEditor::new(base, g.clone())))),
            Tab::Schedules => config
                .schedules
                .get(at)
                .map(|s| Editor::Schedule(Box::new(ItemEditor::new(base, s.clone())))),
            Tab::Entries => config
                .entry_points
                .get(at)
                .map(|e| Editor::Entry(Box::new(ItemEditor::new(base, e.clone())))),
            Tab::Employees => config
                .employees
                .get(at)
                .map(|e| Editor::Employee(Box::new(ItemEditor::new(base, e.clone())))),
            Tab::System => Some(system::editor(Section::at(at), base, config)),
            _ => None,
        };
    }

    fn cycle_presence(&mut self) -> Vec<Command> {
        use firmware_config::employee::Presence;
        if self.tab != Tab::Employees {
            return Vec::new();
        }
        let (Some(config), Some(base)) = (&self.config, self.revision) else {
            return Vec::new();
        };
        let Some(e) = config.employees.get(self.selection()) else {
            return Vec::new();
        };
        let presence = match e.presence {
            Presence::Available => Presence::OnBreak,
            Presence::OnBreak => Presence::Off,
            Presence::Off => Presence::Available,
        };
        vec![Command::Send(Request::SetPresence {
            base,
            employee: e.extension.clone(),
            presence,
        })]
    }

    fn ask_night_switch(&mut self) {
        if self.tab != Tab::Schedules {
            return;
        }
        let Some(s) = self
            .config
            .as_ref()
            .and_then(|c| c.schedules.get(self.selection()))
        else {
            return;
        };
        self.overlay = Some(Overlay::Input(Input::new(
            format!("Night switch for '{}'", s.name),
            "14:00 = closed until 14:00 · open 14:00 = open until · empty = follow the hours",
            String::new(),
            InputFor::NightSwitch(s.name.to_string()),
        )));
    }
}

/// The change a request makes, in words (`group 'sales'`).
fn what(request: &Request, config: Option<&Config>) -> String {
    match request {
        Request::Replace { item, .. } => match item {
            Item::Employee(e) => format!("employee {}", e.extension),
            Item::Group(g) => format!("group '{}'", g.name),
            Item::Schedule(s) => format!("schedule '{}'", s.name),
            Item::EntryPoint(e) => format!("entry point '{}'", e.name),
            Item::System(_) => "the system settings".into(),
            Item::Webhook(_) => "the webhook".into(),
            Item::Outbound(_) => "the outside-call limits".into(),
            Item::Storage(_) => "the storage limits".into(),
        },
        Request::Remove { key, .. } => key_words(key, config),
        Request::SetPresence {
            employee, presence, ..
        } => format!(
            "{employee}'s presence: {}",
            crate::describe::presence(*presence)
        ),
        Request::SetNightSwitch {
            schedule,
            night_switch,
            ..
        } => {
            let zone = config
                .and_then(|c| c.schedule(schedule))
                .map(|s| s.time_zone.to_string())
                .unwrap_or_default();
            format!(
                "the night switch of '{schedule}': {}",
                crate::describe::night_switch(night_switch.as_ref(), &zone)
            )
        }
        _ => "the change".into(),
    }
}

/// Applies a saved change to the local copy of the configuration.
pub fn apply(config: &mut Config, request: &Request) {
    match request {
        Request::Replace { item, .. } => replace(config, item),
        Request::Remove { key, .. } => remove(config, key),
        Request::SetPresence {
            employee, presence, ..
        } => {
            if let Some(e) = config
                .employees
                .as_mut_slice()
                .iter_mut()
                .find(|e| &e.extension == employee)
            {
                e.presence = *presence;
            }
        }
        Request::SetNightSwitch {
            schedule,
            night_switch,
            ..
        } => {
            if let Some(s) = config
                .schedules
                .as_mut_slice()
                .iter_mut()
                .find(|s| s.name.as_str() == schedule)
            {
                s.night_switch = night_switch.clone();
            }
        }
        _ => {}
    }
}

fn replace(config: &mut Config, item: &Item) {
    match item {
        Item::Employee(e) => upsert(&mut config.employees, e, |a| a.extension == e.extension),
        Item::Group(g) => upsert(&mut config.groups, g, |a: &QueueGroup| a.name == g.name),
        Item::Schedule(s) => upsert(&mut config.schedules, s, |a: &Schedule| a.name == s.name),
        Item::EntryPoint(p) => upsert(&mut config.entry_points, p, |a| a.name == p.name),
        Item::System(s) => config.system = (**s).clone(),
        Item::Webhook(w) => config.webhook = w.as_deref().cloned(),
        Item::Outbound(o) => config.outbound = (**o).clone(),
        Item::Storage(s) => config.storage = **s,
    }
}

fn upsert<T: Clone, const N: usize>(
    table: &mut firmware_config::bounded::Table<T, N>,
    item: &T,
    same: impl Fn(&T) -> bool,
) {
    match table.as_mut_slice().iter_mut().find(|a| same(a)) {
        Some(slot) => *slot = item.clone(),
        None => {
            let _ = table.push(item.clone());
        }
    }
}

fn remove(config: &mut Config, key: &ItemKey) {
    match key {
        ItemKey::Employee(x) => config.employees.retain(|e| &e.extension != x),
        ItemKey::Group(x) => config.groups.retain(|g| g.name.as_str() != x),
        ItemKey::Schedule(x) => config.schedules.retain(|s| s.name.as_str() != x),
        ItemKey::EntryPoint(x) => config.entry_points.retain(|e| e.name.as_str() != x),
    }
}

#[cfg(test)]
mod tests;
