//! Limits on outside calls through the trunks: the toll-fraud guard's settings.
//!
//! A limit of 0 means none: `max_concurrent = 0` or `max_per_hour = 0` turns outside calls off
//! altogether; a per-employee limit of 0 stops employees dialling out themselves while the
//! router's own forwarding (counted against the office-wide limits only) still works.

use core::fmt;
use core::marker::PhantomData;
use core::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::bounded::List;
use crate::bounds::MAX_BLOCKED_PREFIXES;
use crate::number::{can_start_a_number, NumberError, PhoneNumber, MAX_DIGITS};

/// How many outside calls may go out, and where they may not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Outbound {
    /// Outside calls one employee may have at once (0: employees cannot dial out).
    pub max_concurrent_per_employee: u8,
    /// Outside calls the whole office may have at once (0: no outside calls at all).
    pub max_concurrent: u8,
    /// Outside calls one employee may start in any 60 minutes (0: employees cannot dial out).
    pub max_per_hour_per_employee: u16,
    /// Outside calls the whole office may start in any 60 minutes (0: no outside calls).
    pub max_per_hour: u16,
    /// Numbers starting with one of these are never dialled (premium rate, for example).
    pub blocked_prefixes: List<NumberPrefix, MAX_BLOCKED_PREFIXES>,
}

impl Default for Outbound {
    /// A small office's limits: 2 calls at once per employee and 4 for the office, 20 calls
    /// an hour per employee and 60 for the office; no prefix blocked.
    fn default() -> Self {
        Outbound {
            max_concurrent_per_employee: 2,
            max_concurrent: 4,
            max_per_hour_per_employee: 20,
            max_per_hour: 60,
            blocked_prefixes: List::new(),
        }
    }
}

impl Outbound {
    /// Whether any outside call at all may go out.
    pub fn allows_outside_calls(&self) -> bool {
        self.max_concurrent > 0 && self.max_per_hour > 0
    }

    /// Whether employees may dial outside numbers themselves.
    pub fn allows_employee_calls(&self) -> bool {
        self.allows_outside_calls()
            && self.max_concurrent_per_employee > 0
            && self.max_per_hour_per_employee > 0
    }

    /// The first blocked prefix `number` starts with.
    pub fn blocked_prefix(&self, number: &PhoneNumber) -> Option<&NumberPrefix> {
        self.blocked_prefixes.iter().find(|p| p.matches(number))
    }
}

/// The beginning of international numbers, e.g. `+4870` (Polish premium rate): 1 to 15
/// digits that some number can start with. Written with a leading `+`; spaces, dashes, dots,
/// slashes and brackets are ignored as in phone numbers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NumberPrefix(heapless::String<MAX_DIGITS>);

impl NumberPrefix {
    /// Parses `+4870`, `+48 70` and the like.
    pub fn parse(input: &str) -> Result<Self, NumberError> {
        let mut digits = heapless::String::<MAX_DIGITS>::new();
        let mut count = 0;
        let mut plus = false;
        for (index, ch) in input.trim().chars().enumerate() {
            let position = index + 1;
            match ch {
                ' ' | '\t' | '(' | ')' | '-' | '.' | '/' => {}
                '+' if count == 0 && !plus => plus = true,
                '+' => return Err(NumberError::MisplacedPlus { position }),
                '0'..='9' => {
                    count += 1;
                    let _ = digits.push(ch);
                }
                _ => return Err(NumberError::InvalidCharacter { ch, position }),
            }
        }
        Self::check(digits, count, plus)
    }

    fn check(
        digits: heapless::String<MAX_DIGITS>,
        count: usize,
        plus: bool,
    ) -> Result<Self, NumberError> {
        if count == 0 {
            return Err(NumberError::Empty);
        }
        if !plus {
            return Err(NumberError::NotInternational);
        }
        if count > MAX_DIGITS {
            let max = MAX_DIGITS;
            return Err(NumberError::TooLong { digits: count, max });
        }
        if !can_start_a_number(&digits) {
            let prefix = digits.chars().take(3).collect();
            return Err(NumberError::UnknownCountryCode { prefix });
        }
        Ok(Self(digits))
    }

    /// The digits, without `+`.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// Whether `number` starts with this prefix.
    pub fn matches(&self, number: &PhoneNumber) -> bool {
        number.digits().starts_with(self.digits())
    }
}

impl fmt::Display for NumberPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}

impl FromStr for NumberPrefix {
    type Err = NumberError;

    fn from_str(s: &str) -> Result<Self, NumberError> {
        Self::parse(s)
    }
}

