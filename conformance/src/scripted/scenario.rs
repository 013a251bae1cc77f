//! The scripted scenarios `cargo xtask record` plays against a live peer
//! and `cargo xtask conformance` replays from their captures.

use std::time::Duration;

use rfc2217_client::OpenOptions;
use rfc2217_proto::{
    Command, Control, DataSize, LineState, ModemState, Parity, Purge, StopSize, TelnetCommand,
};

/// How long a step waits for the peer to fall quiet after its answer.
pub(crate) const QUIET: Duration = Duration::from_millis(300);

/// One thing the scenario's client does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Waits until COM-PORT-OPTION is agreed or refused, then for quiet.
    Negotiate,
    /// Our clients' opening batch, sent at once; waits for every answer.
    OpeningBatch,
    /// One request; waits for its answer or its timeout.
    Request(Command),
    /// Asks for the peer's signature and waits for quiet.
    RequestSignature,
    /// Sends our own signature text and waits for quiet.
    SendSignature(&'static [u8]),
    /// Polls the modem state (NOTIFY-MODEMSTATE without a value) and waits for quiet.
    QueryModemState,
    /// Polls the line state and waits for quiet.
    QueryLineState,
    /// A two-byte Telnet command through the session, then quiet.
    Telnet(TelnetCommand),
    /// Bytes written past the session (bad input, refusals), then quiet.
    Raw {
        /// Says what the bytes are.
        label: &'static str,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// Data from the client to the device; the device end checks it.
    ToDevice(Vec<u8>),
    /// Data the device sends; the client checks it.
    FromDevice(Vec<u8>),
    /// Waits this long, taking whatever comes.
    Wait(Duration),
}

impl Step {
    /// The step's line in a capture: a replay checks it still matches.
    pub(crate) fn describe(&self) -> String {
        match self {
            Step::Negotiate => "negotiate".into(),
            Step::OpeningBatch => "opening batch".into(),
            Step::Request(command) => format!("request {command:?}"),
            Step::RequestSignature => "request signature".into(),
            Step::SendSignature(text) => {
                format!("send signature {:?}", String::from_utf8_lossy(text))
            }
            Step::QueryModemState => "query modem state".into(),
            Step::QueryLineState => "query line state".into(),
            Step::Telnet(command) => format!("telnet {command:?}"),
            Step::Raw { label, bytes } => format!("raw {label} ({} bytes)", bytes.len()),
            Step::ToDevice(data) => format!("to device {} bytes", data.len()),
            Step::FromDevice(data) => format!("from device {} bytes", data.len()),
            Step::Wait(time) => format!("wait {} ms", time.as_millis()),
        }
    }
}

/// A named list of steps.
#[derive(Clone, Debug)]
pub(crate) struct Scenario {
    /// Its name, used in file names and the report.
    pub(crate) name: &'static str,
    /// One line for the report.
    pub(crate) summary: &'static str,
    /// The client session only watches: nothing it would send goes out,
    /// the scenario's own bytes do (a client that refuses or says nothing).
    pub(crate) session_silent: bool,
    /// The steps, in order.
    pub(crate) steps: Vec<Step>,
}

impl Scenario {
    /// All the data its client sends to the device, in order.
    pub(crate) fn data_to_device(&self) -> Vec<u8> {
        self.data(|step| match step {
            Step::ToDevice(data) => Some(data),
            _ => None,
        })
    }

    /// All the data the device sends to its client, in order.
    pub(crate) fn data_from_device(&self) -> Vec<u8> {
        self.data(|step| match step {
            Step::FromDevice(data) => Some(data),
            _ => None,
        })
    }

    fn data(&self, pick: fn(&Step) -> Option<&Vec<u8>>) -> Vec<u8> {
        self.steps
            .iter()
            .filter_map(pick)
            .flatten()
            .copied()
            .collect()
    }
}

/// Every scenario, in report order.
pub(crate) fn all() -> Vec<Scenario> {
    NAMES.iter().filter_map(|name| by_name(name)).collect()
}

/// The scenarios' names, in report order.
pub(crate) const NAMES: [&str; 12] = [
    "open",
    "settings",
    "control",
    "break",
    "purge",
    "masks",
    "modem",
    "signature",
    "data",
    "refuse",
    "silent",
    "bad-input",
];

/// The scenario called `name`.
pub(crate) fn by_name(name: &str) -> Option<Scenario> {
    let name = NAMES.iter().copied().find(|known| *known == name)?;
    let scenario = |summary, steps: Vec<Step>| Scenario {
        name,
        summary,
        session_silent: false,
        steps: [vec![Step::Negotiate], steps].concat(),
    };
    // A client whose session only watches: the scenario's own bytes go out.
    let watching = |summary, steps| Scenario {
        name,
        summary,
        session_silent: true,
        steps,
    };
    let requests = |commands: &mut dyn Iterator<Item = Command>| -> Vec<Step> {
        commands.map(Step::Request).collect()
    };
    Some(match name {
        "open" => scenario(
            "our clients' opening batch: 9600 8N1, no flow control, DTR and RTS on, line state mask, signature request",
            vec![Step::OpeningBatch],
        ),
        "settings" => scenario(
            "every setting set and queried: baud (standard, odd, 255), data size, parity, stop size",
            requests(&mut settings_requests()),
        ),
        "control" => scenario(
            "SET-CONTROL 0 to 19 (settings and queries), one at a time",
            requests(&mut (0..=19).map(|code| Command::SetControl(Control::from_byte(code)))),
        ),
        "break" => scenario(
            "break on, query, off, query; and the Telnet BREAK command",
            vec![
                Step::Request(Command::SetControl(Control::BreakOn)),
                Step::Request(Command::SetControl(Control::QueryBreak)),
                Step::Request(Command::SetControl(Control::BreakOff)),
                Step::Request(Command::SetControl(Control::QueryBreak)),
                Step::Telnet(TelnetCommand::Break),
            ],
        ),
        "purge" => scenario(
            "PURGE-DATA receive, transmit, both",
            requests(&mut [Purge::Receive, Purge::Transmit, Purge::Both].into_iter().map(Command::PurgeData)),
        ),
        "masks" => scenario(
            "line and modem state masks: none, all (0xFF, escaped on the wire), typical",
            requests(&mut [
                Command::SetLineStateMask(LineState::EMPTY),
                Command::SetLineStateMask(LineState(0xff)),
                Command::SetLineStateMask(LineState(0x10)),
                Command::SetModemStateMask(ModemState::EMPTY),
                Command::SetModemStateMask(ModemState(0xff)),
                Command::SetModemStateMask(ModemState(0xf0)),
            ].into_iter()),
        ),
        "modem" => scenario(
            "modem and line state: polls, and notifications while idle",
            vec![
                Step::Request(Command::SetModemStateMask(ModemState::ALL)),
                Step::QueryModemState,
                Step::QueryLineState,
                Step::Wait(Duration::from_millis(1500)),
            ],
        ),
        "signature" => scenario(
            "ask for the peer's signature, then send ours",
            vec![
                Step::RequestSignature,
                Step::SendSignature(b"rfc2217-conformance"),
            ],
        ),
        "data" => scenario(
            "data both ways: all 256 values, 0xFF runs, CR LF, CR NUL, lone CR",
            vec![
                Step::ToDevice(mixed_data()),
                Step::FromDevice(mixed_data()),
                Step::ToDevice(b"\r\r\n\r\0\xff\r".to_vec()),
                Step::FromDevice(b"\r\r\n\r\0\xff\r".to_vec()),
            ],
        ),
        "refuse" => watching(
            "a client that refuses COM-PORT-OPTION (DONT and WONT 44), then sends and receives data",
            vec![
                Step::Raw {
                    label: "DONT COM-PORT, WONT COM-PORT",
                    bytes: vec![0xff, 0xfe, 44, 0xff, 0xfc, 44],
                },
                Step::ToDevice(b"plain data after the refusal\n".to_vec()),
                Step::FromDevice(b"plain data from the device\n".to_vec()),
            ],
        ),
        "silent" => watching(
            "a client that connects and sends nothing for 2 s",
            vec![Step::Wait(Duration::from_secs(2))],
        ),
        "bad-input" => scenario(
            "malformed and overlong subnegotiations and unknown commands, each followed by data",
            bad_input(),
        ),
        _ => return None,
    })
}

/// Each setting to a standard and an odd value, each followed by a query.
fn settings_requests() -> impl Iterator<Item = Command> {
    let bauds = [9600, 0, 1234, 0, 255, 0, 115_200, 0].map(Command::SetBaudRate);
    let sizes = [5, 6, 7, 8, 0].map(|size| Command::SetDataSize(DataSize::from_byte(size)));
    let parities = [2, 3, 4, 5, 1, 0].map(|parity| Command::SetParity(Parity::from_byte(parity)));
    let stops = [2, 3, 1, 0].map(|stop| Command::SetStopSize(StopSize::from_byte(stop)));
    bauds.into_iter().chain(sizes).chain(parities).chain(stops)
}

/// 1 KiB: every byte value, runs of 0xFF (kept below the 1000-byte bursts
/// sredird loses), Telnet look-alikes and line ends.
fn mixed_data() -> Vec<u8> {
    let mut data: Vec<u8> = (0..=255).collect();
    data.extend_from_slice(&[0xff; 64]);
    data.extend_from_slice(b"\xff\xfa\x2c\x01\xff\xf0\xff\xfd\x2c\r\n\r\0\r");
    data.extend(crate::device::payload(2217, 1024 - data.len()));
    data
}

/// Bad input, each piece followed by a data marker the device must get.
fn bad_input() -> Vec<Step> {
    let overlong_signature = [&[0xff, 0xfa, 44, 0][..], &[b'A'; 300], &[0xff, 0xf0]].concat();
    let overlong_baud = [&[0xff, 0xfa, 44, 1][..], &[0x11; 200], &[0xff, 0xf0]].concat();
    let pieces: [(&str, Vec<u8>); 9] = [
        (
            "SET-BAUDRATE with 2 value bytes",
            vec![0xff, 0xfa, 44, 1, 0, 0x96, 0xff, 0xf0],
        ),
        (
            "SET-DATASIZE without a value",
            vec![0xff, 0xfa, 44, 2, 0xff, 0xf0],
        ),
        (
            "COM-PORT subnegotiation without a command",
            vec![0xff, 0xfa, 44, 0xff, 0xf0],
        ),
        (
            "unknown COM-PORT command 99",
            vec![0xff, 0xfa, 44, 99, 1, 0xff, 0xf0],
        ),
        (
            "subnegotiation of unknown option 99",
            vec![0xff, 0xfa, 99, 1, 2, 3, 0xff, 0xf0],
        ),
        ("overlong SIGNATURE (300 bytes)", overlong_signature),
        ("overlong SET-BAUDRATE (200 bytes)", overlong_baud),
        (
            "IAC NOP, IAC AYT, IAC 0x10 (undefined)",
            vec![0xff, 0xf1, 0xff, 0xf6, 0xff, 0x10],
        ),
        ("stray IAC SE", vec![0xff, 0xf0]),
    ];
    pieces
        .into_iter()
        .enumerate()
        .flat_map(|(i, (label, bytes))| {
            [
                Step::Raw { label, bytes },
                Step::ToDevice(format!("<after bad input {i}>\n").into_bytes()),
            ]
        })
        .collect()
}

/// The opening batch our clients send.
pub(crate) fn opening_batch() -> Vec<Command> {
    OpenOptions::new("conformance").opening_requests()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_has_a_scenario_that_starts_by_negotiating() {
        let scenarios = all();
        assert_eq!(scenarios.len(), NAMES.len());
        for (scenario, name) in scenarios.iter().zip(NAMES) {
            assert_eq!(scenario.name, name);
            assert!(!scenario.steps.is_empty());
            if !scenario.session_silent {
                assert_eq!(scenario.steps[0], Step::Negotiate, "{name}");
            }
        }
        assert!(by_name("nope").is_none());
    }

    #[test]
    fn the_data_scenario_carries_every_byte_value() {
        let data = mixed_data();
        assert_eq!(data.len(), 1024);
        assert!((0..=255u8).all(|byte| data.contains(&byte)));
    }
}
