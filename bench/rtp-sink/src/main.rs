//! `rtp-sink ADDR REPORT [--echo]`: receives RTP on ADDR (UDP), counts every stream (by
//! source address and port, which for a relayed call is one leg of the relay), and echoes
//! each packet back to its sender when `--echo` is given, so the relay carries audio both
//! ways. Every second it rewrites REPORT (atomically) with one line:
//!
//! `streams=S packets=P expected=E lost=L reordered=R bytes=B`
//!
//! where, per stream, `expected` is the span of RTP sequence numbers seen (highest − lowest +
//! 1, with 16-bit wrap-around followed) and `lost` = expected − packets (duplicates make it
//! smaller, never negative per stream). Packets shorter than an RTP header are not counted.
//!
//! The receive buffer is raised to 64 MiB (SO_RCVBUFFORCE as root, else SO_RCVBUF up to
//! rmem_max) so that the sink itself does not drop under load; the kernel's count of drops
//! on this socket is in /proc/net/udp, which bench/calls.sh reports beside these figures.

use std::collections::HashMap;
use std::io::Write;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// One stream's counters.
#[derive(Default)]
struct Stream {
    packets: u64,
    /// Extended (wrap-counted) sequence numbers: lowest and highest seen.
    low: i64,
    high: i64,
    /// The last extended sequence number, to follow wrap-around.
    last: i64,
    reordered: u64,
}

impl Stream {
    fn add(&mut self, seq: u16) {
        let seq = i64::from(seq);
        if self.packets == 0 {
            (self.low, self.high, self.last) = (seq, seq, seq);
            self.packets = 1;
            return;
        }
        // The extended number closest to the last one.
        let base = self.last - self.last.rem_euclid(65536);
        let ext = [base - 65536 + seq, base + seq, base + 65536 + seq]
            .into_iter()
            .min_by_key(|c| (c - self.last).abs())
            .unwrap_or(base + seq);
        if ext < self.last {
            self.reordered += 1;
        }
        self.last = ext;
        self.low = self.low.min(ext);
        self.high = self.high.max(ext);
        self.packets += 1;
    }

    fn expected(&self) -> u64 {
        u64::try_from(self.high - self.low + 1).unwrap_or(0)
    }
}

fn raise_receive_buffer(socket: &UdpSocket) {
    let size: libc::c_int = 64 << 20;
    for option in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
        // SAFETY: a valid socket descriptor and a pointer to a c_int of the given length.
        let rc = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                option,
                (&size as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc == 0 {
            return;
        }
    }
}

fn write_report(path: &str, streams: &HashMap<SocketAddr, Stream>, bytes: u64) {
    let packets: u64 = streams.values().map(|s| s.packets).sum();
    let expected: u64 = streams.values().map(Stream::expected).sum();
    let lost: u64 = streams
        .values()
        .map(|s| s.expected().saturating_sub(s.packets))
        .sum();
    let reordered: u64 = streams.values().map(|s| s.reordered).sum();
    let line = format!(
        "streams={} packets={packets} expected={expected} lost={lost} reordered={reordered} \
         bytes={bytes}\n",
        streams.len()
    );
    let tmp = format!("{path}.tmp");
    let written = std::fs::File::create(&tmp).and_then(|mut f| f.write_all(line.as_bytes()));
    if written.is_ok() {
        let _ = std::fs::rename(&tmp, path);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(addr), Some(report)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: rtp-sink ADDR REPORT [--echo]");
        std::process::exit(2);
    };
    let echo = args.iter().any(|a| a == "--echo");
    let socket = UdpSocket::bind(addr).unwrap_or_else(|e| {
        eprintln!("rtp-sink: cannot bind {addr}: {e}");
        std::process::exit(1);
    });
    raise_receive_buffer(&socket);
    let tick = Duration::from_secs(1);
    let _ = socket.set_read_timeout(Some(Duration::from_millis(200)));
    let mut streams: HashMap<SocketAddr, Stream> = HashMap::new();
    let mut bytes = 0u64;
    let mut buf = [0u8; 2048];
    let mut next_report = Instant::now();
    loop {
        if let Ok((n, from)) = socket.recv_from(&mut buf) {
            // RTP version 2, at least the 12-byte fixed header.
            if n >= 12 && buf[0] >> 6 == 2 {
                let seq = u16::from_be_bytes([buf[2], buf[3]]);
                streams.entry(from).or_default().add(seq);
                bytes += n as u64;
                if echo {
                    let _ = socket.send_to(&buf[..n], from);
                }
            }
        }
        if Instant::now() >= next_report {
            write_report(report, &streams, bytes);
            next_report = Instant::now() + tick;
        }
    }
}
