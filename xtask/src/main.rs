//! Project automation, run as `cargo xtask <command>`.
//!
//! Commands:
//!
//! * `fuzz [--seconds N] [-- FLAGS...]`: runs the `peer_input` fuzz target
//!   of `rfc2217-proto` for N seconds (default 600) on its committed corpus,
//!   passing FLAGS on to libFuzzer. Needs the nightly toolchain and
//!   `cargo install cargo-fuzz`.
//! * `conformance [--write-report]`: runs the conformance suite (the
//!   `rfc2217-conformance` crate in `conformance/`): replays every capture,
//!   runs the live pairings and checks both against
//!   `conformance/expectations.txt`. It rewrites the tracked
//!   `docs/conformance.md` only with `--write-report`; timings are printed
//!   and kept in `target/conformance/timings.txt`, so a run leaves the
//!   checkout clean.
//! * `record PEER SCENARIO`: plays a conformance scenario against a live
//!   peer (ser2net, sredird, pyserial; `all` for either) and writes its
//!   capture to `conformance/captures/`.
//! * `help`: prints the usage.
//!
//! The suite is a crate of its own so that it builds and is tested like
//! every other member; xtask only launches it, passing the arguments on.

use std::env;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The fuzz crate, relative to the workspace root.
const FUZZ_DIR: &str = "crates/rfc2217-proto/fuzz";
/// The fuzz target `cargo xtask fuzz` runs.
const FUZZ_TARGET: &str = "peer_input";
/// How long `cargo xtask fuzz` runs without `--seconds`.
const DEFAULT_FUZZ_SECONDS: u64 = 600;
/// The conformance suite's package.
const CONFORMANCE_PACKAGE: &str = "rfc2217-conformance";

const USAGE: &str = "\
Usage: cargo xtask <command>

Commands:
  fuzz [--seconds N] [-- FLAGS...]
                      Run the rfc2217-proto `peer_input` fuzz target for N
                      seconds (default 600) on its corpus in
                      crates/rfc2217-proto/fuzz/corpus/peer_input. New inputs
                      the fuzzer finds are added there; crashes go to
                      crates/rfc2217-proto/fuzz/artifacts/peer_input. FLAGS
                      go to libFuzzer (e.g. -- -fork=1 -ignore_crashes=1).
                      Needs the nightly toolchain and cargo-fuzz
                      (`cargo install cargo-fuzz`).
  conformance [--write-report]
                      Run the conformance suite (crate rfc2217-conformance):
                      replay every capture, run our clients against the live
                      servers and pyserial's client against ours, and check
                      it all against conformance/expectations.txt. Prints
                      one line per cell, and the data scenarios' timings
                      (also in target/conformance/timings.txt). Only with
                      --write-report is docs/conformance.md rewritten; it
                      holds no timings, so a run whose results did not
                      change leaves the checkout clean. Needs the peers
                      installed (conformance/install-peers.sh, as root);
                      under CI=true a missing peer fails, elsewhere it is
                      skipped.
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
enum Task {
    Help,
    Fuzz {
        seconds: u64,
        /// Passed on to libFuzzer.
        flags: Vec<String>,
    },
    /// A command of the conformance suite, with its arguments, which
    /// the suite checks itself.
    Conformance {
        /// `run` or `record`.
        command: &'static str,
        args: Vec<String>,
    },
}

/// A command line that could not be understood.
#[derive(Debug, PartialEq, Eq)]
enum UsageError {
    NoCommand,
    UnknownCommand(String),
    UnknownFlag { command: &'static str, flag: String },
    MissingValue(&'static str),
    BadValue { flag: &'static str, value: String },
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::NoCommand => write!(f, "no command given"),
            UsageError::UnknownCommand(command) => write!(f, "unknown command `{command}`"),
            UsageError::UnknownFlag { command, flag } => {
                write!(f, "unknown argument `{flag}` for `{command}`")
            }
            UsageError::MissingValue(flag) => write!(f, "`{flag}` needs a value"),
            UsageError::BadValue { flag, value } => {
                write!(
                    f,
                    "`{flag}` needs a positive whole number of seconds, not `{value}`"
                )
            }
        }
    }
}

fn parse(args: &[String]) -> Result<Task, UsageError> {
    let Some((command, rest)) = args.split_first() else {
        return Err(UsageError::NoCommand);
    };
    match command.as_str() {
        "help" | "--help" | "-h" => match rest.first() {
            None => Ok(Task::Help),
            Some(flag) => Err(UsageError::UnknownFlag {
                command: "help",
                flag: flag.clone(),
            }),
        },
        "fuzz" => parse_fuzz(rest),
        "conformance" => Ok(Task::Conformance {
            command: "run",
            args: rest.to_vec(),
        }),
        "record" => Ok(Task::Conformance {
            command: "record",
            args: rest.to_vec(),
        }),
        other => Err(UsageError::UnknownCommand(other.to_owned())),
    }
}

fn parse_fuzz(mut args: &[String]) -> Result<Task, UsageError> {
    const SECONDS: &str = "--seconds";
    let mut seconds = DEFAULT_FUZZ_SECONDS;
    while let Some((arg, rest)) = args.split_first() {
        if arg == "--" {
            let flags = rest.to_vec();
            return Ok(Task::Fuzz { seconds, flags });
        }
        let value = if arg == SECONDS {
            let Some((value, rest)) = rest.split_first() else {
                return Err(UsageError::MissingValue(SECONDS));
            };
            args = rest;
            value.as_str()
        } else if let Some(value) = arg.strip_prefix("--seconds=") {
            args = rest;
            value
        } else {
            return Err(UsageError::UnknownFlag {
                command: "fuzz",
                flag: arg.clone(),
            });
        };
        seconds = match value.parse::<u64>() {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(UsageError::BadValue {
                    flag: SECONDS,
                    value: value.to_owned(),
                })
            }
        };
    }
    Ok(Task::Fuzz {
        seconds,
        flags: Vec::new(),
    })
}

