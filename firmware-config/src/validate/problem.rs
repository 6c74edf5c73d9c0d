//! What a validation problem says: where it is and what is wrong.

use core::fmt;

/// The part of the configuration a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    /// `[system]`.
    System,
    /// `[webhook]`.
    Webhook,
    /// `[outbound]`.
    Outbound,
    /// `[storage]`.
    Storage,
    /// `[[employees]]`.
    Employees,
    /// `[[groups]]`.
    Groups,
    /// `[[schedules]]`.
    Schedules,
    /// `[[entry_points]]`.
    EntryPoints,
    /// `[[trunks]]`.
    Trunks,
    /// `[[lines]]`.
    Lines,
}

impl Section {
    /// The key of the section in the text form.
    pub fn key(self) -> &'static str {
        match self {
            Section::System => "system",
            Section::Webhook => "webhook",
            Section::Outbound => "outbound",
            Section::Storage => "storage",
            Section::Employees => "employees",
            Section::Groups => "groups",
            Section::Schedules => "schedules",
            Section::EntryPoints => "entry_points",
            Section::Trunks => "trunks",
            Section::Lines => "lines",
        }
    }

    /// What one item of the section is called, for messages.
    pub fn noun(self) -> &'static str {
        match self {
            Section::System => "system settings",
            Section::Webhook => "webhook",
            Section::Outbound => "outside-call limits",
            Section::Storage => "storage limits",
            Section::Employees => "employee",
            Section::Groups => "group",
            Section::Schedules => "schedule",
            Section::EntryPoints => "entry point",
            Section::Trunks => "trunk",
            Section::Lines => "line",
        }
    }
}

/// Where a problem is: the section, the item's position and name, and the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The section.
    pub section: Section,
    /// The item's position in its section's list (`None` for `system`, `webhook`,
    /// `outbound` and `storage`).
    pub index: Option<usize>,
    /// The item's extension or name, as the admin knows it.
    pub item: String,
    /// The field, as a path inside the item (`hours.mon[1]`, `holidays[0].start`).
    pub field: String,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(_) => write!(
                f,
                "{} '{}', field '{}'",
                self.section.noun(),
                self.item,
                self.field
            ),
            None => write!(f, "{}, field '{}'", self.section.noun(), self.field),
        }
    }
}

