//! Same-process ratios against the copy baseline.
//!
//! The machines this runs on are small and shared, so absolute speeds drift
//! between (and within) runs. Many short rounds time the copy, decode and
//! encode back to back. The headline figures come from each operation's
//! fastest round: other work on the machine can only add time, so the
//! fastest round is the least disturbed one. The median of the per-round
//! ratios is printed beside them as a check: when the two disagree, the
//! machine was too busy for the run to mean much.

use std::time::{Duration, Instant};

use crate::case::Case;
use crate::payload::LEN;

/// Timings of one data kind.
pub(crate) struct Row {
    pub(crate) name: &'static str,
    /// Fastest time of one operation.
    pub(crate) copy: Duration,
    pub(crate) decode: Duration,
    pub(crate) encode: Duration,
    /// Median over rounds of (decode time / copy time) in the same round.
    pub(crate) decode_median_ratio: f64,
    /// Median over rounds of (encode time / copy time) in the same round.
    pub(crate) encode_median_ratio: f64,
}

impl Row {
    /// Fastest decode over fastest copy.
    pub(crate) fn decode_ratio(&self) -> f64 {
        self.decode.as_secs_f64() / self.copy.as_secs_f64()
    }

    /// Fastest encode over fastest copy.
    pub(crate) fn encode_ratio(&self) -> f64 {
        self.encode.as_secs_f64() / self.copy.as_secs_f64()
    }
}

/// Times `case` over `rounds` rounds of `reps` repetitions of each operation.
pub(crate) fn measure(case: &mut Case, rounds: usize, reps: usize) -> Row {
    let mut copy = Vec::with_capacity(rounds);
    let mut decode = Vec::with_capacity(rounds);
    let mut encode = Vec::with_capacity(rounds);
    // One untimed round to warm caches and branch predictors.
    time(reps, || case.copy());
    time(reps, || case.decode());
    time(reps, || case.encode());
    for _ in 0..rounds {
        copy.push(time(reps, || case.copy()));
        decode.push(time(reps, || case.decode()));
        encode.push(time(reps, || case.encode()));
    }
    let median_ratio = |subject: &[Duration]| {
        let mut ratios: Vec<f64> = subject
            .iter()
            .zip(&copy)
            .map(|(s, c)| s.as_secs_f64() / c.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        ratios[ratios.len() / 2]
    };
    let fastest = |times: &[Duration]| times.iter().copied().min().unwrap_or_default();
    Row {
        name: case.kind.name(),
        decode_median_ratio: median_ratio(&decode),
        encode_median_ratio: median_ratio(&encode),
        copy: fastest(&copy),
        decode: fastest(&decode),
        encode: fastest(&encode),
    }
}

/// Payload throughput in MiB/s for one operation lasting `per_op`.
pub(crate) fn mib_per_s(per_op: Duration) -> f64 {
    LEN as f64 / (1 << 20) as f64 / per_op.as_secs_f64()
}

/// Mean time of one of `reps` back-to-back calls of `op`.
fn time(reps: usize, mut op: impl FnMut() -> usize) -> Duration {
    let start = Instant::now();
    let mut bytes = 0;
    for _ in 0..reps {
        bytes += op();
    }
    std::hint::black_box(bytes);
    start.elapsed() / reps as u32
}
