//! SPEC §2 as properties: random sequences of calls, answers, declines, hang-ups, busy and
//! presence changes and passing time, for every distribution and unanswered-call action, with
//! invariants checked after every step against state a shell could know (the outputs and its
//! own inputs).
//!
//! Checked:
//! 1. a busy member is never rung: not while connected on a call, ringing for a call, on break
//!    or off (queue calls), on an outside call, or calling;
//! 2. waiting callers are served in arrival order: a later caller on hold never gets a member
//!    while an earlier caller on hold rings nobody;
//! 3. every offered call ends with exactly one record, and nothing is left running;
//! 4. no call is stranded: each is connected, ringing someone, or on hold with every member
//!    of its group occupied; deadlines never lie in the past;
//! 5. every ring ends (stopped, connected, declined, or the call's record), and only ringing
//!    phones are stopped;
//! 6. the group statistics agree with the records.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use firmware_config::employee::Presence;
use firmware_config::group::{Distribution, Unanswered};
use firmware_config::number::Extension;
use firmware_config::Config;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config as ProptestConfig, RngAlgorithm, TestCaseError, TestRunner};

use super::harness::*;
use crate::routing::{CallId, CallRecord, Caller, Decline, Input, Outcome, Output, Router, Target};

const EMPLOYEES: [&str; 4] = ["101", "102", "103", "104"];
const CASES: u32 = 256;

// ---------------------------------------------------------------------------------------------
// The inputs, as abstract operations: picks among what is ringing or active are resolved
// against the shell's state when the operation runs, so shrinking keeps them meaningful.

#[derive(Debug, Clone)]
enum Who {
    /// An outside number, +48 601 111 1NN.
    Outside(u8),
    /// An employee's phone (index into EMPLOYEES).
    Employee(usize),
}

#[derive(Debug, Clone)]
enum Where {
    /// Entry point "main" (group "sales").
    Main,
    /// A dialled extension (index into EMPLOYEES).
    Extension(usize),
    /// The dialled group number 300 ("sales").
    Group,
}

#[derive(Debug, Clone)]
enum Op {
    Offer {
        call: u64,
        caller: Who,
        target: Where,
    },
    /// `ringing`: answer one of the phones ringing now (picked by `pick`), else `call`/`emp`.
    Answer {
        ringing: bool,
        pick: Index,
        call: u64,
        emp: usize,
    },
    Decline {
        ringing: bool,
        pick: Index,
        call: u64,
        emp: usize,
        why: Decline,
    },
    /// `active`: hang up one of the active calls, else `call`; `ended`: CallEnded rather than
    /// CallerHungUp.
    HangUp {
        active: bool,
        pick: Index,
        call: u64,
        ended: bool,
    },
    Busy(usize),
    Free(usize),
    Presence(usize, Presence),
    Advance(i64),
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        3 => (0u8..100).prop_map(Who::Outside),
        1 => (0..EMPLOYEES.len()).prop_map(Who::Employee),
    ]
}

fn target() -> impl Strategy<Value = Where> {
    prop_oneof![
        4 => Just(Where::Main),
        1 => (0..EMPLOYEES.len()).prop_map(Where::Extension),
        1 => Just(Where::Group),
    ]
}

fn why() -> impl Strategy<Value = Decline> {
    prop_oneof![
        Just(Decline::Rejected),
        Just(Decline::Busy),
        Just(Decline::Unreachable)
    ]
}

fn presence() -> impl Strategy<Value = Presence> {
    prop_oneof![
        2 => Just(Presence::Available),
        1 => Just(Presence::OnBreak),
        1 => Just(Presence::Off),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let emp = 0..EMPLOYEES.len();
    let call = 1..=8u64;
    let often = || prop::bool::weighted(0.8);
    // Advance first: shrinking moves towards the first alternative, and Advance(0) does
    // nothing, so a shrunk case is its failing steps among no-ops.
    prop_oneof![
        4 => (0i64..=40).prop_map(Op::Advance),
        4 => (call.clone(), who(), target())
            .prop_map(|(call, caller, target)| Op::Offer { call, caller, target }),
        4 => (often(), any::<Index>(), call.clone(), emp.clone())
            .prop_map(|(ringing, pick, call, emp)| Op::Answer { ringing, pick, call, emp }),
        2 => (often(), any::<Index>(), call.clone(), emp.clone(), why())
            .prop_map(|(ringing, pick, call, emp, why)| Op::Decline { ringing, pick, call, emp, why }),
        2 => (often(), any::<Index>(), call, any::<bool>())
            .prop_map(|(active, pick, call, ended)| Op::HangUp { active, pick, call, ended }),
        1 => emp.clone().prop_map(Op::Busy),
        1 => emp.clone().prop_map(Op::Free),
        2 => (emp, presence()).prop_map(|(e, p)| Op::Presence(e, p)),
    ]
}

/// A sequence of operations; shown without the no-op `Advance(0)`s.
#[derive(Clone)]
struct Ops(Vec<Op>);

impl std::fmt::Debug for Ops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "[")?;
        for (i, op) in self.0.iter().enumerate() {
            if !matches!(op, Op::Advance(0)) {
                writeln!(f, "  step {}: {op:?}", i + 1)?;
            }
        }
        write!(f, "]")
    }
}

