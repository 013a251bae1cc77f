//! The session: one type for both roles, driven by the caller's run loop.

mod config;
mod inbound;
mod pending;
mod queue;
mod ring;

pub use config::{AckPolicy, Config, Role, SIGNATURE_CAPACITY};

use config::Text;
use pending::{Pending, Request, Stage};
use queue::{CommandQueue, Urgency};
use ring::Ring;

use crate::comport::{Command, LineState, ModemState, COM_PORT_OPTION, SERVER_OFFSET};
use crate::decode::Decoder;
use crate::encode::{escape_data, escaped_len};
use crate::error::Error;
use crate::event::{Event, RequestId};
use crate::negotiation::{Acceptance, Options, Outcome};
use crate::telnet::{Side, TelnetCommand, TelnetOption, IAC};
use crate::time::Instant;

/// Bytes of queued outbound commands; a transmit buffer this large always
/// empties the queue. It holds a client's whole opening batch (about 100
/// bytes) and the room kept for answers.
pub const TRANSMIT_QUEUE_CAPACITY: usize = 320;
const EVENT_CAPACITY: usize = 8;
/// Requests a client can have waiting for replies at once.
pub const PENDING_REQUEST_CAPACITY: usize = 10;

/// The longest answer one inbound token can queue besides our signature:
/// a SET-BAUDRATE with every value byte escaped (`IAC SB 44 101` + 8 +
/// `IAC SE`), or a negotiation reply plus the first modem-state notification.
const MAX_FIXED_ANSWER_LEN: usize = 14;
/// The most events one inbound token can queue (an option change,
/// COM-PORT becoming active or unavailable).
const MAX_EVENTS_PER_TOKEN: usize = 2;

/// What [`Session::handle_input`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct Received {
    /// Input bytes used up; call again with the rest.
    pub consumed: usize,
    /// Data bytes written to the front of the data buffer.
    pub data_len: usize,
}

/// What [`Session::encode_data`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct Encoded {
    /// Bytes of the caller's data taken; send the rest later.
    pub consumed: usize,
    /// Bytes written to the front of the output buffer: queued commands,
    /// then the data, escaped.
    pub written: usize,
}

/// Where COM-PORT-OPTION negotiation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ComPort {
    Negotiating { deadline: Instant },
    Active,
    Unavailable,
}

/// A Telnet Com Port Control session, client or access server.
///
/// The session does no I/O and reads no clock. Its methods come in four kinds:
///
/// * **Getters** (`&self`): [`role`](Self::role), [`is_com_port_active`](Self::is_com_port_active),
///   [`is_option_enabled`](Self::is_option_enabled), [`is_ready_for_data`](Self::is_ready_for_data),
///   [`is_suspended_by_peer`](Self::is_suspended_by_peer),
///   [`peer_signature`](Self::peer_signature), [`pending_requests`](Self::pending_requests),
///   [`line_state_mask`](Self::line_state_mask), [`modem_state_mask`](Self::modem_state_mask).
/// * **Inputs** from the network, the clock and the device, named `handle_*`:
///   [`handle_input`](Self::handle_input), [`handle_timeout`](Self::handle_timeout),
///   [`handle_modem_lines`](Self::handle_modem_lines), [`handle_line_state`](Self::handle_line_state).
/// * **Commands** from the application, plain verbs: [`request`](Self::request),
///   [`barrier`](Self::barrier), [`respond`](Self::respond), [`send_signature`](Self::send_signature),
///   [`negotiate`](Self::negotiate),
///   [`suspend_peer`](Self::suspend_peer), [`resume_peer`](Self::resume_peer), ...
/// * **Outputs**, named `poll_*`: [`poll_event`](Self::poll_event),
///   [`poll_transmit`](Self::poll_transmit), [`poll_timeout`](Self::poll_timeout);
///   and [`encode_data`](Self::encode_data), which transmits queued commands
///   and then the caller's data.
///
/// After every input or command, drain the outputs: all events, then the
/// transmit queue (before or through `encode_data`), then ask for the next
/// timeout. The crate docs show the whole loop.
///
/// Memory is fixed: the session holds no references and allocates nothing.
/// When its queues fill up it stops taking input until the caller drains
/// them, so a peer can never make it grow.
#[derive(Clone, Debug)]
pub struct Session {
    config: Config,
    decoder: Decoder,
    options: Options,
    queue: CommandQueue<TRANSMIT_QUEUE_CAPACITY>,
    events: Ring<Event, EVENT_CAPACITY>,
    pending: Pending<PENDING_REQUEST_CAPACITY>,
    peer_signature: Text,
    com_port: ComPort,
    suspended_by_peer: bool,
    /// NVT mode: the last data byte sent was a CR, and its NUL is owed
    /// unless the next byte is an LF.
    nul_owed: bool,
    /// Room the queue keeps for the answer to one inbound token: the larger
    /// of [`MAX_FIXED_ANSWER_LEN`] and our signature, escaped and framed.
    answer_reserve: u8,
    /// Server: requests reported to the application and not yet answered;
    /// the queue keeps room for each answer (at most one per queued event).
    owed_answers: u8,
    next_request: u16,
    /// Server: masks in force. Client: unused.
    line_state_mask: LineState,
    modem_state_mask: ModemState,
    /// Server: the last modem line reading and line-state levels reported
    /// by the device, and the line errors not yet reported to the client.
    modem_lines: ModemState,
    line_state: LineState,
    line_errors: LineState,
}

