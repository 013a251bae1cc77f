//! Throughput of the data paths, through the public `Session` API, against
//! a plain `copy_from_slice` of the same 1 MiB measured in the same run.
//!
//! For each data kind — (a) no 0xFF, (b) random bytes, (c) all 0xFF — a
//! negotiated client/server pair (BINARY both ways) is built; criterion then
//! measures `copy`, `decode` (the server's `handle_input` over the client's
//! wire form) and `encode` (the client's `encode_data`). Throughput is in
//! bytes of *payload* (1 MiB), whatever the wire length. After criterion, a
//! summary times the three operations again in many short interleaved
//! rounds and prints their ratios to the copy, the targets, and
//! `size_of::<Session>()`. `docs/benchmarks.md` has the figures and the
//! command.

// The helpers live in `benches/codec/`, out of reach of cargo's bench
// auto-discovery (which would take each `benches/*.rs` for a bench target).
#[path = "codec/case.rs"]
mod case;
#[path = "codec/pair.rs"]
mod pair;
#[path = "codec/payload.rs"]
mod payload;
#[path = "codec/summary.rs"]
mod summary;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use rfc2217_proto::{Client, Server, Session};

use case::Case;
use payload::{Kind, LEN};

/// The target for `size_of::<Session>()`.
const SIZE_TARGET: usize = 1024;
/// The target for (a): decode and encode within 2x of the copy.
const RATIO_TARGET: f64 = 2.0;
/// The target for (c), in payload bytes per second: 1 GiB/s.
const ALL_IAC_TARGET_MIB_S: f64 = 1024.0;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|arg| arg == flag);
    // Criterion's own rule: without `--bench` (e.g. `cargo test --benches`)
    // every benchmark runs once as a test.
    let benchmarking = has("--bench") && !has("--test") && !has("--list");

    let mut cases: Vec<Case> = Kind::ALL.into_iter().map(Case::new).collect();
    let mut criterion = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    for case in &mut cases {
        let mut group = criterion.benchmark_group(case.kind.name());
        group.throughput(Throughput::Bytes(LEN as u64));
        group.bench_function("copy", |b| b.iter(|| black_box(case.copy())));
        group.bench_function("decode", |b| b.iter(|| black_box(case.decode())));
        group.bench_function("encode", |b| b.iter(|| black_box(case.encode())));
        group.finish();
    }
    criterion.final_summary();

    if has("--list") {
        return;
    }
    if benchmarking {
        print_summary(&mut cases, 201, 3);
    } else {
        // Test mode (unoptimized, one pass): timings would mean nothing.
        print_sizes();
    }
}

/// The size of a session of either role, against the target.
fn print_sizes() {
    for (role, size) in [
        ("Client", size_of::<Session<Client>>()),
        ("Server", size_of::<Session<Server>>()),
    ] {
        println!(
            "size_of::<Session<{role}>>() = {size} bytes (target <= {SIZE_TARGET}: {})",
            verdict(size <= SIZE_TARGET)
        );
    }
}

fn print_summary(cases: &mut [Case], rounds: usize, reps: usize) {
    println!();
    println!("same-process summary: {rounds} rounds x {reps} reps; MiB/s of payload and ratios");
    println!("to the copy from each operation's fastest round, (median of per-round ratios)");
    print_sizes();
    println!(
        "{:<10} {:>6} {:>6} {:>7} {:>15} {:>7} {:>15}",
        "kind", "wire", "copy", "decode", "decode/copy", "encode", "encode/copy"
    );
    for case in cases.iter_mut() {
        let row = summary::measure(case, rounds, reps);
        let (decode, encode) = (
            summary::mib_per_s(row.decode),
            summary::mib_per_s(row.encode),
        );
        println!(
            "{:<10} {:>5}K {:>6.0} {:>7.0} {:>6.2}x ({:>5.2}x) {:>7.0} {:>6.2}x ({:>5.2}x)",
            row.name,
            case.wire_len() / 1024,
            summary::mib_per_s(row.copy),
            decode,
            row.decode_ratio(),
            row.decode_median_ratio,
            encode,
            row.encode_ratio(),
            row.encode_median_ratio,
        );
        match case.kind {
            Kind::NoIac => println!(
                "  target (a) decode and encode within {RATIO_TARGET}x of the copy: {}",
                verdict(row.decode_ratio() <= RATIO_TARGET && row.encode_ratio() <= RATIO_TARGET)
            ),
            Kind::AllIac => println!(
                "  target (c) decode and encode >= {ALL_IAC_TARGET_MIB_S} MiB/s of payload: {}",
                verdict(decode >= ALL_IAC_TARGET_MIB_S && encode >= ALL_IAC_TARGET_MIB_S)
            ),
            Kind::Random => {}
        }
    }
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}
