//! The scripted half: each [`scenario`] is played by an `rfc2217-proto`
//! client session against a live peer once, when it is recorded (`record`),
//! and kept as a [`capture`]; every run replays the captures, with no peer
//! needed. Recording and replay drive the same [`player`], so a replay
//! checks exactly what the session did live.

pub(crate) mod capture;
pub(crate) mod player;
pub(crate) mod record;
pub(crate) mod replay;
pub(crate) mod scenario;
pub(crate) mod wire;

use std::fs;
use std::path::PathBuf;

use crate::paths::{self, CAPTURES_DIR};
use crate::peers::{RunningServer, Server};
use crate::verdict::{Cell, Outcome, Part};
use capture::Capture;

/// Where the capture of `scenario` against `peer` lives.
fn capture_path(peer: &str, scenario: &str) -> PathBuf {
    paths::in_workspace(CAPTURES_DIR).join(Capture::file_name(peer, scenario))
}

/// The `record PEER SCENARIO` command: `all` for either records every one.
/// Each capture is replayed at once, as the file has it, so a recording
/// the replay cannot follow is noticed when it is made.
pub(crate) fn record_command(peer: &str, scenario: &str) -> Result<(), String> {
    let servers: Vec<Server> = match peer {
        "all" => Server::ALL.to_vec(),
        name => vec![Server::from_name(name)
            .ok_or_else(|| format!("unknown peer `{name}`: ser2net, sredird, pyserial or all"))?],
    };
    let scenarios = match scenario {
        "all" => scenario::all(),
        name => vec![scenario::by_name(name).ok_or_else(|| {
            format!(
                "unknown scenario `{name}`: {} or all",
                scenario::NAMES.join(", ")
            )
        })?],
    };
    let mut failures = 0;
    for server in servers {
        for scenario in &scenarios {
            let mut running = RunningServer::start(server).map_err(|error| error.to_string())?;
            let capture = record::record(&mut running, scenario)?;
            drop(running);
            let path = capture_path(&capture.peer, &capture.scenario);
            let text = capture.to_text();
            fs::write(&path, &text)
                .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
            let cell = replay::replay(&Capture::parse(&text)?);
            let problems = record::problems(&capture);
            eprintln!(
                "conformance: recorded {} ({} lines); replay: {}{}",
                path.display(),
                capture.lines.len(),
                cell.outcome,
                if problems.is_empty() {
                    String::new()
                } else {
                    format!("; at the device: {}", problems.join("; "))
                }
            );
            if cell.outcome != Outcome::Pass {
                failures += 1;
            }
        }
    }
    if failures > 0 {
        return Err(format!("{failures} recording(s) do not replay"));
    }
    Ok(())
}

/// Replays every capture there should be: one per server and scenario.
/// Also returns each server's version, as its captures name it.
pub(crate) fn replay_all() -> (Vec<Cell>, Vec<(String, String)>) {
    let mut cells = Vec::new();
    let mut versions = Vec::new();
    for server in Server::ALL {
        let mut version = None;
        for name in scenario::NAMES {
            let path = capture_path(server.name(), name);
            let cell = match fs::read_to_string(&path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()))
                .and_then(|text| Capture::parse(&text))
            {
                Ok(capture) => {
                    version.get_or_insert(capture.version.clone());
                    replay::replay(&capture)
                }
                Err(error) => Cell::new(Part::Replay, name, server.name(), Outcome::Fail(error)),
            };
            cells.push(cell);
        }
        versions.push((
            server.name().to_owned(),
            version.unwrap_or_else(|| "(no capture)".into()),
        ));
    }
    (cells, versions)
}
