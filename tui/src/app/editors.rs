//! The group and schedule editors: a draft of one item, edited field by field, saved whole.

use firmware_config::bounded::Text;
use firmware_config::employee::Employee;
use firmware_config::entry::EntryPoint;
use firmware_config::group::{Distribution, QueueGroup, Unanswered};
use firmware_config::outbound::Outbound;
use firmware_config::schedule::{AfterHours, DaysOff, Holiday, Schedule};
use firmware_config::storage::Storage;
use firmware_config::system::{System, Webhook};
use firmware_config::time::Weekday;
use firmware_config::Config;
use pbx::control::protocol::{Item, Request, Revision};

use super::employee::EmployeeRow;
use super::entry::EntryRow;
use super::overlay::{Choice, Input, InputFor, PickFor, Picker};
use super::system::{OutboundRow, StorageRow, SystemRow, WebhookRow};
use super::{App, Command, Overlay, Tone};
use crate::action::Action;
use crate::describe;
use crate::fields;

/// A draft of one item and where the cursor is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemEditor<T> {
    /// The revision the draft is based on (sent as `base`).
    pub base: Revision,
    /// The item as stored at `base`.
    pub original: T,
    /// The item as edited.
    pub draft: T,
    /// The selected row.
    pub row: usize,
    /// Esc was pressed once with unsaved changes.
    pub leaving: bool,
    /// The item is new: nothing is stored yet (`original` is only a starting point).
    pub new: bool,
}

impl<T: Clone + PartialEq> ItemEditor<T> {
    /// True when saving would store something: a new item, or a changed draft.
    pub fn dirty(&self) -> bool {
        self.new || self.draft != self.original
    }

    /// The item's lines before the edit (`describe`), none for a new item.
    fn before(&self, describe: impl Fn(&T) -> Vec<(String, String)>) -> Vec<(String, String)> {
        if self.new {
            Vec::new()
        } else {
            describe(&self.original)
        }
    }

    /// Takes `stored` as what is stored at `revision`.
    fn stored(&mut self, stored: &T, revision: Revision) {
        self.original = stored.clone();
        self.base = revision;
        self.new = false;
    }
}

impl<T: Clone> ItemEditor<T> {
    /// An editor of `item`, stored at revision `base`.
    pub fn new(base: Revision, item: T) -> Self {
        ItemEditor {
            base,
            original: item.clone(),
            draft: item,
            row: 0,
            leaving: false,
            new: false,
        }
    }
}

/// The open editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Editor {
    /// A queue group's.
    Group(Box<ItemEditor<QueueGroup>>),
    /// A schedule's (both boxed: items are large).
    Schedule(Box<ItemEditor<Schedule>>),
    /// An employee's.
    Employee(Box<ItemEditor<Employee>>),
    /// An entry point's.
    Entry(Box<ItemEditor<EntryPoint>>),
    /// The system settings.
    System(Box<ItemEditor<System>>),
    /// The outside-call limits.
    Outbound(Box<ItemEditor<Outbound>>),
    /// The storage limits.
    Storage(Box<ItemEditor<Storage>>),
    /// The webhook (none: off).
    Webhook(Box<ItemEditor<Option<Webhook>>>),
}

/// A row of the group editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupRow {
    /// The group's number.
    Number,
    /// How calls are spread.
    Distribution,
    /// Seconds of ringing.
    RingTime,
    /// What happens when nobody answers.
    Unanswered,
    /// One member, by position.
    Member(usize),
}

impl GroupRow {
    /// The rows before the members.
    pub const FIXED: [GroupRow; 4] = [
        GroupRow::Number,
        GroupRow::Distribution,
        GroupRow::RingTime,
        GroupRow::Unanswered,
    ];

    /// The row at index `row`.
    pub fn at(row: usize) -> GroupRow {
        Self::FIXED
            .get(row)
            .copied()
            .unwrap_or_else(|| GroupRow::Member(row - Self::FIXED.len()))
    }
}

/// A row of the schedule editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleRow {
    /// The time zone.
    TimeZone,
    /// The days off.
    DaysOff,
    /// One weekday's hours.
    Hours(Weekday),
    /// What happens after hours.
    AfterHours,
    /// One holiday, by position.
    Holiday(usize),
}

