//! The System tab: four sections (the system settings, the outside-call limits, the webhook,
//! the storage limits), each edited like the other items: a draft, field by field, saved whole
//! with `Replace`.

use firmware_config::outbound::Outbound;
use firmware_config::storage::{kib_text, Storage, Store};
use firmware_config::system::{System, ToneCountry, Webhook};
use firmware_config::Config;
use pbx::control::protocol::{Item, Revision};

use super::editors::{Editor, ItemEditor};
use super::overlay::InputFor;
use super::App;
use crate::action::Action;
use crate::describe::settings as words;
use crate::fields::settings as parse;

/// The System tab's sections, in the order of its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// The system settings.
    System,
    /// The outside-call limits and blocked prefixes.
    Outbound,
    /// The webhook.
    Webhook,
    /// The storage limits.
    Storage,
}

impl Section {
    /// Every section, in order.
    pub const ALL: [Section; 4] = [
        Section::System,
        Section::Outbound,
        Section::Webhook,
        Section::Storage,
    ];

    /// The section at index `i` of the list.
    pub fn at(i: usize) -> Section {
        Self::ALL.get(i).copied().unwrap_or(Section::System)
    }

    /// The section's name in the list.
    pub fn title(self) -> &'static str {
        match self {
            Section::System => "System",
            Section::Outbound => "Outbound",
            Section::Webhook => "Webhook",
            Section::Storage => "Storage",
        }
    }
}

/// A row of the system-settings editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemRow {
    /// The office's name.
    Name,
    /// The default country code.
    CountryCode,
    /// The tone plan.
    ToneCountry,
    /// The digits dialled before an outside number.
    OutsidePrefix,
    /// The voicemail number.
    Voicemail,
    /// The country codes outside calls may reach.
    Countries,
    /// The SIP listening sockets (after a restart).
    Listen,
    /// The RTP port range (after a restart).
    RtpPorts,
    /// The control socket (after a restart).
    ControlSocket,
    /// The data directory (after a restart).
    DataDir,
}

impl SystemRow {
    /// Every row, in order.
    pub const ALL: [SystemRow; 10] = [
        SystemRow::Name,
        SystemRow::CountryCode,
        SystemRow::ToneCountry,
        SystemRow::OutsidePrefix,
        SystemRow::Voicemail,
        SystemRow::Countries,
        SystemRow::Listen,
        SystemRow::RtpPorts,
        SystemRow::ControlSocket,
        SystemRow::DataDir,
    ];

    /// The row at index `i`.
    pub fn at(i: usize) -> SystemRow {
        Self::ALL.get(i).copied().unwrap_or(SystemRow::DataDir)
    }

    /// True for a setting the daemon reads only when it starts.
    pub fn needs_restart(self) -> bool {
        matches!(
            self,
            SystemRow::Listen | SystemRow::RtpPorts | SystemRow::ControlSocket | SystemRow::DataDir
        )
    }

    /// What the field is called, and how to write it.
    fn ask(self) -> (&'static str, &'static str) {
        match self {
            SystemRow::Name => ("Office name", "shown in the console"),
            SystemRow::CountryCode => (
                "Default country code",
                "e.g. 48: completes national numbers",
            ),
            SystemRow::ToneCountry => ("Tone country", "PL, DE, GB or US"),
            SystemRow::OutsidePrefix => (
                "Outside prefix",
                "digits dialled before an outside number, e.g. 0 · empty = none",
            ),
            SystemRow::Voicemail => ("Voicemail number", "an internal number · empty = none"),
            SystemRow::Countries => (
                "Outside calls may reach",
                "country codes, e.g. 48, 49 · empty = every country",
            ),
            SystemRow::Listen => (
                "SIP listen (after a restart)",
                "e.g. udp 0.0.0.0:5060, tcp 0.0.0.0:5060",
            ),
            SystemRow::RtpPorts => (
                "RTP ports (after a restart)",
                "first-last, e.g. 10000-10999",
            ),
            SystemRow::ControlSocket => ("Control socket (after a restart)", "an absolute path"),
            SystemRow::DataDir => ("Data directory (after a restart)", "an absolute path"),
        }
    }

