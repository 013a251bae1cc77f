//! The session: one type per role over one engine, driven by the caller's
//! run loop.
//!
//! `Session<R>` holds what both roles share (framing, negotiation, the
//! outbound queue, events, flow control); `R` holds what only its role
//! needs, and the sealed [`Role`] trait is where the engine asks it.

mod client;
mod config;
mod inbound;
mod pending;
mod queue;
mod ring;
mod server;

pub use client::{Client, PENDING_REQUEST_CAPACITY};
pub use config::{AckPolicy, Config};
pub use server::Server;

use queue::{CommandQueue, Urgency};
use ring::Ring;

use crate::comport::{Command, COM_PORT_OPTION};
use crate::decode::Decoder;
use crate::encode::{escape_data, escaped_len};
use crate::error::Error;
use crate::event::{ComPortState, Shared, Unavailable};
use crate::negotiation::{Options, Outcome};
use crate::signature::Signature;
use crate::telnet::{Side, TelnetCommand, TelnetOption, IAC};
use crate::time::Instant;

/// Bytes of queued outbound commands; a transmit buffer this large always
/// empties the queue. It holds a client's whole opening batch (about 100
/// bytes) and the room kept for answers.
pub const TRANSMIT_QUEUE_CAPACITY: usize = 320;
/// Events a session holds: the most one inbound token can raise (an option
/// change and COM-PORT becoming active; or, for a malformed request before
/// COM-PORT is agreed, two violations and the request). Decoding stops
/// until they are drained.
const EVENT_CAPACITY: usize = 3;

/// The longest answer one inbound token can queue besides our signature:
/// a SET-BAUDRATE with every value byte escaped (`IAC SB 44 101` + 8 +
/// `IAC SE`), or a negotiation reply plus the first modem-state notification.
pub(crate) const MAX_FIXED_ANSWER_LEN: usize = 14;

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

/// Where COM-PORT-OPTION negotiation stands, with its deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ComPort {
    Negotiating { deadline: Instant },
    Active,
    Unavailable(Unavailable),
}

/// A role: [`Client`] or [`Server`]. Sealed: the engine relies on what
/// each role does with the peer's commands.
pub trait Role: sealed::Behaviour {}

impl Role for Client {}
impl Role for Server {}

pub(crate) mod sealed {
    use core::fmt::Debug;

    use super::Session;
    use crate::comport::CommandKind;
    use crate::event::Shared;
    use crate::negotiation::Acceptance;
    use crate::signature::Signature;
    use crate::telnet::{Side, TelnetOption};
    use crate::time::Instant;

    /// What the engine asks of a role.
    pub trait Behaviour: Sized + Clone + Debug {
        /// The role's event type.
        type Event: Copy + Debug;
        /// What only this role's config holds.
        type Options: Clone + Debug;

        /// Added to a command's code when this role sends it (RFC 2217:
        /// the server's codes are the client's plus 100).
        const CODE_OFFSET: u8;
        /// The options this role agrees to when the peer asks.
        const ACCEPTANCE: Acceptance;
        /// The option sides this role asks for at once.
        const OPENING: &'static [(TelnetOption, Side)];

        fn new(options: Self::Options) -> Self;
        fn shared(event: Shared) -> Self::Event;

        /// Queue room the role keeps for what input will make it send,
        /// beyond the answer to one token.
        fn reserved(&self) -> usize;
        /// False while the application owes an answer: then no further
        /// input is read, so answers leave in request order.
        fn may_decode(&self) -> bool;
        /// A SIGNATURE from the peer with no text is an answer (to our
        /// request), not a request for ours.
        fn awaits_signature(&self) -> bool;

        /// A com-port command from the peer, other than SIGNATURE and flow
        /// control.
        fn handle_command(
            session: &mut Session<Self>,
            now: Instant,
            kind: CommandKind,
            value: &[u8],
        ) where
            Self: super::Role;
        /// The peer's signature, as the event to report.
        fn signature_event(&mut self, signature: Signature) -> Self::Event;
        /// COM-PORT-OPTION has just been agreed.
        fn on_com_port_active(session: &mut Session<Self>)
        where
            Self: super::Role;

