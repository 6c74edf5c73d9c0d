//! Validation rules, one at a time: start from a valid office, break one thing, and check that
//! exactly that problem is reported, with its kind and its location (section, index, item,
//! field).

use super::*;
use crate::bounded::{List, Text};
use crate::default::factory_default;
use crate::employee::{Employee, Presence, SipDevice};
use crate::entry::{CrmOptions, Destination, EntryPoint, EntrySource, TrunkDid};
use crate::group::{Distribution, QueueGroup, Unanswered};
use crate::line::{
    AlsaControlSignalling, FxoLine, GpioPin, GpioSignalling, HealthCheck, Signalling,
};
use crate::number::{CountryCode, Extension, PhoneNumber};
use crate::sample::{office, Size, BENCH};
use crate::schedule::{AfterHours, DaysOff, Holiday, WeeklyHours};
use crate::system::{Listen, PortRange, ToneCountry, Transport, Webhook};
use crate::time::{Date, TimeRange, Weekday};
use crate::trunk::SipTrunk;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// The demo office: employees 101–103, group "office" (100) of all three, schedule
/// "office-hours" (Mon–Fri 09:00–17:00, Sat and Sun off), entry point "reception" (internal
/// 200) to the group, voicemail on 800.
fn demo() -> Config {
    factory_default().expect("randomness for the demo office").0
}

/// The demo office after `change`, and every problem validation finds in it.
fn problems_after(change: impl FnOnce(&mut Config)) -> Vec<Problem> {
    let mut config = demo();
    change(&mut config);
    validate(&config)
}

/// A change to the demo office, for tables of cases.
type Change = fn(&mut Config);

/// Asserts that the demo office after `change` has exactly one problem, `kind` at `location`.
fn assert_only(change: impl FnOnce(&mut Config), location: Location, kind: ProblemKind) {
    let problems = problems_after(change);
    assert_eq!(problems, vec![Problem { location, kind }], "{problems:#?}");
}

