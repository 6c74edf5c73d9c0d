//! The text form: generated configurations survive export and import (and the binary form),
//! and import errors point at the line and name what is wrong.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use super::*;
use crate::bounded::{List, Table, Text};
use crate::bounds::{HOST_LEN, KEY_LEN, NAME_LEN, PATH_LEN, SECRET_LEN, URL_LEN, USERNAME_LEN};
use crate::employee::{Employee, Presence, SipDevice};
use crate::entry::{CrmOptions, Destination, EntryPoint, EntrySource, TrunkDid, UnknownCaller};
use crate::group::{Distribution, QueueGroup, Unanswered};
use crate::line::{
    AlsaControlSignalling, FxoLine, GpioPin, GpioSignalling, HealthCheck, Signalling,
};
use crate::number::{CountryCode, Extension, PhoneNumber};
use crate::outbound::{NumberPrefix, Outbound};
use crate::schedule::{AfterHours, DaysOff, Forced, Holiday, NightSwitch, Schedule, WeeklyHours};
use crate::storage::Storage;
use crate::system::{Listen, PortRange, System, ToneCountry, Transport, Webhook};
use crate::time::{Date, Instant, TimeOfDay, TimeRange, Weekday};
use crate::trunk::SipTrunk;
use crate::validate::ProblemKind;

// ---------------------------------------------------------------------------------------------
// Generated configurations
// ---------------------------------------------------------------------------------------------

/// Pieces of text that TOML has to escape or quote with care, and non-ASCII names.
const TRICKY: &[&str] = &[
    "\"",
    "\\",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "'",
    "'''",
    "\"\"\"",
    "\\n",
    "\\u0041",
    "\\\n",
    "#",
    "=",
    "[[x]]",
    "{}",
    " ",
    "  ",
    "Wiśniewska",
    "Boże Narodzenie",
    "Łódź",
    "ż",
    "€",
    "📞",
    "\u{0}",
    "\u{7f}",
    "\u{1b}",
    "\u{85}",
    "\u{2028}",
    "\u{feff}",
    "\u{a0}",
];

/// One piece of a generated text: any character, a harmless word or a tricky fragment.
fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<char>().prop_map(String::from),
        3 => "[a-zA-Z0-9 ._/-]{1,8}",
        3 => prop::sample::select(TRICKY).prop_map(String::from),
    ]
}

/// Text of any content, up to (and often exactly at) its bound in bytes.
fn text<const N: usize>() -> impl Strategy<Value = Text<N>> {
    vec(atom(), 0..=N.min(40)).prop_map(|atoms| {
        let mut s = String::new();
        for ch in atoms.concat().chars() {
            if s.len() + ch.len_utf8() > N {
                break;
            }
            s.push(ch);
        }
        Text::new(&s).expect("cut to fit")
    })
}

fn extension() -> impl Strategy<Value = Extension> {
    "[0-9]{2,6}".prop_map(|s| Extension::parse(&s).expect("2-6 digits"))
}

/// Numbers as people type them, in several countries and forms, all valid.
fn phone() -> impl Strategy<Value = PhoneNumber> {
    let pl = CountryCode::new(48).ok();
    let typed = prop_oneof![
        "[0-9]{9}".prop_map(|d| (format!("+48 {d}"), None)),
        "[1-9][0-9]{8}".prop_map(move |d| (format!("0{} {}", &d[..2], &d[2..]), pl)),
        "[2-9][0-9]{9}".prop_map(|d| {
            let s = format!("+1 ({}) {}-{}", &d[..3], &d[3..6], &d[6..]);
            (s, None)
        }),
        "[0-9]{10}".prop_map(|d| (format!("+44{d}"), None)),
        "[0-9]{5,12}".prop_map(|d| (format!("0049 {d}"), None)),
        "[0-9]{4,12}".prop_map(|d| (format!("+380.{d}"), None)),
        "[0-9]{6,14}".prop_map(|d| (format!("+7/{d}"), None)),
    ];
    typed.prop_map(|(s, cc)| {
        PhoneNumber::parse(&s, cc).unwrap_or_else(|e| panic!("{s:?} should be valid: {e}"))
    })
}

fn country_code() -> impl Strategy<Value = CountryCode> {
    (1u16..=999).prop_filter_map("unassigned", |c| CountryCode::new(c).ok())
}

/// A blocked prefix: a country code and up to four more digits, written with separators.
fn number_prefix() -> impl Strategy<Value = NumberPrefix> {
    (country_code(), "[0-9]{0,4}").prop_map(|(cc, rest)| {
        NumberPrefix::parse(&format!("+{cc} {rest}")).expect("a country code starts numbers")
    })
}

prop_compose! {
    fn outbound()(
        (max_concurrent_per_employee, max_concurrent) in any::<(u8, u8)>(),
        (max_per_hour_per_employee, max_per_hour) in any::<(u16, u16)>(),
        blocked_prefixes in list(number_prefix(), 0..=3),
    ) -> Outbound {
        Outbound {
            max_concurrent_per_employee,
            max_concurrent,
            max_per_hour_per_employee,
            max_per_hour,
            blocked_prefixes,
        }
    }
}

