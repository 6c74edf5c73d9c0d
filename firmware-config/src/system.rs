//! Appliance-wide settings: numbering, network, paths and the webhook.

use core::net::SocketAddr;
use serde::{Deserialize, Serialize};

use crate::bounded::{List, Text};
use crate::bounds::{MAX_LISTEN, MAX_PREFIXES, NAME_LEN, PATH_LEN, SECRET_LEN, URL_LEN};
use crate::number::{CountryCode, Extension};

/// Settings of the whole appliance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct System {
    /// The office's name, shown in the console.
    pub name: Text<NAME_LEN>,
    /// Completes numbers typed or received in national form (48 for Poland).
    pub default_country_code: CountryCode,
    /// The tone plan of tones Centrala plays to callers (ringback, busy).
    pub tone_country: ToneCountry,
    /// Where SIP is served.
    pub sip_listen: List<Listen, MAX_LISTEN>,
    /// The UDP ports used for RTP media.
    pub rtp_ports: PortRange,
    /// The control socket the console connects to.
    pub control_socket: Text<PATH_LEN>,
    /// Where voicemail, call records, the audit log and the outbox are kept.
    pub data_dir: Text<PATH_LEN>,
    /// Digits employees dial before an outside number (e.g. `0`); none when empty.
    #[serde(default)]
    pub outbound_prefix: Option<Text<4>>,
    /// The internal number employees call to hear their voicemail.
    #[serde(default)]
    pub voicemail_number: Option<Extension>,
    /// Country calling codes outside calls may reach; every country when empty.
    #[serde(default)]
    pub allowed_country_codes: List<CountryCode, MAX_PREFIXES>,
}

/// One SIP listening socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listen {
    /// UDP or TCP.
    pub transport: Transport,
    /// Address and port, e.g. `0.0.0.0:5060`.
    pub address: SocketAddr,
}

/// A SIP transport.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// SIP over UDP.
    #[default]
    Udp,
    /// SIP over TCP.
    Tcp,
}

/// An inclusive range of UDP ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortRange {
    /// The first port.
    pub first: u16,
    /// The last port.
    pub last: u16,
}

/// A country whose telephone tones and line signals are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ToneCountry {
    /// Poland.
    PL,
    /// Germany.
    DE,
    /// United Kingdom.
    GB,
    /// United States.
    US,
}

/// An outgoing webhook that receives the same events as the console (HTTP POST, JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// `http://` or `https://` URL.
    pub url: Text<URL_LEN>,
    /// Shared secret for the HMAC signature header; unsigned when absent.
    #[serde(default)]
    pub secret: Option<Text<SECRET_LEN>>,
    /// How long one delivery may take, in milliseconds.
    #[serde(default = "default_timeout")]
    pub timeout_ms: u32,
}

fn default_timeout() -> u32 {
    5000
}
