//! Telnet vocabulary (RFC 854, 855): command bytes, options and verbs.

/// Interpret As Command: starts every Telnet command; doubled it is a data 0xFF.
pub(crate) const IAC: u8 = 255;
pub(crate) const DONT: u8 = 254;
pub(crate) const DO: u8 = 253;
pub(crate) const WONT: u8 = 252;
pub(crate) const WILL: u8 = 251;
/// Subnegotiation Begin.
pub(crate) const SB: u8 = 250;
/// Subnegotiation End.
pub(crate) const SE: u8 = 240;
pub(crate) const CR: u8 = b'\r';
pub(crate) const LF: u8 = b'\n';
pub(crate) const NUL: u8 = 0;

/// A two-byte Telnet command (`IAC` + one of these), reported as an event and
/// never delivered as data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TelnetCommand {
    /// NOP (241): no operation, often used as a keep-alive.
    Nop,
    /// DM (242): the data mark of a Synch.
    DataMark,
    /// BRK (243): a break; a client's BRK asks the server to send a break on the line.
    Break,
    /// IP (244): interrupt process.
    InterruptProcess,
    /// AO (245): abort output.
    AbortOutput,
    /// AYT (246): are you there.
    AreYouThere,
    /// EC (247): erase character.
    EraseCharacter,
    /// EL (248): erase line.
    EraseLine,
    /// GA (249): go ahead.
    GoAhead,
}

impl TelnetCommand {
    /// The command for the byte after `IAC`, if it is one of the two-byte commands.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        Some(match byte {
            241 => TelnetCommand::Nop,
            242 => TelnetCommand::DataMark,
            243 => TelnetCommand::Break,
            244 => TelnetCommand::InterruptProcess,
            245 => TelnetCommand::AbortOutput,
            246 => TelnetCommand::AreYouThere,
            247 => TelnetCommand::EraseCharacter,
            248 => TelnetCommand::EraseLine,
            249 => TelnetCommand::GoAhead,
            _ => return None,
        })
    }

    /// The byte that follows `IAC` on the wire.
    pub const fn to_byte(self) -> u8 {
        match self {
            TelnetCommand::Nop => 241,
            TelnetCommand::DataMark => 242,
            TelnetCommand::Break => 243,
            TelnetCommand::InterruptProcess => 244,
            TelnetCommand::AbortOutput => 245,
            TelnetCommand::AreYouThere => 246,
            TelnetCommand::EraseCharacter => 247,
            TelnetCommand::EraseLine => 248,
            TelnetCommand::GoAhead => 249,
        }
    }
}

/// The command's name in RFC 854: `NOP`, `DM`, `BRK`, `IP`, `AO`, `AYT`,
/// `EC`, `EL`, `GA`.
impl core::fmt::Display for TelnetCommand {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            TelnetCommand::Nop => "NOP",
            TelnetCommand::DataMark => "DM",
            TelnetCommand::Break => "BRK",
            TelnetCommand::InterruptProcess => "IP",
            TelnetCommand::AbortOutput => "AO",
            TelnetCommand::AreYouThere => "AYT",
            TelnetCommand::EraseCharacter => "EC",
            TelnetCommand::EraseLine => "EL",
            TelnetCommand::GoAhead => "GA",
        })
    }
}

/// The Telnet options this crate negotiates; every other option is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TelnetOption {
    /// TRANSMIT-BINARY (RFC 856): an 8-bit clean data path, per direction.
    Binary,
    /// ECHO (RFC 857).
    Echo,
    /// SUPPRESS-GO-AHEAD (RFC 858).
    SuppressGoAhead,
    /// COM-PORT-OPTION (RFC 2217).
    ComPort,
}

impl TelnetOption {
    /// Every negotiated option, in table order.
    pub const ALL: [TelnetOption; 4] = [
        TelnetOption::Binary,
        TelnetOption::Echo,
        TelnetOption::SuppressGoAhead,
        TelnetOption::ComPort,
    ];