impl ScheduleRow {
    /// The rows before the holidays.
    pub const FIXED: usize = 10;

    /// The row at index `row`.
    pub fn at(row: usize) -> ScheduleRow {
        match row {
            0 => ScheduleRow::TimeZone,
            1 => ScheduleRow::DaysOff,
            2..=8 => ScheduleRow::Hours(Weekday::ALL[row - 2]),
            9 => ScheduleRow::AfterHours,
            _ => ScheduleRow::Holiday(row - Self::FIXED),
        }
    }
}

impl Editor {
    /// The number of rows.
    pub fn rows(&self) -> usize {
        match self {
            Editor::Group(e) => GroupRow::FIXED.len() + e.draft.members.len(),
            Editor::Schedule(e) => ScheduleRow::FIXED + e.draft.holidays.len(),
            Editor::Employee(e) => EmployeeRow::FIXED.len() + e.draft.devices.len(),
            Editor::Entry(_) => EntryRow::ALL.len(),
            Editor::System(_) => SystemRow::ALL.len(),
            Editor::Outbound(e) => OutboundRow::FIXED.len() + e.draft.blocked_prefixes.len(),
            Editor::Storage(_) => StorageRow::ALL.len(),
            Editor::Webhook(e) if e.draft.is_some() => WebhookRow::ALL.len(),
            Editor::Webhook(_) => 1,
        }
    }

    fn row_mut(&mut self) -> &mut usize {
        match self {
            Editor::Group(e) => &mut e.row,
            Editor::Schedule(e) => &mut e.row,
            Editor::Employee(e) => &mut e.row,
            Editor::Entry(e) => &mut e.row,
            Editor::System(e) => &mut e.row,
            Editor::Outbound(e) => &mut e.row,
            Editor::Storage(e) => &mut e.row,
            Editor::Webhook(e) => &mut e.row,
        }
    }

    fn leaving_mut(&mut self) -> &mut bool {
        match self {
            Editor::Group(e) => &mut e.leaving,
            Editor::Schedule(e) => &mut e.leaving,
            Editor::Employee(e) => &mut e.leaving,
            Editor::Entry(e) => &mut e.leaving,
            Editor::System(e) => &mut e.leaving,
            Editor::Outbound(e) => &mut e.leaving,
            Editor::Storage(e) => &mut e.leaving,
            Editor::Webhook(e) => &mut e.leaving,
        }
    }

    /// True when the draft differs from what is stored.
    pub fn changed(&self) -> bool {
        match self {
            Editor::Group(e) => e.dirty(),
            Editor::Schedule(e) => e.dirty(),
            Editor::Employee(e) => e.dirty(),
            Editor::Entry(e) => e.dirty(),
            Editor::System(e) => e.draft != e.original,
            Editor::Outbound(e) => e.draft != e.original,
            Editor::Storage(e) => e.draft != e.original,
            Editor::Webhook(e) => e.draft != e.original,
        }
    }

    /// The item as edited, to be saved.
    pub fn item(&self) -> Item {
        match self {
            Editor::Group(e) => Item::Group(Box::new(e.draft.clone())),
            Editor::Schedule(e) => Item::Schedule(Box::new(e.draft.clone())),
            Editor::Employee(e) => Item::Employee(Box::new(e.draft.clone())),
            Editor::Entry(e) => Item::EntryPoint(Box::new(e.draft.clone())),
            Editor::System(e) => Item::System(Box::new(e.draft.clone())),
            Editor::Outbound(e) => Item::Outbound(Box::new(e.draft.clone())),
            Editor::Storage(e) => Item::Storage(Box::new(e.draft)),
            Editor::Webhook(e) => Item::Webhook(e.draft.clone().map(Box::new)),
        }
    }

