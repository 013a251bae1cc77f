//! What a client knows of the remote port, from the server's answers and
//! notifications.

use std::time::Instant;

use rfc2217_proto::{
    Command, Control, ControlGroup, DataSize, LineState, ModemState, Parity, Signature, StopSize,
};

/// The remote port's state as last reported by the server. `None` means
/// the server has not said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortState {
    /// Baud rate in use.
    pub baud_rate: Option<u32>,
    /// Data size in use.
    pub data_size: Option<DataSize>,
    /// Parity in use.
    pub parity: Option<Parity>,
    /// Stop size in use.
    pub stop_size: Option<StopSize>,
    /// Outbound (or combined) flow control in use.
    pub flow_control: Option<Control>,
    /// Inbound flow control in use.
    pub inbound_flow_control: Option<Control>,
    /// BREAK on?
    pub break_on: Option<bool>,
    /// DTR on?
    pub dtr: Option<bool>,
    /// RTS on?
    pub rts: Option<bool>,
    /// The last NOTIFY-MODEMSTATE and when it came.
    pub modem: Option<(ModemState, Instant)>,
    /// The last NOTIFY-LINESTATE.
    pub line: Option<LineState>,
    /// The server's last SIGNATURE, unless it was empty (it has none).
    pub signature: Option<Signature>,
}

impl PortState {
    /// Records what an answer from the server says is in use.
    pub fn record_reply(&mut self, reply: &Command) {
        match *reply {
            Command::SetBaudRate(rate) if rate != 0 => self.baud_rate = Some(rate),
            Command::SetDataSize(size) if size != DataSize::Query => self.data_size = Some(size),
            Command::SetParity(parity) if parity != Parity::Query => self.parity = Some(parity),
            Command::SetStopSize(size) if size != StopSize::Query => self.stop_size = Some(size),
            Command::SetControl(control) if !control.is_query() => self.record_control(control),
            _ => {}
        }
    }

    /// Records a NOTIFY-MODEMSTATE received at `at`.
    pub fn record_modem(&mut self, state: ModemState, at: Instant) {
        self.modem = Some((state, at));
    }

    /// Records the server's SIGNATURE.
    pub fn record_signature(&mut self, signature: Signature) {
        self.signature = (!signature.is_empty()).then_some(signature);
    }

    /// Records a NOTIFY-LINESTATE.
    pub fn record_line(&mut self, state: LineState) {
        self.line = Some(state);
    }

    fn record_control(&mut self, control: Control) {
        let on = |yes: Control| Some(control == yes);
        match control.group() {
            Some(ControlGroup::OutboundFlow) => self.flow_control = Some(control),
            Some(ControlGroup::InboundFlow) => self.inbound_flow_control = Some(control),
            Some(ControlGroup::Break) => self.break_on = on(Control::BreakOn),
            Some(ControlGroup::Dtr) => self.dtr = on(Control::DtrOn),
            Some(ControlGroup::Rts) => self.rts = on(Control::RtsOn),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_update_the_settings_they_carry_and_queries_do_not_erase() {
        let mut state = PortState::default();
        state.record_reply(&Command::SetBaudRate(115_200));
        state.record_reply(&Command::SetBaudRate(0));
        state.record_reply(&Command::SetControl(Control::DtrOn));
        state.record_reply(&Command::SetControl(Control::RtsOff));
        state.record_reply(&Command::SetControl(Control::QueryDtr));
        state.record_reply(&Command::SetControl(Control::HardwareFlowControl));
        state.record_reply(&Command::SetControl(Control::BreakOff));
        assert_eq!(state.baud_rate, Some(115_200));
        assert_eq!(
            (state.dtr, state.rts, state.break_on),
            (Some(true), Some(false), Some(false))
        );
        assert_eq!(state.flow_control, Some(Control::HardwareFlowControl));
    }

    #[test]
    fn a_signature_is_kept_unless_the_server_has_none() {
        let mut state = PortState::default();
        let named = Signature::new(b"ser2net").unwrap();
        state.record_signature(named);
        assert_eq!(state.signature, Some(named));
        state.record_signature(Signature::EMPTY);
        assert_eq!(state.signature, None);
    }
}
