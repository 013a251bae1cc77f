//! The remote port's state as the server reports it now: every setting and
//! control line queried, and the modem lines. `probe` prints it and `term`
//! shows it on `Ctrl-] s`.

use std::thread;
use std::time::Duration;

use log::debug;
use rfc2217_blocking::RemotePort;
use rfc2217_proto::{Command, Control, DataSize, Parity, StopSize};
use serde::Serialize;

use crate::names;
use crate::report::Answer;

/// How old the modem lines may be for a snapshot: not at all, so that a
/// port opened with this asks the server for them rather than showing the
/// last notification.
pub(crate) const MODEM_MAX_AGE: Option<Duration> = Some(Duration::ZERO);

/// The queries, in the order of [`Snapshot`]'s fields.
const QUERIES: [Command; 8] = [
    Command::SetBaudRate(0),
    Command::SetDataSize(DataSize::Query),
    Command::SetParity(Parity::Query),
    Command::SetStopSize(StopSize::Query),
    Command::SetControl(Control::QueryFlowControl),
    Command::SetControl(Control::QueryDtr),
    Command::SetControl(Control::QueryRts),
    Command::SetControl(Control::QueryBreak),
];

/// What the server says is in use, in the words `ctl` takes.
#[derive(Debug, Serialize)]
pub(crate) struct Snapshot {
    baud: Answer<u32>,
    data_bits: Answer<String>,
    parity: Answer<String>,
    stop_bits: Answer<String>,
    flow_control: Answer<String>,
    dtr: Answer<String>,
    rts: Answer<String>,
    #[serde(rename = "break")]
    break_on: Answer<String>,
    modem_lines: Answer<Vec<&'static str>>,
    /// Only reported when a condition (an error, a break) occurs.
    line_state: Answer<Vec<&'static str>>,
}

impl Snapshot {
    /// Asks every query at once, one thread each, so that a server which
    /// leaves some unanswered costs one answer timeout rather than one per
    /// query; then the modem lines (asked afresh if the port was opened
    /// with [`MODEM_MAX_AGE`]).
    pub(crate) fn take(port: &RemotePort) -> Snapshot {
        let answers: Vec<Option<Command>> = thread::scope(|scope| {
            let asking: Vec<_> = QUERIES
                .iter()
                .map(|&query| scope.spawn(move || ask(port, query)))
                .collect();
            asking
                .into_iter()
                .map(|thread| thread.join().ok().flatten())
                .collect()
        });
        let word = |index: usize| Answer::asked(answers[index].as_ref().map(names::value));
        let baud = answers[0].and_then(|answer| match answer {
            Command::SetBaudRate(rate) => Some(rate),
            _ => None,
        });
        let modem = port
            .modem_state()
            .map_err(|error| debug!("modem lines: {error}"));
        Snapshot {
            baud: Answer::asked(baud),
            data_bits: word(1),
            parity: word(2),
            stop_bits: word(3),
            flow_control: word(4),
            dtr: word(5),
            rts: word(6),
            break_on: word(7),
            modem_lines: Answer::asked(modem.ok().map(names::modem_lines)),
            line_state: port
                .line_state()
                .map_or(Answer::Missing("none reported"), |state| {
                    Answer::Given(names::line_conditions(state))
                }),
        }
    }
}

/// The answer to `query`, if the server gave one.
fn ask(port: &RemotePort, query: Command) -> Option<Command> {
    port.request(query)
        .map_err(|error| debug!("{query}: {error}"))
        .ok()
}