fn ops() -> impl Strategy<Value = Ops> {
    vec(op(), 20..=120).prop_map(Ops)
}

// ---------------------------------------------------------------------------------------------
// The shell: feeds the router and knows only what the outputs (and its own inputs) told it.

/// A call the router has been offered and not yet recorded.
#[derive(Debug)]
struct Active {
    caller: Caller,
    /// Offered at entry "main" or to the group number: a queue call.
    queue: bool,
    /// Connect seen: who talks on it.
    connected: Option<Extension>,
    /// HoldMusic seen.
    holding: bool,
}

struct Shell {
    config: Arc<Config>,
    h: Harness,
    active: BTreeMap<u64, Active>,
    /// New offers per call id (a re-offer of a live id is not a new call).
    offers: BTreeMap<u64, usize>,
    records: Vec<CallRecord>,
    /// (call, employee) pairs ringing now.
    ringing: BTreeSet<(u64, Extension)>,
    presence: HashMap<Extension, Presence>,
    external: HashMap<Extension, u32>,
    /// Groups that keep callers waiting for an agent (in order or evenly).
    wait_groups: Vec<String>,
    /// Steps so far, for failure messages.
    step: usize,
}

/// What a step's outputs are checked against.
struct Context {
    input: Input,
    /// Router::waiting of every wait group before the step.
    waiting_before: Vec<(String, Vec<u64>)>,
    /// Router::waiting of every wait group after the step.
    waiting_after: Vec<(String, Vec<u64>)>,
}

fn fail(msg: String) -> Result<(), TestCaseError> {
    Err(TestCaseError::fail(msg))
}

impl Shell {
    fn new(config: Arc<Config>) -> Shell {
        let now = monday_10am();
        let presence = config
            .employees
            .iter()
            .map(|e| (e.extension.clone(), e.presence))
            .collect();
        let wait_groups = config
            .groups
            .iter()
            .filter(|g| {
                g.unanswered == Unanswered::WaitForAgent
                    && g.distribution != Distribution::Simultaneously
            })
            .map(|g| g.name.to_string())
            .collect();
        Shell {
            h: Harness {
                router: Router::new(config.clone(), Default::default(), now),
                now,
            },
            config,
            active: BTreeMap::new(),
            offers: BTreeMap::new(),
            records: Vec::new(),
            ringing: BTreeSet::new(),
            presence,
            external: HashMap::new(),
            wait_groups,
            step: 0,
        }
    }