        /// The earliest deadline of the role's own timers.
        fn next_deadline(&self) -> Option<Instant>;
        /// The next timer due at `now`, as its event.
        fn expire(&mut self, now: Instant) -> Option<Self::Event>;
        /// The peer resumed us: held requests start their clocks at `now`.
        fn release_held(&mut self, now: Instant);
    }
}

/// A Telnet Com Port Control session: a client (`Session<Client>`) or an
/// access server (`Session<Server>`).
///
/// The session does no I/O and reads no clock. Its methods come in four
/// kinds; those marked (client) or (server) exist for that role only:
///
/// * **Getters** (`&self`): [`com_port`](Self::com_port),
///   [`is_com_port_active`](Self::is_com_port_active),
///   [`is_option_enabled`](Self::is_option_enabled),
///   [`is_ready_for_data`](Self::is_ready_for_data),
///   [`is_suspended_by_peer`](Self::is_suspended_by_peer); (client)
///   [`pending_requests`](Session::pending_requests); (server)
///   [`line_state_mask`](Session::line_state_mask),
///   [`modem_state_mask`](Session::modem_state_mask).
/// * **Inputs** from the network, the clock and the device, named
///   `handle_*`: [`handle_input`](Self::handle_input),
///   [`handle_timeout`](Self::handle_timeout); (server)
///   [`handle_modem_lines`](Session::handle_modem_lines),
///   [`handle_line_state`](Session::handle_line_state).
/// * **Commands** from the application, plain verbs:
///   [`negotiate`](Self::negotiate), [`suspend_peer`](Self::suspend_peer),
///   [`resume_peer`](Self::resume_peer),
///   [`send_telnet_command`](Self::send_telnet_command); (client)
///   [`request`](Session::request), [`barrier`](Session::barrier),
///   [`query_modem_state`](Session::query_modem_state),
///   [`query_line_state`](Session::query_line_state),
///   [`send_signature`](Session::send_signature); (server)
///   [`respond`](Session::respond).
/// * **Outputs**, named `poll_*`: [`poll_event`](Self::poll_event),
///   [`poll_transmit`](Self::poll_transmit),
///   [`poll_timeout`](Self::poll_timeout); and
///   [`encode_data`](Self::encode_data), which transmits queued commands and
///   then the caller's data.
///
/// After every input or command, drain the outputs: all events, then the
/// transmit queue (before or through `encode_data`), then ask for the next
/// timeout. The crate docs show the whole loop.
///
/// Memory is fixed: the session holds no references and allocates nothing.
/// When its queues fill up it stops taking input until the caller drains
/// them, so a peer can never make it grow.
#[derive(Clone, Debug)]
pub struct Session<R: Role> {
    decoder: Decoder,
    options: Options,
    queue: CommandQueue<TRANSMIT_QUEUE_CAPACITY>,
    events: Ring<R::Event, EVENT_CAPACITY>,
    /// Ours, sent when the peer asks.
    signature: Signature,
    com_port: ComPort,
    /// NVT mode: the last data byte sent was a CR, and its NUL is owed
    /// unless the next byte is an LF.
    nul_owed: bool,
    /// Room the queue keeps for the answer to one inbound token: the larger
    /// of [`MAX_FIXED_ANSWER_LEN`] and our signature, escaped and framed.
    answer_reserve: u8,
    role: R,
}

