//! RFC 2217 commands: one type for both directions. The client sends code
//! `n`, the access server sends `n + 100`; the value is the same.

use core::fmt;

use super::values::{Control, DataSize, LineState, ModemState, Parity, Purge, StopSize};

/// The Telnet option code of COM-PORT-OPTION.
pub const COM_PORT_OPTION: u8 = 44;

/// Added to a command's code when the access server sends it.
pub const SERVER_OFFSET: u8 = 100;

/// Which command, without its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CommandKind {
    /// SIGNATURE (0 / 100).
    Signature,
    /// SET-BAUDRATE (1 / 101).
    SetBaudRate,
    /// SET-DATASIZE (2 / 102).
    SetDataSize,
    /// SET-PARITY (3 / 103).
    SetParity,
    /// SET-STOPSIZE (4 / 104).
    SetStopSize,
    /// SET-CONTROL (5 / 105).
    SetControl,
    /// NOTIFY-LINESTATE (6 / 106).
    NotifyLineState,
    /// NOTIFY-MODEMSTATE (7 / 107).
    NotifyModemState,
    /// FLOWCONTROL-SUSPEND (8 / 108).
    FlowControlSuspend,
    /// FLOWCONTROL-RESUME (9 / 109).
    FlowControlResume,
    /// SET-LINESTATE-MASK (10 / 110).
    SetLineStateMask,
    /// SET-MODEMSTATE-MASK (11 / 111).
    SetModemStateMask,
    /// PURGE-DATA (12 / 112).
    PurgeData,
}

impl CommandKind {
    /// Every kind, in code order.
    pub const ALL: [CommandKind; 13] = [
        CommandKind::Signature,
        CommandKind::SetBaudRate,
        CommandKind::SetDataSize,
        CommandKind::SetParity,
        CommandKind::SetStopSize,
        CommandKind::SetControl,
        CommandKind::NotifyLineState,
        CommandKind::NotifyModemState,
        CommandKind::FlowControlSuspend,
        CommandKind::FlowControlResume,
        CommandKind::SetLineStateMask,
        CommandKind::SetModemStateMask,
        CommandKind::PurgeData,
    ];

    /// The client's code (0-12); the server's is this plus [`SERVER_OFFSET`].
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The kind for a client code (0-12).
    pub const fn from_code(code: u8) -> Option<Self> {
        if (code as usize) < Self::ALL.len() {
            Some(Self::ALL[code as usize])
        } else {
            None
        }
    }

    /// The name RFC 2217 gives the command.
    pub const fn name(self) -> &'static str {
        match self {
            CommandKind::Signature => "SIGNATURE",
            CommandKind::SetBaudRate => "SET-BAUDRATE",
            CommandKind::SetDataSize => "SET-DATASIZE",
            CommandKind::SetParity => "SET-PARITY",
            CommandKind::SetStopSize => "SET-STOPSIZE",
            CommandKind::SetControl => "SET-CONTROL",
            CommandKind::NotifyLineState => "NOTIFY-LINESTATE",
            CommandKind::NotifyModemState => "NOTIFY-MODEMSTATE",
            CommandKind::FlowControlSuspend => "FLOWCONTROL-SUSPEND",
            CommandKind::FlowControlResume => "FLOWCONTROL-RESUME",
            CommandKind::SetLineStateMask => "SET-LINESTATE-MASK",
            CommandKind::SetModemStateMask => "SET-MODEMSTATE-MASK",
            CommandKind::PurgeData => "PURGE-DATA",
        }
    }
}

impl fmt::Display for CommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An RFC 2217 command with its value. A value of zero in the settings
/// (`SetBaudRate(0)`, `DataSize::Query`, ...) asks for the value in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// SIGNATURE; as a request, asks for the server's. Its text travels
    /// beside the command: see [`Signature`](crate::Signature).
    Signature,
    /// SET-BAUDRATE in bits per second; 0 asks for the rate in use.
    SetBaudRate(u32),
    /// SET-DATASIZE.
    SetDataSize(DataSize),
    /// SET-PARITY.
    SetParity(Parity),
    /// SET-STOPSIZE.
    SetStopSize(StopSize),
    /// SET-CONTROL.
    SetControl(Control),
    /// NOTIFY-LINESTATE (from a client: a poll).
    NotifyLineState(LineState),
    /// NOTIFY-MODEMSTATE (from a client: a poll).
    NotifyModemState(ModemState),
    /// FLOWCONTROL-SUSPEND: stop sending data and commands.
    FlowControlSuspend,
    /// FLOWCONTROL-RESUME: sending may go on.
    FlowControlResume,
    /// SET-LINESTATE-MASK.
    SetLineStateMask(LineState),
    /// SET-MODEMSTATE-MASK.
    SetModemStateMask(ModemState),
    /// PURGE-DATA.
    PurgeData(Purge),
}

