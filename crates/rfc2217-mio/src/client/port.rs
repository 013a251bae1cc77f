//! `RemotePort`: a serial port on an RFC 2217 server, driven by the
//! caller's `mio` loop.

mod drive;

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use log::debug;
use mio::event::Event;
use mio::{Interest, Registry, Token};
use rfc2217_client::{ClientOptions, Error, PortState};
use rfc2217_proto::{
    self as proto, Client, Command, Control, ModemState, Purge, RequestId, Session, Side,
    TelnetOption, TRANSMIT_QUEUE_CAPACITY,
};

use super::link::Link;
use super::opening::Opening;
use super::{OpenOptions, PortEvent};

/// Received data held for the caller; when it is full the port stops
/// reading the socket, and TCP flow control slows the server down.
const RECEIVE_CAPACITY: usize = 64 * 1024;
/// Encoded bytes waiting for the socket; when it is full, writes return
/// `WouldBlock`, and the session keeps its commands (and, once its queue
/// is full, stops taking the server's input that needs answers) until the
/// socket drains.
const OUTBOUND_CAPACITY: usize = 64 * 1024;
/// Events held for the caller before the port stops reading the socket.
const EVENT_CAPACITY: usize = 64;
/// Data one `write` call encodes at most.
const WRITE_CHUNK: usize = 8 * 1024;
/// The shortest modem poll interval, so `poll_modem` cannot spin.
const MIN_MODEM_POLL: Duration = Duration::from_millis(10);

/// A serial port on an RFC 2217 server, driven without blocking by a
/// `mio::Poll` the caller owns, next to any number of other ports and
/// sockets. The crate docs show it in an event loop.
///
/// Its methods come in four kinds, as the core's `Session`:
///
/// * **Getters**: [`name`](Self::name), [`is_open`](Self::is_open),
///   [`is_closed`](Self::is_closed), [`state`](Self::state),
///   [`modem_state`](Self::modem_state),
///   [`server_signature`](Self::server_signature),
///   [`is_option_enabled`](Self::is_option_enabled),
///   [`is_suspended_by_server`](Self::is_suspended_by_server),
///   [`bytes_to_read`](Self::bytes_to_read), [`bytes_to_write`](Self::bytes_to_write),
///   [`interest`](Self::interest).
/// * **Inputs**: [`handle_event`](Self::handle_event) for each `mio` event
///   with the port's token, [`handle_timeout`](Self::handle_timeout) when
///   [`poll_timeout`](Self::poll_timeout) has passed.
/// * **Commands**: [`request`](Self::request), [`set_dtr_rts`](Self::set_dtr_rts),
///   [`purge`](Self::purge), [`barrier`](Self::barrier),
///   [`query_modem_state`](Self::query_modem_state),
///   [`query_line_state`](Self::query_line_state), and data through
///   `std::io::Read` and `Write`, which return `WouldBlock` rather than wait.
/// * **Outputs**: [`poll_event`](Self::poll_event), [`poll_timeout`](Self::poll_timeout).
///
/// **After every call**, drain [`poll_event`](Self::poll_event) and call
/// [`reregister`](Self::reregister): the port registers for reading only
/// while it has room for what it reads, and for writing only while bytes
/// wait for the socket, so its interest changes as it works. `reregister`
/// derives it from the port's state and touches the registration only when
/// it changed.
pub struct RemotePort {
    name: String,
    answer_timeout: Duration,
    modem_max_age: Option<Duration>,
    /// When the modem lines were last asked for.
    modem_asked: Option<Instant>,
    link: Link,
    session: Session<Client>,
    /// The session's clock starts here.
    epoch: Instant,
    received: VecDeque<u8>,
    /// Bytes read from the socket that the session has not taken yet (it
    /// stops while the caller's buffers are full).
    held: Vec<u8>,
    outbound: VecDeque<u8>,
    events: VecDeque<PortEvent>,
    /// The caller's requests whose answers are awaited.
    awaited: Vec<Awaited>,
    /// The id the caller's next request gets. The port numbers requests
    /// itself: the session names only those whose answers it awaits, and
    /// every request gets its [`PortEvent::Answer`].
    next_id: u16,
    /// Until the port is open or failed to.
    opening: Option<Opening>,
    state: PortState,
    /// Why the connection ended, once it has.
    closed: Option<String>,
}

