//! Phone numbers, country calling codes and internal extensions.
//!
//! Every number an administrator types or a line delivers is stored in international (E.164)
//! form: digits only, country code first, no `+`. Spaces, tabs, brackets, dashes, dots and
//! slashes are ignored while parsing, so `+48 (22) 123-45-67` becomes `48221234567`. A `+` is
//! accepted only before the first digit; brackets do not count, so `(+48) 22 123 45 67` is valid.
//! A national number is completed with the device's default country code, which the TOML
//! importer passes to the deserializer through [`with_default_country`].

use core::cell::Cell;
use core::fmt::{self, Write as _};
use core::marker::PhantomData;
use core::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Most digits an E.164 number may have, country code included.
pub(crate) const MAX_DIGITS: usize = 15;
/// Fewest digits accepted, country code included.
const MIN_DIGITS: usize = 7;
/// Fewest digits accepted after the country code.
const MIN_NATIONAL_DIGITS: usize = 4;
/// Allowed lengths of an internal extension.
const EXTENSION_LEN: core::ops::RangeInclusive<usize> = 2..=6;

/// Assigned ITU-T E.164 country calling codes, as inclusive ranges, one line per
/// world zone (1 and 7 share the first).
/// Includes the shared and global-service codes (388, 800, 808, 870, 878, 881-883, 888, 979,
/// 991). The set is prefix-free: no code is the beginning of another.
#[rustfmt::skip]
const ASSIGNED: &[(u16, u16)] = &[
    (1, 1), (7, 7),
    (20, 20), (27, 27), (211, 213), (216, 216), (218, 218), (220, 258), (260, 269), (290, 291),
    (297, 299),
    (30, 34), (36, 36), (39, 39), (350, 359), (370, 383), (385, 389),
    (40, 41), (43, 49), (420, 421), (423, 423),
    (51, 58), (500, 509), (590, 599),
    (60, 66), (670, 670), (672, 683), (685, 692),
    (81, 82), (84, 84), (86, 86), (800, 800), (808, 808), (850, 850), (852, 853), (855, 856),
    (870, 870), (878, 878), (880, 883), (886, 886), (888, 888),
    (90, 95), (98, 98), (960, 968), (970, 977), (979, 979), (991, 996), (998, 998),
];

fn is_assigned(code: u16) -> bool {
    ASSIGNED.iter().any(|&(lo, hi)| (lo..=hi).contains(&code))
}

/// Whether some E.164 number can start with these digits: they begin with an assigned country
/// code, or are themselves the beginning of one (`4` of zone 4, `29` of 290/291/297-299).
pub(crate) fn can_start_a_number(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    split_country(digits).is_some()
        || ASSIGNED
            .iter()
            .flat_map(|&(lo, hi)| lo..=hi)
            .any(|code| code.to_string().starts_with(digits))
}

/// Why a phone number, country code or extension was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// The input contains no digits.
    #[error("the number is empty")]
    Empty,
    /// A character that cannot appear in a phone number.
    #[error("'{ch}' at position {position} is not allowed in a phone number")]
    InvalidCharacter {
        /// The offending character.
        ch: char,
        /// Its 1-based position in the input, counted in characters.
        position: usize,
    },
    /// A `+` after the first digit.
    #[error("a + may only stand at the start of the number, not at position {position}")]
    MisplacedPlus {
        /// 1-based position of the `+` in the input, counted in characters.
        position: usize,
    },
    /// A national number, but no default country code is known.
    #[error(
        "this is a national number and no default country code is set; \
         set the device's country code or enter the number with + and the country code"
    )]
    NationalWithoutCountry,
    /// A national number where only international form is accepted.
    #[error("the number must be in international form: start with + and the country code")]
    NotInternational,
    /// The leading digits match no assigned country code.
    #[error("the number does not start with an assigned country code (it starts with +{prefix})")]
    UnknownCountryCode {
        /// The first (up to three) digits of the number.
        prefix: heapless::String<3>,
    },
    /// Fewer digits than any valid number has.
    #[error("the number has {digits} digits with the country code; at least {min} are needed")]
    TooShort {
        /// Digits found, country code included.
        digits: usize,
        /// Fewest digits allowed.
        min: usize,
    },
    /// More digits than E.164 allows.
    #[error("the number has {digits} digits with the country code; at most {max} are allowed")]
    TooLong {
        /// Digits found, country code included.
        digits: usize,
        /// Most digits allowed.
        max: usize,
    },
    /// The country's numbering plan requires another length.
    #[error("{} number has {expected} digits after +{country}, this one has {got}", country_phrase(.country))]
    WrongLengthForCountry {
        /// The country calling code.
        country: u16,
        /// The length the plan requires, in words or digits.
        expected: &'static str,
        /// Digits found after the country code.
        got: usize,
    },
    /// A North American area code starting with 0 or 1.
    #[error("a North American area code cannot start with 0 or 1, but this one is {area:03}")]
    BadNanpArea {
        /// The three-digit area code.
        area: u16,
    },
    /// An extension containing something other than digits.
    #[error("an extension may contain only digits, but this one contains '{ch}'")]
    ExtensionNotDigits {
        /// The offending character.
        ch: char,
    },
    /// An extension that is too short or too long.
    #[error("an extension has 2 to 6 digits, this one has {len}")]
    ExtensionLength {
        /// Digits found.
        len: usize,
    },
    /// A country calling code that ITU-T has not assigned.
    #[error("{0} is not an assigned country calling code")]
    UnassignedCountryCode(u16),
}