    /// The option's code on the wire.
    pub const fn code(self) -> u8 {
        match self {
            TelnetOption::Binary => 0,
            TelnetOption::Echo => 1,
            TelnetOption::SuppressGoAhead => 3,
            TelnetOption::ComPort => 44,
        }
    }

    /// The option for a wire code, if it is one this crate negotiates.
    pub const fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => TelnetOption::Binary,
            1 => TelnetOption::Echo,
            3 => TelnetOption::SuppressGoAhead,
            44 => TelnetOption::ComPort,
            _ => return None,
        })
    }

    /// The option's name in its RFC: `TRANSMIT-BINARY`, `ECHO`,
    /// `SUPPRESS-GO-AHEAD`, `COM-PORT-OPTION`.
    pub const fn name(self) -> &'static str {
        match self {
            TelnetOption::Binary => "TRANSMIT-BINARY",
            TelnetOption::Echo => "ECHO",
            TelnetOption::SuppressGoAhead => "SUPPRESS-GO-AHEAD",
            TelnetOption::ComPort => "COM-PORT-OPTION",
        }
    }

    /// Position in per-option tables.
    pub(crate) const fn index(self) -> usize {
        match self {
            TelnetOption::Binary => 0,
            TelnetOption::Echo => 1,
            TelnetOption::SuppressGoAhead => 2,
            TelnetOption::ComPort => 3,
        }
    }
}

impl core::fmt::Display for TelnetOption {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which end of the connection an option applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// This session performs the option (negotiated with WILL/WONT from us).
    Local,
    /// The peer performs the option (negotiated with DO/DONT from us).
    Remote,
}

/// An option negotiation verb.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Verb {
    /// WILL (251): the sender offers or agrees to perform an option.
    Will,
    /// WONT (252): the sender refuses or stops performing an option.
    Wont,
    /// DO (253): the sender asks or agrees that the receiver perform an option.
    Do,
    /// DONT (254): the sender asks the receiver to stop or not to start.
    Dont,
}

impl Verb {
    /// The verb for a byte after `IAC`, if it is one.
    pub(crate) const fn from_byte(byte: u8) -> Option<Self> {
        Some(match byte {
            WILL => Verb::Will,
            WONT => Verb::Wont,
            DO => Verb::Do,
            DONT => Verb::Dont,
            _ => return None,
        })
    }

    pub(crate) const fn to_byte(self) -> u8 {
        match self {
            Verb::Will => WILL,
            Verb::Wont => WONT,
            Verb::Do => DO,
            Verb::Dont => DONT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_bytes_round_trip() {
        for byte in 0..=255u8 {
            if let Some(command) = TelnetCommand::from_byte(byte) {
                assert_eq!(command.to_byte(), byte);
            }
        }
        assert_eq!(TelnetCommand::from_byte(SE), None);
        assert_eq!(TelnetCommand::from_byte(SB), None);
        assert_eq!(TelnetCommand::from_byte(IAC), None);
    }

    #[test]
    fn option_codes_round_trip() {
        for option in TelnetOption::ALL {
            assert_eq!(TelnetOption::from_code(option.code()), Some(option));
            assert_eq!(TelnetOption::ALL[option.index()], option);
        }
        assert_eq!(TelnetOption::from_code(24), None);
    }

    #[test]
    fn commands_and_options_are_named_as_their_rfcs_name_them() {
        let named = |value: &dyn core::fmt::Display| {
            let mut text = crate::comport::values::Text::default();
            core::fmt::write(&mut text, format_args!("{value}")).unwrap();
            text
        };
        let brk = named(&TelnetCommand::Break);
        assert_eq!(&brk.bytes[..brk.len], b"BRK");
        let com_port = named(&TelnetOption::ComPort);
        assert_eq!(&com_port.bytes[..com_port.len], b"COM-PORT-OPTION");
    }

    #[test]
    fn verb_bytes_round_trip() {
        for verb in [Verb::Will, Verb::Wont, Verb::Do, Verb::Dont] {
            assert_eq!(Verb::from_byte(verb.to_byte()), Some(verb));
        }
    }
}
