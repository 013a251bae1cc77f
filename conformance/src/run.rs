//! The `run` command: replays every capture, runs every live pairing,
//! judges the results against the expectations file and fails unless
//! everything is as expected.
//!
//! The tracked report (`docs/conformance.md`) holds results, never
//! timings, and is rewritten only with `--write-report`: a run leaves the
//! checkout as it found it. Timings are printed and written to
//! `target/conformance/timings.txt`.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::ExitCode;

use crate::expectations;
use crate::paths::{self, EXPECTATIONS_FILE, REPORT_FILE, TIMINGS_FILE};
use crate::report;
use crate::scripted;
use crate::summary;
use crate::verdict::Cell;
use crate::{clients, pyserial};

/// Runs the whole suite; with `write_report`, rewrites the tracked report.
pub(crate) fn run_command(write_report: bool) -> ExitCode {
    let expectations = match fs::read_to_string(paths::in_workspace(EXPECTATIONS_FILE))
        .map_err(|error| format!("cannot read {EXPECTATIONS_FILE}: {error}"))
        .and_then(|text| expectations::parse(&text))
    {
        Ok(expectations) => expectations,
        Err(error) => {
            eprintln!("conformance: {error}");
            return ExitCode::FAILURE;
        }
    };
    let ci = env::var("CI").is_ok_and(|value| value == "true");
    let (mut cells, versions) = scripted::replay_all();
    eprintln!("conformance: live: our clients against ser2net, sredird and pyserial");
    cells.extend(clients::run());
    eprintln!("conformance: live: pyserial's client against our servers");
    cells.extend(pyserial::run());
    let judged = expectations::judge(&cells, &expectations, ci);
    let totals = summary::print(&judged, &cells);
    let written = write_timings(&cells).and_then(|()| {
        let report = report::render(&judged, &cells, &versions);
        settle_report(&paths::in_workspace(REPORT_FILE), &report, write_report)
    });
    println!(
        "\nconformance: {} cells, {} not as expected, {} skipped",
        totals.cells, totals.wrong, totals.skipped
    );
    match &written {
        Ok(state) => println!(
            "report: {state}; timings in {}",
            paths::target_dir().join(TIMINGS_FILE).display()
        ),
        Err(error) => println!("report: ERROR: {error}"),
    }
    if totals.skipped > 0 {
        eprintln!(
            "\n!!!!!!!! {} cells SKIPPED: peers are not installed here \
             (run conformance/install-peers.sh as root). Under CI=true this fails. !!!!!!!!\n",
            totals.skipped
        );
    }
    if totals.wrong == 0 && written.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Writes every cell's timings to the untracked timings file.
fn write_timings(cells: &[Cell]) -> Result<(), String> {
    let path = paths::target_dir().join(TIMINGS_FILE);
    let mut text = String::new();
    for cell in cells {
        for timing in &cell.timings {
            let (part, scenario, peer) = cell.key();
            let _ = writeln!(text, "{} {scenario} {peer}: {timing}", part.name());
        }
    }
    path.parent()
        .map_or(Ok(()), fs::create_dir_all)
        .and_then(|()| fs::write(&path, text))
        .map_err(|error| format!("cannot write {}: {error}", path.display()))
}

/// Writes the tracked report to `path` if asked to; else only compares
/// it with the file. Says which, for the summary.
fn settle_report(path: &Path, report: &str, write: bool) -> Result<String, String> {
    let unchanged = fs::read_to_string(path).is_ok_and(|old| old == report);
    match (unchanged, write) {
        (true, _) => Ok(format!("{REPORT_FILE} matches this run")),
        (false, true) => fs::write(path, report)
            .map(|()| format!("{REPORT_FILE} rewritten with this run's results"))
            .map_err(|error| format!("cannot write {REPORT_FILE}: {error}")),
        (false, false) => Ok(format!(
            "{REPORT_FILE} differs from this run's results; left as it is \
             (`cargo xtask conformance --write-report` rewrites it)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_is_written_only_when_asked() {
        let path = paths::target_dir().join(format!("report-test-{}.md", std::process::id()));
        fs::write(&path, "old results").unwrap();
        let said = settle_report(&path, "new results", false).unwrap();
        assert!(said.contains("differs"), "{said}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "old results");
        let said = settle_report(&path, "new results", true).unwrap();
        assert!(said.contains("rewritten"), "{said}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "new results");
        let said = settle_report(&path, "new results", false).unwrap();
        assert!(said.contains("matches"), "{said}");
        let _ = fs::remove_file(&path);
    }
}
