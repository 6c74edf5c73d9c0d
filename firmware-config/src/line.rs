//! Analog FXO lines: the ALSA devices that carry a line's audio, and how its ringing and hook
//! are signalled.

use serde::{Deserialize, Serialize};

use crate::bounded::Text;
use crate::bounds::{KEY_LEN, PATH_LEN};
use crate::number::PhoneNumber;
use crate::system::ToneCountry;
use crate::time::TimeOfDay;

/// One analog telephone line (FXO port).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxoLine {
    /// The line's name; entry points refer to it.
    pub name: Text<KEY_LEN>,
    /// The ALSA PCM the line's audio is captured from (8 kHz, S16, mono).
    pub capture_device: Text<PATH_LEN>,
    /// The ALSA PCM the line's audio is played to.
    pub playback_device: Text<PATH_LEN>,
    /// How ringing is detected and the hook is operated.
    pub signalling: Signalling,
    /// The country whose ring cadence, tones and caller ID the line uses.
    pub country: ToneCountry,
    /// Rings to wait before answering (caller ID arrives after the first).
    #[serde(default = "two")]
    pub rings_before_answer: u8,
    /// The line's own number, in international form, if known.
    #[serde(default)]
    pub number: Option<PhoneNumber>,
    /// Whether outside calls (employees' and the router's forwards to a number) may go out on
    /// this line; an idle such line is used before any SIP trunk.
    #[serde(default)]
    pub outside_calls: bool,
    /// When the line's daily health check runs (seize the idle line, confirm dial tone); none
    /// when absent.
    #[serde(default)]
    pub health_check: Option<HealthCheck>,
}

/// A line's daily health check, at a quiet hour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    /// The local time of day it runs at (e.g. `03:00`).
    pub at: TimeOfDay,
    /// The time zone `at` is in (e.g. `Europe/Warsaw`).
    pub time_zone: Text<KEY_LEN>,
}

fn two() -> u8 {
    2
}

/// A line's signalling backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signalling {
    /// GPIO lines through the Linux GPIO character device.
    Gpio(GpioSignalling),
    /// Switches of an ALSA mixer / control interface.
    AlsaControl(AlsaControlSignalling),
    /// Line events on a local socket or FIFO (vendor daemons, and the tests).
    Socket(Text<PATH_LEN>),
}

/// GPIO pins of an FXO port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpioSignalling {
    /// The GPIO chip, e.g. `/dev/gpiochip0`.
    pub chip: Text<PATH_LEN>,
    /// Input that is active while the line rings.
    pub ring_detect: GpioPin,
    /// Output that takes the line off hook while active.
    pub hook: GpioPin,
    /// Optional input reporting loop current (or polarity), for far-end hang-up.
    #[serde(default)]
    pub loop_current: Option<GpioPin>,
}

/// One GPIO line and its active level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpioPin {
    /// The line offset on the chip.
    pub line: u32,
    /// True when the signal is active at the low level.
    #[serde(default)]
    pub active_low: bool,
}

/// ALSA control elements of an FXO port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlsaControlSignalling {
    /// The control device, e.g. `hw:1`.
    pub card: Text<PATH_LEN>,
    /// The switch that reports ringing.
    pub ring_control: Text<KEY_LEN>,
    /// The switch that operates the hook.
    pub hook_control: Text<KEY_LEN>,
}