fn country_phrase(country: &u16) -> &'static str {
    match country {
        1 => "a North American",
        48 => "a Polish",
        _ => "a",
    }
}

/// An assigned ITU-T E.164 country calling code, such as 48 for Poland.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct CountryCode(u16);

impl CountryCode {
    /// Accepts `code` if it is an assigned country calling code.
    pub fn new(code: u16) -> Result<Self, NumberError> {
        if is_assigned(code) {
            Ok(Self(code))
        } else {
            Err(NumberError::UnassignedCountryCode(code))
        }
    }

    /// The code as a number.
    pub const fn get(self) -> u16 {
        self.0
    }
}

impl TryFrom<u16> for CountryCode {
    type Error = NumberError;

    fn try_from(code: u16) -> Result<Self, NumberError> {
        Self::new(code)
    }
}

impl From<CountryCode> for u16 {
    fn from(code: CountryCode) -> u16 {
        code.0
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Splits a digit string into its country code and the national significant number.
fn split_country(digits: &str) -> Option<(CountryCode, &str)> {
    if digits.starts_with('0') {
        return None;
    }
    (1..=3).find_map(|len| {
        let code = CountryCode::new(digits.get(..len)?.parse().ok()?).ok()?;
        Some((code, digits.get(len..)?))
    })
}

thread_local! {
    static DEFAULT_COUNTRY: Cell<Option<CountryCode>> = const { Cell::new(None) };
}

/// Runs `f` with `cc` as this thread's default country, restoring the previous one afterwards
/// (also when `f` panics). Deserializing a [`PhoneNumber`] completes national numbers with it.
pub fn with_default_country<R>(cc: Option<CountryCode>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<CountryCode>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = DEFAULT_COUNTRY.try_with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(DEFAULT_COUNTRY.with(|c| c.replace(cc)));
    f()
}

/// This thread's default country, as set by [`with_default_country`].
pub fn current_default_country() -> Option<CountryCode> {
    DEFAULT_COUNTRY.with(Cell::get)
}

/// A phone number in E.164 form: 7 to 15 digits, an assigned country code first, no `+`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhoneNumber(heapless::String<MAX_DIGITS>);

impl PhoneNumber {
    /// Parses a number in international (`+48…`, `0048…`) or national form; a national
    /// number is completed with `default_country`.
    pub fn parse(input: &str, default_country: Option<CountryCode>) -> Result<Self, NumberError> {
        parse_number(input, default_country, true)
    }

    /// Parses a number that must be in international form (`+48…` or `0048…`).
    pub fn parse_international(input: &str) -> Result<Self, NumberError> {
        parse_number(input, None, false)
    }

    /// All digits, country code first, e.g. `48221234567`.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// The country calling code, e.g. 48.
    pub fn country_code(&self) -> CountryCode {
        self.parts().0
    }

    /// The national significant number (the digits after the country code).
    pub fn national(&self) -> &str {
        self.parts().1
    }

    fn parts(&self) -> (CountryCode, &str) {
        split_country(&self.0)
            .unwrap_or_else(|| unreachable!("a PhoneNumber always starts with a country code"))
    }
}

/// Checks every character of `input`; returns whether it starts with `+`.
fn scan(input: &str) -> Result<bool, NumberError> {
    let mut plus = false;
    let mut started = false;
    for (index, ch) in input.chars().enumerate() {
        let position = index + 1;
        match ch {
            ' ' | '\t' | '(' | ')' | '-' | '.' | '/' => {}
            '0'..='9' => started = true,
            '+' if !started => (plus, started) = (true, true),
            '+' => return Err(NumberError::MisplacedPlus { position }),
            _ => return Err(NumberError::InvalidCharacter { ch, position }),
        }
    }
    Ok(plus)
}

fn parse_number(
    input: &str,
    default: Option<CountryCode>,
    allow_national: bool,
) -> Result<PhoneNumber, NumberError> {
    let plus = scan(input)?;
    let digits = input.bytes().filter(u8::is_ascii_digit);
    if digits.clone().next().is_none() {
        return Err(NumberError::Empty);
    }
    if plus {
        return validate(digits);
    }
    let mut rest = digits.clone();
    if rest.next() == Some(b'0') && rest.next() == Some(b'0') {
        return validate(rest);
    }
    if !allow_national {
        return Err(NumberError::NotInternational);
    }
    let country = default.ok_or(NumberError::NationalWithoutCountry)?;
    let mut code = heapless::String::<3>::new();
    let _ = write!(code, "{country}"); // at most three digits, always fits
    validate(code.bytes().chain(strip_national_prefix(country, digits)))
}

/// Drops a trunk `0` and, in North America, a leading `1` before ten digits.
fn strip_national_prefix<I: Iterator<Item = u8> + Clone>(country: CountryCode, mut digits: I) -> I {
    let mut probe = digits.clone();
    if probe.next() == Some(b'0') {
        digits = probe;
    }
    let mut probe = digits.clone();
    if country.get() == 1 && probe.next() == Some(b'1') && digits.clone().count() == 11 {
        digits = probe;
    }
    digits
}

/// Keeps up to [`MAX_DIGITS`] digits and counts all of them; an overflow becomes `TooLong`.
fn collect(digits: impl Iterator<Item = u8>) -> (heapless::String<MAX_DIGITS>, usize) {
    let mut text = heapless::String::new();
    let mut count = 0;
    for digit in digits {
        let _ = text.push(char::from(digit));
        count += 1;
    }
    (text, count)
}

/// Checks collected digits against the E.164 rules and the country's numbering plan.
fn validate(digits: impl Iterator<Item = u8>) -> Result<PhoneNumber, NumberError> {
    let (text, count) = collect(digits);
    let too_short = NumberError::TooShort {
        digits: count,
        min: MIN_DIGITS,
    };
    if count == 0 {
        return Err(too_short);
    }
    let Some((country, national)) = split_country(&text) else {
        let prefix = text.chars().take(3).collect();
        return Err(NumberError::UnknownCountryCode { prefix });
    };
    let national_len = count - (text.len() - national.len());
    check_country_plan(country, national, national_len)?;
    if count > MAX_DIGITS {
        return Err(NumberError::TooLong {
            digits: count,
            max: MAX_DIGITS,
        });
    }
    if count < MIN_DIGITS || national_len < MIN_NATIONAL_DIGITS {
        return Err(too_short);
    }
    Ok(PhoneNumber(text))
}

/// Country-specific rules: Poland has 9 national digits, North America 10 with an area code
/// starting 2-9. Other countries get only the generic bounds.
fn check_country_plan(country: CountryCode, national: &str, len: usize) -> Result<(), NumberError> {
    let (country, got) = (country.get(), len);
    let wrong = |expected| NumberError::WrongLengthForCountry {
        country,
        expected,
        got,
    };
    match country {
        48 if len != 9 => Err(wrong("9")),
        1 if len != 10 => Err(wrong("10")),
        1 if !national.starts_with(|c: char| ('2'..='9').contains(&c)) => {
            let area = national
                .bytes()
                .take(3)
                .fold(0, |a, d| a * 10 + u16::from(d - b'0'));
            Err(NumberError::BadNanpArea { area })
        }
        _ => Ok(()),
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}

/// Parses with this thread's default country (see [`with_default_country`]).
impl FromStr for PhoneNumber {
    type Err = NumberError;

    fn from_str(s: &str) -> Result<Self, NumberError> {
        Self::parse(s, current_default_country())
    }
}

/// Serializes as the string `+` followed by the digits, in every format.
impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Deserializes from a string, completing national numbers with [`current_default_country`].
impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ParseVisitor("a phone number as a string", PhantomData))
    }
}

