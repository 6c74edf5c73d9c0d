//! Overlays: text fields, pickers, the save confirmation, conflicts and problems.

use firmware_config::time::{Date, Weekday};
use pbx::control::protocol::Request;

use super::system::{OutboundRow, StorageRow, SystemRow, WebhookRow};
use super::{App, Command, Overlay, Tone};
use crate::action::Action;
use crate::fields;

/// A text field being typed into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// What is asked.
    pub title: String,
    /// How to write it.
    pub hint: String,
    /// What was typed.
    pub text: String,
    /// Why the last Enter was refused.
    pub error: Option<String>,
    /// What the text is for.
    pub purpose: InputFor,
}

impl Input {
    /// A field with `text` already in it.
    pub fn new(title: String, hint: &str, text: String, purpose: InputFor) -> Input {
        Input {
            title,
            hint: hint.to_string(),
            text,
            error: None,
            purpose,
        }
    }
}

/// What a text field sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputFor {
    /// The group's number.
    GroupNumber,
    /// The group's ring time.
    RingTime,
    /// The outside number unanswered calls go to.
    UnansweredNumber,
    /// The schedule's days off.
    DaysOff,
    /// One weekday's hours.
    Hours(Weekday),
    /// The outside number after-hours calls go to.
    AfterHoursNumber,
    /// A new holiday's name.
    HolidayName,
    /// A new holiday's dates (its name).
    HolidayDates(String),
    /// Whether a new holiday repeats yearly.
    HolidayYearly {
        /// Its name.
        name: String,
        /// Its first day.
        start: Date,
        /// Its last day.
        end: Option<Date>,
    },
    /// A schedule's night switch (the schedule's name).
    NightSwitch(String),
    /// A new employee's extension.
    NewEmployeeExtension,
    /// A new employee's name (their extension).
    NewEmployeeName(String),
    /// The employee's name.
    EmployeeName,
    /// The employee's mobile number.
    EmployeeMobile,
    /// A new device's user name.
    DeviceUsername,
    /// A device's new password (which device, by position).
    DevicePassword(usize),
    /// The name of a new group, schedule or entry point.
    NewItemName(super::create::NewKind),
    /// A new group's number (its name).
    NewGroupNumber(String),
    /// An entry point's internal number.
    EntryNumber,
    /// An entry point's DID on a trunk (the trunk's name).
    EntryDid(String),
    /// The contacts' search text.
    ContactSearch,
    /// A field of the contact form.
    ContactField(super::contacts::ContactRow),
    /// The file contacts are imported from.
    ImportPath,
    /// A field of the system settings.
    System(SystemRow),
    /// An outside-call limit, or a new blocked prefix (`Blocked`).
    Outbound(OutboundRow),
    /// A storage limit or the warning level.
    Storage(StorageRow),
    /// A field of the webhook (its URL also turns it on).
    Webhook(WebhookRow),
}

/// One entry of a picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// What picking it means (an extension, a name, a kind).
    pub key: String,
    /// What it shows.
    pub label: String,
}

impl Choice {
    /// A choice.
    pub fn new(key: impl Into<String>, label: impl Into<String>) -> Choice {
        Choice {
            key: key.into(),
            label: label.into(),
        }
    }
}

/// A list to pick one entry from, narrowed by typing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    /// What is picked.
    pub title: String,
    /// Every entry.
    pub choices: Vec<Choice>,
    /// The search text.
    pub query: String,
    /// The selected entry among the visible ones.
    pub selected: usize,
    /// Why the last Enter was refused.
    pub error: Option<String>,
    /// What the pick sets.
    pub purpose: PickFor,
}

impl Picker {
    /// A picker over `choices`.
    pub fn new(title: impl Into<String>, choices: Vec<Choice>, purpose: PickFor) -> Picker {
        Picker {
            title: title.into(),
            choices,
            query: String::new(),
            selected: 0,
            error: None,
            purpose,
        }
    }

    /// The entries that match the search (every word, in any case).
    pub fn visible(&self) -> Vec<&Choice> {
        let words: Vec<String> = self
            .query
            .to_lowercase()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        self.choices
            .iter()
            .filter(|c| {
                let label = c.label.to_lowercase();
                words.iter().all(|w| label.contains(w.as_str()))
            })
            .collect()
    }
}

