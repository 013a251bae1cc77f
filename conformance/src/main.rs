//! The conformance suite: our code against RFC 2217 peers we did not
//! write, and the results checked against `conformance/expectations.txt`.
//!
//! * **Replay** ([`scripted`]): the committed captures in
//!   `conformance/captures/` are fed to `rfc2217-proto` sessions; no peer
//!   is needed. `record PEER SCENARIO` makes them, against a live peer.
//! * **Live, our clients** ([`clients`]): the blocking and the mio client
//!   against ser2net, sredird and a server on pyserial's `PortManager`
//!   ([`peers`]), each serving a pty whose far end plays the equipment.
//! * **Live, pyserial's client** ([`pyserial`]): pyserial 3.5's client
//!   against our blocking server, our mio server and `rfc2217 serve`.
//!
//! Run it with `cargo xtask conformance [--write-report]` (this binary's
//! `run`) and `cargo xtask record PEER SCENARIO` (its `record`); `help`
//! lists the commands.
//!
//! A run leaves the checkout as it found it. The tracked report,
//! `docs/conformance.md`, holds results and quirks, never timings, and is
//! rewritten only with `--write-report`; without it the run only says
//! whether the file still matches. The data scenarios' timings are
//! printed under their cells and written to
//! `target/conformance/timings.txt`.

mod cli;
mod clients;
mod device;
mod expectations;
mod paths;
mod peers;
mod pyserial;
mod report;
mod run;
mod scripted;
mod summary;
mod termios;
mod verdict;

use std::env;
use std::process::ExitCode;

use cli::{Task, USAGE};

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match cli::parse(&args) {
        Ok(Task::Help) => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Task::Run { write_report }) => run::run_command(write_report),
        Ok(Task::Record { peer, scenario }) => match scripted::record_command(&peer, &scenario) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("conformance: {error}");
                ExitCode::FAILURE
            }
        },
        Err(error) => {
            eprintln!("conformance: {error}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