    /// Takes a newer configuration as the base, keeping the draft.
    pub fn rebase(&mut self, revision: Revision, config: &Config) {
        match self {
            Editor::Group(e) => match config.group(&e.draft.name) {
                Some(g) => e.stored(g, revision),
                None => e.base = revision,
            },
            Editor::Schedule(e) => match config.schedule(&e.draft.name) {
                Some(s) => e.stored(s, revision),
                None => e.base = revision,
            },
            Editor::Entry(e) => match config.entry_point(&e.draft.name) {
                Some(x) => e.stored(x, revision),
                None => e.base = revision,
            },
            Editor::Employee(e) => match config.employee(&e.draft.extension) {
                Some(x) => e.stored(x, revision),
                None => e.base = revision,
            },
            Editor::System(e) => (e.original, e.base) = (config.system.clone(), revision),
            Editor::Outbound(e) => (e.original, e.base) = (config.outbound.clone(), revision),
            Editor::Storage(e) => (e.original, e.base) = (config.storage, revision),
            Editor::Webhook(e) => (e.original, e.base) = (config.webhook.clone(), revision),
        }
    }

    /// The item `item` was saved at `revision`: if it is this editor's, the draft is stored.
    pub fn saved(&mut self, item: &Item, revision: Revision) {
        match (self, item) {
            (Editor::Group(e), Item::Group(g)) if g.name == e.draft.name => e.stored(g, revision),
            (Editor::Schedule(e), Item::Schedule(s)) if s.name == e.draft.name => {
                e.stored(s, revision)
            }
            (Editor::Entry(e), Item::EntryPoint(x)) if x.name == e.draft.name => {
                e.stored(x, revision)
            }
            (Editor::Employee(e), Item::Employee(x)) if x.extension == e.draft.extension => {
                e.stored(x, revision)
            }
            (Editor::System(e), Item::System(x)) => {
                (e.original, e.base) = ((**x).clone(), revision)
            }
            (Editor::Outbound(e), Item::Outbound(x)) => {
                (e.original, e.base) = ((**x).clone(), revision)
            }
            (Editor::Storage(e), Item::Storage(x)) => (e.original, e.base) = (**x, revision),
            (Editor::Webhook(e), Item::Webhook(x)) => {
                (e.original, e.base) = (x.as_deref().cloned(), revision)
            }
            _ => {}
        }
    }

    /// The difference the draft makes, line by line.
    pub fn changes(&self, config: &Config) -> Vec<describe::Change> {
        match self {
            Editor::Group(e) => describe::diff(
                &e.before(|g| describe::group(g, config)),
                &describe::group(&e.draft, config),
            ),
            Editor::Schedule(e) => {
                describe::diff(&e.before(describe::schedule), &describe::schedule(&e.draft))
            }
            Editor::Entry(e) => {
                describe::diff(&e.before(describe::entry), &describe::entry(&e.draft))
            }
            Editor::Employee(e) => describe::diff(
                &e.before(describe::employee_item),
                &describe::employee_item(&e.draft),
            ),
            Editor::System(e) => describe::diff(
                &describe::settings::system(&e.original),
                &describe::settings::system(&e.draft),
            ),
            Editor::Outbound(e) => describe::diff(
                &describe::settings::outbound(&e.original),
                &describe::settings::outbound(&e.draft),
            ),
            Editor::Webhook(e) => describe::diff(
                &describe::settings::webhook(e.original.as_ref()),
                &describe::settings::webhook(e.draft.as_ref()),
            ),
            Editor::Storage(e) => describe::diff(
                &describe::settings::storage(&e.original),
                &describe::settings::storage(&e.draft),
            ),
        }
    }

    /// The revision the draft is based on.
    pub fn base(&self) -> Revision {
        match self {
            Editor::Group(e) => e.base,
            Editor::Schedule(e) => e.base,
            Editor::Employee(e) => e.base,
            Editor::Entry(e) => e.base,
            Editor::System(e) => e.base,
            Editor::Outbound(e) => e.base,
            Editor::Storage(e) => e.base,
            Editor::Webhook(e) => e.base,
        }
    }

    /// The item's name.
    pub fn title(&self) -> String {
        match self {
            Editor::Group(e) => format!("group '{}'", e.draft.name),
            Editor::Schedule(e) => format!("schedule '{}'", e.draft.name),
            Editor::Employee(e) if e.new => format!("new employee {}", e.draft.extension),
            Editor::Employee(e) => format!("employee {}", e.draft.extension),
            Editor::Entry(e) => format!("entry point '{}'", e.draft.name),
            Editor::System(_) => "the system settings".into(),
            Editor::Outbound(_) => "the outside-call limits".into(),
            Editor::Storage(_) => "the storage limits".into(),
            Editor::Webhook(_) => "the webhook".into(),
        }
    }
}