impl<R: Role> Session<R> {
    /// A new session; it queues its opening Telnet negotiation at once.
    ///
    /// A client asks for BINARY and SUPPRESS-GO-AHEAD both ways and offers
    /// COM-PORT-OPTION; an access server asks for BINARY both ways, offers
    /// SUPPRESS-GO-AHEAD and ECHO, and asks the client for COM-PORT-OPTION
    /// (accepting it in either direction, as pyserial's PortManager does).
    pub fn new(config: Config<R>, now: Instant) -> Self {
        let signature_answer = 6 + escaped_len(config.signature.as_bytes());
        let mut session = Session {
            decoder: Decoder::default(),
            options: Options::new(R::ACCEPTANCE),
            queue: CommandQueue::default(),
            events: Ring::default(),
            signature: config.signature,
            com_port: ComPort::Negotiating {
                deadline: now + config.negotiation_timeout(),
            },
            nul_owed: false,
            // At most 6 + 2 * SIGNATURE_CAPACITY = 134.
            answer_reserve: signature_answer.max(MAX_FIXED_ANSWER_LEN) as u8,
            role: R::new(config.role),
        };
        for &(option, side) in R::OPENING {
            let outcome = session.options.request(option, side, true);
            session.apply_negotiation(outcome);
        }
        session
    }

    // ----- A. getters -------------------------------------------------------

    /// Where COM-PORT-OPTION negotiation stands.
    pub fn com_port(&self) -> ComPortState {
        match self.com_port {
            ComPort::Negotiating { .. } => ComPortState::Negotiating,
            ComPort::Active => ComPortState::Active,
            ComPort::Unavailable(why) => ComPortState::Unavailable(why),
        }
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
        self.queue.is_suspended()
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
        !self.is_suspended_by_peer() && !binary_in_flight
    }

    // ----- B. inputs ----------------------------------------------------------

    /// Takes bytes received from the peer. Data is copied to `data` (an
    /// array, so it always has room for at least one byte); Telnet and
    /// com-port commands become events and queued answers.
    ///
    /// Decoding stops early, with `consumed < input.len()`, when `data` is
    /// full, when the event or transmit queues need draining, when a
    /// server's application owes the answer to a request, or right before a
    /// data byte that follows an event: every data byte written by one call
    /// comes before every event it queued. Drain the events (answering a
    /// server's requests) and the transmit queue, then call again with the
    /// rest of the input.
    ///
    /// A buffer with no room cannot be passed, so the run loop cannot spin
    /// on data it has nowhere to put:
    ///
    /// ```compile_fail
    /// # use rfc2217_proto::{Config, Instant, Session};
    /// let mut client = Session::new(Config::client(), Instant::ZERO);
    /// let _ = client.handle_input(Instant::ZERO, b"data", &mut [0u8; 0]);
    /// ```
    pub fn handle_input<const N: usize>(
        &mut self,
        now: Instant,
        input: &[u8],
        data: &mut [u8; N],
    ) -> Received {
        const { assert!(N > 0, "the data buffer must hold at least one byte") };
        let mut consumed = 0;
        let mut data_len = 0;
        // Decoding goes on only while no event waits (`has_room_for_token`),
        // so data never overtakes an event.
        while consumed < input.len() && self.has_room_for_token() {
            let step = self
                .decoder
                .decode(&input[consumed..], &mut data[data_len..]);
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
    /// twice does nothing; if more is due than the event queue holds, the
    /// rest fires at the next call, after the events are drained.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let ComPort::Negotiating { deadline } = self.com_port {
            if deadline <= now && self.events.free() > 0 {
                self.com_port = ComPort::Unavailable(Unavailable::TimedOut);
                self.push_shared(Shared::ComPortUnavailable(Unavailable::TimedOut));
            }
        }
        if self.is_suspended_by_peer() {
            return; // requests are held back, so they cannot be late
        }
        while self.events.free() > 0 {
            let Some(event) = self.role.expire(now) else {
                break;
            };
            self.push_event(event);
        }
    }

