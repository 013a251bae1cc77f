//! `cargo xtask record` and `cargo xtask conformance`: our code against
//! servers we did not write (ser2net, sredird, pyserial's PortManager) and
//! pyserial's client against our servers. See `docs/conformance.md`.

pub(crate) mod capture;
pub(crate) mod device;
pub(crate) mod our_clients;
pub(crate) mod peers;
pub(crate) mod player;
pub(crate) mod pyserial_client;
pub(crate) mod record;
pub(crate) mod replay;
pub(crate) mod scenario;
pub(crate) mod verdict;
pub(crate) mod wire;

use std::env;
use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use capture::Capture;
use peers::{RunningServer, Server};

/// Where the captures live, relative to the workspace root.
pub(crate) const CAPTURES_DIR: &str = "conformance/captures";

fn captures_dir() -> PathBuf {
    crate::workspace_root().join(CAPTURES_DIR)
}

/// `cargo xtask record PEER SCENARIO`: `all` for either records every one.
/// Each capture is replayed at once, so a recording the replay cannot
/// follow is noticed when it is made.
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
            let path = captures_dir().join(Capture::file_name(&capture.peer, &capture.scenario));
            let text = capture.to_text();
            fs::write(&path, &text)
                .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
            // Replayed as the file has it, so a capture the replay cannot
            // follow is caught when it is made.
            let cell = replay::replay(&Capture::parse(&text)?);
            let problems = record::problems(&capture);
            eprintln!(
                "xtask: recorded {} ({} lines); replay: {}{}",
                path.display(),
                capture.lines.len(),
                cell.outcome,
                if problems.is_empty() {
                    String::new()
                } else {
                    format!("; at the device: {}", problems.join("; "))
                }
            );
            if cell.outcome != verdict::Outcome::Pass {
                failures += 1;
            }
        }
    }
    if failures > 0 {
        return Err(format!("{failures} recording(s) do not replay"));
    }
    Ok(())
}

/// `cargo xtask conformance`: replays every capture, runs every live
/// pairing, judges the results against the expectations file, writes the
/// report and fails unless everything is as expected.
pub(crate) fn conformance_command() -> ExitCode {
    let root = crate::workspace_root();
    let expectations = match fs::read_to_string(root.join(expectations::EXPECTATIONS_FILE))
        .map_err(|error| format!("cannot read {}: {error}", expectations::EXPECTATIONS_FILE))
        .and_then(|text| expectations::parse(&text))
    {
        Ok(expectations) => expectations,
        Err(error) => {
            eprintln!("xtask: {error}");
            return ExitCode::FAILURE;
        }
    };
    let ci = env::var("CI").is_ok_and(|value| value == "true");
    let mut versions = Vec::new();
    let mut cells = replay_all(&mut versions);
    eprintln!("xtask: live: our clients against ser2net, sredird and pyserial");
    cells.extend(our_clients::run());
    eprintln!("xtask: live: pyserial's client against our servers");
    cells.extend(pyserial_client::run());
    let judged = expectations::judge(&cells, &expectations, ci);
    let report = report::render(&judged, &cells, &versions);
    if let Err(error) = fs::write(root.join(report::REPORT_FILE), report) {
        eprintln!("xtask: cannot write {}: {error}", report::REPORT_FILE);
        return ExitCode::FAILURE;
    }
    summarize(&judged)
}

/// Replays every capture there should be: one per server and scenario.
fn replay_all(versions: &mut Vec<(String, String)>) -> Vec<verdict::Cell> {
    let mut cells = Vec::new();
    for server in Server::ALL {
        let mut version = None;
        for name in scenario::NAMES {
            let path = captures_dir().join(Capture::file_name(server.name(), name));
            let cell = match fs::read_to_string(&path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()))
                .and_then(|text| Capture::parse(&text))
            {
                Ok(capture) => {
                    version.get_or_insert(capture.version.clone());
                    replay::replay(&capture)
                }
                Err(error) => verdict::Cell {
                    part: verdict::Part::Replay,
                    scenario: name.to_owned(),
                    peer: server.name().to_owned(),
                    outcome: verdict::Outcome::Fail(error),
                    observations: Vec::new(),
                },
            };
            cells.push(cell);
        }
        versions.push((
            server.name().to_owned(),
            version.unwrap_or_else(|| "(no capture)".into()),
        ));
    }
    cells
}

/// Prints one line per cell and the totals; the exit code.
fn summarize(judged: &[expectations::Judged]) -> ExitCode {
    use expectations::Judgement;
    let mut wrong = 0;
    let mut skipped = 0;
    for judged in judged {
        let (part, scenario, peer) = &judged.key;
        let outcome = judged
            .outcome
            .as_ref()
            .map_or_else(|| "not run".to_owned(), ToString::to_string);
        let verdict = match &judged.judgement {
            Judgement::AsExpected => "ok   ",
            Judgement::Skipped(_) => {
                skipped += 1;
                "SKIP "
            }
            Judgement::Wrong(_) => {
                wrong += 1;
                "WRONG"
            }
        };
        println!(
            "{verdict} {:6} {scenario:18} {peer:34} {outcome}",
            part.name()
        );
        if let Judgement::Wrong(why) = &judged.judgement {
            println!("      -> {why}");
        }
    }
    println!(
        "\nconformance: {} cells, {wrong} not as expected, {skipped} skipped; report in {}",
        judged.len(),
        report::REPORT_FILE
    );
    if skipped > 0 {
        eprintln!(
            "\n!!!!!!!! {skipped} cells SKIPPED: peers are not installed here \
             (run conformance/install-peers.sh as root). Under CI=true this fails. !!!!!!!!\n"
        );
    }
    if wrong == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
pub(crate) mod expectations;
pub(crate) mod report;