impl RemotePort {
    /// Starts opening `url` (`rfc2217://host:port[?options]`) with default
    /// settings; see [`OpenOptions::connect`].
    pub fn connect(url: &str) -> Result<Self, Error> {
        OpenOptions::from_url(url)?.connect()
    }

    pub(super) fn start(options: ClientOptions) -> Result<Self, Error> {
        let config = options.session_config()?;
        let epoch = Instant::now();
        let link = Link::connect(&options.address)?;
        let session = Session::new(config, proto::Instant::ZERO);
        let mut port = RemotePort {
            name: options.name.clone(),
            answer_timeout: options.answer_timeout,
            modem_max_age: options.poll_modem.map(|age| age.max(MIN_MODEM_POLL)),
            modem_asked: None,
            link,
            session,
            epoch,
            received: VecDeque::new(),
            held: Vec::new(),
            outbound: VecDeque::new(),
            events: VecDeque::new(),
            awaited: Vec::new(),
            next_id: 0,
            opening: None,
            state: PortState::default(),
            closed: None,
        };
        let mut opening = Opening::new(epoch);
        for request in options.opening_requests() {
            if let Some(id) = port.session.request(proto::Instant::ZERO, request)? {
                opening.expect(id, request);
            }
        }
        port.opening = Some(opening);
        port.transmit();
        Ok(port)
    }

    // ----- A. getters ---------------------------------------------------

    /// The URL or address the port was opened with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// [`PortEvent::Opened`] was reported and the connection is up.
    pub fn is_open(&self) -> bool {
        self.opening.is_none() && self.closed.is_none()
    }

    /// The connection ended ([`PortEvent::Closed`] was queued).
    pub fn is_closed(&self) -> bool {
        self.closed.is_some()
    }

    /// What the server last reported of the port: the settings in use, the
    /// control lines, the modem and line state.
    pub fn state(&self) -> &PortState {
        &self.state
    }

    /// The modem lines the server last reported, if it has.
    pub fn modem_state(&self) -> Option<ModemState> {
        self.state.modem.map(|(lines, _)| lines)
    }

    /// The server's signature, once it has sent one.
    pub fn server_signature(&self) -> Option<&[u8]> {
        Some(self.state.signature.as_ref()?.as_bytes())
    }

    /// Whether a side of a Telnet option was agreed with the server.
    pub fn is_option_enabled(&self, option: TelnetOption, side: Side) -> bool {
        self.session.is_option_enabled(option, side)
    }

    /// The server has suspended our sending (FLOWCONTROL-SUSPEND).
    pub fn is_suspended_by_server(&self) -> bool {
        self.session.is_suspended_by_peer()
    }

    /// Bytes received and not yet read.
    pub fn bytes_to_read(&self) -> usize {
        self.received.len()
    }

    /// Bytes written (and commands) that the socket has not taken yet.
    pub fn bytes_to_write(&self) -> usize {
        self.outbound.len()
    }

    /// What the port needs from the socket now: readable while it has room
    /// for input, writable while bytes wait for the socket (or the connect
    /// is under way); `None` once closed, or while it can take nothing in
    /// and has nothing to send.
    pub fn interest(&self) -> Option<Interest> {
        if self.link.is_connecting() {
            return Some(Interest::WRITABLE);
        }
        let readable = self.wants_read().then_some(Interest::READABLE);
        let writable =
            (self.link.is_connected() && !self.outbound.is_empty()).then_some(Interest::WRITABLE);
        match (readable, writable) {
            (Some(readable), Some(writable)) => Some(readable | writable),
            (readable, writable) => readable.or(writable),
        }
    }

    // ----- registration ---------------------------------------------------

