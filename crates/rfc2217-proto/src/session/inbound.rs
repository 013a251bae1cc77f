//! What the session does with each token the decoder finds, for both
//! roles; what differs by role is asked of the role.

use super::{ComPort, Role, Session};
use crate::comport::{CommandKind, COM_PORT_OPTION, SERVER_OFFSET};
use crate::decode::{Token, SUBNEGOTIATION_CAPACITY};
use crate::event::{Shared, Unavailable, Violation};
use crate::negotiation::Options;
use crate::signature::Signature;
use crate::telnet::{Side, TelnetCommand, TelnetOption, Verb};
use crate::time::Instant;

impl<R: Role> Session<R> {
    pub(super) fn handle_token(&mut self, now: Instant, token: Token) {
        match token {
            Token::Command(byte) => {
                if let Some(command) = TelnetCommand::from_byte(byte) {
                    self.push_shared(Shared::TelnetCommand(command));
                }
            }
            Token::Negotiation(verb, code) => self.handle_negotiation(verb, code),
            Token::Subnegotiation(COM_PORT_OPTION) => self.handle_com_port(now, false),
            Token::TruncatedSubnegotiation(COM_PORT_OPTION) if self.payload_is_signature() => {
                // RFC 2217 sets no limit on a signature: deliver what we hold.
                self.handle_com_port(now, true)
            }
            Token::TruncatedSubnegotiation(option) => {
                self.push_shared(Shared::PeerViolation(Violation::SubnegotiationTooLong {
                    option,
                }));
            }
            Token::Subnegotiation(option) => {
                self.push_shared(Shared::PeerViolation(Violation::UnexpectedSubnegotiation {
                    option,
                }));
            }
            Token::Violation(violation) => self.push_shared(Shared::PeerViolation(violation)),
        }
    }

    fn payload_is_signature(&self) -> bool {
        matches!(self.decoder.payload().first(), Some(0 | 100))
    }

    fn handle_negotiation(&mut self, verb: Verb, code: u8) {
        let outcome = self.options.receive(verb, code);
        self.apply_negotiation(outcome);
        if code == TelnetOption::ComPort.code() {
            self.update_com_port();
        }
    }

    /// Reports COM-PORT-OPTION becoming usable or refused, after a
    /// negotiation step of either side.
    pub(super) fn update_com_port(&mut self) {
        let either = |test: fn(&Options, TelnetOption, Side) -> bool| {
            test(&self.options, TelnetOption::ComPort, Side::Local)
                || test(&self.options, TelnetOption::ComPort, Side::Remote)
        };
        let active = either(Options::is_enabled);
        let open = either(Options::is_enabled_or_wanted);
        match (self.com_port, active, open) {
            (ComPort::Active, true, _) => {}
            (_, true, _) => {
                self.com_port = ComPort::Active;
                self.push_shared(Shared::ComPortActive);
                R::on_com_port_active(self);
            }
            (ComPort::Unavailable(Unavailable::Refused), false, _) | (_, false, true) => {}
            (_, false, false) => {
                self.com_port = ComPort::Unavailable(Unavailable::Refused);
                // Held commands would leave after the refusal: drop them.
                self.queue.drop_held_subnegotiations(COM_PORT_OPTION);
                self.push_shared(Shared::ComPortUnavailable(Unavailable::Refused));
            }
        }
    }

    fn handle_com_port(&mut self, now: Instant, truncated: bool) {
        // The payload lives in the decoder; copy it out (at most 65 bytes)
        // so the session can be changed while reading it.
        let mut buffer = [0u8; SUBNEGOTIATION_CAPACITY];
        let payload = self.decoder.payload();
        let len = payload.len();
        buffer[..len].copy_from_slice(payload);
        let Some((&code, value)) = buffer[..len].split_first() else {
            // `IAC SB 44 IAC SE`: telnetcpcd's form of the signature request.
            if self.may_act_on(CommandKind::Signature) {
                self.answer_signature_request();
            }
            return;
        };
        let (kind, from_server) = match code.checked_sub(SERVER_OFFSET) {
            Some(client_code) => (CommandKind::from_code(client_code), true),
            None => (CommandKind::from_code(code), false),
        };
        let Some(kind) = kind else {
            self.push_shared(Shared::PeerViolation(Violation::UnknownComPortCommand(
                code,
            )));
            return;
        };
        // The peer sends the other role's codes.
        if from_server != (R::CODE_OFFSET == 0) {
            self.push_shared(Shared::PeerViolation(Violation::WrongDirection(code)));
            return;
        }
        if !self.may_act_on(kind) {
            return;
        }
        match kind {
            // An empty SIGNATURE asks for ours, unless we asked first: then
            // it is the peer saying it has none.
            CommandKind::Signature if value.is_empty() && !self.role.awaits_signature() => {
                self.answer_signature_request()
            }
            CommandKind::Signature => {
                let event = self.role.signature_event(Signature::cut(value, truncated));
                self.push_event(event);
            }
            CommandKind::FlowControlSuspend => self.set_suspended_by_peer(now, true),
            CommandKind::FlowControlResume => self.set_suspended_by_peer(now, false),
            _ => R::handle_command(self, now, kind, value),
        }
    }

    /// Whether to act on a com-port command of `kind` from the peer: yes
    /// once the option is agreed; while it is not, the command is reported,
    /// and acted on unless the option was refused (see
    /// `Violation::ComPortNotAgreed` for why).
    fn may_act_on(&mut self, kind: CommandKind) -> bool {
        if self.is_com_port_active() {
            return true;
        }
        self.push_shared(Shared::PeerViolation(Violation::ComPortNotAgreed(kind)));
        self.com_port != ComPort::Unavailable(Unavailable::Refused)
    }

    fn answer_signature_request(&mut self) {
        let signature = self.signature;
        // `has_room_for_token` kept room for it (`answer_reserve`).
        let _ = self.answer(&crate::Command::Signature, signature.as_bytes());
    }

    fn set_suspended_by_peer(&mut self, now: Instant, suspended: bool) {
        if self.is_suspended_by_peer() == suspended {
            return;
        }
        self.queue.set_suspended(suspended);
        if suspended {
            self.push_shared(Shared::Suspended);
        } else {
            self.role.release_held(now);
            self.push_shared(Shared::Resumed);
        }
    }
}
