//! The employee editor, and adding a new employee (extension, name, a phone account with a
//! generated password).

use firmware_config::bounded::{List, Text};
use firmware_config::bounds::{MIN_PASSWORD_LEN, SECRET_LEN, USERNAME_LEN};
use firmware_config::default::random_password;
use firmware_config::employee::{Employee, Presence, SipDevice};
use firmware_config::number::CountryCode;

use super::editors::{Editor, ItemEditor};
use super::overlay::InputFor;
use super::{App, Tone};
use crate::action::Action;
use crate::fields;

/// A row of the employee editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmployeeRow {
    /// The name.
    Name,
    /// The mobile number.
    Mobile,
    /// Whether queues offer calls.
    Presence,
    /// One phone account, by position.
    Device(usize),
}

impl EmployeeRow {
    /// The rows before the phone accounts.
    pub const FIXED: [EmployeeRow; 3] = [
        EmployeeRow::Name,
        EmployeeRow::Mobile,
        EmployeeRow::Presence,
    ];

    /// The row at index `row`.
    pub fn at(row: usize) -> EmployeeRow {
        Self::FIXED
            .get(row)
            .copied()
            .unwrap_or_else(|| EmployeeRow::Device(row - Self::FIXED.len()))
    }
}

fn text<const N: usize>(s: &str, what: &str) -> Result<Text<N>, String> {
    Text::new(s).map_err(|e| format!("the {what} {e}"))
}

fn generated_password() -> Result<Text<SECRET_LEN>, String> {
    let p = random_password(16).map_err(|e| format!("cannot make a password: {e}"))?;
    text(&p, "password")
}

impl App {
    fn employee(&mut self) -> Option<&mut ItemEditor<Employee>> {
        match &mut self.editor {
            Some(Editor::Employee(e)) => Some(e.as_mut()),
            _ => None,
        }
    }

    pub(super) fn employee_action(&mut self, action: Action) {
        let Some(e) = self.employee() else { return };
        match (action, EmployeeRow::at(e.row)) {
            (Action::Enter, EmployeeRow::Name) => {
                let t = e.draft.name.to_string();
                self.ask("Name", "as shown on phones", t, InputFor::EmployeeName);
            }
            (Action::Enter, EmployeeRow::Mobile) => {
                let t = e
                    .draft
                    .mobile
                    .as_ref()
                    .map(|m| m.to_string())
                    .unwrap_or_default();
                self.ask(
                    "Mobile number",
                    "e.g. +48 601 234 567 · empty = none",
                    t,
                    InputFor::EmployeeMobile,
                );
            }
            (Action::Enter | Action::Presence, EmployeeRow::Presence) => {
                e.draft.presence = match e.draft.presence {
                    Presence::Available => Presence::OnBreak,
                    Presence::OnBreak => Presence::Off,
                    Presence::Off => Presence::Available,
                };
            }
            (Action::Enter, EmployeeRow::Device(i)) => {
                let hint = "at least 8 characters · empty = generate one";
                self.ask(
                    "New password for the phone",
                    hint,
                    String::new(),
                    InputFor::DevicePassword(i),
                );
            }
            (Action::Add, _) => {
                self.ask(
                    "New phone account: user name",
                    "unique on this gateway",
                    String::new(),
                    InputFor::DeviceUsername,
                );
            }
            (Action::Delete, EmployeeRow::Device(i)) if i < e.draft.devices.len() => {
                e.draft.devices.remove(i);
                e.row = e
                    .row
                    .min(EmployeeRow::FIXED.len() + e.draft.devices.len() - 1);
            }
            _ => {}
        }
    }

    /// True when another employee already uses this phone user name.
    fn username_taken(&self, name: &str) -> bool {
        let own = match &self.editor {
            Some(Editor::Employee(e)) => Some(&e.draft),
            _ => None,
        };
        let others = self.config.iter().flat_map(|c| c.employees.iter());
        let taken_elsewhere = others
            .filter(|x| own.is_none_or(|o| o.extension != x.extension))
            .any(|x| x.devices.iter().any(|d| d.username.as_str() == name));
        taken_elsewhere
            || own.is_some_and(|o| o.devices.iter().any(|d| d.username.as_str() == name))
    }

    pub(super) fn edit_employee_field(
        &mut self,
        purpose: &InputFor,
        input: &str,
        country: CountryCode,
    ) -> Result<(), String> {
        match purpose {
            InputFor::NewEmployeeExtension => {
                let ext = fields::extension(input)?;
                if self
                    .config
                    .as_ref()
                    .is_some_and(|c| c.employee(&ext).is_some())
                {
                    return Err(format!("extension {ext} is already taken"));
                }
                self.ask(
                    &format!("New employee {ext}: name"),
                    "as shown on phones",
                    String::new(),
                    InputFor::NewEmployeeName(ext.to_string()),
                );
            }
            InputFor::NewEmployeeName(ext) => self.new_employee(ext, input)?,
            InputFor::EmployeeName => {
                let name = fields::name(input)?;
                self.employee().ok_or("no employee is open")?.draft.name = name;
            }
            InputFor::EmployeeMobile => {
                let mobile = match input.trim() {
                    "" => None,
                    s => Some(fields::phone_number(s, country)?),
                };
                self.employee().ok_or("no employee is open")?.draft.mobile = mobile;
            }
            InputFor::DeviceUsername => {
                let name = input.trim();
                let username: Text<USERNAME_LEN> = text(name, "user name")?;
                if name.is_empty() || self.username_taken(name) {
                    return Err(format!("the user name '{name}' is empty or already used"));
                }
                let password = generated_password()?;
                let e = self.employee().ok_or("no employee is open")?;
                e.draft
                    .devices
                    .push(SipDevice { username, password })
                    .map_err(|_| "no room for another phone".to_string())?;
                e.row = EmployeeRow::FIXED.len() + e.draft.devices.len() - 1;
            }
            InputFor::DevicePassword(i) => {
                let password = match input.trim() {
                    "" => generated_password()?,
                    p if p.len() < MIN_PASSWORD_LEN => {
                        return Err(format!("too short: at least {MIN_PASSWORD_LEN} characters"))
                    }
                    p => text(p, "password")?,
                };
                let e = self.employee().ok_or("no employee is open")?;
                let device = e.draft.devices.get_mut(*i).ok_or("that phone is gone")?;
                device.password = password;
            }
            _ => {}
        }
        Ok(())
    }

    fn new_employee(&mut self, ext: &str, name: &str) -> Result<(), String> {
        let name = fields::name(name)?;
        let extension = fields::extension(ext)?;
        let base = self.revision.ok_or("the configuration is not loaded yet")?;
        let mut devices = List::new();
        if !self.username_taken(ext) {
            let device = SipDevice {
                username: text(ext, "user name")?,
                password: generated_password()?,
            };
            let _ = devices.push(device);
        }
        let employee = Employee {
            extension,
            name,
            mobile: None,
            presence: Presence::Available,
            devices,
        };
        let mut editor = ItemEditor::new(base, employee);
        editor.new = true;
        self.editor = Some(Editor::Employee(Box::new(editor)));
        self.say(
            Tone::Info,
            "New employee: note the phone's password now (shown until saved); s saves",
        );
        Ok(())
    }
}
