//! `rfc2217 probe URL [--json]`: does the server speak RFC 2217, who is it,
//! and what state is its port in.

use std::io::Write;
use std::time::{Duration, Instant};

use rfc2217_blocking::{OpenOptions, OpenOptionsExt, RemotePort};
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
    telnet_options: Vec<String>,
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
    // Looking must not change the port: no settings, DTR or RTS at open.
    let mut port = OpenOptions::from_url(&args.url)?
        .keep_settings()
        .poll_modem(MODEM_MAX_AGE)
        .open()?;
    let open_ms = millis(started.elapsed());
    let snapshot = Snapshot::take(&port);
    let barrier = Instant::now();
    let round_trip_ms = port.flush().ok().map(|()| millis(barrier.elapsed()));
    let report = Report {
        url: args.url,
        telnet_options: telnet_options(&port),
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

/// The option sides agreed with the server, e.g. "BINARY (both ways)".
fn telnet_options(port: &RemotePort) -> Vec<String> {
    use rfc2217_proto::{Side, TelnetOption};
    let name = |option| match option {
        TelnetOption::Binary => "BINARY",
        TelnetOption::Echo => "ECHO",
        TelnetOption::SuppressGoAhead => "SUPPRESS-GO-AHEAD",
        TelnetOption::ComPort => "COM-PORT-OPTION",
    };
    TelnetOption::ALL
        .into_iter()
        .filter_map(|option| {
            let ours = port.is_option_enabled(option, Side::Local);
            let theirs = port.is_option_enabled(option, Side::Remote);
            let sides = match (ours, theirs) {
                (true, true) => "both ways",
                (true, false) => "we do",
                (false, true) => "server does",
                (false, false) => return None,
            };
            Some(format!("{} ({sides})", name(option)))
        })
        .collect()
}