impl App {
    pub(super) fn editor_action(&mut self, action: Action) -> Vec<Command> {
        let Some(editor) = &mut self.editor else {
            return Vec::new();
        };
        if action != Action::Back {
            *editor.leaving_mut() = false;
        }
        let rows = editor.rows();
        match action {
            Action::Up => *editor.row_mut() = editor.row_mut().saturating_sub(1),
            Action::Down => *editor.row_mut() = (*editor.row_mut() + 1).min(rows.saturating_sub(1)),
            Action::Back => self.leave_editor(),
            Action::Save => self.confirm_save(),
            Action::Reload => {
                self.rebase_on_reload = true;
                return vec![Command::Send(Request::GetConfig)];
            }
            _ => match editor {
                Editor::Group(_) => self.group_action(action),
                Editor::Schedule(_) => self.schedule_action(action),
                Editor::Employee(_) => self.employee_action(action),
                Editor::Entry(_) => self.entry_action(action),
                Editor::System(_)
                | Editor::Outbound(_)
                | Editor::Webhook(_)
                | Editor::Storage(_) => self.settings_action(action),
            },
        }
        Vec::new()
    }

    fn leave_editor(&mut self) {
        let Some(editor) = &mut self.editor else {
            return;
        };
        if editor.changed() && !*editor.leaving_mut() {
            *editor.leaving_mut() = true;
            self.say(
                Tone::Info,
                "Unsaved changes: s saves, Esc again discards them",
            );
        } else {
            self.editor = None;
            self.note = None;
        }
    }

    fn confirm_save(&mut self) {
        let (Some(editor), Some(config)) = (&self.editor, &self.config) else {
            return;
        };
        if !editor.changed() {
            self.say(Tone::Info, "Nothing changed");
            return;
        }
        if let Some(problem) = self.settings_problem() {
            self.say(Tone::Bad, format!("Not saved: {problem}"));
            return;
        }
        let base = editor.base();
        self.overlay = Some(Overlay::Confirm {
            title: format!("Save {}?", editor.title()),
            changes: editor.changes(config),
            request: Request::Replace {
                base,
                item: editor.item(),
            },
        });
    }

    fn group(&mut self) -> Option<&mut ItemEditor<QueueGroup>> {
        match &mut self.editor {
            Some(Editor::Group(e)) => Some(e.as_mut()),
            _ => None,
        }
    }

    fn schedule(&mut self) -> Option<&mut ItemEditor<Schedule>> {
        match &mut self.editor {
            Some(Editor::Schedule(e)) => Some(e.as_mut()),
            _ => None,
        }
    }

    fn group_action(&mut self, action: Action) {
        let Some(e) = self.group() else { return };
        let row = GroupRow::at(e.row);
        match (action, row) {
            (Action::Enter, GroupRow::Distribution) => {
                e.draft.distribution = match e.draft.distribution {
                    Distribution::InOrder => Distribution::Evenly,
                    Distribution::Evenly => Distribution::Simultaneously,
                    Distribution::Simultaneously => Distribution::InOrder,
                };
            }
            (Action::Enter, GroupRow::Number) => {
                let text = e.draft.number.to_string();
                self.ask("Group number", "2–6 digits", text, InputFor::GroupNumber);
            }
            (Action::Enter, GroupRow::RingTime) => {
                let text = e.draft.ring_time_secs.to_string();
                self.ask("Ring time (seconds)", "5–120", text, InputFor::RingTime);
            }
            (Action::Enter, GroupRow::Unanswered) => self.pick_unanswered_kind(),
            (Action::Add, _) => self.pick_member(),
            (Action::Delete, GroupRow::Member(i)) if i < e.draft.members.len() => {
                e.draft.members.remove(i);
                e.row = e.row.min(GroupRow::FIXED.len() + e.draft.members.len() - 1);
            }
            (Action::MoveUp, GroupRow::Member(i)) if i > 0 && i < e.draft.members.len() => {
                e.draft.members.swap(i, i - 1);
                e.row -= 1;
            }
            (Action::MoveDown, GroupRow::Member(i)) if i + 1 < e.draft.members.len() => {
                e.draft.members.swap(i, i + 1);
                e.row += 1;
            }
            _ => {}
        }
    }

