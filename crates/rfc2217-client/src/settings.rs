//! The requests a client sends when it opens a remote port.

use rfc2217_device::Settings;
use rfc2217_proto::{Command, Control, LineState};

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
pub(crate) fn opening_requests(settings: &Settings, dtr: bool, rts: bool) -> Vec<Command> {
    let mut requests = settings.requests().to_vec();
    requests.extend([
        Command::SetControl(if dtr { Control::DtrOn } else { Control::DtrOff }),
        Command::SetControl(if rts { Control::RtsOn } else { Control::RtsOff }),
        Command::SetLineStateMask(LINE_STATE_MASK),
    ]);
    requests
}

#[cfg(test)]
mod tests {
    use super::*;

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