impl Session {
    /// A new session; it queues its opening Telnet negotiation at once.
    ///
    /// A client asks for BINARY and SUPPRESS-GO-AHEAD both ways and offers
    /// COM-PORT-OPTION; an access server asks for BINARY both ways, offers
    /// SUPPRESS-GO-AHEAD and ECHO, and asks the client for COM-PORT-OPTION
    /// (accepting it in either direction, as pyserial's PortManager does).
    pub fn new(config: Config, now: Instant) -> Self {
        let (acceptance, opening): (Acceptance, &[(TelnetOption, Side)]) = match config.role {
            Role::Client => (
                Acceptance {
                    // BINARY, ECHO, SGA, COM-PORT
                    local: [true, false, true, true],
                    remote: [true, true, true, true],
                },
                &[
                    (TelnetOption::Binary, Side::Local),
                    (TelnetOption::Binary, Side::Remote),
                    (TelnetOption::SuppressGoAhead, Side::Local),
                    (TelnetOption::SuppressGoAhead, Side::Remote),
                    (TelnetOption::ComPort, Side::Local),
                ],
            ),
            Role::Server => (
                Acceptance {
                    local: [true, true, true, true],
                    remote: [true, false, true, true],
                },
                &[
                    (TelnetOption::Binary, Side::Local),
                    (TelnetOption::Binary, Side::Remote),
                    (TelnetOption::SuppressGoAhead, Side::Local),
                    (TelnetOption::Echo, Side::Local),
                    (TelnetOption::ComPort, Side::Remote),
                ],
            ),
        };
        let signature_answer = 6 + escaped_len(config.signature.as_bytes());
        let mut session = Session {
            // At most 6 + 2 * SIGNATURE_CAPACITY = 134.
            answer_reserve: signature_answer.max(MAX_FIXED_ANSWER_LEN) as u8,
            com_port: ComPort::Negotiating {
                deadline: now + config.negotiation_timeout(),
            },
            config,
            decoder: Decoder::default(),
            options: Options::new(acceptance),
            queue: CommandQueue::default(),
            events: Ring::default(),
            pending: Pending::default(),
            peer_signature: Text::EMPTY,
            suspended_by_peer: false,
            owed_answers: 0,
            nul_owed: false,
            next_request: 0,
            line_state_mask: LineState::EMPTY,
            modem_state_mask: ModemState::ALL,
            modem_lines: ModemState::EMPTY,
            line_state: LineState::EMPTY,
            line_errors: LineState::EMPTY,
        };
        for &(option, side) in opening {
            let outcome = session.options.request(option, side, true);
            session.apply_negotiation(outcome);
        }
        session
    }

