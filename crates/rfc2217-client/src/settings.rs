//! Serial settings in the `serialport` crate's types, as RFC 2217 commands
//! and back.

use rfc2217_proto::{self as proto, Command, Control, DataSize, LineState, StopSize};
use serialport::{DataBits, FlowControl, Parity, StopBits};

/// The line settings a client asks for when it opens a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Bits per second.
    pub baud_rate: u32,
    /// Bits per character.
    pub data_bits: DataBits,
    /// Parity.
    pub parity: Parity,
    /// Stop bits.
    pub stop_bits: StopBits,
    /// Flow control.
    pub flow_control: FlowControl,
}

impl Default for Settings {
    /// 9600 8N1 without flow control, as the `serialport` crate's builder.
    fn default() -> Self {
        Settings {
            baud_rate: 9600,
            data_bits: DataBits::Eight,
            parity: Parity::None,
            stop_bits: StopBits::One,
            flow_control: FlowControl::None,
        }
    }
}

impl Settings {
    /// The requests that apply these settings: baud, size, parity, stop, flow.
    pub fn requests(&self) -> [Command; 5] {
        [
            Command::SetBaudRate(self.baud_rate),
            data_bits_request(self.data_bits),
            parity_request(self.parity),
            stop_bits_request(self.stop_bits),
            flow_control_request(self.flow_control),
        ]
    }
}

/// What a client reports in NOTIFY-LINESTATE by default: the errors and break.
pub const LINE_STATE_MASK: LineState = LineState(
    LineState::BREAK_DETECT.0
        | LineState::FRAMING_ERROR.0
        | LineState::PARITY_ERROR.0
        | LineState::OVERRUN_ERROR.0,
);

/// The whole opening batch: the settings, DTR and RTS, and the line state
/// mask. It goes out at once, so opening costs one round trip.
///
/// There is no SET-MODEMSTATE-MASK: RFC 2217's initial mask, 255, already
/// reports every line and change, and sending 255 costs a byte on the
/// serial line with sredird, which does not undo the IAC doubling of
/// `ff ff` and passes the `f0` of the closing `IAC SE` to the device.
pub fn opening_requests(settings: &Settings, dtr: bool, rts: bool) -> Vec<Command> {
    let mut requests = settings.requests().to_vec();
    requests.extend([
        Command::SetControl(if dtr { Control::DtrOn } else { Control::DtrOff }),
        Command::SetControl(if rts { Control::RtsOn } else { Control::RtsOff }),
        Command::SetLineStateMask(LINE_STATE_MASK),
    ]);
    requests
}

/// SET-DATASIZE for `bits`.
pub fn data_bits_request(bits: DataBits) -> Command {
    Command::SetDataSize(match bits {
        DataBits::Five => DataSize::Five,
        DataBits::Six => DataSize::Six,
        DataBits::Seven => DataSize::Seven,
        DataBits::Eight => DataSize::Eight,
    })
}

/// The `serialport` value for a data size, if it has one.
pub fn data_bits_from(size: DataSize) -> Option<DataBits> {
    Some(match size {
        DataSize::Five => DataBits::Five,
        DataSize::Six => DataBits::Six,
        DataSize::Seven => DataBits::Seven,
        DataSize::Eight => DataBits::Eight,
        DataSize::Query | DataSize::Unknown(_) => return None,
    })
}

/// SET-PARITY for `parity`.
pub fn parity_request(parity: Parity) -> Command {
    Command::SetParity(match parity {
        Parity::None => proto::Parity::None,
        Parity::Odd => proto::Parity::Odd,
        Parity::Even => proto::Parity::Even,
    })
}

/// The `serialport` value for a parity, if it has one (mark and space have none).
pub fn parity_from(parity: proto::Parity) -> Option<Parity> {
    Some(match parity {
        proto::Parity::None => Parity::None,
        proto::Parity::Odd => Parity::Odd,
        proto::Parity::Even => Parity::Even,
        _ => return None,
    })
}

/// SET-STOPSIZE for `bits`.
pub fn stop_bits_request(bits: StopBits) -> Command {
    Command::SetStopSize(match bits {
        StopBits::One => StopSize::One,
        StopBits::Two => StopSize::Two,
    })
}

/// The `serialport` value for a stop size, if it has one (1.5 has none).
pub fn stop_bits_from(size: StopSize) -> Option<StopBits> {
    Some(match size {
        StopSize::One => StopBits::One,
        StopSize::Two => StopBits::Two,
        _ => return None,
    })
}

/// SET-CONTROL for the (outbound, or combined) flow control `flow`.
pub fn flow_control_request(flow: FlowControl) -> Command {
    Command::SetControl(match flow {
        FlowControl::None => Control::NoFlowControl,
        FlowControl::Software => Control::XonXoffFlowControl,
        FlowControl::Hardware => Control::HardwareFlowControl,
    })
}

/// The `serialport` value for an outbound flow-control answer, if it has one.
pub fn flow_control_from(control: Control) -> Option<FlowControl> {
    Some(match control {
        Control::NoFlowControl => FlowControl::None,
        Control::XonXoffFlowControl => FlowControl::Software,
        Control::HardwareFlowControl => FlowControl::Hardware,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_maps_to_a_request_and_back() {
        for bits in [
            DataBits::Five,
            DataBits::Six,
            DataBits::Seven,
            DataBits::Eight,
        ] {
            let Command::SetDataSize(size) = data_bits_request(bits) else {
                panic!()
            };
            assert_eq!(data_bits_from(size), Some(bits));
        }
        for parity in [Parity::None, Parity::Odd, Parity::Even] {
            let Command::SetParity(value) = parity_request(parity) else {
                panic!()
            };
            assert_eq!(parity_from(value), Some(parity));
        }
        for bits in [StopBits::One, StopBits::Two] {
            let Command::SetStopSize(size) = stop_bits_request(bits) else {
                panic!()
            };
            assert_eq!(stop_bits_from(size), Some(bits));
        }
        for flow in [
            FlowControl::None,
            FlowControl::Software,
            FlowControl::Hardware,
        ] {
            let Command::SetControl(control) = flow_control_request(flow) else {
                panic!()
            };
            assert_eq!(flow_control_from(control), Some(flow));
        }
    }

    #[test]
    fn values_serialport_cannot_express_map_to_none() {
        assert_eq!(parity_from(proto::Parity::Mark), None);
        assert_eq!(stop_bits_from(StopSize::OnePointFive), None);
        assert_eq!(data_bits_from(DataSize::Unknown(9)), None);
        assert_eq!(flow_control_from(Control::DcdFlowControl), None);
    }

    #[test]
    fn the_opening_batch_holds_settings_lines_and_the_line_state_mask() {
        let requests = opening_requests(&Settings::default(), true, false);
        assert_eq!(requests.len(), 8);
        assert_eq!(requests[0], Command::SetBaudRate(9600));
        assert!(requests.contains(&Command::SetControl(Control::DtrOn)));
        assert!(requests.contains(&Command::SetControl(Control::RtsOff)));
        assert!(requests.contains(&Command::SetLineStateMask(LINE_STATE_MASK)));
        // The initial modem state mask (255) is what we want: not sent.
        assert!(!requests
            .iter()
            .any(|request| matches!(request, Command::SetModemStateMask(_))));
    }
}