    // ----- C. commands --------------------------------------------------------

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
    /// Switching COM-PORT-OPTION off in every direction makes it
    /// unavailable at once: no com-port command is sent after that.
    ///
    /// `Err(TransmitQueueFull)` or `Err(EventQueueFull)` (room for the reply
    /// and two events is needed): drain, then call again.
    pub fn negotiate(
        &mut self,
        option: TelnetOption,
        side: Side,
        enable: bool,
    ) -> Result<(), Error> {
        if self.queue.free() < 3 + self.reserved() {
            return Err(Error::TransmitQueueFull);
        }
        // An option change, and COM-PORT becoming active or unavailable.
        if self.events.free() < 2 {
            return Err(Error::EventQueueFull);
        }
        let outcome = self.options.request(option, side, enable);
        self.apply_negotiation(outcome);
        if option == TelnetOption::ComPort {
            self.update_com_port();
        }
        Ok(())
    }

    /// Sends a two-byte Telnet command (e.g. BRK), in order with the data.
    pub fn send_telnet_command(&mut self, command: TelnetCommand) -> Result<(), Error> {
        let bytes = [IAC, command.to_byte()];
        let room = self.queue.free() >= bytes.len() + self.reserved();
        if room && self.queue.push(&bytes, Urgency::Held) {
            Ok(())
        } else {
            Err(Error::TransmitQueueFull)
        }
    }

    // ----- D. outputs ---------------------------------------------------------

    /// The next event, oldest first.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<R::Event> {
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
        self.queue.drain(out)
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let negotiation = match self.com_port {
            ComPort::Negotiating { deadline } => Some(deadline),
            _ => None,
        };
        let role = if self.is_suspended_by_peer() {
            None
        } else {
            self.role.next_deadline()
        };
        match (negotiation, role) {
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

    fn has_room_for_token(&self) -> bool {
        self.events.free() == EVENT_CAPACITY
            && self.queue.free() >= self.reserved()
            && self.role.may_decode()
    }

    /// Queue room that what we initiate may not take: the answer to the
    /// next token, and what the role keeps for its own answers.
    fn reserved(&self) -> usize {
        usize::from(self.answer_reserve) + self.role.reserved()
    }

    /// Queues a command this end initiates, held back while the peer has
    /// suspended us. It may not take the room kept for answering the peer:
    /// otherwise a peer that suspends us could never be read again.
    pub(crate) fn initiate(&mut self, command: &Command, text: &[u8]) -> Result<(), Error> {
        let len = 6 + escaped_len(text) + 2 * command.value().1;
        if self.queue.free() < len + self.reserved() {
            return Err(Error::TransmitQueueFull);
        }
        self.push_command(command, text, Urgency::Held)
    }

    /// Queues a command in this role's direction that goes out even while
    /// the peer has suspended us: an answer, or flow control.
    pub(crate) fn answer(&mut self, command: &Command, text: &[u8]) -> Result<(), Error> {
        self.push_command(command, text, Urgency::Must)
    }

    /// Queues `IAC SB COM-PORT-OPTION code value text IAC SE` with the code
    /// of this role's direction, unless COM-PORT-OPTION was refused.
    fn push_command(
        &mut self,
        command: &Command,
        text: &[u8],
        urgency: Urgency,
    ) -> Result<(), Error> {
        if self.com_port == ComPort::Unavailable(Unavailable::Refused) {
            return Err(Error::ComPortRefused);
        }
        let code = command.kind().code() + R::CODE_OFFSET;
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

    pub(crate) fn push_event(&mut self, event: R::Event) {
        // Callers check for room first; `has_room_for_token` guarantees it
        // while decoding.
        let _ = self.events.push(event);
    }

    pub(crate) fn push_shared(&mut self, event: Shared) {
        self.push_event(R::shared(event));
    }

    /// Queues the reply of a negotiation step and reports what changed.
    fn apply_negotiation(&mut self, outcome: Outcome) {
        if let Some((verb, code)) = outcome.reply {
            let _ = self.queue.push(&[IAC, verb.to_byte(), code], Urgency::Must);
        }
        if let Some((option, side, enabled)) = outcome.changed {
            self.push_shared(Shared::OptionChanged {
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
