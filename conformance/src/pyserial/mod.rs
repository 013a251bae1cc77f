//! Live pairings: pyserial 3.5's rfc2217 client against our blocking
//! server, our mio server and the CLI's `rfc2217 serve`, each serving a
//! fresh pty.
//!
//! The client is `conformance/peers/pyserial_client.py`. This module starts
//! the server ([`our_servers`]), runs the script ([`script`]) and plays the
//! equipment at the pty's far end, answering the script's requests on its
//! stdin ([`driver`], in the line [`protocol`] the script describes) and
//! checking the device ([`settings`], [`transfers`]). The three servers
//! are independent (each has its own pty, port and client process) and
//! run side by side, each bounded by [`DEADLINE`]; the script itself never
//! waits long, since pyserial gives up on a silent server after 3 s (5 s
//! for a blocked write).

mod driver;
mod our_servers;
mod payloads;
mod process_io;
mod protocol;
mod script;
mod settings;
mod transfers;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use rfc2217_device::PtyPair;

use crate::verdict::{Cell, Outcome, Part, LIVE_SCENARIOS};
use our_servers::{build_cli, Running, Server};
use payloads::Payloads;

/// Every cell's outcome when the client cannot run here.
const MISSING: &str = "pyserial 3.5 is not installed: run conformance/install-peers.sh as root";

/// How long one server's whole run may take (about 15 s when all is well)
/// before the client is killed and the unfinished scenarios fail.
const DEADLINE: Duration = Duration::from_secs(60);

/// The scenarios, in the order the script runs them: the live scenarios
/// but `signature`, which pyserial's client has no way to ask for.
fn scenarios() -> Vec<&'static str> {
    LIVE_SCENARIOS
        .into_iter()
        .filter(|scenario| *scenario != "signature")
        .collect()
}

/// Runs pyserial 3.5's rfc2217 client against our blocking server, our mio
/// server and the CLI's `serve`, each serving a fresh [`PtyPair`]; one
/// [`Cell`] per (scenario, server).
pub(crate) fn run() -> Vec<Cell> {
    let every_server = |outcome: &Outcome| -> Vec<Cell> {
        Server::ALL
            .iter()
            .flat_map(|&server| every(server, outcome))
            .collect()
    };
    if !pyserial_installed() {
        return every_server(&Outcome::Missing(MISSING.to_owned()));
    }
    let payloads = match Payloads::create() {
        Ok(payloads) => payloads,
        Err(error) => {
            return every_server(&Outcome::Fail(format!(
                "cannot write the payload files: {error}"
            )))
        }
    };
    let cli = build_cli();
    thread::scope(|scope| {
        let runs: Vec<_> = Server::ALL
            .iter()
            .map(|&server| {
                let (payloads, cli) = (&payloads, &cli);
                (
                    server,
                    scope.spawn(move || run_against(server, payloads, cli)),
                )
            })
            .collect();
        runs.into_iter()
            .flat_map(|(server, run)| {
                run.join().unwrap_or_else(|_| {
                    every(server, &Outcome::Fail("the run panicked".to_owned()))
                })
            })
            .collect()
    })
}

/// Whether `python3` has pyserial 3.5.
fn pyserial_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import serial; print(serial.__version__)"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|output| output.status.success() && output.stdout.trim_ascii() == b"3.5")
}

/// One cell per scenario, all with `outcome`.
fn every(server: Server, outcome: &Outcome) -> Vec<Cell> {
    scenarios()
        .into_iter()
        .map(|scenario| Cell::new(Part::Live, scenario, &server.peer(), outcome.clone()))
        .collect()
}

/// All scenarios against one server, on a fresh pty.
fn run_against(server: Server, payloads: &Payloads, cli: &Result<PathBuf, String>) -> Vec<Cell> {
    let pair = match PtyPair::new() {
        Ok(pair) => pair,
        Err(error) => {
            return every(
                server,
                &Outcome::Fail(format!("cannot open a pty pair: {error}")),
            )
        }
    };
    let running = match Running::start(server, &pair, cli) {
        Ok(running) => running,
        Err(reason) => return every(server, &Outcome::Fail(reason)),
    };
    let received = payloads
        .dir
        .join(format!("received-by-{}.bin", server.name()));
    let records = script::run(running.addr(), &pair, payloads, &received, DEADLINE);
    let trouble = running.stop();
    scenarios()
        .into_iter()
        .zip(records)
        .map(|(scenario, record)| {
            let outcome = match record.failures.is_empty() {
                true => Outcome::Pass,
                false => Outcome::Fail(record.failures.join("; ")),
            };
            let mut cell = Cell::new(Part::Live, scenario, &server.peer(), outcome);
            cell.observations = record.observations;
            cell.observations.extend(trouble.clone());
            cell.timings = record.timings;
            cell
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rfc2217_testkit::ServerKind;

    #[test]
    fn every_scenario_but_signature_gets_a_cell_per_server() {
        let cells = every(
            Server::InProcess(ServerKind::Mio),
            &Outcome::Missing(MISSING.into()),
        );
        let names: Vec<&str> = cells.iter().map(|cell| cell.scenario.as_str()).collect();
        assert_eq!(names.len(), LIVE_SCENARIOS.len() - 1);
        assert!(!names.contains(&"signature"));
        assert!(cells
            .iter()
            .all(|cell| cell.peer == "pyserial-client/mio-server" && cell.part == Part::Live));
    }
}