prop_compose! {
    /// Any storage limits, in range or not (zero and the extremes included).
    fn storage()(
        (calls_kib, audit_kib, voicemail_kib, outbox_kib) in any::<(u32, u32, u32, u32)>(),
        warn_percent in any::<u8>(),
    ) -> Storage {
        Storage { calls_kib, audit_kib, voicemail_kib, outbox_kib, warn_percent }
    }
}

fn time_of_day(end: bool) -> impl Strategy<Value = TimeOfDay> {
    let last = if end { 1440 } else { 1439 };
    prop_oneof![
        1 => Just(0u16),
        1 => Just(last),
        6 => 0u16..=last,
    ]
    .prop_map(|m| TimeOfDay::from_minutes(m).expect("at most 24:00"))
}

fn time_range() -> impl Strategy<Value = TimeRange> {
    (time_of_day(false), time_of_day(true))
        .prop_map(|(s, e)| TimeRange::new(s, e).expect("starts before 24:00"))
}

/// Any syntactically valid date, whether or not it exists (2026-02-31 included).
fn date() -> impl Strategy<Value = Date> {
    (1970u16..=9999, 1u8..=12, 1u8..=31)
        .prop_map(|(y, m, d)| Date::new(y, m, d).expect("in the general ranges"))
}

/// 1970-01-01T00:00:00Z up to 9999-12-31T23:59:59Z.
fn instant() -> impl Strategy<Value = Instant> {
    (0i64..=253_402_300_799).prop_map(Instant)
}

/// IPv4 and IPv6 socket addresses. IPv6 ones have no flow label and no scope id: serde's
/// binary encoding of a `SocketAddrV6` keeps neither (and its text form no flow label).
fn socket_addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>()).prop_map(SocketAddr::from),
        (any::<[u16; 8]>(), any::<u16>())
            .prop_map(|(s, p)| SocketAddr::from((Ipv6Addr::from(s), p))),
        any::<u16>().prop_map(|p| SocketAddr::from((Ipv6Addr::UNSPECIFIED, p))),
        any::<[u8; 4]>().prop_map(|a| SocketAddr::from((Ipv4Addr::from(a).to_ipv6_mapped(), 5060))),
    ]
}