/// An internal extension number: 2 to 6 ASCII digits, leading zeros allowed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Extension(heapless::String<6>);

impl Extension {
    /// Parses an extension, ignoring surrounding whitespace.
    pub fn parse(input: &str) -> Result<Self, NumberError> {
        let text = input.trim();
        if let Some(ch) = text.chars().find(|c| !c.is_ascii_digit()) {
            return Err(NumberError::ExtensionNotDigits { ch });
        }
        let len = text.len();
        if !EXTENSION_LEN.contains(&len) {
            return Err(NumberError::ExtensionLength { len });
        }
        let fits = text.try_into().map(Self);
        fits.map_err(|_| NumberError::ExtensionLength { len })
    }

    /// The digits of the extension.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Extension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Extension {
    type Err = NumberError;

    fn from_str(s: &str) -> Result<Self, NumberError> {
        Self::parse(s)
    }
}

/// Serializes as a string of digits.
impl Serialize for Extension {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Deserializes from a string, validating it.
impl<'de> Deserialize<'de> for Extension {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let visitor = ParseVisitor("an extension of 2 to 6 digits as a string", PhantomData);
        deserializer.deserialize_str(visitor)
    }
}

/// Accepts any string (borrowed or owned) and parses it with `T::from_str`; the `&str` says
/// what was expected.
struct ParseVisitor<T>(&'static str, PhantomData<T>);

impl<T: FromStr<Err = NumberError>> Visitor<'_> for ParseVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
        value.parse().map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use NumberError as E;

    fn cc(code: u16) -> CountryCode {
        CountryCode::new(code).unwrap()
    }

    #[test]
    fn parses_valid_numbers() {
        let cases = [
            ("22 123 45 67", Some(48), "48221234567"),
            ("+48 (22) 123-45-67", None, "48221234567"),
            ("0048221234567", None, "48221234567"),
            ("(+48) 22.123.45.67", None, "48221234567"),
            ("\t+48/22/1234567 ", None, "48221234567"),
            ("600 100 200", Some(48), "48600100200"),
            ("022 123 45 67", Some(48), "48221234567"),
            ("+48 22 123 45 67", Some(1), "48221234567"),
            ("(212) 555-0123", Some(1), "12125550123"),
            ("1 212 555 0123", Some(1), "12125550123"),
            ("+1 212 555 0123", None, "12125550123"),
            ("+44 20 7946 0958", None, "442079460958"),
            ("020 7946 0958", Some(44), "442079460958"),
            ("+49 30 123456", None, "4930123456"),
            ("+998 71 123 45 67", None, "998711234567"),
            ("+882 1234 5678", None, "88212345678"),
        ];
        for (input, default, want) in cases {
            let got = PhoneNumber::parse(input, default.map(cc));
            assert_eq!(got.as_ref().map(PhoneNumber::digits), Ok(want), "{input:?}");
        }
    }

    #[test]
    fn refuses_invalid_numbers() {
        let pl = |got| E::WrongLengthForCountry {
            country: 48,
            expected: "9",
            got,
        };
        let bad_char = |ch, position| E::InvalidCharacter { ch, position };
        let unknown = |p: &str| E::UnknownCountryCode {
            prefix: p.try_into().unwrap(),
        };
        #[rustfmt::skip]
        let cases = [
            ("22 123 45 6", Some(48), pl(8)),
            ("+48 22 123 45 678", None, pl(10)),
            ("abc", Some(48), bad_char('a', 1)),
            ("+48 22 123 45 6x", None, bad_char('x', 16)),
            ("*100#", Some(48), bad_char('*', 1)),
            ("+立", None, bad_char('立', 2)),
            ("", Some(48), E::Empty),
            ("   ", Some(48), E::Empty),
            ("+", None, E::Empty),
            ("00", None, E::TooShort { digits: 0, min: 7 }),
            ("++48221234567", None, E::MisplacedPlus { position: 2 }),
            ("48+221234567", None, E::MisplacedPlus { position: 3 }),
            ("+999 123 456 789", None, unknown("999")),
            ("+0 123 456 789", None, unknown("012")),
            ("+1 112 555 0123", None, E::BadNanpArea { area: 112 }),
            ("+1 012 555 0123", None, E::BadNanpArea { area: 12 }),
            ("555 0123", Some(1), E::WrongLengthForCountry { country: 1, expected: "10", got: 7 }),
            ("22 123 45 67", None, E::NationalWithoutCountry),
            ("+44 1234 5678 9012 34", None, E::TooLong { digits: 16, max: 15 }),
            ("+49 1234 5678 9012 3456 7890", None, E::TooLong { digits: 22, max: 15 }),
            ("+44 123", None, E::TooShort { digits: 5, min: 7 }),
        ];
        for (input, default, want) in cases {
            let got = PhoneNumber::parse(input, default.map(cc));
            assert_eq!(got, Err(want), "{input:?}");
        }
    }

    fn message(input: &str, default: Option<u16>) -> String {
        PhoneNumber::parse(input, default.map(cc))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn error_messages_say_what_is_wrong() {
        let polish = "a Polish number has 9 digits after +48, this one has 8";
        assert_eq!(message("22 123 45 6", Some(48)), polish);
        let letter = message("+48 22 123 45 6x", None);
        assert_eq!(
            letter,
            "'x' at position 16 is not allowed in a phone number"
        );
        assert!(message("+1 012 555 0123", None).ends_with("this one is 012"));
        assert!(message("22 123 45 67", None).contains("default country code"));
        assert_eq!(message(" ", None), "the number is empty");
        let international = PhoneNumber::parse_international("22 123 45 67").unwrap_err();
        assert!(international
            .to_string()
            .contains("start with + and the country code"));
    }

    #[test]
    fn international_form_accessors_and_display() {
        let cases = [
            ("+48 22 123 45 67", 48, "221234567"),
            ("00 48 22 123 45 67", 48, "221234567"),
            ("+1 212 555 0123", 1, "2125550123"),
            ("+7 495 123 45 67", 7, "4951234567"),
            ("+998 71 123 45 67", 998, "711234567"),
        ];
        for (input, code, national) in cases {
            let n = PhoneNumber::parse_international(input).unwrap();
            assert_eq!(
                (n.country_code().get(), n.national()),
                (code, national),
                "{input}"
            );
            assert_eq!(n.to_string(), format!("+{code}{national}"));
            assert_eq!(n.to_string().parse::<PhoneNumber>(), Ok(n));
        }
        let national = PhoneNumber::parse_international("22 123 45 67");
        assert_eq!(national, Err(E::NotInternational));
    }

    #[test]
    fn from_str_uses_thread_default_country() {
        let national = "22 123 45 67";
        assert_eq!(
            national.parse::<PhoneNumber>(),
            Err(E::NationalWithoutCountry)
        );
        let n = with_default_country(Some(cc(48)), || national.parse::<PhoneNumber>());
        assert_eq!(n.unwrap().digits(), "48221234567");
    }

    #[test]
    fn nested_default_country_is_restored() {
        assert_eq!(current_default_country(), None);
        with_default_country(Some(cc(48)), || {
            assert_eq!(current_default_country(), Some(cc(48)));
            with_default_country(Some(cc(1)), || {
                assert_eq!(current_default_country(), Some(cc(1)))
            });
            assert_eq!(current_default_country(), Some(cc(48)));
            with_default_country(None, || assert_eq!(current_default_country(), None));
            assert_eq!(current_default_country(), Some(cc(48)));
        });
        assert_eq!(current_default_country(), None);
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Entry {
        phone: PhoneNumber,
        ext: Extension,
        country: CountryCode,
    }

    fn entry() -> Entry {
        Entry {
            phone: PhoneNumber::parse("+48 22 123 45 67", None).unwrap(),
            ext: Extension::parse("0101").unwrap(),
            country: cc(48),
        }
    }

    #[test]
    fn serde_round_trips_through_postcard_and_toml() {
        let bytes = postcard::to_allocvec(&entry()).unwrap();
        assert_eq!(postcard::from_bytes::<Entry>(&bytes).unwrap(), entry());
        let as_str = postcard::to_allocvec("+48221234567").unwrap();
        assert_eq!(postcard::to_allocvec(&entry().phone).unwrap(), as_str);
        let text = toml::to_string(&entry()).unwrap();
        let want = "phone = \"+48221234567\"\next = \"0101\"\ncountry = 48\n";
        assert_eq!(text, want);
        assert_eq!(toml::from_str::<Entry>(&text).unwrap(), entry());
    }

    #[test]
    fn toml_national_number_needs_default_country() {
        let text = "phone = \"22 123 45 67\"\next = \"0101\"\ncountry = 48\n";
        let parsed = with_default_country(Some(cc(48)), || toml::from_str::<Entry>(text));
        assert_eq!(parsed.unwrap(), entry());
        let err = toml::from_str::<Entry>(text).unwrap_err().to_string();
        assert!(err.contains("country code"), "{err}");
    }

    #[test]
    fn toml_refuses_bad_values_with_reason() {
        let line = |phone: &str, ext: &str, country: &str| {
            format!("phone = \"{phone}\"\next = \"{ext}\"\ncountry = {country}\n")
        };
        let cases = [
            (line("+48 22", "10", "48"), "Polish number has 9 digits"),
            (line("+48221234567", "12a", "48"), "only digits"),
            (line("+48221234567", "10", "999"), "999 is not an assigned"),
        ];
        for (text, want) in cases {
            let err = toml::from_str::<Entry>(&text).unwrap_err().to_string();
            assert!(err.contains(want), "{err}");
        }
    }

    #[test]
    fn extensions() {
        for input in ["10", "101", "000123", " 42\t"] {
            let ext = Extension::parse(input).unwrap();
            assert_eq!(ext.as_str(), input.trim());
            assert_eq!(ext.to_string().parse::<Extension>(), Ok(ext));
        }
        #[rustfmt::skip]
        let bad = [
            ("1", E::ExtensionLength { len: 1 }),
            ("1234567", E::ExtensionLength { len: 7 }),
            ("", E::ExtensionLength { len: 0 }),
            ("12a", E::ExtensionNotDigits { ch: 'a' }),
            ("1 2", E::ExtensionNotDigits { ch: ' ' }),
            ("١٢٣", E::ExtensionNotDigits { ch: '١' }),
        ];
        for (input, want) in bad {
            assert_eq!(Extension::parse(input), Err(want), "{input:?}");
        }
    }

    #[test]
    fn country_codes() {
        let assigned = [
            1, 7, 20, 27, 30, 44, 48, 49, 383, 800, 808, 870, 881, 882, 883, 888, 979,
        ];
        for code in assigned {
            let cc = CountryCode::new(code).unwrap();
            assert_eq!((cc.get(), cc.to_string()), (code, code.to_string()));
        }
        for code in [0, 2, 10, 21, 28, 42, 259, 384, 422, 671, 801, 999, 1000] {
            assert_eq!(CountryCode::new(code), Err(E::UnassignedCountryCode(code)));
        }
    }

    #[test]
    fn country_table_is_disjoint_and_prefix_free() {
        for (i, &(lo, hi)) in ASSIGNED.iter().enumerate() {
            assert!(lo <= hi, "{lo}..={hi}");
            let overlaps = ASSIGNED[i + 1..].iter().any(|&(l, h)| l <= hi && lo <= h);
            assert!(!overlaps, "{lo}..={hi} overlaps another range");
        }
        for code in (1..=999u16).filter(|&c| is_assigned(c)) {
            let mut shorter = code / 10;
            while shorter > 0 {
                assert!(!is_assigned(shorter), "{shorter} is a prefix of {code}");
                shorter /= 10;
            }
        }
    }
}
