//! The checked-in expectations: every scenario x peer is `pass`,
//! `known-fail: REASON` or `not-applicable: REASON`, and a run must match
//! them exactly: an unexpected failure and an unexpected pass both fail it.

use std::collections::BTreeMap;

use crate::paths::EXPECTATIONS_FILE;
use crate::verdict::{Cell, Key, Outcome, Part};

/// What one cell should do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Expected {
    /// Every check holds.
    Pass,
    /// A check fails, for this reason (a property of the peer or of a pty).
    KnownFail(String),
    /// The scenario cannot be run against this peer, for this reason.
    NotApplicable(String),
}

/// The parsed expectations file.
pub(crate) type Expectations = BTreeMap<Key, Expected>;

/// Reads the expectations file's text.
pub(crate) fn parse(text: &str) -> Result<Expectations, String> {
    let mut expectations = Expectations::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let error = |what: &str| format!("{EXPECTATIONS_FILE}:{}: {what}", number + 1);
        let mut rest = line;
        let mut word = || {
            let (word, after) = rest.split_once(char::is_whitespace)?;
            rest = after.trim_start();
            Some(word)
        };
        let (Some(part), Some(scenario), Some(peer)) = (word(), word(), word()) else {
            return Err(error("expected `PART SCENARIO PEER EXPECTATION`"));
        };
        let part = match part {
            "replay" => Part::Replay,
            "live" => Part::Live,
            other => return Err(error(&format!("unknown part `{other}`"))),
        };
        let rest = rest.trim();
        let reason = |prefix: &str| {
            rest.strip_prefix(prefix)
                .map(str::trim)
                .filter(|reason| !reason.is_empty())
                .map(str::to_owned)
        };
        let expected = if rest == "pass" {
            Expected::Pass
        } else if let Some(reason) = reason("known-fail:") {
            Expected::KnownFail(reason)
        } else if let Some(reason) = reason("not-applicable:") {
            Expected::NotApplicable(reason)
        } else {
            return Err(error(
                "expected `pass`, `known-fail: REASON` or `not-applicable: REASON`",
            ));
        };
        let key = (part, scenario.to_owned(), peer.to_owned());
        if expectations.insert(key, expected).is_some() {
            return Err(error("listed twice"));
        }
    }
    Ok(expectations)
}

/// How one cell of the run compares with its expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Judgement {
    /// As expected (a pass, a known failure, or not applicable and not run).
    AsExpected,
    /// The peer is not installed and this is not CI: skipped, loudly.
    Skipped(String),
    /// Not as expected; the text says how.
    Wrong(String),
}

/// One row of the judged run.
#[derive(Clone, Debug)]
pub(crate) struct Judged {
    /// Where in the matrix.
    pub(crate) key: Key,
    /// What the file expects (`None` if it does not list the cell).
    pub(crate) expected: Option<Expected>,
    /// What happened (`None` if nothing ran).
    pub(crate) outcome: Option<Outcome>,
    /// The verdict.
    pub(crate) judgement: Judgement,
}