fn list<T: Clone + core::fmt::Debug, const N: usize>(
    items: impl Strategy<Value = T>,
    len: core::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = List<T, N>> {
    vec(items, len).prop_map(|v| List::from_slice(&v).expect("within the bound"))
}

fn table<T: core::fmt::Debug, const N: usize>(
    items: impl Strategy<Value = T>,
    len: core::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = Table<T, N>> {
    vec(items, len).prop_map(|v| Table::from_vec(v).expect("within the bound"))
}

fn transport() -> impl Strategy<Value = Transport> {
    prop::sample::select(vec![Transport::Udp, Transport::Tcp])
}

fn tone_country() -> impl Strategy<Value = ToneCountry> {
    use ToneCountry::*;
    prop::sample::select(vec![PL, DE, GB, US])
}

fn weekday() -> impl Strategy<Value = Weekday> {
    prop::sample::select(Weekday::ALL.to_vec())
}

prop_compose! {
    fn listen()(transport in transport(), address in socket_addr()) -> Listen {
        Listen { transport, address }
    }
}

prop_compose! {
    fn system()(
        name in text::<NAME_LEN>(),
        default_country_code in country_code(),
        tone_country in tone_country(),
        sip_listen in list(listen(), 0..=4),
        (first, last) in any::<(u16, u16)>(),
        control_socket in text::<PATH_LEN>(),
        data_dir in text::<PATH_LEN>(),
        outbound_prefix in proptest::option::of(text::<4>()),
        voicemail_number in proptest::option::of(extension()),
        allowed_country_codes in list(country_code(), 0..=4),
    ) -> System {
        System {
            name,
            default_country_code,
            tone_country,
            sip_listen,
            rtp_ports: PortRange { first, last },
            control_socket,
            data_dir,
            outbound_prefix,
            voicemail_number,
            allowed_country_codes,
        }
    }
}

prop_compose! {
    fn webhook()(
        url in text::<URL_LEN>(),
        secret in proptest::option::of(text::<SECRET_LEN>()),
        timeout_ms in any::<u32>(),
    ) -> Webhook {
        Webhook { url, secret, timeout_ms }
    }
}

prop_compose! {
    fn device()(username in text::<USERNAME_LEN>(), password in text::<SECRET_LEN>()) -> SipDevice {
        SipDevice { username, password }
    }
}

prop_compose! {
    fn employee()(
        extension in extension(),
        name in text::<NAME_LEN>(),
        mobile in proptest::option::of(phone()),
        presence in prop::sample::select(vec![Presence::Available, Presence::OnBreak, Presence::Off]),
        devices in list(device(), 0..=4),
    ) -> Employee {
        Employee { extension, name, mobile, presence, devices }
    }
}

fn unanswered() -> impl Strategy<Value = Unanswered> {
    prop_oneof![
        Just(Unanswered::ForwardToLastMember),
        extension().prop_map(Unanswered::ForwardToEmployee),
        phone().prop_map(Unanswered::ForwardToNumber),
        text::<KEY_LEN>().prop_map(Unanswered::ForwardToGroup),
        Just(Unanswered::WaitForAgent),
    ]
}

prop_compose! {
    fn group()(
        name in text::<KEY_LEN>(),
        number in extension(),
        members in list(extension(), 0..=5),
        distribution in prop::sample::select(vec![
            Distribution::InOrder,
            Distribution::Evenly,
            Distribution::Simultaneously,
        ]),
        ring_time_secs in any::<u16>(),
        unanswered in unanswered(),
    ) -> QueueGroup {
        QueueGroup { name, number, members, distribution, ring_time_secs, unanswered }
    }
}

fn days_off() -> impl Strategy<Value = DaysOff> {
    prop_oneof![
        Just(DaysOff::OpenSevenDays),
        list(weekday(), 0..=7).prop_map(DaysOff::Days),
    ]
}

fn after_hours() -> impl Strategy<Value = AfterHours> {
    prop_oneof![
        Just(AfterHours::Voicemail),
        phone().prop_map(AfterHours::ForwardToNumber),
        Just(AfterHours::HangUp),
    ]
}

prop_compose! {
    fn night_switch()(
        state in prop::sample::select(vec![Forced::Open, Forced::Closed]),
        until in instant(),
    ) -> NightSwitch {
        NightSwitch { state, until }
    }
}

prop_compose! {
    fn hours()(days in prop::array::uniform7(list(time_range(), 0..=4))) -> WeeklyHours {
        let [mon, tue, wed, thu, fri, sat, sun] = days;
        WeeklyHours { mon, tue, wed, thu, fri, sat, sun }
    }
}

prop_compose! {
    fn holiday()(
        name in text::<NAME_LEN>(),
        start in date(),
        end in proptest::option::of(date()),
        yearly in any::<bool>(),
    ) -> Holiday {
        Holiday { name, start, end, yearly }
    }
}

prop_compose! {
    fn schedule()(
        name in text::<KEY_LEN>(),
        time_zone in text::<KEY_LEN>(),
        days_off in days_off(),
        after_hours in after_hours(),
        voicemail_greeting in proptest::option::of(text::<PATH_LEN>()),
        night_switch in proptest::option::of(night_switch()),
        hours in hours(),
        holidays in list(holiday(), 0..=3),
    ) -> Schedule {
        Schedule {
            name,
            time_zone,
            days_off,
            after_hours,
            voicemail_greeting,
            night_switch,
            hours,
            holidays,
        }
    }
}

fn entry_source() -> impl Strategy<Value = EntrySource> {
    prop_oneof![
        text::<KEY_LEN>().prop_map(EntrySource::AnalogLine),
        (text::<KEY_LEN>(), phone())
            .prop_map(|(trunk, did)| EntrySource::TrunkDid(TrunkDid { trunk, did })),
        extension().prop_map(EntrySource::Internal),
    ]
}

fn destination() -> impl Strategy<Value = Destination> {
    prop_oneof![
        extension().prop_map(Destination::Employee),
        text::<KEY_LEN>().prop_map(Destination::Group),
    ]
}

prop_compose! {
    fn entry_point()(
        name in text::<KEY_LEN>(),
        source in entry_source(),
        destination in destination(),
        schedule in proptest::option::of(text::<KEY_LEN>()),
        hold_music in proptest::option::of(text::<PATH_LEN>()),
        lookup in any::<bool>(),
        unknown_caller in prop::sample::select(vec![
            UnknownCaller::CreateLead,
            UnknownCaller::OfferToCreate,
        ]),
    ) -> EntryPoint {
        EntryPoint {
            name,
            source,
            destination,
            schedule,
            hold_music,
            crm: CrmOptions { lookup, unknown_caller },
        }
    }
}

prop_compose! {
    fn trunk()(
        name in text::<KEY_LEN>(),
        host in text::<HOST_LEN>(),
        port in any::<u16>(),
        transport in transport(),
        username in text::<USERNAME_LEN>(),
        password in text::<SECRET_LEN>(),
        register in any::<bool>(),
        register_expiry_secs in any::<u32>(),
        caller_id in proptest::option::of(phone()),
    ) -> SipTrunk {
        SipTrunk {
            name,
            host,
            port,
            transport,
            username,
            password,
            register,
            register_expiry_secs,
            caller_id,
        }
    }
}

prop_compose! {
    fn pin()(line in any::<u32>(), active_low in any::<bool>()) -> GpioPin {
        GpioPin { line, active_low }
    }
}

fn signalling() -> impl Strategy<Value = Signalling> {
    prop_oneof![
        (
            text::<PATH_LEN>(),
            pin(),
            pin(),
            proptest::option::of(pin())
        )
            .prop_map(|(chip, ring_detect, hook, loop_current)| Signalling::Gpio(
                GpioSignalling {
                    chip,
                    ring_detect,
                    hook,
                    loop_current,
                }
            )),
        (text::<PATH_LEN>(), text::<KEY_LEN>(), text::<KEY_LEN>()).prop_map(
            |(card, ring_control, hook_control)| Signalling::AlsaControl(AlsaControlSignalling {
                card,
                ring_control,
                hook_control,
            })
        ),
        text::<PATH_LEN>().prop_map(Signalling::Socket),
    ]
}

prop_compose! {
    fn line()(
        name in text::<KEY_LEN>(),
        capture_device in text::<PATH_LEN>(),
        playback_device in text::<PATH_LEN>(),
        signalling in signalling(),
        country in tone_country(),
        rings_before_answer in any::<u8>(),
        number in proptest::option::of(phone()),
        outside_calls in any::<bool>(),
        health_check in proptest::option::of((time_of_day(false), text::<KEY_LEN>())),
    ) -> FxoLine {
        FxoLine {
            name,
            capture_device,
            playback_device,
            signalling,
            country,
            rings_before_answer,
            number,
            outside_calls,
            health_check: health_check.map(|(at, time_zone)| HealthCheck { at, time_zone }),
        }
    }
}

prop_compose! {
    /// Any configuration, valid or not.
    fn config()(
        system in system(),
        webhook in proptest::option::of(webhook()),
        outbound in outbound(),
        storage in storage(),
        employees in table(employee(), 0..=3),
        groups in table(group(), 0..=3),
        schedules in table(schedule(), 0..=2),
        entry_points in table(entry_point(), 0..=3),
        trunks in table(trunk(), 0..=2),
        lines in table(line(), 0..=3),
    ) -> Config {
        Config {
            system, webhook, outbound, storage, employees, groups, schedules, entry_points,
            trunks, lines,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn generated_configurations_round_trip(c in config()) {
        let toml = export(&c).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(toml.starts_with(HEADER));
        match read(&toml) {
            Ok(back) => prop_assert_eq!(back, c.clone(), "text:\n{}", toml),
            Err(e) => return Err(TestCaseError::fail(format!("{e}\ntext:\n{toml}"))),
        }
        let bytes = postcard::to_allocvec(&c).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = postcard::from_bytes::<Config>(&bytes)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, c);
    }
}

/// The names of the enum variants and optional parts a configuration uses.
fn shapes(c: &Config) -> BTreeSet<&'static str> {
    let mut s = BTreeSet::new();
    let mut add = |name: &'static str, present: bool| {
        if present {
            s.insert(name);
        }
    };
    add("webhook", c.webhook.is_some());
    add(
        "webhook.secret",
        c.webhook.as_ref().is_some_and(|w| w.secret.is_some()),
    );
    for l in c.system.sip_listen.iter() {
        add("listen.v4", l.address.is_ipv4());
        add("listen.v6", l.address.is_ipv6());
        add("listen.tcp", l.transport == Transport::Tcp);
        add("listen.udp", l.transport == Transport::Udp);
    }
    add("outbound_prefix", c.system.outbound_prefix.is_some());
    add("voicemail_number", c.system.voicemail_number.is_some());
    add(
        "allowed_country_codes",
        !c.system.allowed_country_codes.is_empty(),
    );
    add("blocked_prefixes", !c.outbound.blocked_prefixes.is_empty());
    for e in c.employees.iter() {
        add("mobile", e.mobile.is_some());
        add("devices", !e.devices.is_empty());
        add(
            match e.presence {
                Presence::Available => "available",
                Presence::OnBreak => "on_break",
                Presence::Off => "off",
            },
            true,
        );
    }
    for g in c.groups.iter() {
        add(
            match g.distribution {
                Distribution::InOrder => "in_order",
                Distribution::Evenly => "evenly",
                Distribution::Simultaneously => "simultaneously",
            },
            true,
        );
        add(
            match g.unanswered {
                Unanswered::ForwardToLastMember => "unanswered.last_member",
                Unanswered::ForwardToEmployee(_) => "unanswered.employee",
                Unanswered::ForwardToNumber(_) => "unanswered.number",
                Unanswered::ForwardToGroup(_) => "unanswered.group",
                Unanswered::WaitForAgent => "unanswered.wait",
            },
            true,
        );
    }
    for s in c.schedules.iter() {
        add(
            match s.days_off {
                DaysOff::OpenSevenDays => "open_seven_days",
                DaysOff::Days(_) => "days_off.days",
            },
            true,
        );
        add(
            match s.after_hours {
                AfterHours::Voicemail => "after_hours.voicemail",
                AfterHours::ForwardToNumber(_) => "after_hours.number",
                AfterHours::HangUp => "after_hours.hang_up",
            },
            true,
        );
        add("voicemail_greeting", s.voicemail_greeting.is_some());
        if let Some(n) = &s.night_switch {
            add(
                match n.state {
                    Forced::Open => "forced.open",
                    Forced::Closed => "forced.closed",
                },
                true,
            );
        }
        add(
            "hours",
            Weekday::ALL.iter().any(|d| !s.hours.day(*d).is_empty()),
        );
        for h in s.holidays.iter() {
            add("holiday.end", h.end.is_some());
            add("holiday.yearly", h.yearly);
        }
    }
    for e in c.entry_points.iter() {
        add(
            match e.source {
                EntrySource::AnalogLine(_) => "source.analog_line",
                EntrySource::TrunkDid(_) => "source.trunk_did",
                EntrySource::Internal(_) => "source.internal",
            },
            true,
        );
        add(
            match e.destination {
                Destination::Employee(_) => "destination.employee",
                Destination::Group(_) => "destination.group",
            },
            true,
        );
        add(
            match e.crm.unknown_caller {
                UnknownCaller::CreateLead => "create_lead",
                UnknownCaller::OfferToCreate => "offer_to_create",
            },
            true,
        );
        add("entry.schedule", e.schedule.is_some());
        add("hold_music", e.hold_music.is_some());
    }
    for t in c.trunks.iter() {
        add("trunk.caller_id", t.caller_id.is_some());
        add("trunk.tcp", t.transport == Transport::Tcp);
    }
    for l in c.lines.iter() {
        add("line.number", l.number.is_some());
        match &l.signalling {
            Signalling::Gpio(g) => {
                add("gpio", true);
                add("gpio.loop_current", g.loop_current.is_some());
            }
            Signalling::AlsaControl(_) => add("alsa_control", true),
            Signalling::Socket(_) => add("socket", true),
        }
    }
    for t in [c.system.tone_country]
        .into_iter()
        .chain(c.lines.iter().map(|l| l.country))
    {
        add(
            match t {
                ToneCountry::PL => "PL",
                ToneCountry::DE => "DE",
                ToneCountry::GB => "GB",
                ToneCountry::US => "US",
            },
            true,
        );
    }
    s
}

/// The generator reaches every variant and optional part within as many cases as the property
/// runs, so the round trip above covers all of them.
#[test]
fn generator_covers_every_variant() {
    let mut runner = TestRunner::deterministic();
    let strategy = config();
    let mut seen = BTreeSet::new();
    for _ in 0..48 {
        let c = strategy.new_tree(&mut runner).expect("a value").current();
        seen.extend(shapes(&c));
    }
    let all = [
        "webhook",
        "webhook.secret",
        "listen.v4",
        "listen.v6",
        "listen.tcp",
        "listen.udp",
        "outbound_prefix",
        "voicemail_number",
        "allowed_country_codes",
        "blocked_prefixes",
        "mobile",
        "devices",
        "available",
        "on_break",
        "off",
        "in_order",
        "evenly",
        "simultaneously",
        "unanswered.last_member",
        "unanswered.employee",
        "unanswered.number",
        "unanswered.group",
        "unanswered.wait",
        "open_seven_days",
        "days_off.days",
        "after_hours.voicemail",
        "after_hours.number",
        "after_hours.hang_up",
        "voicemail_greeting",
        "forced.open",
        "forced.closed",
        "hours",
        "holiday.end",
        "holiday.yearly",
        "source.analog_line",
        "source.trunk_did",
        "source.internal",
        "destination.employee",
        "destination.group",
        "create_lead",
        "offer_to_create",
        "entry.schedule",
        "hold_music",
        "trunk.caller_id",
        "trunk.tcp",
        "line.number",
        "gpio",
        "gpio.loop_current",
        "alsa_control",
        "socket",
        "PL",
        "DE",
        "GB",
        "US",
    ];
    let missing: Vec<_> = all.iter().filter(|k| !seen.contains(*k)).collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
}

/// Every character a text may hold comes back unchanged, however TOML has to write it.
#[test]
fn awkward_text_round_trips() {
    let (mut c, _) = crate::default::factory_default().expect("randomness");
    let awkward = [
        "",
        "Ewa Wiśniewska",
        "\"quoted\" and 'single'",
        "back\\slash\\",
        "line one\nline two\n",
        "\nstarts with a newline",
        "ends with a backslash\\",
        "crlf\r\nand lone cr\r",
        "'''",
        "\"\"\"",
        "\"\"\"\"\"\"\"",
        "tab\there",
        "\u{0}\u{1}\u{7f}\u{1b}[0m",
        "\u{2028}\u{feff}📞",
    ];
    for (i, s) in awkward.iter().enumerate() {
        let t = Text::new(s).expect("fits");
        c.employees.as_mut_slice()[i % 3].name = t.clone();
        c.system.name = t;
        let toml = export(&c).expect("export");
        assert_eq!(read(&toml).as_ref(), Ok(&c), "{s:?} in\n{toml}");
    }
}

// ---------------------------------------------------------------------------------------------
// Import errors
// ---------------------------------------------------------------------------------------------

/// A small, valid office written by hand, so that every line is known.
const BASE: &str = r#"# a small office
[system]
name = "Biuro"
default_country_code = 48
tone_country = "PL"
sip_listen = [{ transport = "udp", address = "0.0.0.0:5060" }]
rtp_ports = { first = 10000, last = 10999 }
control_socket = "/run/centrala/control.sock"
data_dir = "/var/lib/centrala"

[[employees]]
extension = "101"
name = "Anna Nowak"
mobile = "+48 600 100 200"
devices = [{ username = "101", password = "long-enough-1" }]

[[employees]]
extension = "102"
name = "Ewa Wiśniewska"
devices = [{ username = "102", password = "long-enough-2" }]

[[groups]]
name = "office"
number = "100"
members = ["101", "102"]
distribution = "in_order"
ring_time_secs = 20
unanswered = "wait_for_agent"

[[schedules]]
name = "office-hours"
time_zone = "Europe/Warsaw"
days_off = { days = ["sat", "sun"] }
after_hours = "voicemail"
hours = { mon = ["09:00-17:00"], fri = ["09:00-15:00"] }

[[schedules.holidays]]
name = "Wigilia"
start = "2026-12-24"

[[entry_points]]
name = "reception"
source = { internal = "200" }
destination = { group = "office" }
schedule = "office-hours"
"#;

/// The 1-based line of the `nth` (0-based) occurrence of `needle`.
fn line_of(text: &str, needle: &str, nth: usize) -> usize {
    let (offset, _) = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} occurs fewer than {} times", nth + 1));
    text[..offset].matches('\n').count() + 1
}