    fn run(mut self, ops: &[Op]) -> Result<(), TestCaseError> {
        for op in ops {
            self.step += 1;
            self.apply(op)?;
        }
        self.end_everything()?;
        self.final_checks()
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let input = match op {
            Op::Advance(secs) => return self.advance(*secs),
            Op::Offer {
                call,
                caller,
                target,
            } => Input::Offer {
                call: CallId(*call),
                caller: match caller {
                    Who::Outside(n) => Caller::Number(num(&format!("+48 601 111 1{n:02}"))),
                    Who::Employee(i) => Caller::Extension(ext(EMPLOYEES[*i])),
                },
                target: match target {
                    Where::Main => Target::Entry("main".into()),
                    Where::Extension(i) => Target::Dialled(ext(EMPLOYEES[*i])),
                    Where::Group => Target::Dialled(ext("300")),
                },
            },
            Op::Answer {
                ringing,
                pick,
                call,
                emp,
            } => {
                let (call, employee) = self.pick_ringing(*ringing, pick, *call, *emp);
                Input::Answered { call, employee }
            }
            Op::Decline {
                ringing,
                pick,
                call,
                emp,
                why,
            } => {
                let (call, employee) = self.pick_ringing(*ringing, pick, *call, *emp);
                Input::Declined {
                    call,
                    employee,
                    why: *why,
                }
            }
            Op::HangUp {
                active,
                pick,
                call,
                ended,
            } => {
                let ids: Vec<u64> = self.active.keys().copied().collect();
                let id = if *active && !ids.is_empty() {
                    ids[pick.index(ids.len())]
                } else {
                    *call
                };
                if *ended {
                    Input::CallEnded { call: CallId(id) }
                } else {
                    Input::CallerHungUp { call: CallId(id) }
                }
            }
            Op::Busy(i) => Input::EmployeeBusy {
                employee: ext(EMPLOYEES[*i]),
            },
            Op::Free(i) => Input::EmployeeFree {
                employee: ext(EMPLOYEES[*i]),
            },
            Op::Presence(i, p) => Input::Presence {
                employee: ext(EMPLOYEES[*i]),
                presence: *p,
            },
        };
        self.feed(input)?;
        self.after_step()
    }

    fn pick_ringing(
        &self,
        ringing: bool,
        pick: &Index,
        call: u64,
        emp: usize,
    ) -> (CallId, Extension) {
        let now: Vec<&(u64, Extension)> = self.ringing.iter().collect();
        if ringing && !now.is_empty() {
            let (c, e) = now[pick.index(now.len())];
            (CallId(*c), e.clone())
        } else {
            (CallId(call), ext(EMPLOYEES[emp]))
        }
    }

    /// Like Harness::advance, but checking every deadline's outputs on their own.
    fn advance(&mut self, secs: i64) -> Result<(), TestCaseError> {
        let end = self.h.now + Duration::seconds(secs);
        while let Some(t) = self.h.router.poll_timeout().filter(|t| *t <= end) {
            if t < self.h.now {
                return fail(format!(
                    "step {}: poll_timeout {t} is before now {}",
                    self.step, self.h.now
                ));
            }
            self.h.now = t;
            self.feed(Input::Timeout)?;
            if let Some(next) = self.h.router.poll_timeout() {
                prop_assert!(
                    next >= self.h.now,
                    "step {}: after Timeout at {}, poll_timeout is earlier: {next}",
                    self.step,
                    self.h.now
                );
            }
            self.after_step()?;
        }
        self.h.now = end;
        self.after_step()
    }

    fn waiting(&self) -> Vec<(String, Vec<u64>)> {
        self.wait_groups
            .iter()
            .map(|g| {
                let ids = self.h.router.waiting(g).iter().map(|(c, _)| c.0).collect();
                (g.clone(), ids)
            })
            .collect()
    }

    /// Feeds one input: what the shell knows from sending it, then its outputs one by one.
    fn feed(&mut self, input: Input) -> Result<(), TestCaseError> {
        let waiting_before = self.waiting();
        match &input {
            // A new call (a re-offer of a live one changes nothing).
            Input::Offer {
                call,
                caller,
                target,
            } if !self.active.contains_key(&call.0) => {
                *self.offers.entry(call.0).or_default() += 1;
                let queue = match target {
                    Target::Entry(_) => true,
                    Target::Dialled(n) => self.config.employee(n).is_none(),
                    Target::Outside(_) => false,
                };
                let active = Active {
                    caller: caller.clone(),
                    queue,
                    connected: None,
                    holding: false,
                };
                self.active.insert(call.0, active);
            }
            // A declined phone no longer rings (the router does not say StopRinging for it).
            Input::Declined { call, employee, .. } => {
                self.ringing.remove(&(call.0, employee.clone()));
            }
            Input::EmployeeBusy { employee } => {
                *self.external.entry(employee.clone()).or_default() += 1;
            }
            Input::EmployeeFree { employee } => {
                let n = self.external.entry(employee.clone()).or_default();
                *n = n.saturating_sub(1);
            }
            Input::Presence { employee, presence } => {
                self.presence.insert(employee.clone(), *presence);
            }
            _ => {}
        }
        let outputs = self.h.feed(input.clone());
        let cx = Context {
            input,
            waiting_before,
            waiting_after: self.waiting(),
        };
        for (i, o) in outputs.iter().enumerate() {
            self.output(&cx, o).map_err(|e| {
                TestCaseError::fail(format!(
                    "{e}\n  input: {:?}\n  output #{i} of {outputs:#?}",
                    cx.input
                ))
            })?;
        }
        Ok(())
    }

