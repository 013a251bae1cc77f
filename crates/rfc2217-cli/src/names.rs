//! The words for serial settings and line states, in one place, so that
//! what `ctl` and `probe` print is what `ctl`, `term` and `serve --config`
//! accept.

use std::fmt::Display;
use std::time::Duration;

use rfc2217_client::{data_bits_from, flow_control_from, parity_from, stop_bits_from};
use rfc2217_proto::{
    Command, Control, ControlGroup, DataSize, LineState, ModemState, Parity, Purge, StopSize,
};

/// The words for the values of one setting. A value's first word is the
/// one printed; a value without a word is printed as the core names it
/// (its `Display`, in RFC 2217's words: `INBOUND-FLOW-NONE`, `9`).
pub(crate) struct Words<T: 'static> {
    what: &'static str,
    words: &'static [(&'static str, T)],
}

impl<T: Copy + PartialEq + Display> Words<T> {
    /// The value `text` names (in any case).
    pub(crate) fn parse(&self, text: &str) -> Result<T, String> {
        let found = self
            .words
            .iter()
            .find(|(word, _)| word.eq_ignore_ascii_case(text));
        found.map(|&(_, value)| value).ok_or_else(|| {
            let known: Vec<&str> = self.words.iter().map(|(word, _)| *word).collect();
            format!(
                "unknown {} `{text}` (expected {})",
                self.what,
                known.join(", ")
            )
        })
    }

    /// The word for `value`.
    pub(crate) fn name(&self, value: T) -> String {
        let found = self.words.iter().find(|(_, known)| *known == value);
        found.map_or_else(|| value.to_string(), |(word, _)| (*word).to_owned())
    }
}

pub(crate) const DATA_BITS: Words<DataSize> = Words {
    what: "data size",
    words: &[
        ("5", DataSize::Five),
        ("6", DataSize::Six),
        ("7", DataSize::Seven),
        ("8", DataSize::Eight),
    ],
};

pub(crate) const PARITY: Words<Parity> = Words {
    what: "parity",
    words: &[
        ("none", Parity::None),
        ("odd", Parity::Odd),
        ("even", Parity::Even),
        ("mark", Parity::Mark),
        ("space", Parity::Space),
    ],
};

pub(crate) const STOP_BITS: Words<StopSize> = Words {
    what: "stop size",
    words: &[
        ("1", StopSize::One),
        ("1.5", StopSize::OnePointFive),
        ("2", StopSize::Two),
    ],
};

/// Outbound (or combined) flow control.
pub(crate) const FLOW: Words<Control> = Words {
    what: "flow control",
    words: &[
        ("none", Control::NoFlowControl),
        ("xonxoff", Control::XonXoffFlowControl),
        ("rtscts", Control::HardwareFlowControl),
        ("dcd", Control::DcdFlowControl),
        ("dsr", Control::DsrFlowControl),
    ],
};

/// DTR, RTS and BREAK.
pub(crate) const SWITCH: Words<bool> = Words {
    what: "state",
    words: &[("on", true), ("off", false)],
};

pub(crate) const PURGE: Words<Purge> = Words {
    what: "buffer",
    words: &[
        ("rx", Purge::Receive),
        ("tx", Purge::Transmit),
        ("both", Purge::Both),
    ],
};

/// The value a request or an answer carries, in words: `9600`, `even`,
/// `on`. Other commands are shown in RFC 2217's words, as the libraries
/// log them.
pub(crate) fn value(command: &Command) -> String {
    match *command {
        Command::SetBaudRate(rate) => rate.to_string(),
        Command::SetDataSize(size) => DATA_BITS.name(size),
        Command::SetParity(parity) => PARITY.name(parity),
        Command::SetStopSize(size) => STOP_BITS.name(size),
        Command::SetControl(control) => match control.group() {
            Some(ControlGroup::Dtr) => SWITCH.name(control == Control::DtrOn),
            Some(ControlGroup::Rts) => SWITCH.name(control == Control::RtsOn),
            Some(ControlGroup::Break) => SWITCH.name(control == Control::BreakOn),
            _ => FLOW.name(control),
        },
        Command::PurgeData(purge) => PURGE.name(purge),
        other => other.to_string(),
    }
}

/// The modem lines that are on.
pub(crate) fn modem_lines(state: ModemState) -> Vec<&'static str> {
    let lines = [
        (ModemState::CD, "CD"),
        (ModemState::RI, "RI"),
        (ModemState::DSR, "DSR"),
        (ModemState::CTS, "CTS"),
    ];
    lines
        .into_iter()
        .filter(|&(line, _)| state.contains(line))
        .map(|(_, name)| name)
        .collect()
}