/// `BASE` with the first occurrence of `from` replaced by `to`.
fn base_with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from:?} is not in BASE");
    BASE.replacen(from, to, 1)
}

/// Reads `text`, expecting a read error on the line of `needle` whose message starts with the
/// path of the key (when the text is TOML at all) and mentions each of `mentions`.
fn read_error_at(text: &str, needle: &str, key: Option<&str>, mentions: &[&str]) {
    let err = read(text).expect_err("the text should not read");
    assert_eq!(
        import(text).as_ref().err(),
        Some(&err),
        "import reports what read does"
    );
    let ImportError::Read { position, message } = &err else {
        panic!("expected a read error, got {err:?}");
    };
    let position = position.unwrap_or_else(|| panic!("no position for {message:?}"));
    let line = line_of(text, needle, 0);
    assert_eq!(position.line, line, "{message}");
    assert!(
        text.lines()
            .nth(line - 1)
            .is_some_and(|l| l.contains(needle)),
        "reported line {line} does not hold {needle:?}"
    );
    match key {
        Some(key) => assert!(
            message.starts_with(&format!("{key}: ")),
            "{message:?} does not name {key}"
        ),
        None => assert!(!message.contains(": "), "{message:?} names some key"),
    }
    for m in mentions {
        assert!(message.contains(m), "{message:?} does not mention {m:?}");
    }
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("line {line}, column ")),
        "{shown}"
    );
}