    /// Why an employee must not be rung now, if they must not.
    fn busy_reason(&self, e: &Extension, queue: bool) -> Option<&'static str> {
        if self
            .active
            .values()
            .any(|a| a.connected.as_ref() == Some(e))
        {
            return Some("(a) connected on a call");
        }
        if self.ringing.iter().any(|(_, x)| x == e) {
            return Some("(b) ringing for a call");
        }
        if queue && self.presence.get(e).copied() != Some(Presence::Available) {
            return Some("(c) on break or off");
        }
        if self.external.get(e).copied().unwrap_or(0) > 0 {
            return Some("(d) on an outside call");
        }
        if self
            .active
            .values()
            .any(|a| matches!(&a.caller, Caller::Extension(x) if x == e))
        {
            return Some("(e) calling on an active call");
        }
        None
    }

    fn is_ringing(&self, call: u64) -> bool {
        self.ringing.iter().any(|(c, _)| *c == call)
    }

    fn output(&mut self, cx: &Context, o: &Output) -> Result<(), TestCaseError> {
        let step = self.step;
        match o {
            Output::Ringback { call }
            | Output::HoldMusic { call, .. }
            | Output::ForwardToNumber { call, .. }
            | Output::Voicemail { call, .. }
            | Output::End { call, .. } => {
                let Some(a) = self.active.get_mut(&call.0) else {
                    return fail(format!("step {step}: {o:?} for a call not active"));
                };
                if let Output::HoldMusic { .. } = o {
                    prop_assert!(!a.holding, "step {step}: hold music twice for {call:?}");
                    a.holding = true;
                }
            }
            Output::Ring { call, employee } => {
                let Some(a) = self.active.get(&call.0) else {
                    return fail(format!("step {step}: {o:?} for a call not active"));
                };
                prop_assert!(
                    a.connected.is_none(),
                    "step {step}: {o:?} for a connected call"
                );
                // Property 1.
                if let Some(why) = self.busy_reason(employee, a.queue) {
                    return fail(format!("step {step}: busy member rung: {o:?}: {why}"));
                }
                // Property 2.
                if a.holding {
                    self.first_come_first_served(cx, call.0, o)?;
                }
                self.ringing.insert((call.0, employee.clone()));
            }
            Output::StopRinging { call, employee } => {
                // Property 5 (second half).
                prop_assert!(
                    self.ringing.remove(&(call.0, employee.clone())),
                    "step {step}: {o:?} but that phone was not ringing for that call"
                );
            }
            Output::Connect { call, employee } => {
                let answered = matches!(&cx.input,
                    Input::Answered { call: c, employee: e } if c == call && e == employee);
                prop_assert!(answered, "step {step}: {o:?} without that answer");
                prop_assert!(
                    self.ringing.remove(&(call.0, employee.clone())),
                    "step {step}: {o:?} but that phone was not ringing for it"
                );
                let Some(a) = self.active.get_mut(&call.0) else {
                    return fail(format!("step {step}: {o:?} for a call not active"));
                };
                prop_assert!(a.connected.is_none(), "step {step}: connected twice: {o:?}");
                a.connected = Some(employee.clone());
                a.holding = false;
                prop_assert!(
                    !self.is_ringing(call.0),
                    "step {step}: {o:?} but other phones still ring for it"
                );
            }
            Output::Record(r) => {
                // Property 3 (no record for a call never offered, one per offer).
                prop_assert!(
                    self.active.remove(&r.call.0).is_some(),
                    "step {step}: record for a call not offered or already recorded: {r:?}"
                );
                self.ringing.retain(|(c, _)| *c != r.call.0);
                self.records.push(r.clone());
            }
            Output::Notify(_) | Output::Crm(_) => {}
        }
        Ok(())
    }

    /// Property 2: a caller on hold who gets a member has no earlier caller on hold in the
    /// same group who rings nobody.
    fn first_come_first_served(
        &self,
        cx: &Context,
        call: u64,
        o: &Output,
    ) -> Result<(), TestCaseError> {
        let before = cx.waiting_before.iter().find_map(|(g, ids)| {
            let pos = ids.iter().position(|c| *c == call)?;
            Some((g, &ids[..pos]))
        });
        // A call that entered the group in this step came after everyone waiting before it.
        let earlier = before.or_else(|| {
            let (g, _) = cx
                .waiting_after
                .iter()
                .find(|(_, ids)| ids.contains(&call))?;
            let (_, ids) = cx.waiting_before.iter().find(|(b, _)| b == g)?;
            Some((g, &ids[..]))
        });
        let Some((group, earlier)) = earlier else {
            return Ok(());
        };
        for c in earlier {
            let Some(a) = self.active.get(c) else {
                continue;
            };
            if a.holding && a.connected.is_none() && !self.is_ringing(*c) {
                return fail(format!(
                    "step {}: {o:?} for a caller on hold in {group:?} while caller {c}, \
                     waiting longer ({earlier:?} were ahead), rings nobody",
                    self.step
                ));
            }
        }
        Ok(())
    }

    /// Whether a member could take a queue call now.
    fn free(&self, e: &Extension) -> bool {
        self.busy_reason(e, true).is_none()
    }

    /// Properties 3 and 4 after every step: the shell and the router agree on the active calls,
    /// and none is stranded.
    fn after_step(&self) -> Result<(), TestCaseError> {
        let step = self.step;
        let now = self.h.now;
        prop_assert_eq!(
            self.h.router.active_calls(),
            self.active.len(),
            "step {}: router and shell disagree on active calls {:?}",
            step,
            self.active.keys().collect::<Vec<_>>()
        );
        let timeout = self.h.router.poll_timeout();
        if let Some(t) = timeout {
            prop_assert!(t >= now, "step {step}: deadline {t} before now {now}");
        }
        for (id, a) in &self.active {
            if a.connected.is_some() || self.is_ringing(*id) {
                continue;
            }
            let group = self.config.groups.iter().find(|g| {
                self.h
                    .router
                    .waiting(g.name.as_str())
                    .iter()
                    .any(|(c, _)| c.0 == *id)
            });
            if let (true, Some(g)) = (a.holding, group) {
                let free: Vec<&Extension> = g.members.iter().filter(|m| self.free(m)).collect();
                // SPEC §2: "as soon as any member becomes free the longest waiting caller goes
                // to that member" — a caller on hold never waits while a member is free.
                prop_assert!(
                    free.is_empty(),
                    "step {step}: call {id} waits on hold in {} while {free:?} are free",
                    g.name.as_str()
                );
                continue;
            }
            prop_assert!(
                timeout.is_some(),
                "step {step}: call {id} ({a:?}) has no next step and no deadline"
            );
        }
        Ok(())
    }

    /// Hangs up every call still active (connected ones with CallEnded or CallerHungUp in
    /// turn, the others with CallerHungUp or CallEnded), checking each step.
    fn end_everything(&mut self) -> Result<(), TestCaseError> {
        let mut rounds = 0;
        while let Some((&id, a)) = self.active.iter().next() {
            rounds += 1;
            prop_assert!(rounds <= 64, "calls do not end: {:?}", self.active);
            self.step += 1;
            let input = if (a.connected.is_some()) == (id % 2 == 0) {
                Input::CallEnded { call: CallId(id) }
            } else {
                Input::CallerHungUp { call: CallId(id) }
            };
            self.feed(input)?;
            prop_assert!(
                !self.active.contains_key(&id),
                "step {}: call {id} still active after hanging up",
                self.step
            );
            self.after_step()?;
        }
        Ok(())
    }

    fn final_checks(&self) -> Result<(), TestCaseError> {
        // Property 3.
        let mut recorded: BTreeMap<u64, usize> = BTreeMap::new();
        for r in &self.records {
            *recorded.entry(r.call.0).or_default() += 1;
        }
        prop_assert_eq!(&recorded, &self.offers, "records per call id vs offers");
        prop_assert_eq!(self.h.router.active_calls(), 0);
        prop_assert_eq!(self.h.router.poll_timeout(), None::<DateTime<Utc>>);
        // Property 5.
        prop_assert!(
            self.ringing.is_empty(),
            "rings never stopped: {:?}",
            self.ringing
        );
        // Property 6.
        let stats = self.h.router.statistics();
        for g in self.config.groups.iter() {
            let name = g.name.as_str();
            let mut expect = (0u64, 0u64, 0u64, 0u64); // offered, answered, missed, forwarded
            for r in self
                .records
                .iter()
                .filter(|r| r.groups.iter().any(|x| x == name))
            {
                expect.0 += 1;
                if r.groups.last().map(String::as_str) != Some(name) {
                    expect.3 += 1; // passed on to the next group
                    continue;
                }
                match r.outcome {
                    Outcome::Answered => expect.1 += 1,
                    Outcome::Forwarded { .. } => expect.3 += 1,
                    _ => expect.2 += 1,
                }
            }
            let s = stats.get(name).cloned().unwrap_or_default();
            prop_assert_eq!(
                (s.offered, s.answered, s.missed, s.forwarded),
                expect,
                "statistics of {} (offered, answered, missed, forwarded)",
                name
            );
            prop_assert_eq!(s.answered + s.missed + s.forwarded, s.offered);
        }
        Ok(())
    }
}