/// A com-port payload that could not be read as its command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Malformed;

impl Command {
    /// The command's kind.
    pub const fn kind(&self) -> CommandKind {
        match self {
            Command::Signature => CommandKind::Signature,
            Command::SetBaudRate(_) => CommandKind::SetBaudRate,
            Command::SetDataSize(_) => CommandKind::SetDataSize,
            Command::SetParity(_) => CommandKind::SetParity,
            Command::SetStopSize(_) => CommandKind::SetStopSize,
            Command::SetControl(_) => CommandKind::SetControl,
            Command::NotifyLineState(_) => CommandKind::NotifyLineState,
            Command::NotifyModemState(_) => CommandKind::NotifyModemState,
            Command::FlowControlSuspend => CommandKind::FlowControlSuspend,
            Command::FlowControlResume => CommandKind::FlowControlResume,
            Command::SetLineStateMask(_) => CommandKind::SetLineStateMask,
            Command::SetModemStateMask(_) => CommandKind::SetModemStateMask,
            Command::PurgeData(_) => CommandKind::PurgeData,
        }
    }

    /// The value bytes on the wire, before IAC doubling: (buffer, length).
    pub(crate) fn value(&self) -> ([u8; 4], usize) {
        let byte = |b: u8| ([b, 0, 0, 0], 1);
        match *self {
            Command::Signature | Command::FlowControlSuspend | Command::FlowControlResume => {
                ([0; 4], 0)
            }
            Command::SetBaudRate(baud) => (baud.to_be_bytes(), 4),
            Command::SetDataSize(v) => byte(v.to_byte()),
            Command::SetParity(v) => byte(v.to_byte()),
            Command::SetStopSize(v) => byte(v.to_byte()),
            Command::SetControl(v) => byte(v.to_byte()),
            Command::NotifyLineState(v) | Command::SetLineStateMask(v) => byte(v.0),
            Command::NotifyModemState(v) | Command::SetModemStateMask(v) => byte(v.0),
            Command::PurgeData(v) => byte(v.to_byte()),
        }
    }

    /// True for a request that asks for the value in use and changes
    /// nothing: a settings or SET-CONTROL query, or a NOTIFY poll.
    pub const fn is_query(&self) -> bool {
        match *self {
            Command::SetBaudRate(rate) => rate == 0,
            Command::SetDataSize(size) => matches!(size, DataSize::Query),
            Command::SetParity(parity) => matches!(parity, Parity::Query),
            Command::SetStopSize(size) => matches!(size, StopSize::Query),
            Command::SetControl(control) => control.is_query(),
            Command::NotifyLineState(state) => state.is_empty(),
            Command::NotifyModemState(state) => state.is_empty(),
            _ => false,
        }
    }

    /// The query of a setting's value (`SET-BAUDRATE 0`, ...), for the four
    /// settings.
    pub(crate) const fn query(kind: CommandKind) -> Option<Command> {
        Some(match kind {
            CommandKind::SetBaudRate => Command::SetBaudRate(0),
            CommandKind::SetDataSize => Command::SetDataSize(DataSize::Query),
            CommandKind::SetParity => Command::SetParity(Parity::Query),
            CommandKind::SetStopSize => Command::SetStopSize(StopSize::Query),
            _ => return None,
        })
    }

    /// Reads the value of a `kind` request from a client (IAC doubling
    /// already undone). A setting's value must have its exact length (4
    /// bytes of baud, 1 of the others): guessing which bytes a malformed
    /// request meant could set the port to a rate nobody asked for. An
    /// empty NOTIFY is a poll (as pyserial's client sends it).
    pub(crate) fn parse_request(kind: CommandKind, value: &[u8]) -> Result<Command, Malformed> {
        let exact = match kind {
            CommandKind::SetBaudRate => Some(4),
            CommandKind::SetDataSize | CommandKind::SetParity | CommandKind::SetStopSize => Some(1),
            _ => None,
        };
        match exact {
            Some(len) if value.len() != len => Err(Malformed),
            _ => Self::parse_reply(kind, value),
        }
    }

