//! The size limits of a configuration. Each one is part of the product: it says how big an
//! office a single appliance serves, and together they bound the stored configuration's size
//! (see `persist::MAX_ENCODED_LEN`).

/// Employees (and so extensions) on one appliance; a small office, with room for the 200-seat
/// benchmark.
pub const MAX_EMPLOYEES: usize = 250;
/// SIP devices (desk phone, softphone, mobile app) one employee may register.
pub const MAX_DEVICES_PER_EMPLOYEE: usize = 4;
/// Queue groups.
pub const MAX_GROUPS: usize = 64;
/// Members of one queue group.
pub const MAX_MEMBERS_PER_GROUP: usize = 32;
/// Schedules (several entry points may share one).
pub const MAX_SCHEDULES: usize = 32;
/// Working-hour ranges on one weekday (e.g. morning and afternoon shifts).
pub const MAX_RANGES_PER_DAY: usize = 4;
/// Named holidays in one schedule.
pub const MAX_HOLIDAYS_PER_SCHEDULE: usize = 64;
/// Entry points: analog lines, trunk DIDs and internal service numbers.
pub const MAX_ENTRY_POINTS: usize = 64;
/// SIP trunks to providers.
pub const MAX_TRUNKS: usize = 8;
/// Analog FXO lines on one gateway.
pub const MAX_LINES: usize = 16;
/// SIP listening sockets (address, port and transport).
pub const MAX_LISTEN: usize = 4;
/// Country prefixes in an outbound restriction list.
pub const MAX_PREFIXES: usize = 16;
/// Blocked number prefixes (premium-rate and other expensive destinations).
pub const MAX_BLOCKED_PREFIXES: usize = 32;
/// The most outside calls an hour a limit may allow: one a second, far above any small
/// office, and it bounds what the toll-fraud guard remembers.
pub const MAX_OUTSIDE_CALLS_PER_HOUR: u16 = 3600;

/// Identifiers that other items refer to (a group's, schedule's or line's name), in bytes.
pub const KEY_LEN: usize = 32;
/// A person's or holiday's display name, in bytes (UTF-8: Polish letters take two).
pub const NAME_LEN: usize = 48;
/// SIP user names.
pub const USERNAME_LEN: usize = 32;
/// Passwords and shared secrets.
pub const SECRET_LEN: usize = 64;
/// File and device paths, ALSA device names.
pub const PATH_LEN: usize = 128;
/// Host names.
pub const HOST_LEN: usize = 128;
/// Webhook URLs.
pub const URL_LEN: usize = 256;

/// Shortest ring time, in seconds, a group may use (shorter is not long enough to pick up).
pub const RING_TIME_MIN_SECS: u16 = 5;
/// Longest ring time, in seconds.
pub const RING_TIME_MAX_SECS: u16 = 120;
/// Shortest accepted SIP password: anything shorter is guessable by SIP scanners.
pub const MIN_PASSWORD_LEN: usize = 8;
