//! One checked cell of the conformance matrix.

use std::fmt;

/// The live pairings' scenarios, in the order they run and are reported.
pub(crate) const LIVE_SCENARIOS: [&str; 11] = [
    "open",
    "settings",
    "datasize-parity",
    "flow-control",
    "dtr-rts",
    "break",
    "purge",
    "modem",
    "signature",
    "data-to-device",
    "data-from-device",
];

/// Which half of `cargo xtask conformance` produced a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Part {
    /// A committed capture fed to `rfc2217-proto`.
    Replay,
    /// A live pairing of our code with a peer.
    Live,
}

impl Part {
    /// The word the expectations file and the report use.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Part::Replay => "replay",
            Part::Live => "live",
        }
    }
}

/// The result of one scenario against one peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cell {
    /// Replay or live.
    pub(crate) part: Part,
    /// The scenario, e.g. `settings` or `data-from-device`.
    pub(crate) scenario: String,
    /// The peer (or pairing), e.g. `ser2net` or `blocking-client/sredird`:
    /// a column of the report.
    pub(crate) peer: String,
    /// What happened.
    pub(crate) outcome: Outcome,
    /// Peer behaviour seen on the way that is worth a line in the report
    /// (quirks we tolerate), whatever the outcome.
    pub(crate) observations: Vec<String>,
    /// How long the data took. Printed, never in the tracked report: they
    /// differ in every run, and a run must leave the checkout clean.
    pub(crate) timings: Vec<String>,
}

impl Cell {
    /// A cell with `outcome` and nothing observed.
    pub(crate) fn new(part: Part, scenario: &str, peer: &str, outcome: Outcome) -> Cell {
        Cell {
            part,
            scenario: scenario.to_owned(),
            peer: peer.to_owned(),
            outcome,
            observations: Vec::new(),
            timings: Vec::new(),
        }
    }

    /// The cell's place in the matrix.
    pub(crate) fn key(&self) -> Key {
        (self.part, self.scenario.clone(), self.peer.clone())
    }
}

/// A cell's place in the matrix: part, scenario, peer.
pub(crate) type Key = (Part, String, String);

/// What happened in one cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Every check held.
    Pass,
    /// A check failed; the text says which and how.
    Fail(String),
    /// The peer is not installed here (only outside CI; under `CI=true`
    /// a missing peer is a [`Outcome::Fail`]).
    Missing(String),
}

impl Outcome {
    /// `Pass` if `result` is `Ok`, else `Fail` with its text.
    pub(crate) fn from_result(result: Result<(), String>) -> Outcome {
        match result {
            Ok(()) => Outcome::Pass,
            Err(reason) => Outcome::Fail(reason),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Pass => write!(f, "pass"),
            Outcome::Fail(reason) => write!(f, "fail: {reason}"),
            Outcome::Missing(reason) => write!(f, "missing: {reason}"),
        }
    }
}