    /// Registers the port with `registry` under `token`, with the interest
    /// it needs now.
    pub fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        let wanted = self.interest();
        self.link.register(registry, token, wanted)
    }

    /// Brings the registration up to date with [`interest`](Self::interest).
    /// Call it after every call on the port; it costs nothing when the
    /// interest did not change.
    pub fn reregister(&mut self, registry: &Registry) -> io::Result<()> {
        let wanted = self.interest();
        self.link.sync(registry, wanted)
    }

    /// Takes the port out of `registry` (before dropping it, or to stop
    /// driving it).
    pub fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        self.link.deregister(registry)
    }

    // ----- B. inputs --------------------------------------------------------

    /// Handles a `mio` event with the port's token: completes the connect,
    /// sends what waits, reads and decodes what arrived.
    pub fn handle_event(&mut self, event: &Event) {
        if self.link.is_connecting() {
            match self.link.poll_connect() {
                Ok(true) => {}
                Ok(false) => return,
                Err(error) => return self.fail(error),
            }
        }
        // Room to write may let held input go on; new input comes with its
        // own readable event, so a writable one needs no read.
        let readable = event.is_readable() || event.is_read_closed() || event.is_error();
        self.drive(readable);
    }

    /// Tells the port the time: fires request and negotiation timeouts
    /// (reported as [`Error::NoAnswer`] answers, or an open failure) and
    /// the modem poll. Calling it early or twice does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed.is_some() {
            return;
        }
        let session_now = self.session_time(now);
        while self
            .session
            .poll_timeout()
            .is_some_and(|deadline| deadline <= session_now)
        {
            self.session.handle_timeout(session_now);
            if !self.drain_session_events() {
                break; // nothing fired: the rest is not due
            }
        }
        if self.modem_poll_due().is_some_and(|due| due <= now) {
            self.modem_asked = Some(now);
            // A full queue skips this poll; the next one is due soon.
            let _ = self.session.query_modem_state();
        }
        self.transmit();
    }

    // ----- C. commands ------------------------------------------------------

    /// Sends a request (any setting, control or query; the values are the
    /// core's [`Command`]s, and `rfc2217_client` maps the `serialport` crate's
    /// types to them). Requests are pipelined. Its
    /// [`PortEvent::Answer`] carries the value the server says is in use.
    pub fn request(&mut self, command: Command) -> Result<RequestId, Error> {
        let id = self.queue(command)?;
        self.transmit();
        Ok(id)
    }

    /// Sets DTR and RTS together: both changes leave in one TCP segment
    /// (boards that reset through DTR/RTS need them close together). On
    /// `Err` the DTR change may have been queued (when only the second
    /// request found the queue full); its answer comes as any other.
    pub fn set_dtr_rts(&mut self, dtr: bool, rts: bool) -> Result<[RequestId; 2], Error> {
        let dtr = self.queue(Command::SetControl(if dtr {
            Control::DtrOn
        } else {
            Control::DtrOff
        }));
        let rts = self.queue(Command::SetControl(if rts {
            Control::RtsOn
        } else {
            Control::RtsOff
        }));
        self.transmit();
        Ok([dtr?, rts?])
    }

    /// Empties the server's buffers (and, for receive, ours).
    pub fn purge(&mut self, purge: Purge) -> Result<RequestId, Error> {
        if matches!(purge, Purge::Receive | Purge::Both) {
            self.received.clear();
        }
        self.request(Command::PurgeData(purge))
    }

    /// A barrier, the remote port's flush: its [`PortEvent::Answer`] comes
    /// once the server has processed everything written before it.
    pub fn barrier(&mut self) -> Result<RequestId, Error> {
        self.usable()?;
        let session = self.session.barrier(self.session_time(Instant::now()))?;
        let id = self.next_id();
        self.awaited.push(Awaited {
            session,
            id,
            request: Command::SetBaudRate(0),
        });
        self.transmit();
        Ok(id)
    }

    /// Asks the server for the modem lines; they come as
    /// [`PortEvent::ModemState`] (if the server answers polls).
    pub fn query_modem_state(&mut self) -> Result<(), Error> {
        self.usable()?;
        self.session.query_modem_state()?;
        self.transmit();
        Ok(())
    }

    /// Asks the server for the line state; it comes as
    /// [`PortEvent::LineState`] (if the server answers polls).
    pub fn query_line_state(&mut self) -> Result<(), Error> {
        self.usable()?;
        self.session.query_line_state()?;
        self.transmit();
        Ok(())
    }

    // ----- D. outputs -------------------------------------------------------

    /// The next event, oldest first.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<PortEvent> {
        let event = self.events.pop_front()?;
        if self.events.len() + 1 == EVENT_CAPACITY {
            self.drive(true); // reading had stopped for want of room
        }
        Some(event)
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    /// With many ports, poll for at most the earliest of theirs.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed.is_some() {
            return None;
        }
        let session = self
            .session
            .poll_timeout()
            .map(|deadline| self.epoch + Duration::from_micros(deadline.as_micros()));
        match (session, self.modem_poll_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ----- internals ----------------------------------------------------------

    /// Queues a request in the session (not yet transmitted).
    fn queue(&mut self, command: Command) -> Result<RequestId, Error> {
        self.usable()?;
        debug!("{}: request {command}", self.name);
        let now = self.session_time(Instant::now());
        let queued = self.session.request(now, command)?;
        let id = self.next_id();
        match queued {
            Some(session) => self.awaited.push(Awaited {
                session,
                id,
                request: command,
            }),
            // Not awaited: done once sent.
            None => self.events.push_back(PortEvent::Answer {
                id,
                result: Ok(command),
            }),
        }
        Ok(id)
    }

    /// The id for the caller's next request.
    fn next_id(&mut self) -> RequestId {
        let id = RequestId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        id
    }

    fn usable(&self) -> Result<(), Error> {
        match &self.closed {
            Some(reason) => Err(Error::Closed(reason.clone())),
            None => Ok(()),
        }
    }

    /// The session's clock at `now`.
    fn session_time(&self, now: Instant) -> proto::Instant {
        let micros = now.saturating_duration_since(self.epoch).as_micros();
        proto::Instant::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
    }

    /// When the modem lines are next asked for: `poll_modem`'s maximum age
    /// after the later of the last report and the last question.
    fn modem_poll_due(&self) -> Option<Instant> {
        let max_age = self.modem_max_age.filter(|_| self.is_open())?;
        let reported = self.state.modem.map(|(_, at)| at);
        let last = reported.max(self.modem_asked)?;
        Some(last + max_age)
    }
}