    fn schedule_action(&mut self, action: Action) {
        let Some(e) = self.schedule() else { return };
        let row = ScheduleRow::at(e.row);
        match (action, row) {
            (Action::Enter, ScheduleRow::TimeZone) => {
                let mut picker = Picker::new(
                    "Time zone (type to search)",
                    fields::time_zone_names()
                        .map(|n| Choice::new(n, n))
                        .collect(),
                    PickFor::TimeZone,
                );
                picker.selected = picker
                    .choices
                    .iter()
                    .position(|c| c.key == e.draft.time_zone.as_str())
                    .unwrap_or(0);
                self.overlay = Some(Overlay::Picker(picker));
            }
            (Action::Enter, ScheduleRow::DaysOff) => {
                let text = match &e.draft.days_off {
                    DaysOff::OpenSevenDays => "none".to_string(),
                    d => describe::days_off(d),
                };
                let hint = "e.g. sat, sun · none = open seven days";
                self.ask("Days off", hint, text, InputFor::DaysOff);
            }
            (Action::Enter, ScheduleRow::Hours(day)) => {
                let text = e
                    .draft
                    .hours
                    .day(day)
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                let hint = "e.g. 09:00-17:00 or 08:00-12:00, 13:00-16:00 · empty = closed";
                self.ask(&format!("Hours on {day}"), hint, text, InputFor::Hours(day));
            }
            (Action::Enter, ScheduleRow::AfterHours) => {
                let choices = vec![
                    Choice::new("voicemail", "voicemail"),
                    Choice::new("hang_up", "hang up"),
                    Choice::new("number", "forward to an outside number…"),
                ];
                self.overlay = Some(Overlay::Picker(Picker::new(
                    "After hours",
                    choices,
                    PickFor::AfterHoursKind,
                )));
            }
            (Action::DayOff, ScheduleRow::Hours(day)) => {
                e.draft.days_off = toggle_day_off(&e.draft.days_off, day);
            }
            (Action::CopyHours, ScheduleRow::Hours(day)) => {
                let copied = copy_hours(&mut e.draft, day);
                let note = match copied.is_empty() {
                    true => "No other open day to copy to".to_string(),
                    false => format!("{day} hours copied to {}", copied.join(", ")),
                };
                self.say(Tone::Info, &note);
            }
            (Action::Add, _) => {
                self.ask(
                    "New holiday: name",
                    "e.g. Christmas Eve",
                    String::new(),
                    InputFor::HolidayName,
                );
            }
            (Action::Delete, ScheduleRow::Holiday(i)) if i < e.draft.holidays.len() => {
                e.draft.holidays.remove(i);
                let rows = ScheduleRow::FIXED + e.draft.holidays.len();
                e.row = e.row.min(rows - 1);
            }
            _ => {}
        }
    }

    pub(super) fn ask(&mut self, title: &str, hint: &str, text: String, purpose: InputFor) {
        self.overlay = Some(Overlay::Input(Input::new(
            title.to_string(),
            hint,
            text,
            purpose,
        )));
    }

    fn pick_member(&mut self) {
        let (Some(config), Some(Editor::Group(e))) = (&self.config, &self.editor) else {
            return;
        };
        let choices = config
            .employees
            .iter()
            .filter(|emp| !e.draft.members.contains(&emp.extension))
            .map(|emp| {
                Choice::new(
                    emp.extension.as_str(),
                    format!("{} {}", emp.extension, emp.name),
                )
            })
            .collect();
        self.overlay = Some(Overlay::Picker(Picker::new(
            "Add a member (type to search)",
            choices,
            PickFor::Member,
        )));
    }

    fn pick_unanswered_kind(&mut self) {
        let choices = vec![
            Choice::new("last", "forward to the last member's mobile"),
            Choice::new("employee", "forward to an employee's mobile…"),
            Choice::new("number", "forward to an outside number…"),
            Choice::new("group", "go on to another group…"),
            Choice::new("wait", "keep waiting for a free member"),
        ];
        self.overlay = Some(Overlay::Picker(Picker::new(
            "When nobody answers",
            choices,
            PickFor::UnansweredKind,
        )));
    }

