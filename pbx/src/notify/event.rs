//! What a notification looks like outside the router: the JSON envelope the webhook receives
//! and a one-line English text for phones and logs.

use chrono::{DateTime, Utc};
use firmware_config::number::Extension;
use serde::Serialize;

use crate::routing::crm::CrmCase;
use crate::routing::{CallId, Caller, MissedBecause, Notification, NotifyEvent};

/// The `type` of a missed-call event.
pub const MISSED_CALL: &str = "missed_call";
/// The `type` of a storage warning.
pub const STORAGE_WARNING: &str = "storage_warning";

/// The `type` of a line health-check result.
pub const LINE_HEALTH: &str = "line_health";

/// The JSON body POSTed to the webhook when a line's health check found it dead (or alive
/// again after that):
///
/// ```json
/// {"id":9,"type":"line_health","at":"2026-11-24T03:00:04Z","line":"line1","ok":false,
///  "text":"Line line1 is dead: no dial tone within 3 s"}
/// ```
pub fn line_health_envelope(
    id: u64,
    at: DateTime<Utc>,
    line: &str,
    ok: bool,
    text: &str,
) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&serde_json::json!({
        "id": id,
        "type": LINE_HEALTH,
        "at": at,
        "line": line,
        "ok": ok,
        "text": text,
    }))
}

/// The JSON body POSTed to the webhook when a store reached its warning level:
///
/// ```json
/// {"id":8,"type":"storage_warning","at":"2026-11-23T18:02:11Z","store":"voicemail",
///  "used_bytes":247463936,"limit_bytes":268435456,
///  "text":"Storage: voicemail 92 % of 256 MiB"}
/// ```
pub fn storage_envelope(
    id: u64,
    at: DateTime<Utc>,
    usage: &crate::control::protocol::StoreUsage,
    text: &str,
) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&serde_json::json!({
        "id": id,
        "type": STORAGE_WARNING,
        "at": at,
        "store": usage.store,
        "used_bytes": usage.used_bytes,
        "limit_bytes": usage.limit_bytes,
        "text": text,
    }))
}

/// The JSON body POSTed to the webhook for event `id` (the exact bytes that are signed):
///
/// ```json
/// {"id":7,"type":"missed_call","at":"2026-11-23T18:02:11Z","employees":["101"],
///  "call":3,"caller":{"kind":"number","value":"+48221234567"},"entry":"Main line",
///  "why":"schedule","crm":{"case":"lead_created","id":4},
///  "text":"Missed call from +48221234567 on entry 'Main line' (after hours); lead #4 created"}
/// ```
///
/// `id` is unique per appliance and grows with every event, across restarts; a receiver
/// deduplicates on it (delivery is at-least-once).
pub fn envelope(id: u64, notification: &Notification) -> Result<Vec<u8>, serde_json::Error> {
    let NotifyEvent::MissedCall {
        call,
        caller,
        entry,
        at,
        why,
        crm,
    } = &notification.event;
    let body = Envelope {
        id,
        kind: MISSED_CALL,
        at: *at,
        employees: &notification.employees,
        call: *call,
        caller,
        entry: entry.as_deref(),
        why: *why,
        crm: crm.as_ref(),
        text: text(notification),
    };
    serde_json::to_vec(&body)
}

/// The envelope's fields, borrowed from the notification.
#[derive(Serialize)]
struct Envelope<'a> {
    id: u64,
    #[serde(rename = "type")]
    kind: &'static str,
    at: DateTime<Utc>,
    employees: &'a [Extension],
    call: CallId,
    caller: &'a Caller,
    entry: Option<&'a str>,
    why: MissedBecause,
    crm: Option<&'a CrmCase>,
    text: String,
}

/// A one-line plain English description of a notification, e.g. `Missed call from
/// +48221234567 on entry 'Main line' (after hours); lead #4 created`.
pub fn text(notification: &Notification) -> String {
    let NotifyEvent::MissedCall {
        caller,
        entry,
        why,
        crm,
        ..
    } = &notification.event;
    let mut out = format!("Missed call from {}", caller_text(caller));
    if let Some(entry) = entry {
        out.push_str(&format!(" on entry '{entry}'"));
    }
    out.push_str(match why {
        MissedBecause::Schedule => " (after hours)",
        MissedBecause::CallerHungUp => " (caller hung up)",
        MissedBecause::NoAnswer => " (no answer)",
    });
    if let Some(what) = crm.as_ref().and_then(crm_text) {
        out.push_str("; ");
        out.push_str(&what);
    }
    out
}

fn caller_text(caller: &Caller) -> String {
    match caller {
        Caller::Number(n) => n.to_string(),
        Caller::Extension(e) => format!("extension {e}"),
        Caller::Withheld => "a withheld number".to_owned(),
    }
}