    // ----- A. getters -------------------------------------------------------

    /// Client or access server.
    pub fn role(&self) -> Role {
        self.config.role
    }

    /// COM-PORT-OPTION is agreed in at least one direction.
    pub fn is_com_port_active(&self) -> bool {
        self.com_port == ComPort::Active
    }

    /// Whether a side of a Telnet option is enabled.
    pub fn is_option_enabled(&self, option: TelnetOption, side: Side) -> bool {
        self.options.is_enabled(option, side)
    }

    /// The peer sent FLOWCONTROL-SUSPEND: hold back data until it resumes.
    /// [`encode_data`](Self::encode_data) takes none meanwhile.
    pub fn is_suspended_by_peer(&self) -> bool {
        self.suspended_by_peer
    }

    /// [`encode_data`](Self::encode_data) takes data now. It does not while
    /// the peer has suspended us, nor while our BINARY offer is unanswered
    /// during the opening negotiation: data sent then would be escaped for
    /// one mode and read in the other (a CR NUL would reach the device as
    /// CR NUL). If the peer never answers, data flows after the negotiation
    /// timeout, in whatever mode was agreed.
    pub fn is_ready_for_data(&self) -> bool {
        let binary_in_flight = self.options.is_in_flight(TelnetOption::Binary, Side::Local)
            && matches!(self.com_port, ComPort::Negotiating { .. });
        !self.suspended_by_peer && !binary_in_flight
    }

    /// The last signature the peer sent (empty if none).
    pub fn peer_signature(&self) -> &[u8] {
        self.peer_signature.as_bytes()
    }

    /// Client requests waiting for a reply.
    pub fn pending_requests(&self) -> usize {
        self.pending.waiting()
    }

    /// Server: the NOTIFY-LINESTATE mask the client set (default: none).
    pub fn line_state_mask(&self) -> LineState {
        self.line_state_mask
    }

    /// Server: the NOTIFY-MODEMSTATE mask the client set (default: all).
    pub fn modem_state_mask(&self) -> ModemState {
        self.modem_state_mask
    }

    // ----- B. inputs ----------------------------------------------------------

    /// Takes bytes received from the peer. Data is copied to `data`; Telnet
    /// and com-port commands become events and queued answers.
    ///
    /// Decoding stops early, with `consumed < input.len()`, when `data` is
    /// full, when the event or transmit queues need draining, or right
    /// before a data byte that follows an event: every data byte written by
    /// one call comes before every event it queued. Drain the events and the
    /// transmit queue, then call again with the rest of the input. `data`
    /// must hold at least one byte, or data in the input is never taken.
    pub fn handle_input(&mut self, now: Instant, input: &[u8], data: &mut [u8]) -> Received {
        let mut consumed = 0;
        let mut data_len = 0;
        while consumed < input.len() && self.has_room_for_token() {
            let out = if self.events.is_empty() {
                &mut data[data_len..]
            } else {
                &mut [][..]
            };
            let step = self.decoder.decode(&input[consumed..], out);
            consumed += step.consumed;
            data_len += step.written;
            match step.token {
                Some(token) => self.handle_token(now, token),
                None => break,
            }
        }
        Received { consumed, data_len }
    }

