//! Routing decisions per second on one core, and the memory the router holds per waiting
//! call. A plain `main` with no benchmark framework:
//!
//! ```text
//! cargo bench -p pbx --bench routing
//! ```
//!
//! The office: 20 employees (1000–1019) in one queue group "support" (number 500, ring time
//! 20 s, unanswered calls wait for an agent), reached through the entry point "main"
//! (internal number 600, no schedule). Time is virtual: the clock moves 1 s per cycle.
//!
//! Throughput. 200 callers wait on hold while every member is busy, then each cycle takes the
//! longest waiting caller through ring → answer → hang-up and offers a new caller, so 200
//! keep waiting. Every `handle_input` is one decision; its outputs are drained and checked
//! (the right caller rings the right member, is connected, gets a record; the new caller
//! hears hold music), so the loop cannot silently measure nothing. The time includes building
//! the inputs and draining the outputs, as a shell would. Each scenario runs a warm-up round
//! and then several rounds; the table shows the median round.
//!
//! Memory. A counting global allocator tracks the bytes currently allocated; the router's
//! heap with N waiting callers minus with none, divided by N, is the memory per waiting call.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use firmware_config::bounded::{List, Table, Text};
use firmware_config::employee::{Employee, Presence, SipDevice};
use firmware_config::entry::{CrmOptions, Destination, EntryPoint, EntrySource};
use firmware_config::group::{Distribution, QueueGroup, Unanswered};
use firmware_config::number::{Extension, PhoneNumber};
use firmware_config::Config;
use pbx::routing::{CallId, CallRecord, Caller, EndCause, Input, Output, Router, Target};

// ---------------------------------------------------------------------------------------------
// A global allocator that counts the bytes currently allocated (only while switched on, so the
// throughput rounds pay one relaxed load per allocation and nothing more).

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATED: AtomicIsize = AtomicIsize::new(0);
/// The same blocks as glibc's malloc on 64-bit holds them (an estimate): the size plus an
/// 8-byte header, rounded up to 16, at least 32.
static FOOTPRINT: AtomicIsize = AtomicIsize::new(0);
/// Allocations made (including growing reallocations).
static ALLOCATIONS: AtomicIsize = AtomicIsize::new(0);

fn chunk(size: usize) -> isize {
    ((size + 8).div_ceil(16) * 16).max(32) as isize
}