/// Asserts that the demo office after `change` is still valid.
fn assert_valid(change: impl FnOnce(&mut Config)) {
    let problems = problems_after(change);
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Just the kinds of a configuration's problems.
fn kinds(config: &Config) -> Vec<ProblemKind> {
    validate(config).into_iter().map(|p| p.kind).collect()
}

/// The location of a field of the `index`-th item of a section.
fn at(section: Section, index: usize, item: &str, field: &str) -> Location {
    Location {
        section,
        index: Some(index),
        item: item.into(),
        field: field.into(),
    }
}

/// The location of a field of `system` or `webhook`.
fn global(section: Section, field: &str) -> Location {
    Location {
        section,
        index: None,
        item: String::new(),
        field: field.into(),
    }
}

fn text<const N: usize>(s: &str) -> Text<N> {
    Text::new(s).expect("fixture text fits")
}

fn ext(s: &str) -> Extension {
    Extension::parse(s).expect("fixture extension")
}

fn number(s: &str) -> PhoneNumber {
    PhoneNumber::parse_international(s).expect("fixture phone number")
}

fn country(code: u16) -> CountryCode {
    CountryCode::new(code).expect("fixture country code")
}

fn date(s: &str) -> Date {
    s.parse().expect("fixture date")
}

fn range(s: &str) -> TimeRange {
    s.parse().expect("fixture time range")
}

fn list<T, const N: usize>(items: impl IntoIterator<Item = T>) -> List<T, N> {
    let mut out = List::new();
    for item in items {
        assert!(out.push(item).is_ok(), "fixture list fits");
    }
    out
}

/// An employee with one phone whose user name is `phone-<extension>`.
fn employee(extension: &str, name: &str) -> Employee {
    Employee {
        extension: ext(extension),
        name: text(name),
        mobile: None,
        presence: Presence::Available,
        devices: list([SipDevice {
            username: text(&format!("phone-{extension}")),
            password: text("correct-horse-battery"),
        }]),
    }
}

/// A group that rings its members in order for 20 s and then waits for an agent.
fn group(name: &str, number: &str, members: &[&str]) -> QueueGroup {
    QueueGroup {
        name: text(name),
        number: ext(number),
        members: list(members.iter().map(|m| ext(m))),
        distribution: Distribution::InOrder,
        ring_time_secs: 20,
        unanswered: Unanswered::WaitForAgent,
    }
}

/// An entry point to employee 101, without a schedule.
fn entry(name: &str, source: EntrySource) -> EntryPoint {
    EntryPoint {
        name: text(name),
        source,
        destination: Destination::Employee(ext("101")),
        schedule: None,
        hold_music: None,
        crm: CrmOptions::default(),
    }
}

fn trunk_did(trunk: &str, did: &str) -> EntrySource {
    EntrySource::TrunkDid(TrunkDid {
        trunk: text(trunk),
        did: number(did),
    })
}

fn trunk(name: &str) -> SipTrunk {
    SipTrunk {
        name: text(name),
        host: text("sip.example.net"),
        port: 5060,
        transport: Transport::Udp,
        username: text("office"),
        password: text("provider-secret"),
        register: true,
        register_expiry_secs: 600,
        caller_id: None,
    }
}

fn line(name: &str) -> FxoLine {
    FxoLine {
        name: text(name),
        capture_device: text("hw:1,0"),
        playback_device: text("hw:1,0"),
        signalling: Signalling::Socket(text(&format!("/run/centrala/{name}.sock"))),
        country: ToneCountry::PL,
        rings_before_answer: 2,
        number: None,
        outside_calls: false,
        health_check: None,
    }
}

fn holiday(name: &str, start: &str, end: Option<&str>, yearly: bool) -> Holiday {
    Holiday {
        name: text(name),
        start: date(start),
        end: end.map(date),
        yearly,
    }
}

fn push<T, const N: usize>(table: &mut crate::bounded::Table<T, N>, item: T) {
    assert!(table.push(item).is_ok(), "fixture table has room");
}

/// The demo office's only group, "office".
fn office_group(config: &mut Config) -> &mut QueueGroup {
    &mut config.groups.as_mut_slice()[0]
}

/// The demo office's only schedule, "office-hours".
fn office_hours(config: &mut Config) -> &mut crate::schedule::Schedule {
    &mut config.schedules.as_mut_slice()[0]
}

/// The demo office's only entry point, "reception".
fn reception(config: &mut Config) -> &mut EntryPoint {
    &mut config.entry_points.as_mut_slice()[0]
}

fn set_employee(config: &mut Config, index: usize, change: impl FnOnce(&mut Employee)) {
    change(&mut config.employees.as_mut_slice()[index]);
}

/// Location of a field of the demo office's group.
fn office_at(field: &str) -> Location {
    at(Section::Groups, 0, "office", field)
}

/// Location of a field of the demo office's schedule.
fn hours_at(field: &str) -> Location {
    at(Section::Schedules, 0, "office-hours", field)
}

/// Location of a field of the demo office's entry point.
fn reception_at(field: &str) -> Location {
    at(Section::EntryPoints, 0, "reception", field)
}

// ---------------------------------------------------------------------------------------------
// Valid offices
// ---------------------------------------------------------------------------------------------

#[test]
fn the_demo_office_is_valid() {
    let config = demo();
    assert_eq!(kinds(&config), vec![]);
    assert_eq!(validated(config.clone()), Ok(config));
}

#[test]
fn sample_offices_are_valid() {
    let sizes = [
        BENCH,
        Size {
            employees: 1,
            groups: 1,
            schedules: 1,
            holidays: 1,
        },
        Size {
            employees: 3,
            groups: 5,
            schedules: 4,
            holidays: 12,
        },
        Size {
            employees: 250,
            groups: 64,
            schedules: 32,
            holidays: 500,
        },
    ];
    for size in sizes {
        for seed in [0, 1, u64::MAX] {
            let config = office(size, seed);
            let problems = validate(&config);
            assert!(problems.is_empty(), "{size:?} seed {seed}: {problems:#?}");
        }
    }
}

#[test]
fn validated_returns_every_problem_of_an_invalid_config() {
    let mut config = demo();
    office_group(&mut config).ring_time_secs = 1;
    let problems = validated(config).expect_err("ring time 1 s is refused");
    assert_eq!(
        problems,
        vec![Problem {
            location: office_at("ring_time_secs"),
            kind: ProblemKind::RingTime {
                secs: 1,
                min: 5,
                max: 120
            },
        }]
    );
}

// ---------------------------------------------------------------------------------------------
// Numbers and names (identity)
// ---------------------------------------------------------------------------------------------

#[test]
fn an_extension_used_by_two_employees_is_refused() {
    assert_only(
        |c| push(&mut c.employees, employee("101", "Second Anna")),
        at(Section::Employees, 3, "101", "extension"),
        ProblemKind::DuplicateExtension {
            number: "101".into(),
            other: "employee 101".into(),
        },
    );
}

#[test]
fn a_group_number_equal_to_an_extension_is_refused() {
    assert_only(
        |c| office_group(c).number = ext("102"),
        office_at("number"),
        ProblemKind::DuplicateExtension {
            number: "102".into(),
            other: "employee 102".into(),
        },
    );
}

#[test]
fn an_internal_entry_point_on_a_group_number_is_refused() {
    assert_only(
        |c| reception(c).source = EntrySource::Internal(ext("100")),
        reception_at("source.internal"),
        ProblemKind::DuplicateExtension {
            number: "100".into(),
            other: "group 'office'".into(),
        },
    );
}

#[test]
fn the_voicemail_number_must_not_be_taken() {
    let cases = [
        ("103", "employee 103"),
        ("100", "group 'office'"),
        ("200", "entry point 'reception'"),
    ];
    for (taken, other) in cases {
        assert_only(
            |c| c.system.voicemail_number = Some(ext(taken)),
            global(Section::System, "voicemail_number"),
            ProblemKind::DuplicateExtension {
                number: taken.into(),
                other: other.into(),
            },
        );
    }
    assert_valid(|c| c.system.voicemail_number = None);
}

#[test]
fn names_are_unique_within_their_section() {
    type Case = (Change, Location, &'static str);
    let cases: [Case; 5] = [
        (
            |c| push(&mut c.groups, group("office", "150", &["101"])),
            at(Section::Groups, 1, "office", "name"),
            "office",
        ),
        (
            |c| {
                let copy = c.schedules[0].clone();
                push(&mut c.schedules, copy);
            },
            at(Section::Schedules, 1, "office-hours", "name"),
            "office-hours",
        ),
        (
            |c| {
                push(
                    &mut c.entry_points,
                    entry("reception", EntrySource::Internal(ext("201"))),
                )
            },
            at(Section::EntryPoints, 1, "reception", "name"),
            "reception",
        ),
        (
            |c| {
                push(&mut c.trunks, trunk("provider"));
                push(&mut c.trunks, trunk("provider"));
            },
            at(Section::Trunks, 1, "provider", "name"),
            "provider",
        ),
        (
            |c| {
                push(&mut c.lines, line("fxo1"));
                push(&mut c.lines, line("fxo1"));
            },
            at(Section::Lines, 1, "fxo1", "name"),
            "fxo1",
        ),
    ];
    for (change, location, name) in cases {
        assert_only(change, location, ProblemKind::DuplicateName(name.into()));
    }
}

#[test]
fn names_hold_only_safe_characters() {
    type Case = (Change, Location, &'static str);
    let cases: [Case; 5] = [
        (
            |c| push(&mut c.groups, group("front desk", "150", &["101"])),
            at(Section::Groups, 1, "front desk", "name"),
            "front desk",
        ),
        (
            |c| {
                let mut copy = c.schedules[0].clone();
                copy.name = text("hours/summer");
                push(&mut c.schedules, copy);
            },
            at(Section::Schedules, 1, "hours/summer", "name"),
            "hours/summer",
        ),
        (
            |c| {
                push(
                    &mut c.entry_points,
                    entry("main\"line", EntrySource::Internal(ext("201"))),
                )
            },
            at(Section::EntryPoints, 1, "main\"line", "name"),
            "main\"line",
        ),
        (
            |c| push(&mut c.trunks, trunk("my trunk")),
            at(Section::Trunks, 0, "my trunk", "name"),
            "my trunk",
        ),
        (
            |c| push(&mut c.lines, line("linia-główna")),
            at(Section::Lines, 0, "linia-główna", "name"),
            "linia-główna",
        ),
    ];
    for (change, location, name) in cases {
        assert_only(change, location, ProblemKind::BadName(name.into()));
    }
    // Letters, digits, '-', '_' and '.' are all fine.
    assert_valid(|c| push(&mut c.groups, group("Sales_2.team-B", "150", &["101"])));
}

#[test]
fn an_empty_name_is_refused() {
    assert_only(
        |c| push(&mut c.groups, group("", "150", &["101"])),
        at(Section::Groups, 1, "", "name"),
        ProblemKind::Empty,
    );
    assert_only(
        |c| push(&mut c.trunks, trunk("")),
        at(Section::Trunks, 0, "", "name"),
        ProblemKind::Empty,
    );
}

#[test]
fn an_employee_needs_a_name() {
    for blank in ["", "   "] {
        assert_only(
            |c| set_employee(c, 1, |e| e.name = text(blank)),
            at(Section::Employees, 1, "102", "name"),
            ProblemKind::Empty,
        );
    }
}

#[test]
fn the_system_needs_a_name() {
    assert_only(
        |c| c.system.name = text(""),
        global(Section::System, "name"),
        ProblemKind::Empty,
    );
}

#[test]
fn a_sip_user_name_used_by_two_employees_is_refused() {
    assert_only(
        |c| set_employee(c, 2, |e| e.devices[0].username = text("101")),
        at(Section::Employees, 2, "103", "devices[0].username"),
        ProblemKind::DuplicateUsername {
            name: "101".into(),
            other: "101".into(),
        },
    );
}

#[test]
fn a_sip_user_name_must_not_be_empty() {
    assert_only(
        |c| set_employee(c, 0, |e| e.devices[0].username = text("")),
        at(Section::Employees, 0, "101", "devices[0].username"),
        ProblemKind::Empty,
    );
}

#[test]
fn a_password_shorter_than_8_characters_is_refused() {
    assert_only(
        |c| set_employee(c, 1, |e| e.devices[0].password = text("1234567")),
        at(Section::Employees, 1, "102", "devices[0].password"),
        ProblemKind::WeakPassword { len: 7, min: 8 },
    );
    assert_only(
        |c| {
            set_employee(c, 0, |e| {
                let phone = SipDevice {
                    username: text("101-soft"),
                    password: text(""),
                };
                assert!(e.devices.push(phone).is_ok());
            })
        },
        at(Section::Employees, 0, "101", "devices[1].password"),
        ProblemKind::WeakPassword { len: 0, min: 8 },
    );
    assert_valid(|c| set_employee(c, 1, |e| e.devices[0].password = text("12345678")));
    // Counted in characters, not bytes: 7 letters with Polish diacritics are still 7.
    assert_only(
        |c| set_employee(c, 1, |e| e.devices[0].password = text("żółćęśą")),
        at(Section::Employees, 1, "102", "devices[0].password"),
        ProblemKind::WeakPassword { len: 7, min: 8 },
    );
}

#[test]
fn a_did_on_two_entry_points_is_refused() {
    assert_only(
        |c| {
            push(&mut c.trunks, trunk("provider"));
            push(
                &mut c.entry_points,
                entry("main", trunk_did("provider", "+48 22 123 45 67")),
            );
            push(
                &mut c.entry_points,
                entry("sales", trunk_did("provider", "+48221234567")),
            );
        },
        at(Section::EntryPoints, 2, "sales", "source.trunk_did.did"),
        ProblemKind::DuplicateNumber {
            number: "+48221234567".into(),
            other: "entry point 'main'".into(),
        },
    );
}

#[test]
fn the_same_did_on_two_trunks_is_fine() {
    assert_valid(|c| {
        push(&mut c.trunks, trunk("provider"));
        push(&mut c.trunks, trunk("backup"));
        push(
            &mut c.entry_points,
            entry("main", trunk_did("provider", "+48221234567")),
        );
        push(
            &mut c.entry_points,
            entry("main-backup", trunk_did("backup", "+48221234567")),
        );
    });
}

// ---------------------------------------------------------------------------------------------
// References
// ---------------------------------------------------------------------------------------------

#[test]
fn references_to_missing_items_are_refused() {
    type Case = (Change, Location, ProblemKind);
    let cases: [Case; 8] = [
        (
            |c| assert!(office_group(c).members.push(ext("109")).is_ok()),
            office_at("members[3]"),
            ProblemKind::UnknownEmployee("109".into()),
        ),
        (
            |c| reception(c).destination = Destination::Employee(ext("109")),
            reception_at("destination.employee"),
            ProblemKind::UnknownEmployee("109".into()),
        ),
        (
            |c| office_group(c).unanswered = Unanswered::ForwardToEmployee(ext("109")),
            office_at("unanswered.forward_to_employee"),
            ProblemKind::UnknownEmployee("109".into()),
        ),
        (
            |c| reception(c).destination = Destination::Group(text("sales")),
            reception_at("destination.group"),
            ProblemKind::UnknownGroup("sales".into()),
        ),
        (
            |c| office_group(c).unanswered = Unanswered::ForwardToGroup(text("sales")),
            office_at("unanswered.forward_to_group"),
            ProblemKind::UnknownGroup("sales".into()),
        ),
        (
            |c| reception(c).schedule = Some(text("night")),
            reception_at("schedule"),
            ProblemKind::UnknownSchedule("night".into()),
        ),
        (
            |c| reception(c).source = trunk_did("provider", "+48221234567"),
            reception_at("source.trunk_did.trunk"),
            ProblemKind::UnknownTrunk("provider".into()),
        ),
        (
            |c| reception(c).source = EntrySource::AnalogLine(text("fxo1")),
            reception_at("source.analog_line"),
            ProblemKind::UnknownLine("fxo1".into()),
        ),
    ];
    for (change, location, kind) in cases {
        assert_only(change, location, kind);
    }
}

#[test]
fn references_to_existing_items_are_fine() {
    assert_valid(|c| {
        push(&mut c.trunks, trunk("provider"));
        push(&mut c.lines, line("fxo1"));
        push(&mut c.groups, group("sales", "150", &["102", "103"]));
        push(
            &mut c.entry_points,
            entry("main", trunk_did("provider", "+48221234567")),
        );
        push(
            &mut c.entry_points,
            entry("analog", EntrySource::AnalogLine(text("fxo1"))),
        );
        office_group(c).unanswered = Unanswered::ForwardToGroup(text("sales"));
        reception(c).destination = Destination::Group(text("sales"));
    });
}

// ---------------------------------------------------------------------------------------------
// Forwarding loops
// ---------------------------------------------------------------------------------------------

/// The demo office with its groups replaced by `groups`: (name, group it forwards to). The
/// entry point goes to employee 101 so that only the groups matter.
fn forwarding(groups: &[(&str, Option<&str>)]) -> Config {
    let mut config = demo();
    config.groups = crate::bounded::Table::new();
    for (i, (name, to)) in groups.iter().enumerate() {
        let mut g = group(name, &format!("{}", 150 + i), &["101"]);
        if let Some(to) = to {
            g.unanswered = Unanswered::ForwardToGroup(text(to));
        }
        push(&mut config.groups, g);
    }
    reception(&mut config).destination = Destination::Employee(ext("101"));
    config
}

fn forward_loop(index: usize, item: &str, circle: &[&str]) -> Problem {
    Problem {
        location: at(Section::Groups, index, item, "unanswered.forward_to_group"),
        kind: ProblemKind::ForwardLoop(circle.iter().map(|s| s.to_string()).collect()),
    }
}

#[test]
fn a_group_forwarding_to_itself_is_a_loop() {
    let config = forwarding(&[("a", Some("a"))]);
    assert_eq!(validate(&config), vec![forward_loop(0, "a", &["a", "a"])]);
}

#[test]
fn two_groups_forwarding_to_each_other_are_a_loop() {
    let config = forwarding(&[("a", Some("b")), ("b", Some("a"))]);
    assert_eq!(
        validate(&config),
        vec![forward_loop(0, "a", &["a", "b", "a"])]
    );
}

#[test]
fn a_circle_of_three_is_reported_once_with_the_whole_circle() {
    let config = forwarding(&[("a", Some("b")), ("b", Some("c")), ("c", Some("a"))]);
    let problems = validate(&config);
    assert_eq!(problems, vec![forward_loop(0, "a", &["a", "b", "c", "a"])]);
    assert!(
        problems[0].to_string().ends_with("a → b → c → a"),
        "{}",
        problems[0]
    );
}

#[test]
fn a_circle_is_reported_at_its_first_group_in_the_list() {
    let config = forwarding(&[
        ("x", None),
        ("b", Some("c")),
        ("c", Some("a")),
        ("a", Some("b")),
    ]);
    assert_eq!(
        validate(&config),
        vec![forward_loop(1, "b", &["b", "c", "a", "b"])]
    );
}

#[test]
fn a_chain_leading_into_a_loop_reports_only_the_loop() {
    let config = forwarding(&[("d", Some("a")), ("a", Some("b")), ("b", Some("a"))]);
    assert_eq!(
        validate(&config),
        vec![forward_loop(1, "a", &["a", "b", "a"])]
    );
    // The same with the chain's start after the loop in the list.
    let config = forwarding(&[("a", Some("b")), ("b", Some("a")), ("d", Some("a"))]);
    assert_eq!(
        validate(&config),
        vec![forward_loop(0, "a", &["a", "b", "a"])]
    );
}

#[test]
fn two_separate_loops_are_both_reported() {
    let config = forwarding(&[
        ("a", Some("b")),
        ("x", Some("x")),
        ("b", Some("a")),
        ("p", None),
    ]);
    assert_eq!(
        validate(&config),
        vec![
            forward_loop(0, "a", &["a", "b", "a"]),
            forward_loop(1, "x", &["x", "x"]),
        ]
    );
}

#[test]
fn a_chain_without_a_loop_is_fine() {
    let config = forwarding(&[
        ("a", Some("b")),
        ("b", Some("c")),
        ("c", None),
        ("d", Some("c")),
    ]);
    assert_eq!(kinds(&config), vec![]);
}

// ---------------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------------

#[test]
fn a_group_without_members_is_refused() {
    assert_only(
        |c| office_group(c).members.clear(),
        office_at("members"),
        ProblemKind::NoMembers,
    );
}

#[test]
fn a_member_listed_twice_is_refused() {
    assert_only(
        |c| assert!(office_group(c).members.push(ext("101")).is_ok()),
        office_at("members[3]"),
        ProblemKind::DuplicateMember("101".into()),
    );
}

#[test]
fn ring_time_must_be_between_5_and_120_seconds() {
    for secs in [0, 4, 121, 600] {
        assert_only(
            |c| office_group(c).ring_time_secs = secs,
            office_at("ring_time_secs"),
            ProblemKind::RingTime {
                secs,
                min: 5,
                max: 120,
            },
        );
    }
    for secs in [5, 120] {
        assert_valid(|c| office_group(c).ring_time_secs = secs);
    }
}

#[test]
fn forwarding_to_the_last_member_needs_their_mobile() {
    assert_only(
        |c| office_group(c).unanswered = Unanswered::ForwardToLastMember,
        office_at("unanswered"),
        ProblemKind::NoMobileNumber("103".into()),
    );
    assert_valid(|c| {
        office_group(c).unanswered = Unanswered::ForwardToLastMember;
        set_employee(c, 2, |e| e.mobile = Some(number("+48 600 100 200")));
    });
}

#[test]
fn forwarding_to_an_employee_needs_their_mobile() {
    assert_only(
        |c| office_group(c).unanswered = Unanswered::ForwardToEmployee(ext("102")),
        office_at("unanswered.forward_to_employee"),
        ProblemKind::NoMobileNumber("102".into()),
    );
    assert_valid(|c| {
        office_group(c).unanswered = Unanswered::ForwardToEmployee(ext("102"));
        set_employee(c, 1, |e| e.mobile = Some(number("+48 600 100 200")));
    });
}

#[test]
fn forwarding_outside_the_allowed_countries_is_refused() {
    let only_poland = |c: &mut Config| c.system.allowed_country_codes = list([country(48)]);
    assert_only(
        |c| {
            only_poland(c);
            office_group(c).unanswered = Unanswered::ForwardToNumber(number("+49 30 12345678"));
        },
        office_at("unanswered.forward_to_number"),
        ProblemKind::CountryNotAllowed(49),
    );
    assert_only(
        |c| {
            only_poland(c);
            office_group(c).unanswered = Unanswered::ForwardToLastMember;
            set_employee(c, 2, |e| e.mobile = Some(number("+44 20 7946 0000")));
        },
        office_at("unanswered"),
        ProblemKind::CountryNotAllowed(44),
    );
    assert_only(
        |c| {
            only_poland(c);
            office_group(c).unanswered = Unanswered::ForwardToEmployee(ext("101"));
            set_employee(c, 0, |e| e.mobile = Some(number("+44 20 7946 0000")));
        },
        office_at("unanswered.forward_to_employee"),
        ProblemKind::CountryNotAllowed(44),
    );
    assert_only(
        |c| {
            only_poland(c);
            office_hours(c).after_hours = AfterHours::ForwardToNumber(number("+49 30 12345678"));
        },
        hours_at("after_hours.forward_to_number"),
        ProblemKind::CountryNotAllowed(49),
    );
}

#[test]
fn forwarding_is_allowed_with_no_list_or_a_listed_country() {
    let to_germany = |c: &mut Config| {
        c.groups.as_mut_slice()[0].unanswered =
            Unanswered::ForwardToNumber(number("+49 30 12345678"))
    };
    assert_valid(to_germany);
    assert_valid(|c| {
        to_germany(c);
        c.system.allowed_country_codes = list([country(48), country(49)]);
    });
}

#[test]
fn forwarding_to_a_blocked_prefix_is_refused() {
    // The demo office blocks +48 70x (premium rate).
    assert_only(
        |c| office_group(c).unanswered = Unanswered::ForwardToNumber(number("+48 701 234 567")),
        office_at("unanswered.forward_to_number"),
        ProblemKind::BlockedNumber {
            number: "+48701234567".into(),
            prefix: "+4870".into(),
        },
    );
    assert_only(
        |c| {
            office_group(c).unanswered = Unanswered::ForwardToEmployee(ext("101"));
            set_employee(c, 0, |e| e.mobile = Some(number("+44 20 7946 0000")));
            push_prefix(c, "+44 20");
        },
        office_at("unanswered.forward_to_employee"),
        ProblemKind::BlockedNumber {
            number: "+442079460000".into(),
            prefix: "+4420".into(),
        },
    );
    assert_valid(|c| {
        office_group(c).unanswered = Unanswered::ForwardToNumber(number("+48 22 123 45 67"))
    });
}

#[test]
fn forwarding_outside_while_outside_calls_are_off_is_refused() {
    for off in [
        (|c: &mut Config| c.outbound.max_concurrent = 0) as Change,
        |c| c.outbound.max_per_hour = 0,
    ] {
        assert_only(
            |c| {
                off(c);
                c.outbound.max_concurrent_per_employee = 0;
                c.outbound.max_per_hour_per_employee = 0;
                office_hours(c).after_hours =
                    AfterHours::ForwardToNumber(number("+48 22 123 45 67"));
            },
            hours_at("after_hours.forward_to_number"),
            ProblemKind::OutsideCallsOff,
        );
    }
    // Employees may be barred from dialling out while forwarding still works.
    assert_valid(|c| {
        c.outbound.max_concurrent_per_employee = 0;
        c.outbound.max_per_hour_per_employee = 0;
        office_hours(c).after_hours = AfterHours::ForwardToNumber(number("+48 22 123 45 67"));
    });
}

// ---------------------------------------------------------------------------------------------
// Schedules
// ---------------------------------------------------------------------------------------------

/// Replaces the demo schedule's hours with `ranges` (weekday, range), in order.
fn set_hours(config: &mut Config, ranges: &[(Weekday, &str)]) {
    let mut hours = WeeklyHours::default();
    for (day, r) in ranges {
        assert!(
            hours.day_mut(*day).push(range(r)).is_ok(),
            "fixture range fits"
        );
    }
    office_hours(config).hours = hours;
}

/// Replaces the demo schedule's holidays with this one.
fn set_holiday(config: &mut Config, h: Holiday) {
    office_hours(config).holidays = list([h]);
}

#[test]
fn an_unknown_time_zone_is_refused() {
    assert_only(
        |c| office_hours(c).time_zone = text("Europe/Warsawa"),
        hours_at("time_zone"),
        ProblemKind::UnknownTimeZone("Europe/Warsawa".into()),
    );
    assert_valid(|c| office_hours(c).time_zone = text("America/New_York"));
}

#[test]
fn an_empty_range_is_refused() {
    assert_only(
        |c| {
            set_hours(
                c,
                &[(Weekday::Mon, "09:00-17:00"), (Weekday::Tue, "09:00-09:00")],
            )
        },
        hours_at("hours.tue[0]"),
        ProblemKind::EmptyRange("09:00-09:00".into()),
    );
    assert_only(
        |c| set_hours(c, &[(Weekday::Wed, "00:00-00:00")]),
        hours_at("hours.wed[0]"),
        ProblemKind::EmptyRange("00:00-00:00".into()),
    );
}

#[test]
fn overlapping_ranges_on_one_day_are_refused() {
    assert_only(
        |c| {
            set_hours(
                c,
                &[(Weekday::Mon, "09:00-12:00"), (Weekday::Mon, "11:00-13:00")],
            )
        },
        hours_at("hours.mon[1]"),
        ProblemKind::OverlappingRanges {
            first: "mon 09:00-12:00".into(),
            second: "mon 11:00-13:00".into(),
        },
    );
    // A range inside another.
    assert_only(
        |c| {
            set_hours(
                c,
                &[(Weekday::Fri, "08:00-18:00"), (Weekday::Fri, "10:00-11:00")],
            )
        },
        hours_at("hours.fri[1]"),
        ProblemKind::OverlappingRanges {
            first: "fri 08:00-18:00".into(),
            second: "fri 10:00-11:00".into(),
        },
    );
}

#[test]
fn a_range_across_midnight_overlapping_the_next_day_is_refused() {
    assert_only(
        |c| {
            set_hours(
                c,
                &[(Weekday::Mon, "22:00-06:00"), (Weekday::Tue, "05:00-09:00")],
            )
        },
        hours_at("hours.tue[0]"),
        ProblemKind::OverlappingRanges {
            first: "mon 22:00-06:00".into(),
            second: "tue 05:00-09:00".into(),
        },
    );
}

#[test]
fn sunday_night_overlapping_monday_morning_is_refused() {
    assert_only(
        |c| {
            set_hours(
                c,
                &[(Weekday::Sun, "23:00-01:00"), (Weekday::Mon, "00:30-08:00")],
            )
        },
        hours_at("hours.sun[0]"),
        ProblemKind::OverlappingRanges {
            first: "mon 00:30-08:00".into(),
            second: "sun 23:00-01:00".into(),
        },
    );
}

#[test]
fn touching_ranges_do_not_overlap() {
    let cases: [&[(Weekday, &str)]; 5] = [
        &[(Weekday::Mon, "09:00-12:00"), (Weekday::Mon, "12:00-17:00")],
        &[(Weekday::Mon, "12:00-17:00"), (Weekday::Mon, "09:00-12:00")],
        &[(Weekday::Mon, "17:00-24:00"), (Weekday::Tue, "00:00-08:00")],
        &[(Weekday::Mon, "22:00-06:00"), (Weekday::Tue, "06:00-09:00")],
        &[(Weekday::Sun, "18:00-00:00"), (Weekday::Mon, "00:00-08:00")],
    ];
    for ranges in cases {
        assert_valid(|c| set_hours(c, ranges));
    }
    // Open round the clock, every day.
    let all_week: Vec<(Weekday, &str)> = Weekday::ALL.iter().map(|d| (*d, "00:00-24:00")).collect();
    assert_valid(|c| {
        set_hours(c, &all_week);
        office_hours(c).days_off = DaysOff::OpenSevenDays;
    });
}

#[test]
fn an_empty_days_off_list_is_refused() {
    assert_only(
        |c| office_hours(c).days_off = DaysOff::Days(List::new()),
        hours_at("days_off"),
        ProblemKind::EmptyDaysOff,
    );
    assert_valid(|c| office_hours(c).days_off = DaysOff::OpenSevenDays);
}

#[test]
fn a_day_off_listed_twice_is_refused() {
    assert_only(
        |c| {
            office_hours(c).days_off =
                DaysOff::Days(list([Weekday::Sat, Weekday::Sun, Weekday::Sat]))
        },
        hours_at("days_off.days[2]"),
        ProblemKind::DuplicateDay("sat".into()),
    );
}

#[test]
fn a_holiday_on_a_day_that_does_not_exist_is_refused() {
    for day in ["2026-02-29", "2026-04-31", "2027-06-31"] {
        assert_only(
            |c| set_holiday(c, holiday("Holiday", day, None, false)),
            hours_at("holidays[0].start"),
            ProblemKind::ImpossibleDate(day.into()),
        );
    }
    assert_only(
        |c| {
            set_holiday(
                c,
                holiday("Long weekend", "2026-04-29", Some("2026-04-31"), false),
            )
        },
        hours_at("holidays[0].end"),
        ProblemKind::ImpossibleDate("2026-04-31".into()),
    );
}

#[test]
fn a_yearly_holiday_on_29_february_of_a_leap_year_is_fine() {
    assert_valid(|c| set_holiday(c, holiday("Leap day", "2028-02-29", None, true)));
    assert_valid(|c| set_holiday(c, holiday("Leap day", "2000-02-29", None, true)));
}

#[test]
fn a_holiday_that_ends_before_it_starts_is_refused() {
    assert_only(
        |c| set_holiday(c, holiday("May", "2026-05-03", Some("2026-05-01"), false)),
        hours_at("holidays[0].end"),
        ProblemKind::EndsBeforeStart {
            start: "2026-05-03".into(),
            end: "2026-05-01".into(),
        },
    );
    // A yearly holiday over New Year must give its end in the following year.
    assert_only(
        |c| {
            set_holiday(
                c,
                holiday("Christmas", "2026-12-24", Some("2026-01-02"), true),
            )
        },
        hours_at("holidays[0].end"),
        ProblemKind::EndsBeforeStart {
            start: "2026-12-24".into(),
            end: "2026-01-02".into(),
        },
    );
}

#[test]
fn a_yearly_holiday_must_be_shorter_than_a_year() {
    let too_long = [
        ("2026-01-01", "2026-12-31"), // 365 days: every day of 2026
        ("2026-03-01", "2027-02-28"), // 365 days: every day until the next 1 March
        ("2027-03-01", "2028-02-29"), // 366 days over a leap day
        ("2026-12-24", "2027-12-24"), // 366 days
        ("2026-06-01", "2029-01-01"),
        ("2028-02-29", "2029-02-28"), // the whole year from a leap day
    ];
    for (start, end) in too_long {
        assert_only(
            |c| set_holiday(c, holiday("Closed", start, Some(end), true)),
            hours_at("holidays[0].end"),
            ProblemKind::YearlyTooLong,
        );
    }
    let fine = [
        ("2026-01-01", "2026-12-30"), // 364 days
        ("2027-03-01", "2028-02-28"), // 365 days, but 2028 has 366
        ("2028-02-29", "2029-02-27"),
        ("2026-12-24", "2027-01-02"), // over New Year
    ];
    for (start, end) in fine {
        assert_valid(|c| set_holiday(c, holiday("Closed", start, Some(end), true)));
    }
    // A one-off closure may be as long as it likes.
    assert_valid(|c| {
        set_holiday(
            c,
            holiday("Renovation", "2026-01-01", Some("2027-06-30"), false),
        )
    });
}

#[test]
fn a_holiday_needs_a_name() {
    for blank in ["", " "] {
        assert_only(
            |c| set_holiday(c, holiday(blank, "2026-11-11", None, true)),
            hours_at("holidays[0].name"),
            ProblemKind::Empty,
        );
    }
}

#[test]
fn problems_name_the_holiday_by_its_position() {
    assert_only(
        |c| {
            office_hours(c).holidays = list([
                holiday("New Year", "2026-01-01", None, true),
                holiday("Independence Day", "2026-11-11", None, true),
                holiday("Bad", "2026-11-31", None, false),
            ])
        },
        hours_at("holidays[2].start"),
        ProblemKind::ImpossibleDate("2026-11-31".into()),
    );
}

#[test]
fn a_voicemail_greeting_path_must_be_absolute() {
    assert_only(
        |c| office_hours(c).voicemail_greeting = Some(text("greetings/closed.wav")),
        hours_at("voicemail_greeting"),
        ProblemKind::RelativePath("greetings/closed.wav".into()),
    );
    assert_valid(|c| {
        office_hours(c).voicemail_greeting = Some(text("/var/lib/centrala/closed.wav"))
    });
}

// ---------------------------------------------------------------------------------------------
// System settings, webhook, trunks and lines
// ---------------------------------------------------------------------------------------------

fn system_at(field: &str) -> Location {
    global(Section::System, field)
}

#[test]
fn at_least_one_sip_listening_address_is_needed() {
    assert_only(
        |c| c.system.sip_listen.clear(),
        system_at("sip_listen"),
        ProblemKind::NoListen,
    );
}

#[test]
fn a_sip_listening_port_of_0_is_refused() {
    assert_only(
        |c| {
            c.system.sip_listen[1] = Listen {
                transport: Transport::Tcp,
                address: ([0, 0, 0, 0], 0).into(),
            }
        },
        system_at("sip_listen[1].address"),
        ProblemKind::BadPorts("port 0 cannot be listened on".into()),
    );
}

#[test]
fn the_rtp_port_range_must_be_usable() {
    for (first, last) in [(0, 1000), (0, 0), (20000, 10000), (10000, 10002)] {
        assert_only(
            |c| c.system.rtp_ports = PortRange { first, last },
            system_at("rtp_ports"),
            ProblemKind::BadPorts(format!(
                "RTP ports {first}-{last}: need a range of at least 4 ports, not starting at 0"
            )),
        );
    }
    assert_valid(|c| {
        c.system.rtp_ports = PortRange {
            first: 10000,
            last: 10003,
        }
    });
    assert_valid(|c| {
        c.system.rtp_ports = PortRange {
            first: 1,
            last: u16::MAX,
        }
    });
}

#[test]
fn system_paths_must_be_absolute() {
    assert_only(
        |c| c.system.control_socket = text("run/centrala.sock"),
        system_at("control_socket"),
        ProblemKind::RelativePath("run/centrala.sock".into()),
    );
    assert_only(
        |c| c.system.data_dir = text("var/lib/centrala"),
        system_at("data_dir"),
        ProblemKind::RelativePath("var/lib/centrala".into()),
    );
}

fn outbound_at(field: &str) -> Location {
    global(Section::Outbound, field)
}

fn push_prefix(config: &mut Config, prefix: &str) {
    let prefix = prefix.parse().expect("fixture prefix is valid");
    assert!(config.outbound.blocked_prefixes.push(prefix).is_ok());
}

#[test]
fn a_per_employee_limit_may_not_exceed_the_offices() {
    assert_only(
        |c| c.outbound.max_concurrent_per_employee = 5,
        outbound_at("max_concurrent_per_employee"),
        ProblemKind::AboveOfficeLimit {
            value: 5,
            office_field: "max_concurrent",
            office: 4,
        },
    );
    assert_only(
        |c| c.outbound.max_per_hour = 10,
        outbound_at("max_per_hour_per_employee"),
        ProblemKind::AboveOfficeLimit {
            value: 20,
            office_field: "max_per_hour",
            office: 10,
        },
    );
    assert_valid(|c| c.outbound.max_concurrent_per_employee = 4);
    assert_valid(|c| {
        c.outbound.max_concurrent = 0;
        c.outbound.max_concurrent_per_employee = 0;
    });
}

#[test]
fn the_hourly_limit_is_at_most_one_call_a_second() {
    assert_only(
        |c| c.outbound.max_per_hour = 3601,
        outbound_at("max_per_hour"),
        ProblemKind::OutOfRange {
            value: 3601,
            min: 0,
            max: 3600,
        },
    );
    assert_valid(|c| c.outbound.max_per_hour = 3600);
}

#[test]
fn a_blocked_prefix_is_listed_once() {
    assert_only(
        |c| {
            push_prefix(c, "+1900");
            push_prefix(c, "+48 70");
        },
        outbound_at("blocked_prefixes[2]"),
        ProblemKind::DuplicatePrefix("+4870".into()),
    );
    // One prefix inside another is harmless (and may be on its way out).
    assert_valid(|c| push_prefix(c, "+48700"));
}

#[test]
fn outbound_problems_read_well() {
    let problems = problems_after(|c| c.outbound.max_concurrent_per_employee = 9);
    assert_eq!(
        problems[0].to_string(),
        "outside-call limits, field 'max_concurrent_per_employee': 9 is more than the whole \
         office may make (max_concurrent = 4); one employee can never use more than the office"
    );
}

#[test]
fn the_outbound_prefix_must_be_digits() {
    for prefix in ["0a", "", "+0"] {
        assert_only(
            |c| c.system.outbound_prefix = Some(text(prefix)),
            system_at("outbound_prefix"),
            ProblemKind::NotDigits(prefix.into()),
        );
    }
    assert_valid(|c| c.system.outbound_prefix = Some(text("0")));
}

fn webhook(url: &str, timeout_ms: u32) -> Option<Webhook> {
    Some(Webhook {
        url: text(url),
        secret: None,
        timeout_ms,
    })
}

#[test]
fn the_webhook_url_must_be_http_or_https() {
    for url in [
        "ftp://x",
        "http://",
        "https://",
        "https:///hook",
        "crm.example.com",
    ] {
        assert_only(
            |c| c.webhook = webhook(url, 5000),
            global(Section::Webhook, "url"),
            ProblemKind::BadUrl(url.into()),
        );
    }
    for url in [
        "http://10.0.0.5:8080/events",
        "https://crm.example.com/hook",
    ] {
        assert_valid(|c| c.webhook = webhook(url, 5000));
    }
}

#[test]
fn the_webhook_timeout_must_be_in_range() {
    for timeout in [0, 50, 99, 60_001] {
        assert_only(
            |c| c.webhook = webhook("https://crm.example.com/hook", timeout),
            global(Section::Webhook, "timeout_ms"),
            ProblemKind::OutOfRange {
                value: timeout,
                min: 100,
                max: 60_000,
            },
        );
    }
    for timeout in [100, 60_000] {
        assert_valid(|c| c.webhook = webhook("https://crm.example.com/hook", timeout));
    }
}

/// The demo office with one trunk "provider", changed by `change`.
fn with_trunk(change: impl FnOnce(&mut SipTrunk)) -> impl FnOnce(&mut Config) {
    move |c| {
        let mut t = trunk("provider");
        change(&mut t);
        push(&mut c.trunks, t);
    }
}

fn trunk_at(field: &str) -> Location {
    at(Section::Trunks, 0, "provider", field)
}

#[test]
fn a_trunk_needs_a_host_and_a_port() {
    assert_valid(with_trunk(|_| {}));
    assert_only(
        with_trunk(|t| t.host = text(" ")),
        trunk_at("host"),
        ProblemKind::Empty,
    );
    assert_only(
        with_trunk(|t| t.port = 0),
        trunk_at("port"),
        ProblemKind::BadPorts("port 0 is not a SIP port".into()),
    );
}

#[test]
fn a_registering_trunk_needs_a_sensible_expiry() {
    for secs in [0, 30, 59, 86_401] {
        assert_only(
            with_trunk(|t| t.register_expiry_secs = secs),
            trunk_at("register_expiry_secs"),
            ProblemKind::OutOfRange {
                value: secs,
                min: 60,
                max: 86_400,
            },
        );
    }
    assert_valid(with_trunk(|t| t.register_expiry_secs = 60));
    assert_valid(with_trunk(|t| t.register_expiry_secs = 86_400));
    // A trunk that does not register does not use the expiry.
    assert_valid(with_trunk(|t| {
        t.register = false;
        t.register_expiry_secs = 30;
    }));
}

#[test]
fn a_line_health_check_in_an_unknown_time_zone_is_refused() {
    let check = |tz: &str| HealthCheck {
        at: crate::time::TimeOfDay::hm(3, 0).expect("valid"),
        time_zone: text(tz),
    };
    assert_only(
        with_line(|l| l.health_check = Some(check("Europe/Warszawa"))),
        line_at("health_check.time_zone"),
        ProblemKind::UnknownTimeZone("Europe/Warszawa".into()),
    );
    assert_valid(with_line(|l| l.health_check = Some(check("Europe/Warsaw"))));
}

/// The demo office with one line "fxo1", changed by `change`.
fn with_line(change: impl FnOnce(&mut FxoLine)) -> impl FnOnce(&mut Config) {
    move |c| {
        let mut l = line("fxo1");
        change(&mut l);
        push(&mut c.lines, l);
    }
}

fn line_at(field: &str) -> Location {
    at(Section::Lines, 0, "fxo1", field)
}

#[test]
fn a_line_needs_its_audio_devices() {
    assert_valid(with_line(|_| {}));
    assert_only(
        with_line(|l| l.capture_device = text("")),
        line_at("capture_device"),
        ProblemKind::Empty,
    );
    assert_only(
        with_line(|l| l.playback_device = text("  ")),
        line_at("playback_device"),
        ProblemKind::Empty,
    );
}

#[test]
fn rings_before_answer_must_be_1_to_10() {
    assert_only(
        with_line(|l| l.rings_before_answer = 0),
        line_at("rings_before_answer"),
        ProblemKind::OutOfRange {
            value: 0,
            min: 1,
            max: 10,
        },
    );
    assert_only(
        with_line(|l| l.rings_before_answer = 11),
        line_at("rings_before_answer"),
        ProblemKind::OutOfRange {
            value: 11,
            min: 1,
            max: 10,
        },
    );
    assert_valid(with_line(|l| l.rings_before_answer = 1));
    assert_valid(with_line(|l| l.rings_before_answer = 10));
}

#[test]
fn line_signalling_must_be_complete() {
    assert_only(
        with_line(|l| l.signalling = Signalling::Socket(text("fxo1.sock"))),
        line_at("signalling.socket"),
        ProblemKind::RelativePath("fxo1.sock".into()),
    );
    let pin = |line| GpioPin {
        line,
        active_low: false,
    };
    let gpio = |chip: &str| {
        Signalling::Gpio(GpioSignalling {
            chip: text(chip),
            ring_detect: pin(17),
            hook: pin(27),
            loop_current: None,
        })
    };
    let alsa = |card: &str| {
        Signalling::AlsaControl(AlsaControlSignalling {
            card: text(card),
            ring_control: text("Ring"),
            hook_control: text("Hook"),
        })
    };
    let mut config = demo();
    push(&mut config.lines, line("fxo1"));
    for (signalling, field, valid) in [
        (gpio("/dev/gpiochip0"), "", true),
        (gpio(""), "signalling.gpio.chip", false),
        (alsa("hw:1"), "", true),
        (alsa(" "), "signalling.alsa_control.card", false),
    ] {
        config.lines.as_mut_slice()[0].signalling = signalling;
        let expected = if valid {
            vec![]
        } else {
            vec![Problem {
                location: line_at(field),
                kind: ProblemKind::Empty,
            }]
        };
        assert_eq!(validate(&config), expected);
    }
}

// ---------------------------------------------------------------------------------------------
// All problems at once, and how they read
// ---------------------------------------------------------------------------------------------

#[test]
fn validation_reports_every_problem_not_just_the_first() {
    let problems = problems_after(|c| {
        set_employee(c, 0, |e| e.name = text(""));
        office_group(c).ring_time_secs = 200;
        office_hours(c).time_zone = text("Mars/Olympus");
        c.system.rtp_ports = PortRange {
            first: 0,
            last: 100,
        };
        c.webhook = webhook("ftp://x", 5000);
    });
    let found: Vec<(Location, ProblemKind)> =
        problems.into_iter().map(|p| (p.location, p.kind)).collect();
    assert_eq!(
        found,
        vec![
            (at(Section::Employees, 0, "101", "name"), ProblemKind::Empty),
            (
                office_at("ring_time_secs"),
                ProblemKind::RingTime {
                    secs: 200,
                    min: 5,
                    max: 120
                }
            ),
            (
                hours_at("time_zone"),
                ProblemKind::UnknownTimeZone("Mars/Olympus".into())
            ),
            (
                system_at("rtp_ports"),
                ProblemKind::BadPorts(
                    "RTP ports 0-100: need a range of at least 4 ports, not starting at 0".into()
                )
            ),
            (
                global(Section::Webhook, "url"),
                ProblemKind::BadUrl("ftp://x".into())
            ),
        ]
    );
}

#[test]
fn several_problems_in_one_item_are_all_reported() {
    let mut config = demo();
    push(&mut config.groups, group("sales", "101", &[]));
    config.groups.as_mut_slice()[1].ring_time_secs = 4;
    assert_eq!(
        kinds(&config),
        vec![
            ProblemKind::DuplicateExtension {
                number: "101".into(),
                other: "employee 101".into()
            },
            ProblemKind::NoMembers,
            ProblemKind::RingTime {
                secs: 4,
                min: 5,
                max: 120
            },
        ]
    );
}

#[test]
fn a_problem_reads_with_its_item_and_field() {
    let problems = problems_after(|c| {
        let mut sales = group("sales", "150", &["101"]);
        sales.ring_time_secs = 200;
        push(&mut c.groups, sales);
    });
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        vec!["group 'sales', field 'ring_time_secs': ring time 200 s is out of range (5–120 s)"]
    );
}

#[test]
fn problems_read_well_in_every_section() {
    let cases: [(Change, &str); 5] = [
        (
            |c| set_employee(c, 1, |e| e.name = text("")),
            "employee '102', field 'name': must not be empty",
        ),
        (
            |c| c.system.sip_listen.clear(),
            "system settings, field 'sip_listen': at least one SIP listening address is needed",
        ),
        (
            |c| c.webhook = webhook("ftp://x", 5000),
            "webhook, field 'url': 'ftp://x' is not an http:// or https:// URL",
        ),
        (
            |c| {
                set_hours(
                    c,
                    &[(Weekday::Mon, "09:00-12:00"), (Weekday::Mon, "11:00-13:00")],
                )
            },
            "schedule 'office-hours', field 'hours.mon[1]': \
             the range mon 09:00-12:00 overlaps mon 11:00-13:00",
        ),
        (
            |c| reception(c).schedule = Some(text("night")),
            "entry point 'reception', field 'schedule': there is no schedule named 'night'",
        ),
    ];
    for (change, expected) in cases {
        let lines: Vec<String> = problems_after(change)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(lines, vec![expected]);
    }
}

#[test]
fn a_scoped_ipv6_listen_address_is_refused_because_the_store_cannot_keep_its_scope() {
    let (mut c, _) = crate::default::factory_default().expect("randomness");
    c.system.sip_listen[0].address = "[fe80::1%2]:5060".parse().expect("address");
    let problems = validate(&c);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].location.field, "sip_listen[0].address");
    assert!(problems[0].to_string().contains("interface scope"));
    c.system.sip_listen[0].address = "[::]:5060".parse().expect("address");
    assert!(validate(&c).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Storage limits
// ---------------------------------------------------------------------------------------------

fn storage_at(field: &str) -> Location {
    global(Section::Storage, field)
}

#[test]
fn a_storage_limit_must_keep_something_useful_and_fit_a_gateway() {
    assert_only(
        |c| c.storage.calls_kib = 0,
        storage_at("calls_kib"),
        ProblemKind::SizeLimit {
            kib: 0,
            min: 64,
            max: 1 << 20,
        },
    );
    assert_only(
        |c| c.storage.voicemail_kib = 512,
        storage_at("voicemail_kib"),
        ProblemKind::SizeLimit {
            kib: 512,
            min: 1024,
            max: 64 << 20,
        },
    );
    assert_only(
        |c| c.storage.outbox_kib = (1 << 20) + 1,
        storage_at("outbox_kib"),
        ProblemKind::SizeLimit {
            kib: (1 << 20) + 1,
            min: 64,
            max: 1 << 20,
        },
    );
    assert_valid(|c| {
        c.storage.calls_kib = 64;
        c.storage.audit_kib = 1 << 20;
        c.storage.voicemail_kib = 1024;
    });
}

#[test]
fn the_warning_level_is_between_half_and_almost_full() {
    for value in [0, 49, 100, 255] {
        assert_only(
            |c| c.storage.warn_percent = value,
            storage_at("warn_percent"),
            ProblemKind::WarnPercent {
                value,
                min: 50,
                max: 99,
            },
        );
    }
    assert_valid(|c| c.storage.warn_percent = 50);
    assert_valid(|c| c.storage.warn_percent = 99);
}

#[test]
fn storage_problems_say_why() {
    let says = |change: Change| problems_after(change)[0].to_string();
    assert_eq!(
        says(|c| c.storage.audit_kib = 0),
        "storage limits, field 'audit_kib': 0 would keep nothing: the limit must be at least \
         64 KiB"
    );
    assert_eq!(
        says(|c| c.storage.calls_kib = 32),
        "storage limits, field 'calls_kib': 32 KiB is below the smallest limit, 64 KiB"
    );
    assert_eq!(
        says(|c| c.storage.voicemail_kib = 128 << 20),
        "storage limits, field 'voicemail_kib': 131072 MiB is above the largest limit, 65536 MiB"
    );
}
