//! Free local ports for the processes a test starts (all on 127.0.0.1).
//!
//! A port is probed by binding it and is released before it is returned, so another process
//! could take it in between; the kernel hands out ephemeral ports in a spread-out order, which
//! makes that rare enough for tests.

use std::net::{TcpListener, UdpSocket};

/// A port free for both UDP and TCP on 127.0.0.1.
pub fn free_port() -> u16 {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let port = udp.local_addr().expect("addr").port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no port free for both UDP and TCP");
}

/// A port `p` such that `p` and `p + 1` are free for UDP and TCP on 127.0.0.1 (a SIP phone
/// such as baresip listens for TLS on the port after its SIP port).
pub fn free_port_pair() -> u16 {
    for _ in 0..100 {
        let port = free_port();
        if port < u16::MAX && port_free(port + 1) {
            return port;
        }
    }
    panic!("no two adjacent ports free for both UDP and TCP");
}

/// Where [`free_udp_range`] looks: below Linux's ephemeral ports (32768 up), so the sockets
/// every other process opens with port 0 (SIPp, baresip, the tests themselves) never land
/// in a daemon's RTP range after it was chosen.
const RANGE_AREA: (u16, u16) = (12_000, 32_000);

/// The first of `count` consecutive UDP ports that are all free on 127.0.0.1, starting at an
/// even port (RTP uses even ports, RTCP the next odd one).
pub fn free_udp_range(count: u16) -> u16 {
    assert!(count > 0 && count < RANGE_AREA.1 - RANGE_AREA.0);
    let span = u32::from(RANGE_AREA.1 - RANGE_AREA.0 - count);
    let mut seed = spread_seed();
    for _ in 0..200 {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let offset = u16::try_from((seed >> 33) % u64::from(span)).unwrap_or(0);
        let first = (RANGE_AREA.0 + offset) & !1;
        // Hold every probe until all are bound, so the range is free as a whole.
        let held: Vec<UdpSocket> = (first..first + count)
            .map_while(|p| UdpSocket::bind(("127.0.0.1", p)).ok())
            .collect();
        if held.len() == usize::from(count) {
            return first;
        }
    }
    panic!("no {count} consecutive free UDP ports");
}

fn port_free(port: u16) -> bool {
    UdpSocket::bind(("127.0.0.1", port)).is_ok() && TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A different starting point per process and call, so parallel tests pick different ranges.
fn spread_seed() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    let n = CALLS.fetch_add(1, Ordering::Relaxed);
    nanos ^ (u64::from(std::process::id()) << 20) ^ (n << 40)
}