fn count(old: usize, new: usize) {
    if COUNTING.load(Ordering::Relaxed) {
        if new > old {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        let (o, n) = (old as isize, new as isize);
        ALLOCATED.fetch_add(n - o, Ordering::Relaxed);
        let (oc, nc) = (
            if old == 0 { 0 } else { chunk(old) },
            if new == 0 { 0 } else { chunk(new) },
        );
        FOOTPRINT.fetch_add(nc - oc, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; only counters change.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(0, layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(0, layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) };
        count(layout.size(), 0);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(layout.size(), new_size);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Bytes allocated now, and the estimated malloc footprint of those blocks.
fn allocated() -> (isize, isize) {
    (
        ALLOCATED.load(Ordering::Relaxed),
        FOOTPRINT.load(Ordering::Relaxed),
    )
}

// ---------------------------------------------------------------------------------------------
// This thread's CPU time: on a shared machine the rates per CPU second are the ones to compare
// (the wall-clock rates are shown too).

#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn cpu_time() -> Option<Duration> {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut t = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec; the clock id is Linux's.
    let ok = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0;
    ok.then(|| Duration::new(t.tv_sec as u64, t.tv_nsec as u32))
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn cpu_time() -> Option<Duration> {
    None
}

// ---------------------------------------------------------------------------------------------
// The office.

const MEMBERS: usize = 20;
const WAITING: usize = 200;
const GROUP: &str = "support";
const ENTRY: &str = "main";

/// Wall time of one timed round, and the rounds per scenario (after one warm-up round).
const ROUND: Duration = Duration::from_millis(400);
const ROUNDS: usize = 6;
/// Cycles between two looks at the clock.
const BATCH: usize = 256;

fn ext(s: &str) -> Extension {
    Extension::parse(s).expect("extension")
}

fn text<const N: usize>(s: &str) -> Text<N> {
    Text::new(s).expect("fits")
}

fn member(i: usize) -> Extension {
    ext(&(1000 + i).to_string())
}

fn office(distribution: Distribution) -> Config {
    let (mut c, _) = firmware_config::default::factory_default().expect("randomness");
    let mut employees = Table::new();
    for i in 0..MEMBERS {
        let extension = member(i);
        let mut devices = List::new();
        let password = firmware_config::default::random_password(16).expect("randomness");
        devices
            .push(SipDevice {
                username: text(extension.as_str()),
                password: text(&password),
            })
            .expect("room");
        employees
            .push(Employee {
                extension,
                name: text(&format!("Agent {}", i + 1)),
                mobile: None,
                presence: Presence::Available,
                devices,
            })
            .expect("room");
    }
    c.employees = employees;
    let mut members = List::new();
    for i in 0..MEMBERS {
        members.push(member(i)).expect("room");
    }
    c.groups = Table::new();
    c.groups
        .push(QueueGroup {
            name: text(GROUP),
            number: ext("500"),
            members,
            distribution,
            ring_time_secs: 20,
            unanswered: Unanswered::WaitForAgent,
        })
        .expect("room");
    c.entry_points = Table::new();
    c.entry_points
        .push(EntryPoint {
            name: text(ENTRY),
            source: EntrySource::Internal(ext("600")),
            destination: Destination::Group(text(GROUP)),
            schedule: None,
            hold_music: None,
            crm: CrmOptions::default(),
        })
        .expect("room");
    let problems = firmware_config::validate::validate(&c);
    assert!(
        problems.is_empty(),
        "benchmark office invalid: {problems:#?}"
    );
    c
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0)
        .single()
        .expect("valid")
}

// ---------------------------------------------------------------------------------------------
// Driving the router.

/// What one decision's outputs contained (enough to check the scenario, cheap to collect).
#[derive(Default)]
struct Seen {
    outputs: u64,
    rings: u32,
    ring: Option<(CallId, Extension)>,
    stop_ringing: u32,
    connect: Option<(CallId, Extension)>,
    record: Option<CallId>,
    answered_by: Option<Extension>,
    hold: Option<CallId>,
    end: Option<(CallId, EndCause)>,
}

struct Bench {
    router: Router,
    now: DateTime<Utc>,
    next_id: u64,
    /// The callers the bench expects to be waiting, longest first.
    waiting: VecDeque<CallId>,
    /// Outside numbers callers call from (built once: parsing is not the router's work).
    numbers: Vec<PhoneNumber>,
    decisions: u64,
    outputs: u64,
}

impl Bench {
    fn new(distribution: Distribution) -> Bench {
        let now = start();
        let numbers = (0..1000)
            .map(|i| PhoneNumber::parse(&format!("+48 601 {i:06}"), None).expect("number"))
            .collect();
        Bench {
            router: Router::new(Arc::new(office(distribution)), Default::default(), now),
            now,
            next_id: 1,
            waiting: VecDeque::new(),
            numbers,
            decisions: 0,
            outputs: 0,
        }
    }

    fn feed(&mut self, input: Input) -> Seen {
        self.router.handle_input(self.now, input);
        self.decisions += 1;
        let mut seen = Seen::default();
        while let Some(o) = self.router.poll_output() {
            seen.outputs += 1;
            match o {
                Output::Ring { call, employee } => {
                    seen.rings += 1;
                    seen.ring = Some((call, employee));
                }
                Output::StopRinging { .. } => seen.stop_ringing += 1,
                Output::Connect { call, employee } => seen.connect = Some((call, employee)),
                Output::HoldMusic { call, .. } => seen.hold = Some(call),
                Output::End { call, cause } => seen.end = Some((call, cause)),
                Output::Record(CallRecord {
                    call, answered_by, ..
                }) => {
                    seen.record = Some(call);
                    seen.answered_by = answered_by;
                }
                other => {
                    black_box(other);
                }
            }
        }
        self.outputs += seen.outputs;
        seen
    }

    fn offer(&mut self) -> (CallId, Seen) {
        let id = CallId(self.next_id);
        self.next_id += 1;
        let number = self.numbers[(id.0 % self.numbers.len() as u64) as usize].clone();
        let seen = self.feed(Input::Offer {
            call: id,
            caller: Caller::Number(number),
            target: Target::Entry(ENTRY.into()),
        });
        (id, seen)
    }

    /// Offers a caller while every member is busy: they must go on hold, ringing nobody.
    fn offer_to_wait(&mut self) {
        let (id, seen) = self.offer();
        assert_eq!(seen.hold, Some(id), "a new caller hears hold music");
        assert_eq!(seen.rings, 0, "nobody is free to ring");
        self.waiting.push_back(id);
    }

    fn employee(&mut self, m: usize, busy: bool) -> Seen {
        let employee = member(m);
        self.feed(if busy {
            Input::EmployeeBusy { employee }
        } else {
            Input::EmployeeFree { employee }
        })
    }

    /// Every member on an outside call, then `n` callers on hold.
    fn fill(&mut self, n: usize) {
        for m in 0..MEMBERS {
            assert_eq!(self.employee(m, true).outputs, 0);
        }
        for _ in 0..n {
            self.offer_to_wait();
        }
        self.check_queue(None);
    }

    /// The router's queue is the bench's: `ringing` (if any) then the callers on hold, in
    /// arrival order; only `ringing` has a deadline.
    fn check_queue(&self, ringing: Option<CallId>) {
        let waiting = self.router.waiting(GROUP);
        let expected: Vec<CallId> = ringing
            .into_iter()
            .chain(self.waiting.iter().copied())
            .collect();
        assert_eq!(waiting.len(), expected.len(), "callers in the group");
        assert!(
            waiting.iter().map(|(id, _)| *id).eq(expected),
            "the router's queue is the bench's, in arrival order"
        );
        assert_eq!(
            self.router.poll_timeout().is_some(),
            ringing.is_some(),
            "only the ringing caller has a deadline"
        );
    }

    fn answer_and_hang_up(&mut self, call: CallId, m: usize, wrap_up: bool) -> Seen {
        let employee = member(m);
        let seen = self.feed(Input::Answered {
            call,
            employee: employee.clone(),
        });
        assert_eq!(seen.connect, Some((call, employee.clone())), "connected");
        if wrap_up {
            // The member takes an outside call before hanging up, so the hang-up does not
            // free them: the next caller waits for the next `EmployeeFree`.
            assert_eq!(self.employee(m, true).outputs, 0);
        }
        let seen = self.feed(Input::CallEnded { call });
        assert_eq!(seen.record, Some(call), "the call's record");
        assert_eq!(seen.answered_by, Some(employee), "answered by the member");
        seen
    }

    /// Scenario A (5 decisions): a member becomes free → the longest waiting caller rings
    /// them → answered → (the member starts an outside call) → hung up → a new caller waits.
    fn cycle_external_free(&mut self, m: usize) {
        let seen = self.employee(m, false);
        let longest = self.waiting.pop_front().expect("someone waits");
        assert_eq!(seen.rings, 1, "exactly one phone rings");
        assert_eq!(
            seen.ring,
            Some((longest, member(m))),
            "the longest waiting caller"
        );
        let seen = self.answer_and_hang_up(longest, m, true);
        assert_eq!(seen.rings, 0, "the member is still on the outside call");
        self.offer_to_wait();
        self.now += chrono::Duration::seconds(1);
    }

    /// Scenario B (3 decisions): the member's previous call ends, which frees them → the
    /// longest waiting caller rings them at once; answered; a new caller waits.
    fn cycle_back_to_back(&mut self, m: usize, ringing: CallId) -> CallId {
        let seen = self.answer_and_hang_up(ringing, m, false);
        let next = self.waiting.pop_front().expect("someone waits");
        assert_eq!(seen.rings, 1, "the freed member rings for the next caller");
        assert_eq!(
            seen.ring,
            Some((next, member(m))),
            "the longest waiting caller"
        );
        self.offer_to_wait();
        self.now += chrono::Duration::seconds(1);
        next
    }

    /// Simultaneously (3 decisions): every member free; a caller rings all 20 at once, one
    /// answers (the other 19 stop ringing), the call ends. Nobody can wait: simultaneously +
    /// wait for an agent ends a call after one unanswered pass (SPEC §2).
    fn cycle_simultaneously(&mut self, m: usize) {
        let (id, seen) = self.offer();
        assert_eq!(seen.rings as usize, MEMBERS, "every member rings");
        let employee = member(m);
        let seen = self.feed(Input::Answered {
            call: id,
            employee: employee.clone(),
        });
        assert_eq!(seen.connect, Some((id, employee)));
        assert_eq!(seen.stop_ringing as usize, MEMBERS - 1);
        let seen = self.feed(Input::CallEnded { call: id });
        assert_eq!(seen.record, Some(id));
        self.now += chrono::Duration::seconds(1);
    }
}

// ---------------------------------------------------------------------------------------------
// Throughput.

#[derive(Clone, Copy, PartialEq)]
enum Scenario {
    ExternalFree,
    BackToBack,
    Simultaneously,
}

struct Round {
    /// Per CPU second (per wall second where the CPU time is unknown).
    decisions_per_s: f64,
    outputs_per_s: f64,
    ns_per_decision: f64,
    /// Per wall second.
    wall_decisions_per_s: f64,
    /// CPU time / wall time.
    cpu_share: f64,
}

struct Row {
    label: String,
    decisions_per_cycle: f64,
    outputs_per_decision: f64,
    allocations_per_decision: f64,
    median: Round,
    min: f64,
    max: f64,
    rounds: usize,
}

/// Runs a scenario's cycles.
struct Driver {
    scenario: Scenario,
    cycle: usize,
    /// Back to back: the caller ringing member 0.
    ringing: Option<CallId>,
}

impl Driver {
    /// Sets the scenario up.
    fn new(b: &mut Bench, scenario: Scenario) -> Driver {
        let mut ringing = None;
        match scenario {
            Scenario::ExternalFree => b.fill(WAITING),
            // One member always has a caller ringing; the others stay busy outside.
            Scenario::BackToBack => {
                b.fill(WAITING);
                let seen = b.employee(0, false);
                let first = b.waiting.pop_front().expect("someone waits");
                assert_eq!(seen.ring, Some((first, member(0))));
                b.offer_to_wait();
                ringing = Some(first);
            }
            Scenario::Simultaneously => {}
        }
        Driver {
            scenario,
            cycle: 0,
            ringing,
        }
    }

    fn run(&mut self, b: &mut Bench, cycles: usize) {
        for _ in 0..cycles {
            let m = self.cycle % MEMBERS;
            match self.scenario {
                Scenario::ExternalFree => b.cycle_external_free(m),
                Scenario::BackToBack => {
                    let call = self.ringing.take().expect("a caller rings");
                    self.ringing = Some(b.cycle_back_to_back(0, call));
                }
                Scenario::Simultaneously => b.cycle_simultaneously(m),
            }
            self.cycle += 1;
        }
    }
}

fn throughput(label: &str, distribution: Distribution, scenario: Scenario) -> Row {
    let mut b = Bench::new(distribution);
    let mut driver = Driver::new(&mut b, scenario);
    let mut rounds = Vec::new();
    let mut total = (0u64, 0u64, 0u64); // decisions, outputs, cycles
    for round in 0..=ROUNDS {
        let (d0, o0) = (b.decisions, b.outputs);
        let mut cycles = 0u64;
        let cpu_started = cpu_time();
        let started = Instant::now();
        while started.elapsed() < ROUND {
            driver.run(&mut b, BATCH);
            cycles += BATCH as u64;
        }
        let wall = started.elapsed().as_secs_f64();
        let cpu = cpu_started
            .zip(cpu_time())
            .map(|(a, b)| (b - a).as_secs_f64())
            .unwrap_or(wall);
        let (d, o) = (b.decisions - d0, b.outputs - o0);
        if scenario != Scenario::Simultaneously {
            assert_eq!(b.waiting.len(), WAITING);
            b.check_queue(driver.ringing);
        }
        if round == 0 {
            continue; // warm-up
        }
        total = (total.0 + d, total.1 + o, total.2 + cycles);
        rounds.push(Round {
            decisions_per_s: d as f64 / cpu,
            outputs_per_s: o as f64 / cpu,
            ns_per_decision: cpu * 1e9 / d as f64,
            wall_decisions_per_s: d as f64 / wall,
            cpu_share: cpu / wall,
        });
    }
    assert_eq!(b.router.active_calls(), {
        match scenario {
            Scenario::ExternalFree => WAITING,
            Scenario::BackToBack => WAITING + 1,
            Scenario::Simultaneously => 0,
        }
    });
    // Allocations per decision, counted over some more cycles (not timed).
    let d0 = b.decisions;
    ALLOCATIONS.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    driver.run(&mut b, 10 * BATCH);
    COUNTING.store(false, Ordering::SeqCst);
    let allocations_per_decision =
        ALLOCATIONS.load(Ordering::SeqCst) as f64 / (b.decisions - d0) as f64;
    rounds.sort_by(|a, b| a.decisions_per_s.total_cmp(&b.decisions_per_s));
    let min = rounds[0].decisions_per_s;
    let max = rounds[rounds.len() - 1].decisions_per_s;
    let n = rounds.len();
    let median = rounds.swap_remove(n / 2);
    Row {
        label: label.into(),
        decisions_per_cycle: total.0 as f64 / total.2 as f64,
        outputs_per_decision: total.1 as f64 / total.0 as f64,
        allocations_per_decision,
        median,
        min,
        max,
        rounds: n,
    }
}

fn millions(x: f64) -> String {
    format!("{:.3}M", x / 1e6)
}

// ---------------------------------------------------------------------------------------------
// Memory.

struct Memory {
    label: String,
    n: usize,
    empty: (isize, isize),
    full: (isize, isize),
    after_churn: (isize, isize),
}

impl Memory {
    /// Bytes per waiting call: requested, and as malloc holds them (estimated).
    fn per_call(&self, held: (isize, isize)) -> (f64, f64) {
        let n = self.n as f64;
        (
            (held.0 - self.empty.0) as f64 / n,
            (held.1 - self.empty.1) as f64 / n,
        )
    }
}

/// The router's heap with every member busy and no caller, then with `n` callers waiting, then
/// after `n` more cycles (each serving one caller and adding one, so `n` still wait).
fn memory(distribution: Distribution, n: usize) -> Memory {
    COUNTING.store(true, Ordering::SeqCst);
    ALLOCATED.store(0, Ordering::SeqCst);
    FOOTPRINT.store(0, Ordering::SeqCst);
    let mut b = Bench::new(distribution);
    b.waiting.reserve(n + 1); // the bench's own bookkeeping is not the router's memory
    b.fill(0);
    let empty = allocated();
    for _ in 0..n {
        b.offer_to_wait();
    }
    let full = allocated();
    for c in 0..n {
        b.cycle_external_free(c % MEMBERS);
    }
    let after_churn = allocated();
    b.check_queue(None);
    drop(b);
    COUNTING.store(false, Ordering::SeqCst);
    Memory {
        label: format!("{distribution:?}"),
        n,
        empty,
        full,
        after_churn,
    }
}

// ---------------------------------------------------------------------------------------------

fn main() {
    // Optional filters (`cargo bench -p pbx --bench routing -- "B:" memory`): only the rows
    // whose label contains one of them; "memory" for the memory table.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted = |label: &str| filters.is_empty() || filters.iter().any(|f| label.contains(f));
    let mut rows = Vec::new();
    for (label, distribution, scenario) in [
        (
            "evenly         A: free→ring→answer→hang-up→offer",
            Distribution::Evenly,
            Scenario::ExternalFree,
        ),
        (
            "in_order       A: free→ring→answer→hang-up→offer",
            Distribution::InOrder,
            Scenario::ExternalFree,
        ),
        (
            "evenly         B: answer→hang-up(→ring)→offer",
            Distribution::Evenly,
            Scenario::BackToBack,
        ),
        (
            "in_order       B: answer→hang-up(→ring)→offer",
            Distribution::InOrder,
            Scenario::BackToBack,
        ),
        (
            "simultaneously S: offer(ring 20)→answer→hang-up",
            Distribution::Simultaneously,
            Scenario::Simultaneously,
        ),
    ] {
        if wanted(label) {
            rows.push(throughput(label, distribution, scenario));
        }
    }

    println!();
    println!(
        "Routing throughput, one core: group of {MEMBERS}, {WAITING} callers waiting \
         (scenario S: none can wait), virtual clock +1 s per cycle"
    );
    println!(
        "median of {} rounds of {:.1} s wall time each after a warm-up round; a decision (= an \
         input) is one handle_input; rates per CPU second of the benchmark thread{}",
        ROUNDS,
        ROUND.as_secs_f64(),
        if cpu_time().is_some() {
            ""
        } else {
            " (unavailable here: per wall second)"
        }
    );
    println!();
    println!(
        "{:<50} {:>9} {:>7} {:>9} {:>13} {:>11} {:>7} {:>21} {:>11} {:>5}",
        "scenario",
        "dec/cycle",
        "out/dec",
        "alloc/dec",
        "decisions/s",
        "outputs/s",
        "ns/dec",
        "decisions/s min..max",
        "wall dec/s",
        "cpu%"
    );
    for r in &rows {
        println!(
            "{:<50} {:>9.1} {:>7.2} {:>9.1} {:>13} {:>11} {:>7.0} {:>10}..{:<10} {:>11} {:>4.0}%",
            r.label,
            r.decisions_per_cycle,
            r.outputs_per_decision,
            r.allocations_per_decision,
            millions(r.median.decisions_per_s),
            millions(r.median.outputs_per_s),
            r.median.ns_per_decision,
            millions(r.min),
            millions(r.max),
            millions(r.median.wall_decisions_per_s),
            r.median.cpu_share * 100.0,
        );
        assert!(r.rounds == ROUNDS);
    }
    let worst = rows
        .iter()
        .filter(|r| !r.label.starts_with("simultaneously"))
        .map(|r| r.median.decisions_per_s)
        .fold(f64::INFINITY, f64::min);
    if worst.is_finite() {
        println!();
        println!(
            "target ≥ 1,000,000 decisions/s with {WAITING} waiting: worst median {} → {}",
            millions(worst),
            if worst >= 1e6 { "MET" } else { "NOT MET" }
        );
    }
    if !wanted("memory") {
        return;
    }

    println!();
    println!("Memory held by the router per waiting call (counting global allocator)");
    println!(
        "heap bytes requested with every member busy: 0 waiting, N waiting, and after N more \
         cycles (N still waiting);"
    );
    println!(
        "per waiting call = (heap with N - heap with 0) / N, requested [and as glibc malloc \
         holds the blocks, estimated]"
    );
    println!();
    println!(
        "{:<8} {:>5} {:>10} {:>10} {:>16} {:>12} {:>16}",
        "group", "N", "heap, 0", "heap, N", "B/waiting [mal]", "after churn", "B/waiting [mal]"
    );
    let (mut worst, mut worst_malloc): (f64, f64) = (0.0, 0.0);
    for distribution in [Distribution::Evenly, Distribution::InOrder] {
        for n in [200, 1000, 2000] {
            let m = memory(distribution, n);
            let (full, churn) = (m.per_call(m.full), m.per_call(m.after_churn));
            worst = worst.max(full.0).max(churn.0);
            worst_malloc = worst_malloc.max(full.1).max(churn.1);
            println!(
                "{:<8} {:>5} {:>10} {:>10} {:>9.0} [{:>4.0}] {:>12} {:>9.0} [{:>4.0}]",
                m.label,
                m.n,
                m.empty.0,
                m.full.0,
                full.0,
                full.1,
                m.after_churn.0,
                churn.0,
                churn.1
            );
        }
    }
    println!();
    println!(
        "target < 1 KB (1024 B) per waiting call: worst {worst:.0} B requested, {worst_malloc:.0} B \
         with malloc's headers and rounding → {}",
        if worst_malloc < 1024.0 { "MET" } else { "NOT MET" }
    );
    println!();
    println!("sizes (std::mem::size_of, bytes)");
    for (name, size) in [
        ("Router", std::mem::size_of::<Router>()),
        ("Input", std::mem::size_of::<Input>()),
        ("Output", std::mem::size_of::<Output>()),
        ("CallRecord", std::mem::size_of::<CallRecord>()),
        ("Caller", std::mem::size_of::<Caller>()),
        ("CallId", std::mem::size_of::<CallId>()),
        ("Extension", std::mem::size_of::<Extension>()),
        ("PhoneNumber", std::mem::size_of::<PhoneNumber>()),
        ("Config", std::mem::size_of::<Config>()),
        ("QueueGroup", std::mem::size_of::<QueueGroup>()),
    ] {
        println!("  {name:<12} {size:>6}");
    }
}