/// A caller's request whose answer the session awaits.
struct Awaited {
    /// The session's id for it.
    session: RequestId,
    /// The id the caller was given.
    id: RequestId,
    request: Command,
}

impl std::fmt::Debug for RemotePort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemotePort")
            .field("name", &self.name)
            .field("open", &self.is_open())
            .field("closed", &self.closed)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Read for RemotePort {
    /// Reads received data; `WouldBlock` when there is none yet, `Ok(0)`
    /// once the connection has ended and everything was read.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.received.is_empty() {
            return match self.closed {
                Some(_) => Ok(0),
                None => Err(io::ErrorKind::WouldBlock.into()),
            };
        }
        let was_full = self.received.len() >= RECEIVE_CAPACITY || !self.held.is_empty();
        let n = buf.len().min(self.received.len());
        for (slot, byte) in buf.iter_mut().zip(self.received.drain(..n)) {
            *slot = byte;
        }
        if was_full {
            self.drive(true); // reading had stopped for want of room
        }
        Ok(n)
    }
}

impl Write for RemotePort {
    /// Takes data (0xFF and all) once the port is open. `WouldBlock` while
    /// it cannot: opening, suspended by the server (FLOWCONTROL-SUSPEND),
    /// or too much waiting for the socket. Try again after the port's next
    /// event.
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        self.flush_outbound();
        self.usable()?;
        let blocked = !self.is_open()
            || !self.session.is_ready_for_data()
            || self.outbound.len() >= OUTBOUND_CAPACITY;
        if blocked {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let mut out = [0u8; TRANSMIT_QUEUE_CAPACITY + 2 * WRITE_CHUNK];
        let chunk = &data[..data.len().min(WRITE_CHUNK)];
        let encoded = self.session.encode_data(chunk, &mut out);
        self.send(&out[..encoded.written]);
        match encoded.consumed {
            0 => Err(io::ErrorKind::WouldBlock.into()),
            n => Ok(n),
        }
    }

    /// Hands what waits to the socket; `WouldBlock` if it cannot take it
    /// all now. (It does not wait for the server: that is
    /// [`barrier`](RemotePort::barrier).)
    fn flush(&mut self) -> io::Result<()> {
        self.usable()?;
        self.transmit();
        if self.outbound.is_empty() {
            Ok(())
        } else {
            Err(io::ErrorKind::WouldBlock.into())
        }
    }
}