#[test]
fn the_hand_written_office_is_valid() {
    let c = import(BASE).expect("valid");
    assert_eq!(c.employees.len(), 2);
    assert_eq!(
        c.employees[0].mobile.as_ref().map(PhoneNumber::digits),
        Some("48600100200")
    );
    assert_eq!(import(&export(&c).expect("export")), Ok(c));
}

#[test]
fn a_wrong_type_names_the_line_the_key_and_what_was_expected() {
    let text = base_with("ring_time_secs = 20", "ring_time_secs = \"twenty\"");
    read_error_at(
        &text,
        "ring_time_secs = \"twenty\"",
        Some("groups[0].ring_time_secs"),
        &["\"twenty\"", "u16"],
    );
    let err = read(&text).expect_err("wrong type");
    let ImportError::Read {
        position: Some(p), ..
    } = err
    else {
        panic!("{err:?}")
    };
    // The column points at the value.
    assert_eq!(p.column, "ring_time_secs = ".len() + 1);
}

#[test]
fn an_unknown_key_is_named() {
    let text = base_with(
        "tone_country = \"PL\"\n",
        "tone_country = \"PL\"\ncolour = \"blue\"\n",
    );
    read_error_at(
        &text,
        "colour = \"blue\"",
        Some("system.colour"),
        &["unknown field `colour`", "`tone_country`"],
    );
}