    /// Takes a picked entry in, or says why not.
    pub(super) fn pick(&mut self, purpose: PickFor, key: &str) -> Result<(), String> {
        match purpose {
            PickFor::Member => {
                let ext = fields::extension(key)?;
                let e = self.group().ok_or("no group is open")?;
                e.draft
                    .members
                    .push(ext)
                    .map_err(|_| "the group is full".to_string())?;
                e.row = GroupRow::FIXED.len() + e.draft.members.len() - 1;
            }
            PickFor::UnansweredKind => self.unanswered_kind(key)?,
            PickFor::UnansweredEmployee => {
                let ext = fields::extension(key)?;
                self.set_unanswered(Unanswered::ForwardToEmployee(ext))?;
            }
            PickFor::UnansweredGroup => {
                let name = Text::new(key).map_err(|e| e.to_string())?;
                self.set_unanswered(Unanswered::ForwardToGroup(name))?;
            }
            PickFor::TimeZone => {
                let zone = fields::time_zone(key)?;
                let e = self.schedule().ok_or("no schedule is open")?;
                e.draft.time_zone = Text::new(zone.name()).map_err(|e| e.to_string())?;
            }
            PickFor::AfterHoursKind => {
                let e = self.schedule().ok_or("no schedule is open")?;
                match key {
                    "voicemail" => e.draft.after_hours = AfterHours::Voicemail,
                    "hang_up" => e.draft.after_hours = AfterHours::HangUp,
                    _ => self.ask(
                        "After hours: forward to",
                        "e.g. +48 601 234 567",
                        String::new(),
                        InputFor::AfterHoursNumber,
                    ),
                }
            }
            PickFor::Destination | PickFor::EntrySchedule => self.pick_for_entry(purpose, key)?,
            PickFor::EntrySource => self.pick_entry_source(key)?,
            PickFor::Responsible => self.pick_responsible_key(key)?,
        }
        Ok(())
    }

    fn unanswered_kind(&mut self, key: &str) -> Result<(), String> {
        let config = self
            .config
            .as_ref()
            .ok_or("the configuration is not loaded yet")?;
        let own = match &self.editor {
            Some(Editor::Group(e)) => e.draft.name.clone(),
            _ => return Err("no group is open".into()),
        };
        match key {
            "last" => self.set_unanswered(Unanswered::ForwardToLastMember)?,
            "wait" => self.set_unanswered(Unanswered::WaitForAgent)?,
            "employee" => {
                let choices = config
                    .employees
                    .iter()
                    .map(|e| {
                        Choice::new(e.extension.as_str(), format!("{} {}", e.extension, e.name))
                    })
                    .collect();
                self.overlay = Some(Overlay::Picker(Picker::new(
                    "Forward to whose mobile?",
                    choices,
                    PickFor::UnansweredEmployee,
                )));
            }
            "group" => {
                let choices = config
                    .groups
                    .iter()
                    .filter(|g| g.name != own)
                    .map(|g| Choice::new(g.name.as_str(), format!("{} ({})", g.name, g.number)))
                    .collect();
                self.overlay = Some(Overlay::Picker(Picker::new(
                    "Go on to which group?",
                    choices,
                    PickFor::UnansweredGroup,
                )));
            }
            _ => self.ask(
                "Forward to the number",
                "e.g. +48 601 234 567",
                String::new(),
                InputFor::UnansweredNumber,
            ),
        }
        Ok(())
    }

    fn set_unanswered(&mut self, u: Unanswered) -> Result<(), String> {
        let e = self.group().ok_or("no group is open")?;
        e.draft.unanswered = u;
        Ok(())
    }