    /// The field as it is typed.
    fn text(self, s: &System) -> String {
        match self {
            SystemRow::Name => s.name.to_string(),
            SystemRow::CountryCode => s.default_country_code.to_string(),
            SystemRow::ToneCountry => format!("{:?}", s.tone_country),
            SystemRow::OutsidePrefix => s.outbound_prefix.as_deref().unwrap_or("").into(),
            SystemRow::Voicemail => s
                .voicemail_number
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_default(),
            SystemRow::Countries => words::country_codes(&s.allowed_country_codes),
            SystemRow::Listen => words::listen(&s.sip_listen),
            SystemRow::RtpPorts => words::ports(s.rtp_ports),
            SystemRow::ControlSocket => s.control_socket.to_string(),
            SystemRow::DataDir => s.data_dir.to_string(),
        }
    }

    /// Sets the field from typed `text`, or says why not.
    fn set(self, s: &mut System, text: &str) -> Result<(), String> {
        match self {
            SystemRow::Name => s.name = crate::fields::name(text)?,
            SystemRow::CountryCode => s.default_country_code = parse::country_code(text)?,
            SystemRow::ToneCountry => s.tone_country = tone(text)?,
            SystemRow::OutsidePrefix => s.outbound_prefix = parse::outbound_prefix(text)?,
            SystemRow::Voicemail => s.voicemail_number = parse::optional_extension(text)?,
            SystemRow::Countries => s.allowed_country_codes = parse::country_codes(text)?,
            SystemRow::Listen => s.sip_listen = parse::listen(text)?,
            SystemRow::RtpPorts => s.rtp_ports = parse::port_range(text)?,
            SystemRow::ControlSocket => s.control_socket = parse::absolute_path(text)?,
            SystemRow::DataDir => s.data_dir = parse::absolute_path(text)?,
        }
        Ok(())
    }
}

fn tone(text: &str) -> Result<ToneCountry, String> {
    match text.trim().to_uppercase().as_str() {
        "PL" => Ok(ToneCountry::PL),
        "DE" => Ok(ToneCountry::DE),
        "GB" => Ok(ToneCountry::GB),
        "US" => Ok(ToneCountry::US),
        other => Err(format!("'{other}' is not PL, DE, GB or US")),
    }
}

fn next_tone(t: ToneCountry) -> ToneCountry {
    match t {
        ToneCountry::PL => ToneCountry::DE,
        ToneCountry::DE => ToneCountry::GB,
        ToneCountry::GB => ToneCountry::US,
        ToneCountry::US => ToneCountry::PL,
    }
}

/// A row of the outside-call limits' editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboundRow {
    /// Outside calls the office may have at once.
    Concurrent,
    /// Outside calls the office may start in an hour.
    PerHour,
    /// Outside calls one employee may have at once.
    EmployeeConcurrent,
    /// Outside calls one employee may start in an hour.
    EmployeePerHour,
    /// One blocked prefix, by position.
    Blocked(usize),
}

impl OutboundRow {
    /// The rows before the blocked prefixes.
    pub const FIXED: [OutboundRow; 4] = [
        OutboundRow::Concurrent,
        OutboundRow::PerHour,
        OutboundRow::EmployeeConcurrent,
        OutboundRow::EmployeePerHour,
    ];

    /// The row at index `i`.
    pub fn at(i: usize) -> OutboundRow {
        Self::FIXED
            .get(i)
            .copied()
            .unwrap_or_else(|| OutboundRow::Blocked(i - Self::FIXED.len()))
    }

