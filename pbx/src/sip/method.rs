//! SIP request methods, including ones Centrala does not implement (so it can answer them 501).

use core::fmt;
use core::str::FromStr;

/// A SIP request method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    /// INVITE.
    Invite,
    /// ACK.
    Ack,
    /// BYE.
    Bye,
    /// CANCEL.
    Cancel,
    /// REGISTER.
    Register,
    /// OPTIONS.
    Options,
    /// REFER.
    Refer,
    /// NOTIFY.
    Notify,
    /// SUBSCRIBE.
    Subscribe,
    /// MESSAGE.
    Message,
    /// INFO.
    Info,
    /// PRACK.
    Prack,
    /// UPDATE.
    Update,
    /// PUBLISH.
    Publish,
    /// Any other token: valid syntax, but not a method Centrala knows.
    Other(String),
}

/// The text is not a SIP method token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a SIP method token")]
pub struct NotAToken(pub String);

impl Method {
    /// The method's name as written on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Register => "REGISTER",
            Method::Options => "OPTIONS",
            Method::Refer => "REFER",
            Method::Notify => "NOTIFY",
            Method::Subscribe => "SUBSCRIBE",
            Method::Message => "MESSAGE",
            Method::Info => "INFO",
            Method::Prack => "PRACK",
            Method::Update => "UPDATE",
            Method::Publish => "PUBLISH",
            Method::Other(s) => s,
        }
    }

    /// True for the methods Centrala implements (others get 501 Not Implemented).
    pub fn is_supported(&self) -> bool {
        !matches!(self, Method::Other(_) | Method::Prack | Method::Publish)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// RFC 3261 `token` characters.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)
}

impl FromStr for Method {
    type Err = NotAToken;
    /// Methods are case-sensitive (RFC 3261 §7.1): `invite` is an unknown method, not INVITE.
    fn from_str(s: &str) -> Result<Self, NotAToken> {
        if s.is_empty() || !s.chars().all(is_token_char) {
            return Err(NotAToken(s.to_string()));
        }
        Ok(match s {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "REGISTER" => Method::Register,
            "OPTIONS" => Method::Options,
            "REFER" => Method::Refer,
            "NOTIFY" => Method::Notify,
            "SUBSCRIBE" => Method::Subscribe,
            "MESSAGE" => Method::Message,
            "INFO" => Method::Info,
            "PRACK" => Method::Prack,
            "UPDATE" => Method::Update,
            "PUBLISH" => Method::Publish,
            other => Method::Other(other.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_unknown_and_invalid_methods() {
        assert_eq!("INVITE".parse(), Ok(Method::Invite));
        assert_eq!("invite".parse(), Ok(Method::Other("invite".into())));
        assert_eq!("FOO".parse::<Method>().map(|m| m.is_supported()), Ok(false));
        assert!("IN VITE".parse::<Method>().is_err());
        assert!("".parse::<Method>().is_err());
        assert_eq!(Method::Register.to_string(), "REGISTER");
    }
}