/// What the CRM did, when it did something worth telling.
fn crm_text(case: &CrmCase) -> Option<String> {
    match case {
        CrmCase::LookupDisabled | CrmCase::Withheld => None,
        CrmCase::Contact { id } => Some(format!("added to contact #{id}")),
        CrmCase::KnownLead { id } => Some(format!("added to lead #{id}")),
        CrmCase::LeadCreated { id } => Some(format!("lead #{id} created")),
        CrmCase::OfferToCreate => Some("unknown number, no record created".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn missed(
        caller: Caller,
        entry: Option<&str>,
        why: MissedBecause,
        crm: Option<CrmCase>,
    ) -> Notification {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 23, 18, 2, 11)
            .single()
            .unwrap_or_else(|| panic!("valid time"));
        Notification {
            employees: vec![ext("101"), ext("102")],
            event: NotifyEvent::MissedCall {
                call: CallId(3),
                caller,
                entry: entry.map(str::to_owned),
                at,
                why,
                crm,
            },
        }
    }

    fn ext(s: &str) -> Extension {
        s.parse().unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn number(s: &str) -> Caller {
        Caller::Number(s.parse().unwrap_or_else(|e| panic!("{e:?}")))
    }

    #[test]
    fn the_envelope_carries_id_type_time_and_the_payload() {
        let n = missed(
            number("+48221234567"),
            Some("Main line"),
            MissedBecause::Schedule,
            Some(CrmCase::LeadCreated { id: 4 }),
        );
        let bytes = envelope(7, &n).unwrap_or_else(|e| panic!("{e}"));
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
        let expected = serde_json::json!({
            "id": 7,
            "type": "missed_call",
            "at": "2026-11-23T18:02:11Z",
            "employees": ["101", "102"],
            "call": 3,
            "caller": {"kind": "number", "value": "+48221234567"},
            "entry": "Main line",
            "why": "schedule",
            "crm": {"case": "lead_created", "id": 4},
            "text": "Missed call from +48221234567 on entry 'Main line' (after hours); lead #4 created",
        });
        assert_eq!(v, expected);
    }

    #[test]
    fn the_envelope_has_nulls_for_what_is_unknown() {
        let n = missed(Caller::Withheld, None, MissedBecause::CallerHungUp, None);
        let bytes = envelope(u64::MAX, &n).unwrap_or_else(|e| panic!("{e}"));
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v["id"], serde_json::json!(u64::MAX));
        assert_eq!(v["caller"], serde_json::json!({"kind": "withheld"}));
        assert!(v["entry"].is_null() && v["crm"].is_null());
        assert_eq!(v["why"], "caller_hung_up");
    }

    #[test]
    fn the_text_names_caller_entry_reason_and_crm() {
        let cases = [
            (
                missed(
                    number("+48221234567"),
                    Some("Main line"),
                    MissedBecause::Schedule,
                    Some(CrmCase::LeadCreated { id: 4 }),
                ),
                "Missed call from +48221234567 on entry 'Main line' (after hours); lead #4 created",
            ),
            (
                missed(
                    Caller::Extension(ext("105")),
                    None,
                    MissedBecause::CallerHungUp,
                    None,
                ),
                "Missed call from extension 105 (caller hung up)",
            ),
            (
                missed(
                    Caller::Withheld,
                    Some("Sales"),
                    MissedBecause::Schedule,
                    Some(CrmCase::Withheld),
                ),
                "Missed call from a withheld number on entry 'Sales' (after hours)",
            ),
            (
                missed(
                    number("+48221234567"),
                    Some("Sales"),
                    MissedBecause::NoAnswer,
                    Some(CrmCase::Contact { id: 9 }),
                ),
                "Missed call from +48221234567 on entry 'Sales' (no answer); added to contact #9",
            ),
            (
                missed(
                    number("+48221234567"),
                    None,
                    MissedBecause::Schedule,
                    Some(CrmCase::KnownLead { id: 2 }),
                ),
                "Missed call from +48221234567 (after hours); added to lead #2",
            ),
            (
                missed(
                    number("+48221234567"),
                    None,
                    MissedBecause::Schedule,
                    Some(CrmCase::OfferToCreate),
                ),
                "Missed call from +48221234567 (after hours); unknown number, no record created",
            ),
            (
                missed(
                    number("+48221234567"),
                    None,
                    MissedBecause::Schedule,
                    Some(CrmCase::LookupDisabled),
                ),
                "Missed call from +48221234567 (after hours)",
            ),
        ];
        for (n, expected) in cases {
            assert_eq!(text(&n), expected);
        }
    }
}