    fn ask(self) -> &'static str {
        match self {
            OutboundRow::Concurrent => "Office: outside calls at once",
            OutboundRow::PerHour => "Office: outside calls an hour",
            OutboundRow::EmployeeConcurrent => "Each employee: outside calls at once",
            _ => "Each employee: outside calls an hour",
        }
    }

    fn text(self, o: &Outbound) -> String {
        match self {
            OutboundRow::Concurrent => o.max_concurrent.to_string(),
            OutboundRow::PerHour => o.max_per_hour.to_string(),
            OutboundRow::EmployeeConcurrent => o.max_concurrent_per_employee.to_string(),
            _ => o.max_per_hour_per_employee.to_string(),
        }
    }

    fn set(self, o: &mut Outbound, text: &str) -> Result<(), String> {
        match self {
            OutboundRow::Concurrent => o.max_concurrent = parse::calls_at_once(text)?,
            OutboundRow::PerHour => o.max_per_hour = parse::calls_per_hour(text)?,
            OutboundRow::EmployeeConcurrent => {
                o.max_concurrent_per_employee = parse::calls_at_once(text)?
            }
            OutboundRow::EmployeePerHour => {
                o.max_per_hour_per_employee = parse::calls_per_hour(text)?
            }
            OutboundRow::Blocked(_) => {
                let prefix = parse::number_prefix(text)?;
                if o.blocked_prefixes.contains(&prefix) {
                    return Err(format!("{prefix} is already blocked"));
                }
                o.blocked_prefixes
                    .push(prefix)
                    .map_err(|_| "no room for another prefix".to_string())?;
            }
        }
        Ok(())
    }
}

/// A row of the webhook's editor (only the first while it is off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookRow {
    /// On or off.
    Enabled,
    /// Where events are posted.
    Url,
    /// The signing secret.
    Secret,
    /// How long a delivery may take.
    Timeout,
}

impl WebhookRow {
    /// Every row, in order.
    pub const ALL: [WebhookRow; 4] = [
        WebhookRow::Enabled,
        WebhookRow::Url,
        WebhookRow::Secret,
        WebhookRow::Timeout,
    ];

    /// The row at index `i`.
    pub fn at(i: usize) -> WebhookRow {
        Self::ALL.get(i).copied().unwrap_or(WebhookRow::Timeout)
    }

    /// Sets the field from typed `text` (a URL turns a webhook that is off on).
    fn set(self, w: &mut Option<Webhook>, text: &str) -> Result<(), String> {
        if let (WebhookRow::Url, None) = (self, &w) {
            *w = Some(Webhook {
                url: parse::url(text)?,
                secret: None,
                timeout_ms: parse::TIMEOUT_DEFAULT_MS,
            });
            return Ok(());
        }
        let hook = w.as_mut().ok_or("the webhook is off")?;
        match self {
            WebhookRow::Url => hook.url = parse::url(text)?,
            WebhookRow::Secret => hook.secret = parse::secret(text)?,
            WebhookRow::Timeout => hook.timeout_ms = parse::timeout_ms(text)?,
            WebhookRow::Enabled => {}
        }
        Ok(())
    }
}

/// A row of the storage limits' editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageRow {
    /// One store's limit.
    Limit(Store),
    /// The warning level.
    Warn,
}

impl StorageRow {
    /// Every row, in order.
    pub const ALL: [StorageRow; 5] = [
        StorageRow::Limit(Store::Calls),
        StorageRow::Limit(Store::Audit),
        StorageRow::Limit(Store::Voicemail),
        StorageRow::Limit(Store::Outbox),
        StorageRow::Warn,
    ];

    /// The row at index `i`.
    pub fn at(i: usize) -> StorageRow {
        Self::ALL.get(i).copied().unwrap_or(StorageRow::Warn)
    }

    fn ask(self) -> (String, String) {
        match self {
            StorageRow::Limit(store) => {
                let range = store.range_kib();
                (
                    format!("Limit of the {}", store.noun()),
                    format!(
                        "e.g. 8 MiB or 512 KiB ({}–{}) · the oldest go first",
                        kib_text(*range.start()),
                        kib_text(*range.end())
                    ),
                )
            }
            StorageRow::Warn => (
                "Warn at (% of a limit)".into(),
                "50–99: the console and the webhook are told once".into(),
            ),
        }
    }

    fn text(self, s: &Storage) -> String {
        match self {
            StorageRow::Limit(store) => kib_text(s.kib(store)),
            StorageRow::Warn => s.warn_percent.to_string(),
        }
    }

