//! `rfc2217 probe URL [--json]`: does the server speak RFC 2217, who is it,
//! and what state is its port in.

use std::io::Write;
use std::time::{Duration, Instant};

use rfc2217_blocking::{OpenOptions, RemotePort};
use serde::Serialize;

use crate::failure::Result;
use crate::report::{self, Answer};
use crate::snapshot::{Snapshot, MODEM_MAX_AGE};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The remote port: rfc2217://HOST:PORT[?OPTIONS] (e.g. ?timeout=1).
    url: String,

    /// Print one JSON object with the same fields.
    #[arg(long)]
    json: bool,
}

/// Everything `probe` prints, in order.
#[derive(Serialize)]
struct Report {
    url: String,
    telnet_options: Vec<&'static str>,
    signature: Answer<String>,
    #[serde(flatten)]
    port: Snapshot,
    open_ms: f64,
    round_trip_ms: Answer<f64>,
}

/// Opens the port, which fails with a one-line reason if the host is
/// unreachable or does not speak RFC 2217; everything after that is
/// reported, answered or not.
pub(crate) fn run(args: Args) -> Result {
    let started = Instant::now();
    let mut port = OpenOptions::from_url(&args.url)?
        .poll_modem(MODEM_MAX_AGE)
        .open()?;
    let open_ms = millis(started.elapsed());
    let snapshot = Snapshot::take(&port);
    let barrier = Instant::now();
    let round_trip_ms = port.flush().ok().map(|()| millis(barrier.elapsed()));
    let report = Report {
        url: args.url,
        // Opening succeeded, so COM-PORT-OPTION is agreed; `RemotePort`
        // does not tell about the others (BINARY, SUPPRESS-GO-AHEAD) yet.
        telnet_options: vec!["COM-PORT-OPTION"],
        signature: signature(&port),
        port: snapshot,
        open_ms,
        round_trip_ms: Answer::asked(round_trip_ms),
    };
    let printed = if args.json {
        report::json(&report) + "\n"
    } else {
        report::text(&report)
    };
    std::io::stdout().write_all(printed.as_bytes())?;
    Ok(())
}

/// The server's signature. It was asked for at open, before the snapshot's
/// queries, so a server that answers in order has answered it by now; one
/// that never answers it (pyserial's) is "unanswered".
fn signature(port: &RemotePort) -> Answer<String> {
    let signature = port.server_signature();
    Answer::asked(signature.map(|text| String::from_utf8_lossy(&text).into_owned()))
}

/// Milliseconds, to a tenth.
fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 10_000.0).round() / 10.0
}
