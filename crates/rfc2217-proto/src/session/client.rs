//! The client role: requests, the replies that answer them, and timeouts.

use super::config::ClientOptions;
use super::pending::{Pending, Request, Stage};
use super::sealed::Behaviour;
use super::Session;
use crate::comport::{Command, CommandKind, LineState, ModemState};
use crate::error::Error;
use crate::event::{ClientEvent, ReplyStatus, RequestId, Shared};
use crate::negotiation::Acceptance;
use crate::signature::{Signature, SIGNATURE_CAPACITY};
use crate::telnet::{Side, TelnetOption};
use crate::time::Instant;
use crate::AckPolicy;

/// Requests a client can have waiting for replies at once.
pub const PENDING_REQUEST_CAPACITY: usize = 10;

/// The client role: it configures a remote serial port. What only a
/// client session holds: its requests waiting for replies.
#[derive(Clone, Debug)]
pub struct Client {
    options: ClientOptions,
    pending: Pending<PENDING_REQUEST_CAPACITY>,
    next_request: u16,
}

impl Behaviour for Client {
    type Event = ClientEvent;
    type Options = ClientOptions;

    const CODE_OFFSET: u8 = 0;
    const ACCEPTANCE: Acceptance = Acceptance {
        // BINARY, ECHO, SGA, COM-PORT
        local: [true, false, true, true],
        remote: [true, true, true, true],
    };
    const OPENING: &'static [(TelnetOption, Side)] = &[
        (TelnetOption::Binary, Side::Local),
        (TelnetOption::Binary, Side::Remote),
        (TelnetOption::SuppressGoAhead, Side::Local),
        (TelnetOption::SuppressGoAhead, Side::Remote),
        (TelnetOption::ComPort, Side::Local),
    ];

    fn new(options: ClientOptions) -> Self {
        Client {
            options,
            pending: Pending::default(),
            next_request: 0,
        }
    }

    fn shared(event: Shared) -> ClientEvent {
        ClientEvent::shared(event)
    }

    fn reserved(&self) -> usize {
        0
    }

    fn may_decode(&self) -> bool {
        true
    }

    fn awaits_signature(&self) -> bool {
        self.pending.awaits(CommandKind::Signature)
    }

    fn handle_command(session: &mut Session<Self>, _now: Instant, kind: CommandKind, value: &[u8]) {
        let Ok(reply) = Command::parse_reply(kind, value) else {
            let malformed = crate::Violation::MalformedComPortCommand(kind);
            session.push_shared(Shared::PeerViolation(malformed));
            return;
        };
        let event = match reply {
            Command::NotifyLineState(state) => ClientEvent::LineState(state),
            Command::NotifyModemState(state) => ClientEvent::ModemState(state),
            _ => {
                let (id, status) = session.role.match_reply(&reply);
                ClientEvent::Reply { id, reply, status }
            }
        };
        session.push_event(event);
    }

    fn signature_event(&mut self, signature: Signature) -> ClientEvent {
        let (id, status) = self.match_reply(&Command::Signature);
        ClientEvent::Signature {
            id,
            signature,
            status,
        }
    }

    fn on_com_port_active(_session: &mut Session<Self>) {}

    fn next_deadline(&self) -> Option<Instant> {
        self.pending.earliest_deadline()
    }

    fn expire(&mut self, now: Instant) -> Option<ClientEvent> {
        let request = self.pending.expire(now)?;
        Some(ClientEvent::Timeout {
            id: request.id,
            request: request.command,
        })
    }

    fn release_held(&mut self, now: Instant) {
        let deadline = now + self.options.request_timeout();
        self.pending.release_held(deadline);
    }
}

impl Client {
    /// The request `reply` answers, and how.
    fn match_reply(&mut self, reply: &Command) -> (Option<RequestId>, ReplyStatus) {
        match self.pending.take_reply(reply) {
            Some((request, status)) => (Some(request.id), status),
            None => (None, ReplyStatus::Unsolicited),
        }
    }
}

impl Session<Client> {
    /// (client) Client requests waiting for a reply.
    pub fn pending_requests(&self) -> usize {
        self.role.pending.waiting()
    }

    /// (client) Sends a request. Returns the id its reply (or timeout)
    /// will carry, or `None` if its kind's ack policy is
    /// [`AckPolicy::None`]: nothing is awaited. Requests are pipelined:
    /// nothing waits for an earlier reply. `request(Command::Signature)`
    /// asks for the server's signature.
    pub fn request(&mut self, now: Instant, command: Command) -> Result<Option<RequestId>, Error> {
        match self.role.options.ack_policy(command.kind()) {
            AckPolicy::None => self.initiate(&command, &[]).map(|()| None),
            policy => self.await_reply(now, command, policy).map(Some),
        }
    }

    /// (client) A barrier. Its reply (or timeout) arrives once the server
    /// has processed everything sent before it; it is a SET-BAUDRATE query,
    /// which every server answers and which changes nothing.
    pub fn barrier(&mut self, now: Instant) -> Result<RequestId, Error> {
        self.await_reply(now, Command::SetBaudRate(0), AckPolicy::Lenient)
    }

    /// (client) Polls the server's modem state (NOTIFY-MODEMSTATE with
    /// value 0). A server that answers does so with a notification.
    pub fn query_modem_state(&mut self) -> Result<(), Error> {
        self.initiate(&Command::NotifyModemState(ModemState::EMPTY), &[])
    }

    /// (client) Polls the server's line state.
    pub fn query_line_state(&mut self) -> Result<(), Error> {
        self.initiate(&Command::NotifyLineState(LineState::EMPTY), &[])
    }

    /// (client) Sends our signature unasked. (Asked, either role answers
    /// with the configured signature by itself.)
    pub fn send_signature(&mut self, signature: &[u8]) -> Result<(), Error> {
        if signature.is_empty() || signature.len() > SIGNATURE_CAPACITY {
            return Err(Error::InvalidSignature);
        }
        self.initiate(&Command::Signature, signature)
    }

    /// Sends a request whose reply is awaited under `policy`.
    fn await_reply(
        &mut self,
        now: Instant,
        command: Command,
        policy: AckPolicy,
    ) -> Result<RequestId, Error> {
        if self.role.pending.is_full() {
            return Err(Error::TooManyPendingRequests);
        }
        self.initiate(&command, &[])?;
        let id = RequestId(self.role.next_request);
        self.role.next_request = self.role.next_request.wrapping_add(1);
        let stage = if self.is_suspended_by_peer() {
            Stage::Held
        } else {
            Stage::Sent
        };
        // Room was checked above.
        let _ = self.role.pending.push(Request {
            id,
            command,
            policy,
            stage,
            deadline: now + self.role.options.request_timeout(),
        });
        Ok(id)
    }
}