    fn set(self, s: &mut Storage, text: &str) -> Result<(), String> {
        match self {
            StorageRow::Limit(store) => s.set_kib(store, parse::size_kib(text, store)?),
            StorageRow::Warn => s.warn_percent = parse::warn_percent(text)?,
        }
        Ok(())
    }
}

/// The section editor for `section` of `config`, stored at `base`.
pub(super) fn editor(section: Section, base: Revision, config: &Config) -> Editor {
    match section {
        Section::System => Editor::System(Box::new(ItemEditor::new(base, config.system.clone()))),
        Section::Outbound => {
            Editor::Outbound(Box::new(ItemEditor::new(base, config.outbound.clone())))
        }
        Section::Webhook => {
            Editor::Webhook(Box::new(ItemEditor::new(base, config.webhook.clone())))
        }
        Section::Storage => Editor::Storage(Box::new(ItemEditor::new(base, config.storage))),
    }
}

/// What saving `item` leaves for a restart of the daemon, in words (`None`: nothing).
pub(super) fn restart_note(config: &Config, item: &Item) -> Option<String> {
    let Item::System(new) = item else { return None };
    let old = words::system(&config.system);
    let changed: Vec<String> = words::system(new)
        .into_iter()
        .zip(old)
        .filter(|(n, o)| n != o && n.0.ends_with(words::AFTER_RESTART))
        .map(|(n, _)| n.0.trim_end_matches(words::AFTER_RESTART).to_string())
        .collect();
    (!changed.is_empty()).then(|| {
        format!(
            "{} take(s) effect after the daemon restarts",
            changed.join(", ")
        )
    })
}

impl App {
    fn system_editor(&mut self) -> Option<&mut ItemEditor<System>> {
        match &mut self.editor {
            Some(Editor::System(e)) => Some(e.as_mut()),
            _ => None,
        }
    }

    fn outbound_editor(&mut self) -> Option<&mut ItemEditor<Outbound>> {
        match &mut self.editor {
            Some(Editor::Outbound(e)) => Some(e.as_mut()),
            _ => None,
        }
    }

    fn webhook_editor(&mut self) -> Option<&mut ItemEditor<Option<Webhook>>> {
        match &mut self.editor {
            Some(Editor::Webhook(e)) => Some(e.as_mut()),
            _ => None,
        }
    }

    fn storage_editor(&mut self) -> Option<&mut ItemEditor<Storage>> {
        match &mut self.editor {
            Some(Editor::Storage(e)) => Some(e.as_mut()),
            _ => None,
        }
    }

    fn storage_action(&mut self, action: Action) {
        let Some(e) = self.storage_editor() else {
            return;
        };
        if action != Action::Enter {
            return;
        }
        let row = StorageRow::at(e.row);
        let text = row.text(&e.draft);
        let (title, hint) = row.ask();
        self.ask(&title, &hint, text, InputFor::Storage(row));
    }

    /// A key in one of the System tab's editors.
    pub(super) fn settings_action(&mut self, action: Action) {
        match &self.editor {
            Some(Editor::System(_)) => self.system_action(action),
            Some(Editor::Outbound(_)) => self.outbound_action(action),
            Some(Editor::Webhook(_)) => self.webhook_action(action),
            Some(Editor::Storage(_)) => self.storage_action(action),
            _ => {}
        }
    }

    fn system_action(&mut self, action: Action) {
        let Some(e) = self.system_editor() else {
            return;
        };
        let row = SystemRow::at(e.row);
        match (action, row) {
            (Action::Enter, SystemRow::ToneCountry) => {
                e.draft.tone_country = next_tone(e.draft.tone_country)
            }
            (Action::Enter, _) => {
                let text = row.text(&e.draft);
                let (title, hint) = row.ask();
                self.ask(title, hint, text, InputFor::System(row));
            }
            _ => {}
        }
    }