/// Compares the run's `cells` with `expectations`. Under CI a missing peer
/// is a failure; elsewhere its cells are skipped.
pub(crate) fn judge(cells: &[Cell], expectations: &Expectations, ci: bool) -> Vec<Judged> {
    let mut outcomes: BTreeMap<Key, Outcome> = BTreeMap::new();
    let mut judged = Vec::new();
    for cell in cells {
        let key = cell.key();
        if outcomes.insert(key.clone(), cell.outcome.clone()).is_some() {
            judged.push(Judged {
                key,
                expected: None,
                outcome: Some(cell.outcome.clone()),
                judgement: Judgement::Wrong("reported twice".into()),
            });
        }
    }
    let keys: std::collections::BTreeSet<&Key> =
        outcomes.keys().chain(expectations.keys()).collect();
    for key in keys {
        let expected = expectations.get(key).cloned();
        let outcome = outcomes.get(key).cloned();
        let judgement = match (&expected, &outcome) {
            (_, Some(Outcome::Missing(why))) if ci => {
                Judgement::Wrong(format!("peer missing under CI: {why}"))
            }
            (_, Some(Outcome::Missing(why))) => Judgement::Skipped(why.clone()),
            (None, _) => Judgement::Wrong(format!("not listed in {EXPECTATIONS_FILE}")),
            (Some(Expected::NotApplicable(_)), None) => Judgement::AsExpected,
            (Some(_), None) => Judgement::Wrong("listed, but nothing ran".into()),
            (Some(Expected::NotApplicable(_)), Some(_)) => {
                Judgement::Wrong("ran, but is listed as not-applicable".into())
            }
            (Some(Expected::Pass), Some(Outcome::Pass))
            | (Some(Expected::KnownFail(_)), Some(Outcome::Fail(_))) => Judgement::AsExpected,
            (Some(Expected::Pass), Some(Outcome::Fail(why))) => {
                Judgement::Wrong(format!("unexpected failure: {why}"))
            }
            (Some(Expected::KnownFail(_)), Some(Outcome::Pass)) => Judgement::Wrong(
                "unexpected pass: listed as known-fail (update the expectations)".into(),
            ),
        };
        judged.push(Judged {
            key: key.clone(),
            expected,
            outcome,
            judgement,
        });
    }
    judged
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# comment
replay open ser2net pass
live   data-from-device    blocking-client/sredird  known-fail: sredird loses bytes
live signature pyserial-client/cli-serve not-applicable: pyserial has no signature API
";

    #[test]
    fn the_file_is_read() {
        let expectations = parse(FILE).unwrap();
        assert_eq!(expectations.len(), 3);
        assert_eq!(
            expectations[&(
                Part::Live,
                "data-from-device".into(),
                "blocking-client/sredird".into()
            )],
            Expected::KnownFail("sredird loses bytes".into())
        );
    }

    #[test]
    fn bad_lines_name_their_line() {
        assert!(parse("replay open ser2net maybe")
            .unwrap_err()
            .contains(":1:"));
        assert!(parse("\nreplay open").unwrap_err().contains(":2:"));
        assert!(parse("both open x pass")
            .unwrap_err()
            .contains("unknown part"));
        assert!(
            parse("live a b known-fail:").is_err(),
            "a reason is required"
        );
        assert!(parse("live a b pass\nlive a b pass")
            .unwrap_err()
            .contains("twice"));
    }

    /// The file's first cell.
    fn ser2net_open(outcome: Outcome) -> Cell {
        Cell::new(Part::Replay, "open", "ser2net", outcome)
    }

    /// The file's known failure.
    fn sredird_data(outcome: Outcome) -> Cell {
        Cell::new(
            Part::Live,
            "data-from-device",
            "blocking-client/sredird",
            outcome,
        )
    }

    fn verdicts(cells: &[Cell], ci: bool) -> Vec<Judgement> {
        judge(cells, &parse(FILE).unwrap(), ci)
            .into_iter()
            .map(|judged| judged.judgement)
            .collect()
    }

    #[test]
    fn only_exact_matches_pass() {
        let (open, sredird) = (ser2net_open, sredird_data);
        let fail = || Outcome::Fail("x".into());
        // As listed.
        assert!(verdicts(&[open(Outcome::Pass), sredird(fail())], true)
            .iter()
            .all(|judgement| *judgement == Judgement::AsExpected));
        // Unexpected failure, unexpected pass.
        let wrong = verdicts(&[open(fail()), sredird(Outcome::Pass)], true);
        // (Replay cells sort before live ones.)
        assert!(matches!(&wrong[0], Judgement::Wrong(why) if why.contains("unexpected failure")));
        assert!(matches!(&wrong[1], Judgement::Wrong(why) if why.contains("unexpected pass")));
        // Listed but not run; run but not listed; run but not applicable.
        let extra = Cell::new(Part::Replay, "open", "sredird", Outcome::Pass);
        let na = Cell::new(
            Part::Live,
            "signature",
            "pyserial-client/cli-serve",
            Outcome::Pass,
        );
        let verdicts = verdicts(&[open(Outcome::Pass), extra, na], true);
        assert!(verdicts
            .iter()
            .any(|v| matches!(v, Judgement::Wrong(w) if w.contains("nothing ran"))));
        assert!(verdicts
            .iter()
            .any(|v| matches!(v, Judgement::Wrong(w) if w.contains("not listed"))));
        assert!(verdicts
            .iter()
            .any(|v| matches!(v, Judgement::Wrong(w) if w.contains("not-applicable"))));
    }

    #[test]
    fn a_missing_peer_fails_only_under_ci() {
        let missing = || ser2net_open(Outcome::Missing("no ser2net".into()));
        let sredird = || sredird_data(Outcome::Fail("x".into()));
        assert!(matches!(
            verdicts(&[missing(), sredird()], true)[0],
            Judgement::Wrong(_)
        ));
        assert!(matches!(
            verdicts(&[missing(), sredird()], false)[0],
            Judgement::Skipped(_)
        ));
    }
}