/// One thing wrong with a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where.
    pub location: Location,
    /// What.
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.kind)
    }
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProblemKind {
    /// A name or other required text is empty.
    #[error("must not be empty")]
    Empty,
    /// A name used as a reference has characters that would need quoting.
    #[error("'{0}' may hold only letters, digits, '-', '_' and '.'")]
    BadName(String),
    /// Two items share a name.
    #[error("the name '{0}' is used twice in this list")]
    DuplicateName(String),
    /// An internal number is used twice.
    #[error("the number {number} is already used by {other}")]
    DuplicateExtension {
        /// The number.
        number: String,
        /// Who has it first.
        other: String,
    },
    /// An outside number (DID) is used twice.
    #[error("the number {number} is already used by {other}")]
    DuplicateNumber {
        /// The number.
        number: String,
        /// Who has it first.
        other: String,
    },
    /// A SIP user name is used twice.
    #[error("the SIP user name '{name}' is already used by employee {other}")]
    DuplicateUsername {
        /// The user name.
        name: String,
        /// Extension of the employee who has it first.
        other: String,
    },
    /// A password is too short.
    #[error("the password is {len} characters long; at least {min} are needed")]
    WeakPassword {
        /// Its length.
        len: usize,
        /// The minimum.
        min: usize,
    },
    /// A reference to an employee that does not exist.
    #[error("there is no employee with extension {0}")]
    UnknownEmployee(String),
    /// A reference to a group that does not exist.
    #[error("there is no queue group named '{0}'")]
    UnknownGroup(String),
    /// A reference to a schedule that does not exist.
    #[error("there is no schedule named '{0}'")]
    UnknownSchedule(String),
    /// A reference to a trunk that does not exist.
    #[error("there is no trunk named '{0}'")]
    UnknownTrunk(String),
    /// A reference to a line that does not exist.
    #[error("there is no analog line named '{0}'")]
    UnknownLine(String),
    /// Queue groups forward unanswered calls to each other in a circle.
    #[error("unanswered calls would go round in a loop: {}", .0.join(" → "))]
    ForwardLoop(Vec<String>),
    /// A group without members.
    #[error("the group has no members")]
    NoMembers,
    /// A member listed twice.
    #[error("employee {0} is listed twice")]
    DuplicateMember(String),
    /// Ring time outside the allowed range.
    #[error("ring time {secs} s is out of range ({min}–{max} s)")]
    RingTime {
        /// The value.
        secs: u16,
        /// Lowest allowed.
        min: u16,
        /// Highest allowed.
        max: u16,
    },
    /// A forward target employee has no outside number.
    #[error("employee {0} has no mobile number in international form to forward to")]
    NoMobileNumber(String),
    /// A forward target outside the allowed countries.
    #[error("+{0} is not among the country codes outside calls may reach")]
    CountryNotAllowed(u16),
    /// A forward target that starts with a blocked prefix.
    #[error(
        "{number} starts with the blocked prefix {prefix}, so outside calls to it are refused"
    )]
    BlockedNumber {
        /// The number.
        number: String,
        /// The prefix it starts with.
        prefix: String,
    },
    /// A forward to an outside number while outside calls are turned off.
    #[error(
        "outside calls are turned off (outbound.max_concurrent or outbound.max_per_hour is 0), \
         so this forward could never be made"
    )]
    OutsideCallsOff,
    /// A blocked prefix listed twice.
    #[error("the prefix {0} is listed twice")]
    DuplicatePrefix(String),
    /// A per-employee limit above the same limit for the whole office.
    #[error(
        "{value} is more than the whole office may make ({office_field} = {office}); \
         one employee can never use more than the office"
    )]
    AboveOfficeLimit {
        /// The per-employee limit.
        value: u32,
        /// The office-wide field it exceeds.
        office_field: &'static str,
        /// The office-wide limit.
        office: u32,
    },
    /// An unknown IANA time zone.
    #[error("'{0}' is not an IANA time zone (e.g. Europe/Warsaw)")]
    UnknownTimeZone(String),
    /// A range that starts when it ends.
    #[error(
        "the range {0} is empty: start and end are the same (for a whole day write 00:00-24:00)"
    )]
    EmptyRange(String),
    /// Two ranges overlap.
    #[error("the range {first} overlaps {second}")]
    OverlappingRanges {
        /// One range, with its day.
        first: String,
        /// The other, with its day.
        second: String,
    },
    /// `days_off = { days = [] }`.
    #[error("no day is listed; for no days off at all write days_off = \"open_seven_days\"")]
    EmptyDaysOff,
    /// A weekday listed twice among days off.
    #[error("{0} is listed twice")]
    DuplicateDay(String),
    /// A date that does not exist.
    #[error("{0} does not exist")]
    ImpossibleDate(String),
    /// A holiday that ends before it starts.
    #[error("the holiday ends ({end}) before it starts ({start})")]
    EndsBeforeStart {
        /// First day.
        start: String,
        /// Last day.
        end: String,
    },
    /// A yearly holiday a year or longer.
    #[error("a yearly holiday must be shorter than a year")]
    YearlyTooLong,
    /// A path that must be absolute is not.
    #[error("'{0}' must be an absolute path")]
    RelativePath(String),
    /// Port 0 or an otherwise unusable port range.
    #[error("{0}")]
    BadPorts(String),
    /// No SIP listening socket.
    #[error("at least one SIP listening address is needed")]
    NoListen,
    /// Not an http(s) URL.
    #[error("'{0}' is not an http:// or https:// URL")]
    BadUrl(String),
    /// Digits expected.
    #[error("'{0}' must be digits only")]
    NotDigits(String),
    /// A storage limit that keeps nothing, too little to be useful, or more than any gateway.
    #[error("{}", size_limit_reason(*kib, *min, *max))]
    SizeLimit {
        /// The value, in KiB.
        kib: u32,
        /// Lowest allowed, in KiB.
        min: u32,
        /// Highest allowed, in KiB.
        max: u32,
    },
    /// A warning level that would warn too early or too late.
    #[error(
        "a warning at {value} % of a limit is out of range ({min}–{max} %): lower warns all the \
         time, higher warns too late"
    )]
    WarnPercent {
        /// The value.
        value: u8,
        /// Lowest allowed.
        min: u8,
        /// Highest allowed.
        max: u8,
    },
    /// A count out of its range.
    #[error("{value} is out of range ({min}–{max})")]
    OutOfRange {
        /// The value.
        value: u32,
        /// Lowest allowed.
        min: u32,
        /// Highest allowed.
        max: u32,
    },
}

/// Why a storage limit is refused, in words.
fn size_limit_reason(kib: u32, min: u32, max: u32) -> String {
    use crate::storage::kib_text;
    if kib == 0 {
        format!(
            "0 would keep nothing: the limit must be at least {}",
            kib_text(min)
        )
    } else if kib < min {
        format!(
            "{} is below the smallest limit, {}",
            kib_text(kib),
            kib_text(min)
        )
    } else {
        format!(
            "{} is above the largest limit, {}",
            kib_text(kib),
            kib_text(max)
        )
    }
}
