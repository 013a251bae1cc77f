//! The command line: `run [--write-report]` or `record PEER SCENARIO`.
//! `cargo xtask conformance ARGS` runs `run ARGS`, `cargo xtask record
//! ARGS` runs `record ARGS`.

/// The usage text, for `help` and for a command line that is not understood.
pub(crate) const USAGE: &str = "\
Usage: rfc2217-conformance <command>
(normally through `cargo xtask conformance` and `cargo xtask record`)

Commands:
  run [--write-report]
                      Replay every capture, run our clients against the live
                      servers and pyserial's client against ours, and check
                      it all against conformance/expectations.txt. Prints one
                      line per cell and the timings of the data scenarios;
                      the timings also go to target/conformance/timings.txt.
                      With --write-report, rewrites docs/conformance.md
                      (which holds no timings, so a run with the same results
                      leaves it unchanged); without it, only says when the
                      file no longer matches the results. Needs the peers
                      installed (conformance/install-peers.sh, as root); under
                      CI=true a missing peer fails, elsewhere it is skipped.
  record PEER SCENARIO
                      Play SCENARIO against the live PEER (ser2net, sredird
                      or pyserial; `all` for either) and write
                      conformance/captures/PEER-SCENARIO.cap, replaying it
                      at once. Scenarios: open, settings, control, break,
                      purge, masks, modem, signature, data, refuse, silent,
                      bad-input.
  help                Print this message.
";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Task {
    /// Print the usage.
    Help,
    /// Run the whole suite.
    Run {
        /// Rewrite the tracked report.
        write_report: bool,
    },
    /// Record captures (`all` for either).
    Record {
        /// A peer's name or `all`.
        peer: String,
        /// A scenario's name or `all`.
        scenario: String,
    },
}

/// Reads the arguments (without the program's name); the error says what
/// is wrong with them.
pub(crate) fn parse(args: &[String]) -> Result<Task, String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        [] => Err("no command given".to_owned()),
        ["help" | "--help" | "-h"] => Ok(Task::Help),
        ["run"] => Ok(Task::Run {
            write_report: false,
        }),
        ["run", "--write-report"] => Ok(Task::Run { write_report: true }),
        ["record", peer, scenario] => Ok(Task::Record {
            peer: (*peer).to_owned(),
            scenario: (*scenario).to_owned(),
        }),
        ["record", ..] => Err("usage: record PEER SCENARIO".to_owned()),
        [command @ ("help" | "--help" | "-h" | "run"), extra @ ..] => {
            Err(format!("`{command}` does not take `{}`", extra.join(" ")))
        }
        [command, ..] => Err(format!("unknown command `{command}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(line: &str) -> Result<Task, String> {
        let args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        parse(&args)
    }

    #[test]
    fn run_writes_the_report_only_when_asked_and_record_takes_two_names() {
        let run = |write_report| Ok(Task::Run { write_report });
        assert_eq!(parsed("run"), run(false));
        assert_eq!(parsed("run --write-report"), run(true));
        let record = Task::Record {
            peer: "sredird".into(),
            scenario: "all".into(),
        };
        assert_eq!(parsed("record sredird all"), Ok(record));
        assert_eq!(parsed("help"), Ok(Task::Help));
    }

    #[test]
    fn bad_command_lines_say_what_is_wrong() {
        for (line, error) in [
            ("", "no command"),
            ("runn", "unknown command `runn`"),
            ("run --fast", "`run` does not take `--fast`"),
            ("run --write-report --write-report", "does not take"),
            ("record ser2net", "usage: record PEER SCENARIO"),
            ("help me", "`help` does not take `me`"),
        ] {
            let got = parsed(line).expect_err(line);
            assert!(got.contains(error), "{line:?}: {got}");
        }
    }
}