    fn outbound_action(&mut self, action: Action) {
        let Some(e) = self.outbound_editor() else {
            return;
        };
        let row = OutboundRow::at(e.row);
        match (action, row) {
            (Action::Enter, OutboundRow::Blocked(_)) => {}
            (Action::Enter, _) => {
                let text = row.text(&e.draft);
                self.ask(
                    row.ask(),
                    "a number · 0 = none",
                    text,
                    InputFor::Outbound(row),
                );
            }
            (Action::Add, _) => {
                let at = OutboundRow::Blocked(e.draft.blocked_prefixes.len());
                self.ask(
                    "Block calls to numbers starting with",
                    "+ and digits, e.g. +4870 (premium rate)",
                    String::new(),
                    InputFor::Outbound(at),
                );
            }
            (Action::Delete, OutboundRow::Blocked(i)) if i < e.draft.blocked_prefixes.len() => {
                e.draft.blocked_prefixes.remove(i);
                let rows = OutboundRow::FIXED.len() + e.draft.blocked_prefixes.len();
                e.row = e.row.min(rows - 1);
            }
            _ => {}
        }
    }

    fn webhook_action(&mut self, action: Action) {
        let Some(e) = self.webhook_editor() else {
            return;
        };
        let row = WebhookRow::at(e.row);
        let (title, hint, text) = match (action, row, &e.draft) {
            (Action::Enter, WebhookRow::Enabled, Some(_)) => {
                e.draft = None;
                e.row = 0;
                return;
            }
            (Action::Enter, WebhookRow::Enabled, None) if e.original.is_some() => {
                e.draft = e.original.clone();
                return;
            }
            (Action::Enter, WebhookRow::Enabled | WebhookRow::Url, w) => {
                let url = w.as_ref().map(|w| w.url.to_string()).unwrap_or_default();
                (
                    "Webhook URL",
                    "http:// or https://, e.g. https://crm.example/hook",
                    url,
                )
            }
            (Action::Enter, WebhookRow::Secret, Some(_)) => (
                "Webhook secret",
                "signs each delivery (HMAC) · empty = unsigned",
                String::new(),
            ),
            (Action::Enter, WebhookRow::Timeout, Some(w)) => (
                "Webhook timeout (ms)",
                "100–60000",
                w.timeout_ms.to_string(),
            ),
            _ => return,
        };
        let row = if row == WebhookRow::Enabled {
            WebhookRow::Url
        } else {
            row
        };
        self.ask(title, hint, text, InputFor::Webhook(row));
    }

    /// Takes a typed System-tab field into the open editor, or says why not.
    pub(super) fn edit_setting(&mut self, purpose: &InputFor, text: &str) -> Result<(), String> {
        match purpose {
            InputFor::System(row) => {
                let e = self
                    .system_editor()
                    .ok_or("the system settings are not open")?;
                row.set(&mut e.draft, text)
            }
            InputFor::Outbound(row) => {
                let e = self.outbound_editor().ok_or("the limits are not open")?;
                row.set(&mut e.draft, text)?;
                if let OutboundRow::Blocked(_) = row {
                    e.row = OutboundRow::FIXED.len() + e.draft.blocked_prefixes.len() - 1;
                }
                Ok(())
            }
            InputFor::Webhook(row) => {
                let e = self.webhook_editor().ok_or("the webhook is not open")?;
                row.set(&mut e.draft, text)
            }
            InputFor::Storage(row) => {
                let e = self
                    .storage_editor()
                    .ok_or("the storage limits are not open")?;
                row.set(&mut e.draft, text)
            }
            _ => Ok(()),
        }
    }

    /// What the console can tell is wrong with the open System-tab draft before sending it.
    pub(super) fn settings_problem(&self) -> Option<String> {
        let Some(Editor::Outbound(e)) = &self.editor else {
            return None;
        };
        let o = &e.draft;
        if o.max_concurrent_per_employee > o.max_concurrent {
            return Some(format!(
                "each employee's calls at once ({}) are above the office's ({})",
                o.max_concurrent_per_employee, o.max_concurrent
            ));
        }
        if o.max_per_hour_per_employee > o.max_per_hour {
            return Some(format!(
                "each employee's calls an hour ({}) are above the office's ({})",
                o.max_per_hour_per_employee, o.max_per_hour
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests;
