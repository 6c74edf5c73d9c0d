//! A router in virtual time, with a configuration built for each test.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use firmware_config::bounded::{List, Text};
use firmware_config::entry::{CrmOptions, Destination, EntryPoint, EntrySource, TrunkDid};
use firmware_config::group::{Distribution, QueueGroup, Unanswered};
use firmware_config::number::{Extension, PhoneNumber};
use firmware_config::schedule::AfterHours;
use firmware_config::system::Transport;
use firmware_config::trunk::SipTrunk;
use firmware_config::Config;

use crate::routing::{CallId, Caller, Input, Output, Router, Target};

/// Monday 2026-11-23 10:00 in Warsaw (09:00 UTC): inside the demo office hours.
pub fn monday_10am() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0)
        .single()
        .expect("valid")
}

pub fn ext(s: &str) -> Extension {
    Extension::parse(s).expect("extension")
}

pub fn num(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s, None).expect("number")
}

pub fn text<const N: usize>(s: &str) -> Text<N> {
    Text::new(s).expect("fits")
}

/// The demo office with employees 101–104 (104 is extra), mobiles for all, a trunk, and an
/// entry point "main" (a trunk DID) leading to group "sales" (101, 102, 103).
pub fn office(distribution: Distribution, unanswered: Unanswered) -> Config {
    let (mut c, _) = firmware_config::default::factory_default().expect("randomness");
    let mut fourth = c.employees[2].clone();
    fourth.extension = ext("104");
    fourth.name = text("Jan Zieliński");
    fourth.devices.clear();
    c.employees.push(fourth).expect("room");
    for (i, e) in c.employees.as_mut_slice().iter_mut().enumerate() {
        e.mobile = Some(num(&format!("+48 600 000 10{}", i + 1)));
    }
    let mut members = List::new();
    for m in ["101", "102", "103"] {
        members.push(ext(m)).expect("room");
    }
    c.groups
        .push(QueueGroup {
            name: text("sales"),
            number: ext("300"),
            members,
            distribution,
            ring_time_secs: 20,
            unanswered,
        })
        .expect("room");
    c.trunks
        .push(SipTrunk {
            name: text("provider"),
            host: text("sip.example.net"),
            port: 5060,
            transport: Transport::Udp,
            username: text("office"),
            password: text("secret-secret"),
            register: true,
            register_expiry_secs: 600,
            caller_id: None,
        })
        .expect("room");
    c.entry_points
        .push(EntryPoint {
            name: text("main"),
            source: EntrySource::TrunkDid(TrunkDid {
                trunk: text("provider"),
                did: num("+48 22 100 00 00"),
            }),
            destination: Destination::Group(text("sales")),
            schedule: Some(text("office-hours")),
            hold_music: Some(text("/var/lib/centrala/music.wav")),
            crm: CrmOptions::default(),
        })
        .expect("room");
    c
}

/// Sets the after-hours action of the demo schedule.
pub fn after_hours(c: &mut Config, action: AfterHours) {
    c.schedules.as_mut_slice()[0].after_hours = action;
}

/// A router and the virtual clock it runs on.
pub struct Harness {
    pub router: Router,
    pub now: DateTime<Utc>,
}

impl Harness {
    pub fn new(config: Config) -> Harness {
        Self::at(config, monday_10am())
    }

    pub fn at(config: Config, now: DateTime<Utc>) -> Harness {
        assert!(
            firmware_config::validate::validate(&config).is_empty(),
            "test configuration invalid"
        );
        Harness {
            router: Router::new(Arc::new(config), Default::default(), now),
            now,
        }
    }

    /// A harness without validation (to test the run-time guards).
    pub fn unvalidated(config: Config) -> Harness {
        let now = monday_10am();
        Harness {
            router: Router::new(Arc::new(config), Default::default(), now),
            now,
        }
    }

    pub fn feed(&mut self, input: Input) -> Vec<Output> {
        self.router.handle_input(self.now, input);
        std::iter::from_fn(|| self.router.poll_output()).collect()
    }

    /// Moves the clock forward, delivering every deadline on the way at its exact time.
    pub fn advance(&mut self, secs: i64) -> Vec<Output> {
        let end = self.now + Duration::seconds(secs);
        let mut out = Vec::new();
        while let Some(t) = self.router.poll_timeout().filter(|t| *t <= end) {
            self.now = t;
            out.extend(self.feed(Input::Timeout));
        }
        self.now = end;
        out
    }

    pub fn call_entry(&mut self, id: u64, from: &str, entry: &str) -> Vec<Output> {
        let caller = Caller::Number(num(from));
        self.feed(Input::Offer {
            call: CallId(id),
            caller,
            target: Target::Entry(entry.into()),
        })
    }

    pub fn dial(&mut self, id: u64, from: &str, to: &str) -> Vec<Output> {
        self.feed(Input::Offer {
            call: CallId(id),
            caller: Caller::Extension(ext(from)),
            target: Target::Dialled(ext(to)),
        })
    }

    pub fn answer(&mut self, id: u64, who: &str) -> Vec<Output> {
        self.feed(Input::Answered {
            call: CallId(id),
            employee: ext(who),
        })
    }

    pub fn hang_up(&mut self, id: u64) -> Vec<Output> {
        self.feed(Input::CallEnded { call: CallId(id) })
    }
}

/// The employees rung, in order, in a batch of outputs.
pub fn rung(out: &[Output]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            Output::Ring { employee, .. } => Some(employee.to_string()),
            _ => None,
        })
        .collect()
}

/// The employees whose ringing stopped.
pub fn stopped(out: &[Output]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            Output::StopRinging { employee, .. } => Some(employee.to_string()),
            _ => None,
        })
        .collect()
}

/// The call record in a batch, if any.
pub fn record(out: &[Output]) -> Option<&crate::routing::CallRecord> {
    out.iter().find_map(|o| match o {
        Output::Record(r) => Some(r),
        _ => None,
    })
}
