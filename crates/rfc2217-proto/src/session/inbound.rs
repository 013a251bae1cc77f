//! What the session does with each token the decoder finds.

use super::{ComPort, Role, Session, Text, EVENT_CAPACITY, SIGNATURE_CAPACITY};
use crate::comport::{Command, CommandKind, COM_PORT_OPTION, SERVER_OFFSET};
use crate::decode::{Token, SUBNEGOTIATION_CAPACITY};
use crate::event::{Event, ReplyStatus, Unavailable, Violation};
use crate::telnet::{Side, TelnetCommand, TelnetOption, Verb};
use crate::time::Instant;

impl Session {
    pub(super) fn handle_token(&mut self, now: Instant, token: Token) {
        match token {
            Token::Command(byte) => {
                if let Some(command) = TelnetCommand::from_byte(byte) {
                    self.push_event(Event::TelnetCommand(command));
                }
            }
            Token::Negotiation(verb, code) => self.handle_negotiation(verb, code),
            Token::Subnegotiation(COM_PORT_OPTION) => self.handle_com_port(now),
            Token::TruncatedSubnegotiation(option) => {
                self.push_event(Event::PeerViolation(Violation::SubnegotiationTooLong {
                    option,
                }));
                // A long signature is still worth having, cut to size.
                let signature = matches!(self.decoder.payload().first(), Some(0 | 100));
                if option == COM_PORT_OPTION && signature {
                    self.handle_com_port(now);
                }
            }
            Token::Subnegotiation(option) => {
                self.push_event(Event::PeerViolation(Violation::UnexpectedSubnegotiation {
                    option,
                }));
            }
            Token::Violation(violation) => self.push_event(Event::PeerViolation(violation)),
        }
    }

    fn handle_negotiation(&mut self, verb: Verb, code: u8) {
        let outcome = self.options.receive(verb, code);
        self.apply_negotiation(outcome);
        if code == TelnetOption::ComPort.code() {
            self.update_com_port();
        }
    }

    /// Reports COM-PORT-OPTION becoming usable or refused.
    fn update_com_port(&mut self) {
        let either = |test: fn(&crate::negotiation::Options, TelnetOption, Side) -> bool| {
            test(&self.options, TelnetOption::ComPort, Side::Local)
                || test(&self.options, TelnetOption::ComPort, Side::Remote)
        };
        let active = either(crate::negotiation::Options::is_enabled);
        let open = either(crate::negotiation::Options::is_enabled_or_pending);
        match (self.com_port, active, open) {
            (ComPort::Active, true, _) => {}
            (_, true, _) => {
                self.com_port = ComPort::Active;
                self.push_event(Event::ComPortActive);
                if self.config.role == Role::Server {
                    // pyserial's client reads CTS/DSR/RI/CD only after a first
                    // notification, as ser2net and PortManager send one.
                    let lines = Command::NotifyModemState(self.modem_lines & self.modem_state_mask);
                    // Held like any notification, and queued only if it
                    // leaves the room kept for answers: while the peer has
                    // suspended us, held bytes stay, and a peer toggling
                    // COM-PORT could otherwise fill that room for good.
                    let _ = self.initiate(&lines, &[]);
                }
            }
            (ComPort::Unavailable, false, _) | (_, false, true) => {}
            (_, false, false) => {
                self.com_port = ComPort::Unavailable;
                self.push_event(Event::ComPortUnavailable(Unavailable::Refused));
            }
        }
    }

