//! Who called on an analog line, as the router takes it: the caller-ID number normalised to
//! E.164 with the line's country (exchanges send national numbers), or withheld.

use firmware_config::number::{CountryCode, PhoneNumber};
use firmware_config::system::ToneCountry;

use super::fxo::LineCaller;
use crate::routing::Caller;

/// The country calling code of a line's country.
pub fn country_code(country: ToneCountry) -> Option<CountryCode> {
    let code = match country {
        ToneCountry::PL => 48,
        ToneCountry::DE => 49,
        ToneCountry::GB => 44,
        ToneCountry::US => 1,
    };
    CountryCode::new(code).ok()
}

/// The caller as the router takes it: the number in E.164, or withheld when the network
/// withheld it, sent none, or sent something that is not a phone number (logged).
pub fn caller_of(id: &LineCaller, country: ToneCountry) -> Caller {
    if id.withheld {
        return Caller::Withheld;
    }
    let Some(raw) = id.number.as_deref().filter(|n| !n.trim().is_empty()) else {
        return Caller::Withheld;
    };
    match PhoneNumber::parse(raw, country_code(country)) {
        Ok(number) => Caller::Number(number),
        Err(e) => {
            tracing::info!(number = %raw, error = %e, "caller ID is not a phone number; taken as withheld");
            Caller::Withheld
        }
    }
}

/// The digits to dial on a line of `country` for `number` as the PBX names it: an E.164
/// number (`+…`) of the line's own country in national form (with the trunk prefix `0` in
/// DE and GB, `1` in the US), another country's with the international prefix (`00`, or
/// `011` in the US); anything else as written. Only digits, `*` and `#` are kept.
pub fn dial_string(number: &str, country: ToneCountry) -> String {
    let keep = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_digit() || matches!(c, '*' | '#'))
            .collect()
    };
    let Some(international) = number.strip_prefix('+') else {
        return keep(number);
    };
    let digits = keep(international);
    let own = country_code(country)
        .map(|c| c.to_string())
        .unwrap_or_default();
    match digits.strip_prefix(own.as_str()) {
        Some(national) if !own.is_empty() => match country {
            ToneCountry::PL => national.to_owned(),
            ToneCountry::DE | ToneCountry::GB => format!("0{national}"),
            ToneCountry::US => format!("1{national}"),
        },
        _ => match country {
            ToneCountry::US => format!("011{digits}"),
            _ => format!("00{digits}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_dialled_as_the_lines_country_writes_them() {
        assert_eq!(dial_string("+48221234567", ToneCountry::PL), "221234567");
        assert_eq!(dial_string("+49301234567", ToneCountry::DE), "0301234567");
        assert_eq!(dial_string("+441632960123", ToneCountry::GB), "01632960123");
        assert_eq!(dial_string("+12025550123", ToneCountry::US), "12025550123");
        assert_eq!(
            dial_string("+49301234567", ToneCountry::PL),
            "0049301234567"
        );
        assert_eq!(
            dial_string("+48221234567", ToneCountry::US),
            "01148221234567"
        );
        assert_eq!(dial_string("112", ToneCountry::PL), "112");
        assert_eq!(dial_string("*31#12", ToneCountry::DE), "*31#12");
    }

    fn from(number: &str, country: ToneCountry) -> String {
        let id = LineCaller {
            number: Some(number.into()),
            name: None,
            withheld: false,
        };
        caller_of(&id, country).to_string()
    }

    #[test]
    fn national_numbers_take_the_lines_country() {
        assert_eq!(from("221234567", ToneCountry::PL), "+48221234567");
        assert_eq!(from("0301234567", ToneCountry::DE), "+49301234567");
        assert_eq!(from("01632960123", ToneCountry::GB), "+441632960123");
        assert_eq!(from("2025550123", ToneCountry::US), "+12025550123");
        assert_eq!(from("+48601234567", ToneCountry::DE), "+48601234567");
        assert_eq!(from("0048601234567", ToneCountry::US), "+48601234567");
    }

    #[test]
    fn withheld_missing_or_unreadable_numbers_are_withheld() {
        let withheld = LineCaller {
            number: Some("221234567".into()),
            name: None,
            withheld: true,
        };
        assert_eq!(caller_of(&withheld, ToneCountry::PL), Caller::Withheld);
        assert_eq!(
            caller_of(&LineCaller::default(), ToneCountry::PL),
            Caller::Withheld
        );
        assert_eq!(from("12", ToneCountry::PL), "anonymous");
        assert_eq!(from("P", ToneCountry::PL), "anonymous");
    }
}