/// The line-state conditions that are set.
pub(crate) fn line_conditions(state: LineState) -> Vec<&'static str> {
    let conditions = [
        (LineState::TIMEOUT, "timeout"),
        (LineState::SHIFT_REGISTER_EMPTY, "shift-register-empty"),
        (LineState::HOLDING_REGISTER_EMPTY, "holding-register-empty"),
        (LineState::BREAK_DETECT, "break"),
        (LineState::FRAMING_ERROR, "framing-error"),
        (LineState::PARITY_ERROR, "parity-error"),
        (LineState::OVERRUN_ERROR, "overrun-error"),
        (LineState::DATA_READY, "data-ready"),
    ];
    conditions
        .into_iter()
        .filter(|&(condition, _)| state.contains(condition))
        .map(|(_, name)| name)
        .collect()
}

/// A number of seconds, such as `0.25`.
pub(crate) fn seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("`{text}`: seconds cannot be negative"))
}

/// A setting given as a word where a port is opened (`term`) or served
/// (`serve --config`): in the `serialport` types that
/// [`Settings`](rfc2217_client::Settings) holds, which lack some values the
/// protocol has (mark and space parity, 1.5 stop bits, DCD and DSR flow
/// control); `ctl` can set those.
pub(crate) trait SettingWord: Sized {
    fn from_word(text: &str) -> Result<Self, String>;
}

fn settable<W: Copy + PartialEq + Display, S>(
    words: &Words<W>,
    text: &str,
    convert: fn(W) -> Option<S>,
) -> Result<S, String> {
    convert(words.parse(text)?)
        .ok_or_else(|| format!("{} `{text}` can be set with `rfc2217 ctl` only", words.what))
}

impl SettingWord for serialport::DataBits {
    fn from_word(text: &str) -> Result<Self, String> {
        settable(&DATA_BITS, text, data_bits_from)
    }
}

impl SettingWord for serialport::Parity {
    fn from_word(text: &str) -> Result<Self, String> {
        settable(&PARITY, text, parity_from)
    }
}

impl SettingWord for serialport::StopBits {
    fn from_word(text: &str) -> Result<Self, String> {
        settable(&STOP_BITS, text, stop_bits_from)
    }
}

impl SettingWord for serialport::FlowControl {
    fn from_word(text: &str) -> Result<Self, String> {
        settable(&FLOW, text, flow_control_from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads_back_as_itself() {
        for (word, parity) in PARITY.words {
            assert_eq!(PARITY.parse(word), Ok(*parity));
            assert_eq!(value(&Command::SetParity(*parity)), *word);
        }
        for (word, flow) in FLOW.words {
            assert_eq!(value(&Command::SetControl(*flow)), *word);
        }
        assert_eq!(STOP_BITS.parse("1.5"), Ok(StopSize::OnePointFive));
        assert_eq!(PARITY.parse("EVEN"), Ok(Parity::Even));
    }

    #[test]
    fn answers_read_as_values() {
        assert_eq!(value(&Command::SetBaudRate(115_200)), "115200");
        assert_eq!(value(&Command::SetControl(Control::DtrOff)), "off");
        assert_eq!(value(&Command::SetControl(Control::RtsOn)), "on");
        assert_eq!(value(&Command::SetControl(Control::BreakOff)), "off");
        assert_eq!(value(&Command::SetDataSize(DataSize::Unknown(9))), "9");
        assert_eq!(
            value(&Command::SetControl(Control::NoInboundFlowControl)),
            "INBOUND-FLOW-NONE"
        );
        assert_eq!(
            value(&Command::SetLineStateMask(LineState::BREAK_DETECT)),
            "SET-LINESTATE-MASK BREAK_DETECT"
        );
        assert_eq!(value(&Command::PurgeData(Purge::Both)), "both");
    }

    #[test]
    fn unknown_words_list_the_known_ones() {
        assert_eq!(
            PARITY.parse("evn").unwrap_err(),
            "unknown parity `evn` (expected none, odd, even, mark, space)"
        );
        assert!(seconds("soon").is_err());
        assert!(seconds("-1").is_err());
        assert_eq!(seconds("0.25"), Ok(Duration::from_millis(250)));
    }

    #[test]
    fn settings_at_open_lack_what_serialport_lacks() {
        assert_eq!(
            serialport::Parity::from_word("even"),
            Ok(serialport::Parity::Even)
        );
        assert_eq!(
            serialport::Parity::from_word("mark").unwrap_err(),
            "parity `mark` can be set with `rfc2217 ctl` only"
        );
        assert!(serialport::StopBits::from_word("1.5").is_err());
        assert_eq!(
            serialport::FlowControl::from_word("rtscts"),
            Ok(serialport::FlowControl::Hardware)
        );
    }

    #[test]
    fn lines_and_conditions_are_named() {
        assert_eq!(
            modem_lines(ModemState::CTS | ModemState::DSR | ModemState::CTS_CHANGED),
            ["DSR", "CTS"]
        );
        assert_eq!(line_conditions(LineState::BREAK_DETECT), ["break"]);
    }
}