#[test]
fn an_invalid_number_names_the_character() {
    let text = base_with("\"+48 600 100 200\"", "\"+48 22 12x 45 67\"");
    read_error_at(
        &text,
        "mobile = \"+48 22 12x 45 67\"",
        Some("employees[0].mobile"),
        &["'x'", "position 10"],
    );
}

#[test]
fn an_invalid_time_range_is_refused() {
    let text = base_with("mon = [\"09:00-17:00\"]", "mon = [\"25:00-26:00\"]");
    read_error_at(
        &text,
        "\"25:00-26:00\"",
        Some("schedules[0].hours.mon"),
        &["'25:00'", "not a time of day"],
    );
}

#[test]
fn an_unknown_enum_value_lists_the_known_ones() {
    let text = base_with("distribution = \"in_order\"", "distribution = \"randomly\"");
    read_error_at(
        &text,
        "distribution = \"randomly\"",
        Some("groups[0].distribution"),
        &[
            "unknown variant `randomly`",
            "`in_order`",
            "`evenly`",
            "`simultaneously`",
        ],
    );
}

#[test]
fn a_name_over_its_bound_is_refused() {
    // 24 two-byte letters fit in NAME_LEN (48 bytes); 25 do not.
    let fits = "ż".repeat(NAME_LEN / 2);
    let text = base_with("\"Ewa Wiśniewska\"", &format!("\"{fits}\""));
    assert_eq!(read(&text).map(|c| c.employees[1].name.len()), Ok(NAME_LEN));
    let long = "ż".repeat(NAME_LEN / 2 + 1);
    let text = base_with("\"Ewa Wiśniewska\"", &format!("\"{long}\""));
    read_error_at(
        &text,
        &long,
        Some("employees[1].name"),
        &["50 bytes", "at most 48"],
    );
}

