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

/// The first of `count` consecutive UDP ports that are all free on 127.0.0.1, starting at an
/// even port (RTP uses even ports, RTCP the next odd one).
pub fn free_udp_range(count: u16) -> u16 {
    assert!(count > 0);
    for _ in 0..200 {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let first = udp.local_addr().expect("addr").port() & !1;
        drop(udp);
        if u32::from(first) + u32::from(count) > u32::from(u16::MAX) || first < 1024 {
            continue;
        }
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
