//! The access server role: requests the application answers, requests the
//! session answers itself (masks, polls), and notifications.

use super::queue::Urgency;
use super::sealed::Behaviour;
use super::{Session, MAX_FIXED_ANSWER_LEN};
use crate::comport::{Command, CommandKind, LineState, ModemState, SERVER_OFFSET};
use crate::error::Error;
use crate::event::{ServerEvent, Shared, Violation};
use crate::negotiation::Acceptance;
use crate::signature::Signature;
use crate::telnet::{Side, TelnetOption};
use crate::time::Instant;

/// The longest NOTIFY-MODEMSTATE: `IAC SB 44 107` + a doubled 0xFF + `IAC SE`.
const MAX_NOTIFY_LEN: usize = 8;

/// The access server role: it owns the serial port. What only a server
/// session holds: the client's masks and the device's line readings.
#[derive(Clone, Debug)]
pub struct Server {
    /// Masks in force.
    line_state_mask: LineState,
    modem_state_mask: ModemState,
    /// The last modem line reading and line-state levels reported by the
    /// device, and the line errors not yet reported to the client.
    modem_lines: ModemState,
    line_state: LineState,
    line_errors: LineState,
    /// A request was reported to the application and not yet answered.
    owes_answer: bool,
    /// The first NOTIFY-MODEMSTATE, sent when COM-PORT is agreed, went out.
    greeted: bool,
}

impl Behaviour for Server {
    type Event = ServerEvent;
    type Options = ();

    const CODE_OFFSET: u8 = SERVER_OFFSET;
    const ACCEPTANCE: Acceptance = Acceptance {
        // BINARY, ECHO, SGA, COM-PORT
        local: [true, true, true, true],
        remote: [true, false, true, true],
    };
    const OPENING: &'static [(TelnetOption, Side)] = &[
        (TelnetOption::Binary, Side::Local),
        (TelnetOption::Binary, Side::Remote),
        (TelnetOption::SuppressGoAhead, Side::Local),
        (TelnetOption::Echo, Side::Local),
        (TelnetOption::ComPort, Side::Remote),
    ];

    fn new((): ()) -> Self {
        Server {
            line_state_mask: LineState::EMPTY,
            modem_state_mask: ModemState::ALL,
            modem_lines: ModemState::EMPTY,
            line_state: LineState::EMPTY,
            line_errors: LineState::EMPTY,
            owes_answer: false,
            greeted: false,
        }
    }

    fn shared(event: Shared) -> ServerEvent {
        ServerEvent::shared(event)
    }

    fn reserved(&self) -> usize {
        let answer = if self.owes_answer {
            MAX_FIXED_ANSWER_LEN
        } else {
            0
        };
        let greeting = if self.greeted { 0 } else { MAX_NOTIFY_LEN };
        answer + greeting
    }

    fn may_decode(&self) -> bool {
        !self.owes_answer
    }

    fn awaits_signature(&self) -> bool {
        false
    }

    fn handle_command(session: &mut Session<Self>, _now: Instant, kind: CommandKind, value: &[u8]) {
        let request = match Command::parse_request(kind, value) {
            Ok(request) => request,
            Err(_) => {
                let malformed = Violation::MalformedComPortCommand(kind);
                session.push_shared(Shared::PeerViolation(malformed));
                // A malformed setting is answered with the value in use.
                match Command::query(kind) {
                    Some(query) => query,
                    None => return,
                }
            }
        };
        let server = &mut session.role;
        let answer = match request {
            Command::NotifyLineState(_) => Command::NotifyLineState(server.take_line_state()),
            Command::NotifyModemState(_) => {
                Command::NotifyModemState(server.modem_lines & server.modem_state_mask)
            }
            Command::SetLineStateMask(mask) => {
                server.line_state_mask = mask;
                request
            }
            Command::SetModemStateMask(mask) => {
                server.modem_state_mask = mask;
                request
            }
            // Settings, SET-CONTROL and PURGE-DATA: the application applies
            // them and answers; no input is read until it has.
            _ => {
                server.owes_answer = true;
                session.push_event(ServerEvent::Request(request));
                return;
            }
        };
        // `has_room_for_token` kept room for this answer.
        let _ = session.answer(&answer, &[]);
    }

    fn signature_event(&mut self, signature: Signature) -> ServerEvent {
        ServerEvent::Signature(signature)
    }

    fn on_com_port_active(session: &mut Session<Self>) {
        if session.role.greeted {
            return;
        }
        // pyserial's client reads CTS/DSR/RI/CD only after a first
        // notification, as ser2net and PortManager send one. Held like any
        // notification; its room was kept from the start (`reserved`).
        let server = &mut session.role;
        server.greeted = true;
        let lines = Command::NotifyModemState(server.modem_lines & server.modem_state_mask);
        let _ = session.push_command(&lines, &[], Urgency::Held);
    }

    fn next_deadline(&self) -> Option<Instant> {
        None
    }

    fn expire(&mut self, _now: Instant) -> Option<ServerEvent> {
        None
    }

    fn release_held(&mut self, _now: Instant) {}
}