fn check(distribution: Distribution, unanswered: Unanswered) {
    let config = office(distribution, unanswered);
    assert!(
        firmware_config::validate::validate(&config).is_empty(),
        "test configuration invalid"
    );
    let config = Arc::new(config);
    let mut runner = TestRunner::new(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        // ChaCha in a debug build costs more than the router under test.
        rng_algorithm: RngAlgorithm::XorShift,
        ..ProptestConfig::default()
    });
    let result = runner.run(&ops(), |ops| Shell::new(config.clone()).run(&ops.0));
    if let Err(e) = result {
        panic!("{e}");
    }
}

fn to_number() -> Unanswered {
    Unanswered::ForwardToNumber(num("+44 20 7946 0958"))
}

fn to_office() -> Unanswered {
    Unanswered::ForwardToGroup(text("office"))
}

macro_rules! properties {
    ($($name:ident: $distribution:ident, $unanswered:expr;)*) => {$(
        #[test]
        fn $name() {
            check(Distribution::$distribution, $unanswered);
        }
    )*};
}

properties! {
    in_order_forward_to_last_member: InOrder, Unanswered::ForwardToLastMember;
    in_order_forward_to_number: InOrder, to_number();
    in_order_forward_to_group: InOrder, to_office();
    in_order_wait_for_agent: InOrder, Unanswered::WaitForAgent;
    evenly_forward_to_last_member: Evenly, Unanswered::ForwardToLastMember;
    evenly_forward_to_number: Evenly, to_number();
    evenly_forward_to_group: Evenly, to_office();
    evenly_wait_for_agent: Evenly, Unanswered::WaitForAgent;
    simultaneously_forward_to_last_member: Simultaneously, Unanswered::ForwardToLastMember;
    simultaneously_forward_to_number: Simultaneously, to_number();
    simultaneously_forward_to_group: Simultaneously, to_office();
    simultaneously_wait_for_agent: Simultaneously, Unanswered::WaitForAgent;
}

