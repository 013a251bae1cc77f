//! The command line: `run [--write-report]` or `record PEER SCENARIO`.
//! `cargo xtask conformance ARGS` runs `run ARGS`, `cargo xtask record
//! ARGS` runs `record ARGS`.

/// The usage text, for `help` and for a command line that is not understood.
/// `cargo xtask help` describes the commands in full.
pub(crate) const USAGE: &str = "\
Usage: rfc2217-conformance run [--write-report]
       rfc2217-conformance record PEER SCENARIO
       rfc2217-conformance help

Normally run as `cargo xtask conformance [--write-report]` and
`cargo xtask record PEER SCENARIO`; `cargo xtask help` says what they do.
`run` rewrites docs/conformance.md only with --write-report; timings are
printed and kept in target/conformance/timings.txt.
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