    fn handle_com_port(&mut self, now: Instant) {
        // The payload lives in the decoder; copy it out (at most 64 bytes)
        // so the session can be changed while reading it.
        let mut buffer = [0u8; SUBNEGOTIATION_CAPACITY];
        let payload = self.decoder.payload();
        let len = payload.len();
        buffer[..len].copy_from_slice(payload);
        let Some((&code, value)) = buffer[..len].split_first() else {
            // `IAC SB 44 IAC SE`: telnetcpcd's form of the signature request.
            self.answer_signature_request();
            return;
        };
        let (kind, from_server) = match code.checked_sub(SERVER_OFFSET) {
            Some(client_code) => (CommandKind::from_code(client_code), true),
            None => (CommandKind::from_code(code), false),
        };
        let Some(kind) = kind else {
            self.push_event(Event::PeerViolation(Violation::UnknownComPortCommand(code)));
            return;
        };
        if from_server != (self.config.role == Role::Client) {
            self.push_event(Event::PeerViolation(Violation::WrongDirection(code)));
            return;
        }
        let Ok(command) = Command::parse(kind, value) else {
            self.push_event(Event::PeerViolation(Violation::MalformedComPortCommand(
                kind,
            )));
            return;
        };
        match command {
            // An empty SIGNATURE asks for ours, unless we asked first: then
            // it is a server saying it has none.
            Command::Signature
                if value.is_empty() && !self.pending.awaits(CommandKind::Signature) =>
            {
                self.answer_signature_request()
            }
            Command::Signature => self.receive_signature(value),
            Command::FlowControlSuspend => self.set_suspended_by_peer(now, true),
            Command::FlowControlResume => self.set_suspended_by_peer(now, false),
            _ => match self.config.role {
                Role::Server => self.handle_request(command),
                Role::Client => self.handle_reply(command),
            },
        }
    }

    /// Server: a request from the client other than signature and flow control.
    fn handle_request(&mut self, command: Command) {
        let answer = match command {
            Command::NotifyLineState(_) => Command::NotifyLineState(self.take_line_state()),
            Command::NotifyModemState(_) => {
                Command::NotifyModemState(self.modem_lines & self.modem_state_mask)
            }
            Command::SetLineStateMask(mask) => {
                self.line_state_mask = mask;
                command
            }
            Command::SetModemStateMask(mask) => {
                self.modem_state_mask = mask;
                command
            }
            // Settings, SET-CONTROL and PURGE-DATA: the application applies
            // them and answers with the value in use; room for that answer
            // is kept from now on.
            _ => {
                self.push_event(Event::Request(command));
                self.owed_answers = self
                    .owed_answers
                    .saturating_add(1)
                    .min(EVENT_CAPACITY as u8);
                return;
            }
        };
        // `has_room_for_token` reserved room for this answer.
        let _ = self.answer(&answer, &[]);
    }

    /// Client: an answer or a notification from the server.
    fn handle_reply(&mut self, reply: Command) {
        let event = match reply {
            Command::NotifyLineState(state) => Event::LineState(state),
            Command::NotifyModemState(state) => Event::ModemState(state),
            _ => self.match_reply(reply),
        };
        self.push_event(event);
    }

    fn match_reply(&mut self, reply: Command) -> Event {
        match self.pending.take_reply(&reply) {
            Some((request, status)) => Event::Reply {
                id: Some(request.id),
                reply,
                status,
            },
            None => Event::Reply {
                id: None,
                reply,
                status: ReplyStatus::Unsolicited,
            },
        }
    }

    fn answer_signature_request(&mut self) {
        let signature = self.config.signature;
        let _ = self.answer(&Command::Signature, signature.as_bytes());
    }

    fn receive_signature(&mut self, text: &[u8]) {
        // A truncated subnegotiation may carry one byte more than we keep.
        let kept = &text[..text.len().min(SIGNATURE_CAPACITY)];
        self.peer_signature = Text::new(kept).unwrap_or(Text::EMPTY);
        let event = match self.config.role {
            Role::Client => self.match_reply(Command::Signature),
            Role::Server => Event::PeerSignature,
        };
        self.push_event(event);
    }

    fn set_suspended_by_peer(&mut self, now: Instant, suspended: bool) {
        if self.suspended_by_peer == suspended {
            return;
        }
        self.suspended_by_peer = suspended;
        if suspended {
            self.queue.suspend();
            self.push_event(Event::Suspended);
        } else {
            // Held requests only now reach the server: start their clocks.
            self.pending
                .release_held(now + self.config.request_timeout());
            self.push_event(Event::Resumed);
        }
    }
}