// ---------------------------------------------------------------------------------------------
// Bugs the properties found, as plain tests.

// Property 1 (a): an employee talking on a call who places a second call (from another of
// their phones) counted as free once that second call ended, and was rung for the next caller
// while still talking.
#[test]
fn an_employee_still_talking_after_their_second_call_ends_is_not_rung() {
    let mut h = Harness::new(office(
        Distribution::InOrder,
        Unanswered::ForwardToLastMember,
    ));
    assert_eq!(rung(&h.call_entry(1, "+48 601 111 111", "main")), ["101"]);
    h.answer(1, "101");
    h.dial(2, "101", "104"); // 101 calls 104 from another phone...
    h.hang_up(2); // ...and hangs that call up; 101 still talks on call 1.
    assert_eq!(rung(&h.call_entry(3, "+48 601 111 113", "main")), ["102"]);
}

// Property 1 (e): the same the other way round: an employee calling out answers a queue call
// that was ringing them; once the queue call ends they are still calling.
#[test]
fn an_employee_still_calling_after_the_call_they_answered_ends_is_not_rung() {
    let mut h = Harness::new(office(
        Distribution::InOrder,
        Unanswered::ForwardToLastMember,
    ));
    assert_eq!(rung(&h.call_entry(1, "+48 601 111 111", "main")), ["101"]);
    h.dial(2, "101", "104"); // 101 calls 104 from another phone while theirs rings...
    h.answer(1, "101");
    h.hang_up(1); // ...and the queue call ends; 101's call to 104 still rings.
    assert_eq!(rung(&h.call_entry(3, "+48 601 111 113", "main")), ["102"]);
}
