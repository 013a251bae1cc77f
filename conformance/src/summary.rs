//! What a run prints: one line per cell with its verdict and outcome, the
//! data scenarios' timings under their cells, and the totals.

use std::collections::BTreeMap;

use crate::expectations::{Judged, Judgement};
use crate::verdict::{Cell, Key};

/// The totals of a judged run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    /// Every cell judged.
    pub(crate) cells: usize,
    /// Cells not as expected: any makes the run fail.
    pub(crate) wrong: usize,
    /// Cells whose peer is not installed here (outside CI only).
    pub(crate) skipped: usize,
}

/// Prints one line per judged cell (and its timings, from `cells`);
/// returns the totals.
pub(crate) fn print(judged: &[Judged], cells: &[Cell]) -> Totals {
    let timings: BTreeMap<Key, &[String]> = cells
        .iter()
        .map(|cell| (cell.key(), cell.timings.as_slice()))
        .collect();
    let mut totals = Totals {
        cells: judged.len(),
        ..Totals::default()
    };
    for judged in judged {
        let (part, scenario, peer) = &judged.key;
        let outcome = judged
            .outcome
            .as_ref()
            .map_or_else(|| "not run".to_owned(), ToString::to_string);
        let verdict = match &judged.judgement {
            Judgement::AsExpected => "ok   ",
            Judgement::Skipped(_) => {
                totals.skipped += 1;
                "SKIP "
            }
            Judgement::Wrong(_) => {
                totals.wrong += 1;
                "WRONG"
            }
        };
        println!(
            "{verdict} {:6} {scenario:18} {peer:34} {outcome}",
            part.name()
        );
        if let Judgement::Wrong(why) = &judged.judgement {
            println!("      -> {why}");
        }
        for timing in timings.get(&judged.key).copied().unwrap_or_default() {
            println!("      time: {timing}");
        }
    }
    totals
}