/// Serializes as the string `+` followed by the digits.
impl Serialize for NumberPrefix {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Deserializes from a string such as `"+4870"`, validating it.
impl<'de> Deserialize<'de> for NumberPrefix {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(PrefixVisitor(PhantomData))
    }
}

struct PrefixVisitor(PhantomData<NumberPrefix>);

impl Visitor<'_> for PrefixVisitor {
    type Value = NumberPrefix;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number prefix as a string, + and digits (e.g. \"+4870\")")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<NumberPrefix, E> {
        value.parse().map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(s: &str) -> PhoneNumber {
        PhoneNumber::parse_international(s).expect("valid number")
    }

    #[test]
    fn prefixes_parse_in_international_form() {
        for (input, digits) in [
            ("+4870", "4870"),
            ("+48 70", "4870"),
            ("+(48) 700-1", "487001"),
            ("+4", "4"),
            ("+29", "29"),
            ("+1900", "1900"),
        ] {
            let p = NumberPrefix::parse(input).expect(input);
            assert_eq!(p.digits(), digits, "{input}");
            assert_eq!(p.to_string(), format!("+{digits}"));
            assert_eq!(p.to_string().parse::<NumberPrefix>(), Ok(p));
        }
    }

    #[test]
    fn bad_prefixes_are_refused_with_a_reason() {
        use NumberError as E;
        let cases: [(&str, NumberError); 8] = [
            ("", E::Empty),
            ("+", E::Empty),
            ("4870", E::NotInternational),
            (
                "+48a",
                E::InvalidCharacter {
                    ch: 'a',
                    position: 4,
                },
            ),
            ("+48+70", E::MisplacedPlus { position: 4 }),
            ("++48", E::MisplacedPlus { position: 2 }),
            (
                "+0048",
                E::UnknownCountryCode {
                    prefix: "004".try_into().unwrap(),
                },
            ),
            (
                "+1234567890123456",
                E::TooLong {
                    digits: 16,
                    max: 15,
                },
            ),
        ];
        for (input, want) in cases {
            assert_eq!(NumberPrefix::parse(input), Err(want), "{input:?}");
        }
        // 28 is no country code and begins none.
        assert!(matches!(
            NumberPrefix::parse("+28"),
            Err(E::UnknownCountryCode { .. })
        ));
    }

    #[test]
    fn a_prefix_matches_the_numbers_it_begins() {
        let p = NumberPrefix::parse("+4870").unwrap();
        assert!(p.matches(&number("+48 701 234 567")));
        assert!(!p.matches(&number("+48 22 123 45 67")));
        assert!(!p.matches(&number("+49 70 1234567")));
        let zone = NumberPrefix::parse("+4").unwrap();
        assert!(zone.matches(&number("+49 30 1234567")));
    }

    #[test]
    fn outbound_finds_the_blocking_prefix_and_says_what_0_means() {
        let mut o = Outbound::default();
        assert!(o.allows_outside_calls() && o.allows_employee_calls());
        o.blocked_prefixes.push("+4870".parse().unwrap()).unwrap();
        o.blocked_prefixes.push("+44".parse().unwrap()).unwrap();
        let hit = o.blocked_prefix(&number("+44 20 7946 0000"));
        assert_eq!(hit.map(NumberPrefix::digits), Some("44"));
        assert_eq!(o.blocked_prefix(&number("+48 22 123 45 67")), None);
        o.max_per_hour_per_employee = 0;
        assert!(o.allows_outside_calls() && !o.allows_employee_calls());
        o.max_concurrent = 0;
        assert!(!o.allows_outside_calls() && !o.allows_employee_calls());
    }

    #[test]
    fn serde_round_trips_and_a_missing_section_gets_the_defaults() {
        let mut o = Outbound::default();
        o.blocked_prefixes.push("+4870".parse().unwrap()).unwrap();
        let bytes = postcard::to_allocvec(&o).unwrap();
        assert_eq!(postcard::from_bytes::<Outbound>(&bytes).unwrap(), o);
        let toml = toml::to_string(&o).unwrap();
        assert!(toml.contains("\"+4870\""), "{toml}");
        assert_eq!(toml::from_str::<Outbound>(&toml).unwrap(), o);
        let partial: Outbound = toml::from_str("max_concurrent = 9").unwrap();
        assert_eq!(partial.max_concurrent, 9);
        assert_eq!(partial.max_per_hour, Outbound::default().max_per_hour);
        let bad = toml::from_str::<Outbound>("blocked_prefixes = [\"4870\"]").unwrap_err();
        assert!(bad.to_string().contains("international form"), "{bad}");
    }
}
