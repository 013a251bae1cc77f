//! `rfc2217`: the libraries on the command line, so that sharing a serial
//! port or poking at a remote one needs no code. `serve` shares serial
//! devices (or the in-process `loop://`) over RFC 2217 on the `mio`
//! server; `term`, `probe` and `ctl` open a remote port with the blocking
//! client to use it, to inspect it, and to set or query single settings.

mod ctl;
mod failure;
mod names;
mod probe;
mod report;
mod serve;
mod snapshot;
mod term;

use std::process::ExitCode;

use clap::{ArgAction, Parser, Subcommand};
use log::LevelFilter;

/// Remote serial ports over RFC 2217 (Telnet Com Port Control).
#[derive(Parser)]
#[command(name = "rfc2217", version)]
struct Cli {
    /// More log output on stderr, once per step (serve logs connections by
    /// default; -v adds setting changes). RUST_LOG overrides.
    #[arg(short, long, action = ArgAction::Count, global = true)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Share serial devices over RFC 2217 (default: loop:// on 127.0.0.1:2217).
    Serve(serve::Args),
    /// A terminal on a remote port; a pipe when stdin is not a terminal.
    Term(term::Args),
    /// What a server speaks and the remote port's state.
    Probe(probe::Args),
    /// Set or query remote port settings: baud=9600 parity=even dtr=off baud=?
    Ctl(ctl::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A server's log is its output; a client's would clutter the terminal.
    let quiet = match cli.command {
        Command::Serve(_) => LevelFilter::Info,
        _ => LevelFilter::Warn,
    };
    init_logger(quiet, cli.verbose);
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Term(args) => term::run(args),
        Command::Probe(args) => probe::run(args),
        Command::Ctl(args) => ctl::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("rfc2217: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr at `quiet` raised by `verbose` steps; `RUST_LOG`, when
/// set, has the last word.
fn init_logger(quiet: LevelFilter, verbose: u8) {
    let level = LevelFilter::iter()
        .nth(quiet as usize + usize::from(verbose))
        .unwrap_or(LevelFilter::Trace);
    env_logger::Builder::new()
        .filter_level(level)
        .parse_default_env()
        .init();
}