impl Server {
    /// The line state for a poll answer; reported errors are cleared.
    fn take_line_state(&mut self) -> LineState {
        let mask = self.line_state_mask;
        let report = (self.line_state | self.line_errors) & mask;
        self.line_errors = LineState(self.line_errors.0 & !mask.0);
        report
    }
}

impl Session<Server> {
    /// (server) The NOTIFY-LINESTATE mask the client set (default: none).
    pub fn line_state_mask(&self) -> LineState {
        self.role.line_state_mask
    }

    /// (server) The NOTIFY-MODEMSTATE mask the client set (default: all).
    pub fn modem_state_mask(&self) -> ModemState {
        self.role.modem_state_mask
    }

    /// (server) The device's modem lines now (CD, RI, DSR, CTS; any change
    /// bits given are ignored). If a line changed, one NOTIFY-MODEMSTATE
    /// carrying the levels and change bits under the client's mask is
    /// queued. On `Err` nothing changed; call again after transmitting.
    pub fn handle_modem_lines(&mut self, lines: ModemState) -> Result<(), Error> {
        let reading = lines & ModemState::LINES;
        let previous = self.role.modem_lines;
        if reading == previous {
            return Ok(());
        }
        let value = reading.with_changes_since(previous);
        let changed = ModemState((reading.0 ^ previous.0) | (value.0 & !ModemState::LINES.0));
        let mask = self.role.modem_state_mask;
        if self.is_com_port_active() && !(changed & mask).is_empty() {
            self.initiate(&Command::NotifyModemState(value & mask), &[])?;
        }
        self.role.modem_lines = reading;
        Ok(())
    }

    /// (server) The device's line state. The error bits (overrun, parity,
    /// framing, break) are events: each is reported once, in a notification
    /// or the answer to the client's next poll. The other bits are levels:
    /// a notification goes out when a level under the mask changes. On
    /// `Err` nothing changed; call again after transmitting.
    pub fn handle_line_state(&mut self, state: LineState) -> Result<(), Error> {
        let server = &self.role;
        let mask = server.line_state_mask;
        let levels = LineState(state.0 & !LineState::ERRORS.0);
        // Errors the mask hides when they happen are not reported later.
        let errors = (state & LineState::ERRORS & mask) | server.line_errors;
        let level_changed = !(LineState(levels.0 ^ server.line_state.0) & mask).is_empty();
        let new_error = !(state & LineState::ERRORS & mask).is_empty();
        if self.is_com_port_active() && (level_changed || new_error) {
            let notify = Command::NotifyLineState((levels | errors) & mask);
            self.initiate(&notify, &[])?;
            self.role.line_errors = LineState(errors.0 & !mask.0);
        } else {
            self.role.line_errors = errors;
        }
        self.role.line_state = levels;
        Ok(())
    }

    /// (server) Answers a [`ServerEvent::Request`] with the value now in
    /// use (which may differ from the one asked for). Until it is called,
    /// the session reads no further input. If the client has refused
    /// COM-PORT-OPTION since it asked, nothing is sent
    /// ([`Error::ComPortRefused`]) and the request counts as answered.
    pub fn respond(&mut self, reply: Command) -> Result<(), Error> {
        let result = self.answer(&reply, &[]);
        if result != Err(Error::TransmitQueueFull) {
            self.role.owes_answer = false;
        }
        result
    }
}