#[test]
fn a_syntax_error_names_its_line() {
    let text = base_with("ring_time_secs = 20", "ring_time_secs = = 20");
    read_error_at(&text, "ring_time_secs = = 20", None, &["extra `=`"]);
    let text = base_with("name = \"Anna Nowak\"", "name = \"Anna Nowak");
    read_error_at(&text, "name = \"Anna Nowak", None, &[]);
    let text = base_with("[[groups]]", "[[groups]");
    read_error_at(&text, "[[groups]", None, &[]);
}

#[test]
fn national_numbers_take_the_files_own_country_code() {
    let text = base_with("\"+48 600 100 200\"", "\"22 123 45 67\"");
    let c = import(&text).expect("valid with default_country_code = 48");
    let mobile = c.employees[0].mobile.clone().expect("mobile");
    assert_eq!(mobile.digits(), "48221234567");
    // Exported in international form, it reads back the same without the country code.
    let out = export(&c).expect("export");
    assert!(out.contains("mobile = \"+48221234567\""), "{out}");
    assert_eq!(read(&out), Ok(c.clone()));

    // The country code applies wherever [system] stands in the file.
    let (system, rest) = text.split_at(text.find("[[employees]]").expect("employees"));
    let moved = format!("{rest}\n{system}");
    assert_eq!(read(&moved), Ok(c));

    // With a trunk prefix, too.
    let text = base_with("\"+48 600 100 200\"", "\"(022) 123-45-67\"");
    let c = read(&text).expect("valid");
    assert_eq!(
        c.employees[0].mobile.as_ref().map(PhoneNumber::digits),
        Some("48221234567")
    );
}

#[test]
fn national_numbers_follow_the_files_country_not_poland() {
    let text = base_with("\"+48 600 100 200\"", "\"22 123 45 67\"").replacen(
        "default_country_code = 48",
        "default_country_code = 1",
        1,
    );
    read_error_at(
        &text,
        "mobile = \"22 123 45 67\"",
        Some("employees[0].mobile"),
        &["North American", "+1", "10 digits"],
    );
    // A number valid in North America is completed with +1.
    let text = base_with("\"+48 600 100 200\"", "\"1 (212) 555-0100\"").replacen(
        "default_country_code = 48",
        "default_country_code = 1",
        1,
    );
    let c = read(&text).expect("valid");
    assert_eq!(
        c.employees[0].mobile.as_ref().map(PhoneNumber::digits),
        Some("12125550100")
    );
}

/// Imports `text`, expecting validation problems; returns them.
fn problems(text: &str) -> Vec<LocatedProblem> {
    assert!(
        read(text).is_ok(),
        "the text itself reads: {:?}",
        read(text)
    );
    match import(text) {
        Err(ImportError::Invalid(p)) => p,
        other => panic!("expected validation problems, got {other:?}"),
    }
}

/// The one problem matching `kind`, which must be located on `line`.
fn located(
    found: &[LocatedProblem],
    kind: impl Fn(&ProblemKind) -> bool,
    line: usize,
) -> &LocatedProblem {
    let matching: Vec<_> = found.iter().filter(|p| kind(&p.problem.kind)).collect();
    assert_eq!(matching.len(), 1, "{found:#?}");
    let p = matching[0];
    assert_eq!(p.position.map(|p| p.line), Some(line), "{p}");
    assert!(p.to_string().starts_with(&format!("line {line}, ")), "{p}");
    p
}

#[test]
fn a_queue_loop_points_at_the_unanswered_line() {
    let text = base_with(
        "unanswered = \"wait_for_agent\"\n",
        "unanswered = { forward_to_group = \"backup\" }\n\n\
         [[groups]]\n\
         name = \"backup\"\n\
         number = \"110\"\n\
         members = [\"102\"]\n\
         distribution = \"simultaneously\"\n\
         ring_time_secs = 30\n\
         unanswered = { forward_to_group = \"office\" }\n",
    );
    let found = problems(&text);
    let line = line_of(&text, "unanswered = { forward_to_group = \"backup\" }", 0);
    let p = located(&found, |k| matches!(k, ProblemKind::ForwardLoop(_)), line);
    assert_eq!(
        p.problem.kind,
        ProblemKind::ForwardLoop(vec!["office".into(), "backup".into(), "office".into()])
    );
    assert_eq!(p.problem.location.item, "office");
    let shown = ImportError::Invalid(found.clone()).to_string();
    assert!(shown.starts_with("1 problem(s):\n  line "), "{shown}");
}

#[test]
fn an_unknown_schedule_points_at_the_reference() {
    let text = base_with("schedule = \"office-hours\"", "schedule = \"nights\"");
    let found = problems(&text);
    let line = line_of(&text, "schedule = \"nights\"", 0);
    let p = located(
        &found,
        |k| matches!(k, ProblemKind::UnknownSchedule(_)),
        line,
    );
    assert_eq!(
        p.problem.kind,
        ProblemKind::UnknownSchedule("nights".into())
    );
    assert_eq!(p.problem.location.field, "schedule");
}