    /// Takes a typed field into the open editor, or says why not.
    pub(super) fn edit_field(&mut self, purpose: &InputFor, text: &str) -> Result<(), String> {
        let country = self
            .config
            .as_ref()
            .map(|c| c.system.default_country_code)
            .ok_or("the configuration is not loaded yet")?;
        match purpose {
            InputFor::GroupNumber => {
                self.group().ok_or("no group is open")?.draft.number = fields::extension(text)?
            }
            InputFor::RingTime => {
                self.group().ok_or("no group is open")?.draft.ring_time_secs =
                    fields::ring_time(text)?
            }
            InputFor::UnansweredNumber => {
                let n = fields::phone_number(text, country)?;
                self.set_unanswered(Unanswered::ForwardToNumber(n))?;
            }
            InputFor::NightSwitch(_) => {}
            InputFor::NewEmployeeExtension
            | InputFor::NewEmployeeName(_)
            | InputFor::EmployeeName
            | InputFor::EmployeeMobile
            | InputFor::DeviceUsername
            | InputFor::DevicePassword(_) => self.edit_employee_field(purpose, text, country)?,
            InputFor::NewItemName(_)
            | InputFor::NewGroupNumber(_)
            | InputFor::EntryNumber
            | InputFor::EntryDid(_) => self.edit_new_item_field(purpose, text)?,
            InputFor::System(_)
            | InputFor::Outbound(_)
            | InputFor::Webhook(_)
            | InputFor::Storage(_) => self.edit_setting(purpose, text)?,
            _ => self.edit_schedule_field(purpose, text, country)?,
        }
        Ok(())
    }

    fn edit_schedule_field(
        &mut self,
        purpose: &InputFor,
        text: &str,
        country: firmware_config::number::CountryCode,
    ) -> Result<(), String> {
        match purpose {
            InputFor::HolidayName => {
                let name = fields::name(text)?;
                let e = self.schedule().ok_or("no schedule is open")?;
                if e.draft.holidays.iter().any(|h| h.name == name) {
                    return Err(format!("there is already a holiday called '{name}'"));
                }
                let hint = "2026-12-24, or a range 2026-12-24..2026-12-26";
                self.ask(
                    &format!("Holiday '{name}': date"),
                    hint,
                    String::new(),
                    InputFor::HolidayDates(name.to_string()),
                );
                return Ok(());
            }
            InputFor::HolidayDates(name) => {
                let (start, end) = fields::holiday_dates(text)?;
                let purpose = InputFor::HolidayYearly {
                    name: name.clone(),
                    start,
                    end,
                };
                self.ask(
                    &format!("Holiday '{name}': every year?"),
                    "y or n",
                    "n".into(),
                    purpose,
                );
                return Ok(());
            }
            _ => {}
        }
        let e = self.schedule().ok_or("no schedule is open")?;
        match purpose {
            InputFor::DaysOff => e.draft.days_off = fields::days_off(text)?,
            InputFor::Hours(day) => *e.draft.hours.day_mut(*day) = fields::day_ranges(text)?,
            InputFor::AfterHoursNumber => {
                e.draft.after_hours =
                    AfterHours::ForwardToNumber(fields::phone_number(text, country)?)
            }
            InputFor::HolidayYearly { name, start, end } => {
                let holiday = Holiday {
                    name: fields::name(name)?,
                    start: *start,
                    end: *end,
                    yearly: fields::yes_no(text)?,
                };
                e.draft
                    .holidays
                    .push(holiday)
                    .map_err(|_| "no room for another holiday".to_string())?;
                e.row = ScheduleRow::FIXED + e.draft.holidays.len() - 1;
            }
            _ => {}
        }
        Ok(())
    }
}

/// The days off with `day` toggled; no day left off is "open seven days".
/// Gives every other weekday that is not a day off the hours of `from`; says which days.
fn copy_hours(s: &mut Schedule, from: Weekday) -> Vec<String> {
    let hours = s.hours.day(from).clone();
    let off = |d: &Weekday| matches!(&s.days_off, DaysOff::Days(days) if days.contains(d));
    let to: Vec<Weekday> = Weekday::ALL
        .into_iter()
        .filter(|d| *d != from && !off(d))
        .collect();
    for day in &to {
        *s.hours.day_mut(*day) = hours.clone();
    }
    to.iter().map(|d| d.to_string()).collect()
}

fn toggle_day_off(days_off: &DaysOff, day: Weekday) -> DaysOff {
    let mut days = match days_off {
        DaysOff::OpenSevenDays => firmware_config::bounded::List::new(),
        DaysOff::Days(d) => d.clone(),
    };
    if let Some(i) = days.iter().position(|d| *d == day) {
        days.remove(i);
    } else if days.len() < 6 {
        let _ = days.push(day);
        days.sort();
    }
    if days.is_empty() {
        DaysOff::OpenSevenDays
    } else {
        DaysOff::Days(days)
    }
}