    /// Reads the value of a `kind` answer or notification from a server
    /// (IAC doubling already undone).
    ///
    /// Tolerant where real servers deviate: a baud value longer than four
    /// bytes uses the first four (sredird sends eight on 64-bit hosts), a
    /// one-byte baud value is a Cisco IOS rate index, a one-byte value with
    /// trailing bytes uses the first, and an empty NOTIFY is a poll. A
    /// SIGNATURE's text is left to the caller.
    pub(crate) fn parse_reply(kind: CommandKind, value: &[u8]) -> Result<Command, Malformed> {
        let first = || value.first().copied().ok_or(Malformed);
        Ok(match kind {
            CommandKind::Signature => Command::Signature,
            CommandKind::SetBaudRate => Command::SetBaudRate(parse_baud(value)?),
            CommandKind::SetDataSize => Command::SetDataSize(DataSize::from_byte(first()?)),
            CommandKind::SetParity => Command::SetParity(Parity::from_byte(first()?)),
            CommandKind::SetStopSize => Command::SetStopSize(StopSize::from_byte(first()?)),
            CommandKind::SetControl => Command::SetControl(Control::from_byte(first()?)),
            CommandKind::NotifyLineState => {
                Command::NotifyLineState(LineState(first().unwrap_or(0)))
            }
            CommandKind::NotifyModemState => {
                Command::NotifyModemState(ModemState(first().unwrap_or(0)))
            }
            CommandKind::FlowControlSuspend => Command::FlowControlSuspend,
            CommandKind::FlowControlResume => Command::FlowControlResume,
            CommandKind::SetLineStateMask => Command::SetLineStateMask(LineState(first()?)),
            CommandKind::SetModemStateMask => Command::SetModemStateMask(ModemState(first()?)),
            CommandKind::PurgeData => Command::PurgeData(Purge::from_byte(first()?)),
        })
    }
}

/// The command in RFC 2217's words, as messages and logs show it:
/// `SET-BAUDRATE 115200`, `SET-DATASIZE 7`, `SET-CONTROL DTR-ON`,
/// `SET-PARITY QUERY`, `NOTIFY-MODEMSTATE CTS|DSR`.
impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind();
        if self.is_query() && Command::query(kind).is_some() {
            return write!(f, "{kind} QUERY");
        }
        match self {
            Command::Signature | Command::FlowControlSuspend | Command::FlowControlResume => {
                write!(f, "{kind}")
            }
            Command::SetBaudRate(rate) => write!(f, "{kind} {rate}"),
            Command::SetDataSize(v) => write!(f, "{kind} {v}"),
            Command::SetParity(v) => write!(f, "{kind} {v}"),
            Command::SetStopSize(v) => write!(f, "{kind} {v}"),
            Command::SetControl(v) => write!(f, "{kind} {v}"),
            Command::NotifyLineState(v) | Command::SetLineStateMask(v) => write!(f, "{kind} {v}"),
            Command::NotifyModemState(v) | Command::SetModemStateMask(v) => {
                write!(f, "{kind} {v}")
            }
            Command::PurgeData(v) => write!(f, "{kind} {v}"),
        }
    }
}

