//! SIP trunks: accounts at telephony providers that carry outside calls.

use serde::{Deserialize, Serialize};

use crate::bounded::Text;
use crate::bounds::{HOST_LEN, KEY_LEN, SECRET_LEN, USERNAME_LEN};
use crate::number::PhoneNumber;
use crate::system::Transport;

/// A SIP trunk to a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SipTrunk {
    /// The trunk's name; entry points refer to it.
    pub name: Text<KEY_LEN>,
    /// The provider's registrar / proxy host name or address.
    pub host: Text<HOST_LEN>,
    /// The provider's port.
    #[serde(default = "default_sip_port")]
    pub port: u16,
    /// UDP or TCP.
    #[serde(default)]
    pub transport: Transport,
    /// Digest user name at the provider.
    pub username: Text<USERNAME_LEN>,
    /// Digest password at the provider.
    pub password: Text<SECRET_LEN>,
    /// Whether Centrala registers to the provider (some trunks authenticate by address).
    #[serde(default = "yes")]
    pub register: bool,
    /// Registration lifetime asked of the provider, in seconds.
    #[serde(default = "default_expiry")]
    pub register_expiry_secs: u32,
    /// The number presented on outbound calls when the original caller's may not be sent.
    #[serde(default)]
    pub caller_id: Option<PhoneNumber>,
}

fn default_sip_port() -> u16 {
    5060
}
fn yes() -> bool {
    true
}
fn default_expiry() -> u32 {
    600
}