#[test]
fn an_impossible_holiday_points_at_its_start() {
    let text = base_with("start = \"2026-12-24\"", "start = \"2026-02-30\"");
    let found = problems(&text);
    let line = line_of(&text, "start = \"2026-02-30\"", 0);
    let p = located(
        &found,
        |k| matches!(k, ProblemKind::ImpossibleDate(_)),
        line,
    );
    assert_eq!(
        p.problem.kind,
        ProblemKind::ImpossibleDate("2026-02-30".into())
    );
    assert_eq!(p.problem.location.field, "holidays[0].start");
}

#[test]
fn a_duplicate_extension_points_at_the_second_employee() {
    let text = base_with("extension = \"102\"", "extension = \"101\"").replacen(
        "members = [\"101\", \"102\"]",
        "members = [\"101\"]",
        1,
    );
    let found = problems(&text);
    let line = line_of(&text, "extension = \"101\"", 1);
    let p = located(
        &found,
        |k| matches!(k, ProblemKind::DuplicateExtension { .. }),
        line,
    );
    assert_eq!(
        p.problem.kind,
        ProblemKind::DuplicateExtension {
            number: "101".into(),
            other: "employee 101".into(),
        }
    );
    assert_eq!(p.problem.location.index, Some(1));
}

#[test]
fn the_factory_default_round_trips() {
    let (config, _) = crate::default::factory_default().expect("randomness");
    let text = export(&config).expect("export");
    assert!(text.starts_with(HEADER), "{text}");
    assert!(text.starts_with(&format!("{HEADER}\n\n")), "{text}");
    assert_eq!(import(&text), Ok(config));
}

// ---------------------------------------------------------------------------------------------
// Outside-call limits
// ---------------------------------------------------------------------------------------------

const OUTBOUND: &str = "\n[outbound]\n\
    max_concurrent_per_employee = 1\n\
    max_concurrent = 3\n\
    max_per_hour_per_employee = 10\n\
    max_per_hour = 30\n\
    blocked_prefixes = [\"+48 70\", \"+1 900\"]\n";

#[test]
fn a_file_without_outbound_limits_gets_a_small_offices() {
    // BASE was written before `[outbound]` existed.
    assert!(!BASE.contains("outbound"));
    let c = import(BASE).expect("valid");
    assert_eq!(c.outbound, Outbound::default());
    let partial = import(&format!("{BASE}\n[outbound]\nmax_per_hour = 100\n")).expect("valid");
    assert_eq!(partial.outbound.max_per_hour, 100);
    assert_eq!(partial.outbound.max_concurrent, 4);
}

#[test]
fn outbound_limits_are_read_and_round_trip() {
    let c = import(&format!("{BASE}{OUTBOUND}")).expect("valid");
    let o = &c.outbound;
    assert_eq!(
        (
            o.max_concurrent_per_employee,
            o.max_concurrent,
            o.max_per_hour_per_employee,
            o.max_per_hour
        ),
        (1, 3, 10, 30)
    );
    let prefixes: Vec<String> = o.blocked_prefixes.iter().map(ToString::to_string).collect();
    assert_eq!(prefixes, ["+4870", "+1900"]);
    let text = export(&c).expect("export");
    assert!(text.contains("[outbound]"), "{text}");
    assert_eq!(import(&text), Ok(c));
}

#[test]
fn a_blocked_prefix_without_plus_is_refused_on_its_line() {
    let text = format!("{BASE}{OUTBOUND}").replace("\"+1 900\"", "\"1900\"");
    read_error_at(
        &text,
        "\"1900\"",
        Some("outbound.blocked_prefixes[1]"),
        &["international form"],
    );
}

#[test]
fn a_per_employee_limit_above_the_offices_points_at_its_line() {
    let text = format!("{BASE}{OUTBOUND}").replace(
        "max_concurrent_per_employee = 1",
        "max_concurrent_per_employee = 5",
    );
    let found = problems(&text);
    let line = line_of(&text, "max_concurrent_per_employee = 5", 0);
    let p = located(
        &found,
        |k| matches!(k, ProblemKind::AboveOfficeLimit { .. }),
        line,
    );
    assert!(p.to_string().contains("max_concurrent = 3"), "{p}");
}

#[test]
fn storage_limits_default_when_absent_and_a_bad_one_is_located() {
    let c = import(BASE).expect("valid");
    assert_eq!(c.storage, Storage::default());
    let text = format!("{BASE}\n[storage]\ncalls_kib = 128\nvoicemail_kib = 0\n");
    let found = problems(&text);
    let line = line_of(&text, "voicemail_kib = 0", 0);
    let p = located(&found, |k| matches!(k, ProblemKind::SizeLimit { .. }), line);
    assert!(p.to_string().contains("0 would keep nothing"), "{p}");
    let partial = format!("{BASE}\n[storage]\ncalls_kib = 128\n");
    let c = import(&partial).expect("valid");
    assert_eq!(c.storage.calls_kib, 128);
    assert_eq!(c.storage.audit_kib, Storage::default().audit_kib);
    let exported = export(&c).expect("export");
    assert!(
        exported.contains("[storage]\ncalls_kib = 128\n"),
        "{exported}"
    );
}