fn parse_baud(value: &[u8]) -> Result<u32, Malformed> {
    match value {
        [index] => cisco_baud(*index).ok_or(Malformed),
        [a, b, c, d, ..] => Ok(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => Err(Malformed),
    }
}

/// Cisco IOS sends SET-BAUDRATE as a one-byte index into this table.
fn cisco_baud(index: u8) -> Option<u32> {
    Some(match index {
        3 => 300,
        4 => 600,
        5 => 1200,
        6 => 2400,
        7 => 4800,
        8 => 9600,
        10 => 19200,
        12 => 38400,
        13 => 57600,
        14 => 115_200,
        15 => 230_400,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comport::values::Text;

    #[test]
    fn kinds_map_to_their_codes() {
        for (code, kind) in CommandKind::ALL.iter().enumerate() {
            assert_eq!(usize::from(kind.code()), code);
            assert_eq!(CommandKind::from_code(kind.code()), Some(*kind));
        }
        assert_eq!(CommandKind::from_code(13), None);
        assert_eq!(CommandKind::SetBaudRate.name(), "SET-BAUDRATE");
    }

    #[test]
    fn baud_values_real_servers_send_are_read() {
        let parse = |v: &[u8]| Command::parse_reply(CommandKind::SetBaudRate, v);
        assert_eq!(parse(&[0, 1, 0xC2, 0]), Ok(Command::SetBaudRate(115_200)));
        // sredird on 64-bit: an 8-byte unsigned long after htonl.
        assert_eq!(
            parse(&[0, 1, 0xC2, 0, 0, 0, 0, 0]),
            Ok(Command::SetBaudRate(115_200))
        );
        // Cisco IOS / ser2net's answer to a 2-byte request: a rate index.
        assert_eq!(parse(&[0x0E]), Ok(Command::SetBaudRate(115_200)));
        assert_eq!(parse(&[8]), Ok(Command::SetBaudRate(9600)));
        assert_eq!(parse(&[9]), Err(Malformed));
        assert_eq!(parse(&[0, 1]), Err(Malformed));
        assert_eq!(parse(&[]), Err(Malformed));
    }

    #[test]
    fn a_setting_request_of_the_wrong_length_is_malformed_not_guessed() {
        let request = |kind, v: &[u8]| Command::parse_request(kind, v);
        assert_eq!(
            request(CommandKind::SetBaudRate, &[0, 0, 0, 0, 0x25, 0x80]),
            Err(Malformed)
        );
        assert_eq!(request(CommandKind::SetBaudRate, &[8]), Err(Malformed));
        assert_eq!(
            request(CommandKind::SetBaudRate, &[0, 0, 0x25, 0x80]),
            Ok(Command::SetBaudRate(9600))
        );
        assert_eq!(request(CommandKind::SetParity, &[3, 9]), Err(Malformed));
        assert_eq!(
            request(CommandKind::NotifyModemState, &[]),
            Ok(Command::NotifyModemState(ModemState::EMPTY))
        );
    }

    #[test]
    fn commands_read_in_the_rfc_words() {
        let cases = [
            (Command::SetBaudRate(115_200), "SET-BAUDRATE 115200"),
            (Command::SetBaudRate(0), "SET-BAUDRATE QUERY"),
            (Command::SetDataSize(DataSize::Seven), "SET-DATASIZE 7"),
            (Command::SetParity(Parity::Even), "SET-PARITY EVEN"),
            (
                Command::SetStopSize(StopSize::OnePointFive),
                "SET-STOPSIZE 1.5",
            ),
            (Command::SetControl(Control::DtrOn), "SET-CONTROL DTR-ON"),
            (
                Command::SetControl(Control::QueryRts),
                "SET-CONTROL QUERY-RTS",
            ),
            (Command::SetControl(Control::Unknown(77)), "SET-CONTROL 77"),
            (Command::PurgeData(Purge::Both), "PURGE-DATA BOTH"),
            (
                Command::NotifyModemState(ModemState::CTS | ModemState::DSR),
                "NOTIFY-MODEMSTATE DSR|CTS",
            ),
            (
                Command::NotifyModemState(ModemState::EMPTY),
                "NOTIFY-MODEMSTATE NONE",
            ),
            (Command::FlowControlSuspend, "FLOWCONTROL-SUSPEND"),
        ];
        for (command, words) in cases {
            let mut text = Text::default();
            fmt::write(&mut text, format_args!("{command}")).unwrap();
            assert_eq!(&text.bytes[..text.len], words.as_bytes());
        }
    }

    #[test]
    fn one_byte_commands_need_their_byte_and_notifications_may_poll() {
        assert_eq!(
            Command::parse_reply(CommandKind::SetDataSize, &[]),
            Err(Malformed)
        );
        assert_eq!(
            Command::parse_reply(CommandKind::SetParity, &[3, 9]),
            Ok(Command::SetParity(Parity::Even))
        );
        assert_eq!(
            Command::parse_reply(CommandKind::NotifyModemState, &[]),
            Ok(Command::NotifyModemState(ModemState::EMPTY))
        );
    }

    #[test]
    fn value_and_parse_round_trip_for_every_kind() {
        let samples = [
            Command::Signature,
            Command::SetBaudRate(0xFF00_FFFF),
            Command::SetDataSize(DataSize::Seven),
            Command::SetParity(Parity::Unknown(200)),
            Command::SetStopSize(StopSize::OnePointFive),
            Command::SetControl(Control::DsrFlowControl),
            Command::NotifyLineState(LineState::BREAK_DETECT),
            Command::NotifyModemState(ModemState(0xFF)),
            Command::FlowControlSuspend,
            Command::FlowControlResume,
            Command::SetLineStateMask(LineState(0xFF)),
            Command::SetModemStateMask(ModemState::CD),
            Command::PurgeData(Purge::Both),
        ];
        for command in samples {
            let (value, len) = command.value();
            assert_eq!(
                Command::parse_reply(command.kind(), &value[..len]),
                Ok(command)
            );
        }
    }
}