/// What a picker sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickFor {
    /// A new member of the group.
    Member,
    /// The kind of the unanswered-call action.
    UnansweredKind,
    /// The employee unanswered calls go to.
    UnansweredEmployee,
    /// The group unanswered calls go to.
    UnansweredGroup,
    /// The schedule's time zone.
    TimeZone,
    /// The kind of the after-hours action.
    AfterHoursKind,
    /// Where an entry point's calls go.
    Destination,
    /// An entry point's schedule.
    EntrySchedule,
    /// Where an entry point's calls come from.
    EntrySource,
    /// A contact's responsible employee.
    Responsible,
}

impl App {
    pub(super) fn overlay_action(&mut self, action: Action) -> Vec<Command> {
        let Some(overlay) = self.overlay.take() else {
            return Vec::new();
        };
        match overlay {
            Overlay::Input(input) => self.input_action(input, action),
            Overlay::Picker(picker) => self.picker_action(picker, action),
            Overlay::Confirm { request, .. } if matches!(action, Action::Enter | Action::Save) => {
                self.say(Tone::Info, "Saving…");
                vec![Command::Send(request)]
            }
            Overlay::Conflict { .. } if action == Action::Reload => {
                self.rebase_on_reload = true;
                vec![Command::Send(Request::GetConfig)]
            }
            Overlay::Delete { key, question } => self.delete_action(key, question, action),
            Overlay::NotDeleted { conflict: true, .. } if action == Action::Reload => {
                vec![Command::Send(Request::GetConfig)]
            }
            Overlay::Confirm { .. }
            | Overlay::Conflict { .. }
            | Overlay::Problems(_)
            | Overlay::NotDeleted { .. }
                if matches!(action, Action::Back | Action::Enter) =>
            {
                Vec::new()
            }
            other => {
                self.overlay = Some(other);
                Vec::new()
            }
        }
    }

    fn input_action(&mut self, mut input: Input, action: Action) -> Vec<Command> {
        match action {
            Action::Back => return Vec::new(),
            Action::Char(c) => {
                input.text.push(c);
                input.error = None;
            }
            Action::Backspace => {
                input.text.pop();
                input.error = None;
            }
            Action::Enter => match self.submit(&input) {
                Ok(commands) => return commands,
                Err(e) => input.error = Some(e),
            },
            _ => {}
        }
        self.overlay = Some(Overlay::Input(input));
        Vec::new()
    }

    fn picker_action(&mut self, mut picker: Picker, action: Action) -> Vec<Command> {
        match action {
            Action::Back => return Vec::new(),
            Action::Char(c) => {
                picker.query.push(c);
                picker.selected = 0;
                picker.error = None;
            }
            Action::Backspace => {
                picker.query.pop();
                picker.selected = 0;
            }
            Action::Up => picker.selected = picker.selected.saturating_sub(1),
            Action::Down => {
                let last = picker.visible().len().saturating_sub(1);
                picker.selected = (picker.selected + 1).min(last);
            }
            Action::Enter => {
                let key = picker.visible().get(picker.selected).map(|c| c.key.clone());
                let result = match key {
                    Some(key) => self.pick(picker.purpose, &key),
                    None => Err(format!("nothing matches '{}'", picker.query)),
                };
                match result {
                    Ok(()) => return Vec::new(),
                    Err(e) => picker.error = Some(e),
                }
            }
            _ => {}
        }
        self.overlay = Some(Overlay::Picker(picker));
        Vec::new()
    }

    /// Takes a typed field in, or says why not.
    fn submit(&mut self, input: &Input) -> Result<Vec<Command>, String> {
        if let InputFor::NightSwitch(name) = &input.purpose {
            return self.night_switch(name, &input.text);
        }
        if let InputFor::ContactSearch | InputFor::ContactField(_) | InputFor::ImportPath =
            &input.purpose
        {
            return self.edit_contact_field(&input.purpose, &input.text);
        }
        self.edit_field(&input.purpose, &input.text)?;
        Ok(Vec::new())
    }

    fn night_switch(&mut self, name: &str, text: &str) -> Result<Vec<Command>, String> {
        let base = self.revision.ok_or("the configuration is not loaded yet")?;
        let zone = self
            .config
            .as_ref()
            .and_then(|c| c.schedule(name))
            .map(|s| s.time_zone.to_string())
            .ok_or_else(|| format!("schedule '{name}' is gone"))?;
        let night_switch = fields::night_switch(text, &zone, self.now)?;
        Ok(vec![Command::Send(Request::SetNightSwitch {
            base,
            schedule: name.to_string(),
            night_switch,
        })])
    }
}
