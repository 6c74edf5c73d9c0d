//! Sizes and timings of the configuration's three forms (postcard body, slot envelope, TOML
//! text) for generated offices. A plain `main` with no benchmark framework:
//!
//! ```text
//! cargo bench -p firmware-config --bench config
//! ```
//!
//! Each operation is warmed up, then timed one call at a time; the table shows the median
//! (and the 90th percentile) of those calls.

use std::hint::black_box;
use std::time::{Duration, Instant};

use firmware_config::persist::{self, SCHEMA_VERSION};
use firmware_config::sample::{self, Size};
use firmware_config::{store, text, validate, Config};

/// Timed calls per operation.
const ITERATIONS: usize = 2000;
/// Untimed calls before timing starts.
const WARM_UP: usize = 200;
/// Stop an operation early once its timed calls took this long (after [`MIN_ITERATIONS`]).
const TIME_BUDGET: Duration = Duration::from_secs(10);
/// The fewest timed calls per operation, whatever the budget.
const MIN_ITERATIONS: usize = 100;

const LARGE: Size = Size {
    employees: 200,
    groups: 64,
    schedules: 32,
    holidays: 300,
};

/// The timings of one operation.
struct Timing {
    median: Duration,
    p90: Duration,
    samples: usize,
}

/// Times `f` call by call and returns the median and 90th percentile.
fn time<R>(mut f: impl FnMut() -> R) -> Timing {
    for _ in 0..WARM_UP {
        black_box(f());
    }
    let mut samples = Vec::with_capacity(ITERATIONS);
    let started = Instant::now();
    for i in 0..ITERATIONS {
        let t = Instant::now();
        black_box(f());
        samples.push(t.elapsed());
        if i + 1 >= MIN_ITERATIONS && started.elapsed() > TIME_BUDGET {
            break;
        }
    }
    samples.sort_unstable();
    Timing {
        median: samples[samples.len() / 2],
        p90: samples[samples.len() * 9 / 10],
        samples: samples.len(),
    }
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn kib(bytes: usize) -> String {
    format!("{bytes} B ({:.1} KiB)", bytes as f64 / 1024.0)
}

fn bench(label: &str, size: Size) {
    let config: Config = sample::office(size, 1);
    assert!(
        validate::validate(&config).is_empty(),
        "the sample office is invalid"
    );

    // The three forms, each checked to read back to the same configuration.
    let body = persist::encode(&config).expect("encode");
    let slot = store::encode_envelope(SCHEMA_VERSION, 1, &body);
    let toml = text::export(&config).expect("export");
    assert_eq!(
        persist::decode(SCHEMA_VERSION, &body).ok(),
        Some(config.clone())
    );
    assert_eq!(store::decode_envelope(&slot).expect("envelope").body, body);
    assert_eq!(text::import(&toml), Ok(config.clone()));

    println!(
        "\n{label}: {} employees, {} groups, {} schedules, {} holidays",
        size.employees, size.groups, size.schedules, size.holidays
    );
    println!("  {:<28} {:>22}", "form", "size");
    println!("  {:<28} {:>22}", "postcard body", kib(body.len()));
    println!(
        "  {:<28} {:>22}",
        "slot file (26 B envelope)",
        kib(slot.len())
    );
    println!("  {:<28} {:>22}", "TOML text", kib(toml.len()));

    let timings = [
        (
            "encode (postcard)",
            time(|| persist::encode(black_box(&config))),
        ),
        (
            "decode (persist::decode)",
            time(|| persist::decode(SCHEMA_VERSION, black_box(&body))),
        ),
        ("validate", time(|| validate::validate(black_box(&config)))),
        ("export to TOML", time(|| text::export(black_box(&config)))),
        (
            "import from TOML",
            time(|| text::import(black_box(toml.as_str()))),
        ),
    ];
    println!(
        "  {:<28} {:>12} {:>12} {:>8}",
        "operation", "median", "p90", "calls"
    );
    for (name, t) in &timings {
        println!(
            "  {:<28} {:>12} {:>12} {:>8}",
            name,
            micros(t.median),
            micros(t.p90),
            t.samples
        );
    }
}

fn main() {
    // `cargo test --benches` runs this with `--bench` absent; keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    if quick {
        let config = sample::office(sample::BENCH, 1);
        let body = persist::encode(&config).expect("encode");
        assert_eq!(persist::decode(SCHEMA_VERSION, &body).ok(), Some(config));
        println!("config bench: smoke run only (use `cargo bench` for figures)");
        return;
    }
    bench("BENCH office", sample::BENCH);
    bench("Large office", LARGE);
}