/// The workspace root: xtask lives one level below it.
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or_else(|| manifest_dir.to_path_buf(), Path::to_path_buf)
}

fn fuzz(seconds: u64, flags: &[String]) -> ExitCode {
    let fuzz_dir = workspace_root().join(FUZZ_DIR);
    let corpus = fuzz_dir.join("corpus").join(FUZZ_TARGET);
    // The rustup proxy `cargo`, which understands `+nightly` (the `CARGO` that
    // runs xtask is the toolchain's own binary, which does not).
    let mut command = Command::new("cargo");
    command
        .current_dir(&fuzz_dir)
        .arg("+nightly")
        .args(["fuzz", "run", FUZZ_TARGET])
        .arg(&corpus)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .args(flags)
        // The toolchain override must reach the inner cargo, not the one
        // that runs xtask.
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO");
    eprintln!(
        "xtask: running `cargo +nightly fuzz run {FUZZ_TARGET} {} -- -max_total_time={seconds}{}` in {}",
        corpus.display(),
        flags.iter().map(|flag| format!(" {flag}")).collect::<String>(),
        fuzz_dir.display()
    );
    match command.status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("xtask: the fuzzer stopped with {status}");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!(
                "xtask: could not run cargo +nightly fuzz ({error}); \
                 install it with `rustup toolchain install nightly` and `cargo install cargo-fuzz`"
            );
            ExitCode::FAILURE
        }
    }
}

/// Runs the conformance suite's `command` with `args`, through cargo (so
/// that it is built first). The dev profile, as for xtask itself: it reuses
/// what the workspace's tests built, and the core is optimised even there.
fn conformance(command: &str, args: &[String]) -> ExitCode {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace_root())
        .args([
            "run",
            "--quiet",
            "--package",
            CONFORMANCE_PACKAGE,
            "--",
            command,
        ])
        .args(args)
        .status();
    match status {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        // The suite said why.
        Ok(_) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("xtask: cannot run cargo for {CONFORMANCE_PACKAGE}: {error}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match parse(&args) {
        Ok(Task::Help) => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Task::Fuzz { seconds, flags }) => fuzz(seconds, &flags),
        Ok(Task::Conformance { command, args }) => conformance(command, &args),
        Err(error) => {
            eprintln!("xtask: {error}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn fuzz_takes_seconds_in_both_spellings_and_libfuzzer_flags() {
        let fuzz = |seconds, flags: &[&str]| {
            Ok(Task::Fuzz {
                seconds,
                flags: flags.iter().map(|flag| flag.to_string()).collect(),
            })
        };
        assert_eq!(parse(&args("fuzz")), fuzz(600, &[]));
        assert_eq!(parse(&args("fuzz --seconds 750")), fuzz(750, &[]));
        assert_eq!(parse(&args("fuzz --seconds=5")), fuzz(5, &[]));
        assert_eq!(
            parse(&args("fuzz --seconds 9 -- -fork=1 --seconds")),
            fuzz(9, &["-fork=1", "--seconds"])
        );
    }

    #[test]
    fn conformance_and_record_pass_their_arguments_to_the_suite() {
        let suite = |command, line: &str| {
            Ok(Task::Conformance {
                command,
                args: args(line),
            })
        };
        assert_eq!(parse(&args("conformance")), suite("run", ""));
        assert_eq!(
            parse(&args("conformance --write-report")),
            suite("run", "--write-report")
        );
        assert_eq!(
            parse(&args("record sredird all")),
            suite("record", "sredird all")
        );
    }

    #[test]
    fn bad_command_lines_are_errors() {
        assert_eq!(parse(&[]), Err(UsageError::NoCommand));
        assert_eq!(
            parse(&args("fuz")),
            Err(UsageError::UnknownCommand("fuz".into()))
        );
        assert_eq!(
            parse(&args("fuzz --secs 3")),
            Err(UsageError::UnknownFlag {
                command: "fuzz",
                flag: "--secs".into()
            })
        );
        assert_eq!(
            parse(&args("fuzz --seconds")),
            Err(UsageError::MissingValue("--seconds"))
        );
        for bad in ["0", "-1", "ten"] {
            assert_eq!(
                parse(&args(&format!("fuzz --seconds {bad}"))),
                Err(UsageError::BadValue {
                    flag: "--seconds",
                    value: bad.into()
                })
            );
        }
        assert!(parse(&args("help me")).is_err());
        assert_eq!(parse(&args("help")), Ok(Task::Help));
    }
}