    /// Tells the session the time; fires what is due. Calling it early or
    /// twice does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let ComPort::Negotiating { deadline } = self.com_port {
            if deadline <= now && self.events.free() > 0 {
                self.com_port = ComPort::Unavailable;
                self.push_event(Event::ComPortUnavailable(crate::Unavailable::TimedOut));
            }
        }
        if self.suspended_by_peer {
            return; // requests are held back, so they cannot be late
        }
        while self.events.free() > 0 {
            let Some(request) = self.pending.expire(now) else {
                break;
            };
            self.push_event(Event::Timeout {
                id: request.id,
                request: request.command,
            });
        }
    }

    /// Server: the device's modem lines now (CD, RI, DSR, CTS; any change
    /// bits given are ignored). If a line changed, one NOTIFY-MODEMSTATE
    /// carrying the levels and change bits under the client's mask is
    /// queued. On `Err` nothing changed; call again after transmitting.
    pub fn handle_modem_lines(&mut self, lines: ModemState) -> Result<(), Error> {
        self.require_role(Role::Server)?;
        let reading = lines & ModemState::LINES;
        let previous = self.modem_lines;
        if reading == previous {
            return Ok(());
        }
        let value = reading.with_changes_since(previous);
        let changed = ModemState((reading.0 ^ previous.0) | (value.0 & !ModemState::LINES.0));
        if self.is_com_port_active() && !(changed & self.modem_state_mask).is_empty() {
            let notify = Command::NotifyModemState(value & self.modem_state_mask);
            self.initiate(&notify, &[])?;
        }
        self.modem_lines = reading;
        Ok(())
    }

    /// Server: the device's line state. The error bits (overrun, parity,
    /// framing, break) are events: each is reported once, in a notification
    /// or the answer to the client's next poll. The other bits are levels:
    /// a notification goes out when a level under the mask changes. On
    /// `Err` nothing changed; call again after transmitting.
    pub fn handle_line_state(&mut self, state: LineState) -> Result<(), Error> {
        self.require_role(Role::Server)?;
        let mask = self.line_state_mask;
        let levels = LineState(state.0 & !LineState::ERRORS.0);
        // Errors the mask hides when they happen are not reported later.
        let errors = (state & LineState::ERRORS & mask) | self.line_errors;
        let level_changed = !(LineState(levels.0 ^ self.line_state.0) & mask).is_empty();
        let new_error = !(state & LineState::ERRORS & mask).is_empty();
        self.line_state = levels;
        self.line_errors = errors;
        if self.is_com_port_active() && (level_changed || new_error) {
            let notify = Command::NotifyLineState((levels | errors) & mask);
            self.initiate(&notify, &[])?;
            self.line_errors = LineState(errors.0 & !mask.0);
        }
        Ok(())
    }

    /// Server: the line state for a poll answer; reported errors are cleared.
    fn take_line_state(&mut self) -> LineState {
        let mask = self.line_state_mask;
        let report = (self.line_state | self.line_errors) & mask;
        self.line_errors = LineState(self.line_errors.0 & !mask.0);
        report
    }

    // ----- C. commands --------------------------------------------------------

    /// Client: sends a request and, unless its kind's ack policy is
    /// [`AckPolicy::None`], waits for the reply until the request timeout.
    /// Requests are pipelined: nothing waits for an earlier reply.
    pub fn request(&mut self, now: Instant, command: Command) -> Result<RequestId, Error> {
        let policy = self.config.ack_policy(command.kind());
        self.request_with_policy(now, command, policy)
    }

    /// Client: asks for the server's signature (an empty SIGNATURE).
    pub fn request_signature(&mut self, now: Instant) -> Result<RequestId, Error> {
        self.request(now, Command::Signature)
    }

    /// Client: a barrier. Its reply (or timeout) arrives once the server has
    /// processed everything sent before it; it is a SET-BAUDRATE query,
    /// which every server answers and which changes nothing.
    pub fn barrier(&mut self, now: Instant) -> Result<RequestId, Error> {
        self.request_with_policy(now, Command::SetBaudRate(0), AckPolicy::Lenient)
    }

    /// Client: polls the server's modem state (NOTIFY-MODEMSTATE with value
    /// 0). A server that answers does so with a notification.
    pub fn query_modem_state(&mut self) -> Result<(), Error> {
        self.send_initiated(Role::Client, Command::NotifyModemState(ModemState::EMPTY))
    }

    /// Client: polls the server's line state.
    pub fn query_line_state(&mut self) -> Result<(), Error> {
        self.send_initiated(Role::Client, Command::NotifyLineState(LineState::EMPTY))
    }

    /// Client: sends our signature unasked. (Asked, either role answers
    /// with the configured signature by itself.)
    pub fn send_signature(&mut self, signature: &[u8]) -> Result<(), Error> {
        self.require_role(Role::Client)?;
        if signature.is_empty() || signature.len() > SIGNATURE_CAPACITY {
            return Err(Error::InvalidSignature);
        }
        self.initiate(&Command::Signature, signature)
    }

    /// Server: answers an [`Event::Request`] with the value now in use
    /// (which may differ from the one asked for).
    pub fn respond(&mut self, reply: Command) -> Result<(), Error> {
        self.require_role(Role::Server)?;
        self.answer(&reply, &[])?;
        self.owed_answers = self.owed_answers.saturating_sub(1);
        Ok(())
    }

    /// Asks the peer to stop sending data and commands (FLOWCONTROL-SUSPEND).
    pub fn suspend_peer(&mut self) -> Result<(), Error> {
        self.answer(&Command::FlowControlSuspend, &[])
    }

    /// Lets the peer send again (FLOWCONTROL-RESUME).
    pub fn resume_peer(&mut self) -> Result<(), Error> {
        self.answer(&Command::FlowControlResume, &[])
    }

    /// Asks the peer to enable or disable one side of an option (RFC 1143:
    /// nothing is sent if that is already the state or the request in
    /// flight). The opening negotiation is done by [`Session::new`]; this is
    /// for later changes, e.g. a server dropping BINARY for a raw client.
    pub fn negotiate(
        &mut self,
        option: TelnetOption,
        side: Side,
        enable: bool,
    ) -> Result<(), Error> {
        if self.queue.free() < 3 || self.events.free() < MAX_EVENTS_PER_TOKEN {
            return Err(Error::TransmitQueueFull);
        }
        let outcome = self.options.request(option, side, enable);
        self.apply_negotiation(outcome);
        Ok(())
    }

    /// Sends a two-byte Telnet command (e.g. BRK), in order with the data.
    pub fn send_telnet_command(&mut self, command: TelnetCommand) -> Result<(), Error> {
        self.initiate_bytes(&[IAC, command.to_byte()])
    }

    // ----- D. outputs ---------------------------------------------------------

    /// The next event, oldest first.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    /// Moves queued outbound bytes into `out`; returns how many. Commands
    /// leave in the order they were queued; while the peer has suspended
    /// us, only negotiation, flow control and answers to its requests go
    /// (after what was queued before the suspension), and what we initiate
    /// waits. Any buffer size works: a command cut short is finished first
    /// at the next call.
    #[must_use]
    pub fn poll_transmit(&mut self, out: &mut [u8]) -> usize {
        self.queue.drain(out, self.suspended_by_peer)
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let negotiation = match self.com_port {
            ComPort::Negotiating { deadline } => Some(deadline),
            _ => None,
        };
        let requests = if self.suspended_by_peer {
            None
        } else {
            self.pending.earliest_deadline()
        };
        match (negotiation, requests) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Writes queued commands and then `data`, escaped for the wire, into
    /// `out`. Takes no data while commands are still queued (so order is
    /// kept) or while [`is_ready_for_data`](Self::is_ready_for_data) is false.
    /// An escape sequence (0xFF 0xFF, CR NUL) is never split, so `out` must
    /// hold at least 2 bytes for every byte of data to go.
    pub fn encode_data(&mut self, data: &[u8], out: &mut [u8]) -> Encoded {
        let written = self.poll_transmit(out);
        let queued = !self.queue.is_empty();
        let blocked = queued || !self.is_ready_for_data();
        if blocked {
            return Encoded {
                consumed: 0,
                written,
            };
        }
        let binary = self.options.is_enabled(TelnetOption::Binary, Side::Local);
        self.nul_owed &= !binary;
        let nvt = (!binary).then_some(&mut self.nul_owed);
        let (consumed, escaped) = escape_data(data, &mut out[written..], nvt);
        Encoded {
            consumed,
            written: written + escaped,
        }
    }

    // ----- internals ----------------------------------------------------------

    fn require_role(&self, role: Role) -> Result<(), Error> {
        if self.config.role == role {
            Ok(())
        } else {
            Err(Error::WrongRole)
        }
    }

    fn has_room_for_token(&self) -> bool {
        self.events.free() >= MAX_EVENTS_PER_TOKEN && self.queue.free() >= self.reserved()
    }

    /// Queue room that later tokens may not take: the answer to the next
    /// token, and the application's answers to the requests it was given.
    fn reserved(&self) -> usize {
        usize::from(self.answer_reserve) + usize::from(self.owed_answers) * MAX_FIXED_ANSWER_LEN
    }

    fn request_with_policy(
        &mut self,
        now: Instant,
        command: Command,
        policy: AckPolicy,
    ) -> Result<RequestId, Error> {
        self.require_role(Role::Client)?;
        if policy != AckPolicy::None && self.pending.is_full() {
            return Err(Error::TooManyPendingRequests);
        }
        self.initiate(&command, &[])?;
        let id = RequestId(self.next_request);
        self.next_request = self.next_request.wrapping_add(1);
        if policy != AckPolicy::None {
            // Room was checked above.
            let _ = self.pending.push(Request {
                id,
                command,
                policy,
                stage: if self.suspended_by_peer {
                    Stage::Held
                } else {
                    Stage::Sent
                },
                deadline: now + self.config.request_timeout(),
            });
        }
        Ok(id)
    }

    /// Queues a command this end initiates (held back while suspended).
    fn send_initiated(&mut self, role: Role, command: Command) -> Result<(), Error> {
        self.require_role(role)?;
        self.initiate(&command, &[])
    }

    /// Queues a command this end initiates, held back while the peer has
    /// suspended us. It may not take the room kept for answering the peer:
    /// otherwise a peer that suspends us could never be read again.
    fn initiate(&mut self, command: &Command, text: &[u8]) -> Result<(), Error> {
        let len = 6 + escaped_len(text) + 2 * command.value().1;
        if self.queue.free() < len + self.reserved() {
            return Err(Error::TransmitQueueFull);
        }
        self.push_command(command, text, Urgency::Held)
    }

    fn initiate_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let room = self.queue.free() >= bytes.len() + self.reserved();
        if room && self.queue.push(bytes, Urgency::Held) {
            Ok(())
        } else {
            Err(Error::TransmitQueueFull)
        }
    }

    /// Queues `IAC SB COM-PORT-OPTION code value text IAC SE` with the code
    /// of this role's direction.
    fn push_command(
        &mut self,
        command: &Command,
        text: &[u8],
        urgency: Urgency,
    ) -> Result<(), Error> {
        let offset = match self.config.role {
            Role::Client => 0,
            Role::Server => SERVER_OFFSET,
        };
        let code = command.kind().code() + offset;
        let (value, len) = command.value();
        let parts: [&[u8]; 3] = [&[code], &value[..len], text];
        if self
            .queue
            .push_subnegotiation(COM_PORT_OPTION, &parts, urgency)
        {
            Ok(())
        } else {
            Err(Error::TransmitQueueFull)
        }
    }

    /// Queues a command in this role's direction that goes out even while
    /// the peer has suspended us: an answer, or flow control.
    fn answer(&mut self, command: &Command, text: &[u8]) -> Result<(), Error> {
        self.push_command(command, text, Urgency::Must)
    }

    fn push_event(&mut self, event: Event) {
        // Callers check for room first; `has_room_for_token` guarantees it
        // while decoding.
        let _ = self.events.push(event);
    }

    /// Queues the reply of a negotiation step and reports what changed.
    fn apply_negotiation(&mut self, outcome: Outcome) {
        if let Some((verb, code)) = outcome.reply {
            let _ = self.queue.push(&[IAC, verb.to_byte(), code], Urgency::Must);
        }
        if let Some((option, side, enabled)) = outcome.changed {
            self.push_event(Event::OptionChanged {
                option,
                side,
                enabled,
            });
            if (option, side) == (TelnetOption::Binary, Side::Remote) {
                self.decoder.set_nvt(!enabled);
            }
        }
    }
}
