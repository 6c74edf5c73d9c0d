//! The media engine under load: N bridged calls (default 1,000: 2,000 legs) relaying 20 ms
//! G.711 packets both ways with transcoding (one side µ-law, the other A-law), on real UDP
//! sockets on 127.0.0.1. A plain `main`:
//!
//! ```text
//! cargo bench -p pbx --bench media_relay            # 1000 calls, 10 s
//! CALLS=200 SECONDS=5 cargo bench -p pbx --bench media_relay
//! HOLD=1 cargo bench -p pbx --bench media_relay     # every leg hears hold music instead
//! ```
//!
//! The engine runs alone on a current-thread tokio runtime in its own thread; a second
//! thread plays the 2N phones, each sending 50 packets per second to its leg. Reported: the
//! engine thread's CPU time per second of traffic (1.0 = one core busy), the heap the engine
//! holds per call (a counting allocator: heap with the calls open minus before, over N),
//! allocations per relayed packet during the traffic, and how many packets a sample of
//! phones received.

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pbx::media::engine::Engine;
use pbx::media::g711::Law;
use pbx::media::rtp::{Header, HEADER_LEN};
use pbx::media::{Command, LegId, Remote, Source};
use pbx::sip::sdp::Direction;

struct Counting;

static HEAP: AtomicIsize = AtomicIsize::new(0);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HEAP.fetch_add(layout.size() as isize, Ordering::Relaxed);
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HEAP.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// This thread's CPU time (user + system), from /proc.
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<u64> = after
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the name.
    let ticks = fields.get(11).unwrap_or(&0) + fields.get(12).unwrap_or(&0);
    Duration::from_millis(ticks * 10)
}

fn remote(addr: SocketAddr, law: Law) -> Remote {
    Remote {
        addr: Some(addr),
        law,
        telephone_event: Some(101),
        direction: Direction::SendRecv,
    }
}

/// Runs the engine: opens and bridges the calls for `phones`, reports the legs' addresses,
/// then measures its CPU over `seconds` from 0.5 s into the traffic. Returns (heap per
/// call, CPU).
fn engine_thread(
    hold: bool,
    phones: Vec<SocketAddr>,
    ready: mpsc::Sender<Vec<SocketAddr>>,
    seconds: u64,
) -> (isize, Duration) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let before = HEAP.load(Ordering::Relaxed);
        let (events, _events) = tokio::sync::mpsc::unbounded_channel();
        let mut engine = Engine::new(Ipv4Addr::LOCALHOST.into(), events);
        let mut legs = Vec::new();
        for (i, phone) in phones.iter().enumerate() {
            let leg = LegId(i as u64);
            assert_eq!(engine.apply(Command::Open { leg, port: 0 }), None);
            let law = if i % 2 == 0 { Law::Ulaw } else { Law::Alaw };
            engine.apply(Command::Remote {
                leg,
                remote: remote(*phone, law),
            });
            if hold {
                engine.apply(Command::Play {
                    leg,
                    source: Source::HoldMusic(None),
                });
            } else if i % 2 == 1 {
                engine.apply(Command::Bridge {
                    a: LegId(i as u64 - 1),
                    b: leg,
                });
            }
            legs.push(engine.local_addr(leg).expect("bound"));
        }
        let per_call = (HEAP.load(Ordering::Relaxed) - before) / (phones.len() as isize / 2);
        ready.send(legs).expect("main thread");
        tokio::time::sleep(Duration::from_millis(500)).await; // warm-up
        let cpu = thread_cpu();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        let used = thread_cpu() - cpu;
        drop(engine);
        (per_call, used)
    })
}

/// Sends one packet per phone every 20 ms for `seconds`; returns packets sent.
fn traffic(phones: &[UdpSocket], legs: &[SocketAddr], seconds: u64) -> u64 {
    let mut packet = [0u8; HEADER_LEN + 160];
    let start = Instant::now();
    let mut sent = 0;
    for tick in 0u32.. {
        let deadline = start + Duration::from_millis(20) * tick;
        if deadline > start + Duration::from_secs(seconds) {
            break;
        }
        std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
        for (i, (phone, leg)) in phones.iter().zip(legs).enumerate() {
            let law = if i % 2 == 0 { Law::Ulaw } else { Law::Alaw };
            let header = Header {
                payload_type: law.payload_type(),
                marker: tick == 0,
                seq: tick as u16,
                timestamp: tick * 160,
                ssrc: i as u32,
            };
            let _ = header.write(&mut packet);
            packet[HEADER_LEN..].fill(law.encode((tick % 1000) as i16 * 8));
            if phone.send_to(&packet, leg).is_ok() {
                sent += 1;
            }
        }
    }
    sent
}

fn main() {
    let calls = env("CALLS", 1000) as usize;
    let seconds = env("SECONDS", 10).max(2);
    let hold = env("HOLD", 0) != 0;
    let phones: Vec<UdpSocket> = (0..2 * calls)
        .map(|_| UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("phone socket"))
        .collect();
    let addrs = phones
        .iter()
        .map(|p| p.local_addr().expect("addr"))
        .collect();
    let (ready, legs) = mpsc::channel();
    let measured = seconds.saturating_sub(1).max(1);
    let engine = std::thread::spawn(move || engine_thread(hold, addrs, ready, measured));
    let legs = legs.recv().expect("engine ready");
    let allocs = ALLOCS.load(Ordering::Relaxed);
    let sent = traffic(&phones, &legs, seconds);
    let allocs = ALLOCS.load(Ordering::Relaxed) - allocs;
    let (per_call, cpu) = engine.join().expect("engine thread");
    let mut received = 0;
    let mut buf = [0u8; 2048];
    for phone in phones.iter().take(10) {
        phone.set_nonblocking(true).expect("nonblocking");
        while phone.recv_from(&mut buf).is_ok() {
            received += 1;
        }
    }
    let what = if hold { "on hold music" } else { "bridged" };
    println!("calls {calls} ({what}), {seconds} s of traffic, {sent} packets sent to the engine");
    println!(
        "engine CPU: {:.2} cores ({:?} over ~{} s)",
        cpu.as_secs_f64() / measured as f64,
        cpu,
        measured
    );
    println!("engine heap per call: {per_call} bytes");
    println!(
        "allocations during traffic: {allocs} ({:.4} per packet, whole process)",
        allocs as f64 / sent.max(1) as f64
    );
    println!("packets received by the first 10 phones: {received} (socket buffers cap this)");
}
