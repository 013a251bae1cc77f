//! `RemotePort`: a serial port on an RFC 2217 server, driven by the
//! caller's `mio` loop.

mod drive;

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::time::Instant;

use mio::event::Event;
use mio::{Interest, Registry, Token};
use rfc2217_client::{ClientCore, Error, OpenOptions, PortEvent, PortState};
use rfc2217_proto::{
    Command, ModemState, Purge, RequestId, Side, TelnetOption, TRANSMIT_QUEUE_CAPACITY,
};

use super::socket::Socket;
use super::OpenOptionsExt;

/// Received data held for the caller; when it is full the port stops
/// reading the socket, and TCP flow control slows the server down.
const RECEIVE_CAPACITY: usize = 64 * 1024;
/// Encoded bytes waiting for the socket; when it is full, writes return
/// `WouldBlock`, and the session keeps its commands (and, once its queue
/// is full, stops taking the server's input that needs answers) until the
/// socket drains.
const OUTBOUND_CAPACITY: usize = 64 * 1024;
/// Data one `write` call encodes at most.
const WRITE_CHUNK: usize = 8 * 1024;

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
    /// Everything but the I/O.
    core: ClientCore,
    socket: Socket,
    /// Bytes read from the socket that the core has not taken yet (it
    /// stops while the caller's buffers are full).
    held: Vec<u8>,
    outbound: VecDeque<u8>,
}

impl RemotePort {
    /// Starts opening `url` (`rfc2217://host:port[?options]`) with default
    /// settings; see [`OpenOptionsExt::connect`].
    pub fn connect(url: &str) -> Result<Self, Error> {
        OpenOptions::from_url(url)?.connect()
    }

    pub(super) fn start(options: &OpenOptions) -> Result<Self, Error> {
        let core = ClientCore::new(options, Instant::now(), RECEIVE_CAPACITY)?;
        let socket = Socket::connect(options.address())?;
        let mut port = RemotePort {
            core,
            socket,
            held: Vec::new(),
            outbound: VecDeque::new(),
        };
        port.transmit();
        Ok(port)
    }

    // ----- A. getters ---------------------------------------------------

    /// The URL or address the port was opened with.
    pub fn name(&self) -> &str {
        self.core.name()
    }

    /// [`PortEvent::Opened`] was reported and the connection is up.
    pub fn is_open(&self) -> bool {
        self.core.is_open()
    }

    /// The connection ended ([`PortEvent::Closed`] was queued).
    pub fn is_closed(&self) -> bool {
        self.core.closed().is_some()
    }

    /// What the server last reported of the port: the settings in use, the
    /// control lines, the modem and line state.
    pub fn state(&self) -> &PortState {
        self.core.state()
    }

    /// The modem lines the server last reported, if it has.
    pub fn modem_state(&self) -> Option<ModemState> {
        self.state().modem.map(|(lines, _)| lines)
    }

    /// The server's signature, once it has sent one.
    pub fn server_signature(&self) -> Option<&[u8]> {
        Some(self.state().signature.as_ref()?.as_bytes())
    }

    /// Whether a side of a Telnet option was agreed with the server.
    pub fn is_option_enabled(&self, option: TelnetOption, side: Side) -> bool {
        self.core.is_option_enabled(option, side)
    }

    /// The server has suspended our sending (FLOWCONTROL-SUSPEND).
    pub fn is_suspended_by_server(&self) -> bool {
        self.core.is_suspended_by_server()
    }

    /// Bytes received and not yet read.
    pub fn bytes_to_read(&self) -> usize {
        self.core.bytes_to_read()
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
        if self.socket.is_connecting() {
            return Some(Interest::WRITABLE);
        }
        let readable = self.wants_read().then_some(Interest::READABLE);
        let writable =
            (self.socket.is_connected() && !self.outbound.is_empty()).then_some(Interest::WRITABLE);
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
        self.socket.register(registry, token, wanted)
    }

    /// Brings the registration up to date with [`interest`](Self::interest).
    /// Call it after every call on the port; it costs nothing when the
    /// interest did not change.
    pub fn reregister(&mut self, registry: &Registry) -> io::Result<()> {
        let wanted = self.interest();
        self.socket.sync(registry, wanted)
    }

    /// Takes the port out of `registry` (before dropping it, or to stop
    /// driving it).
    pub fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        self.socket.deregister(registry)
    }

    // ----- B. inputs --------------------------------------------------------

    /// Handles a `mio` event with the port's token: completes the connect,
    /// sends what waits, reads and decodes what arrived.
    pub fn handle_event(&mut self, event: &Event) {
        if self.socket.is_connecting() {
            match self.socket.poll_connect() {
                Ok(true) => {}
                Ok(false) => return,
                Err(error) => {
                    self.core.fail(error);
                    return self.transmit();
                }
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
        // The negotiation timer bounds the connect too: while connecting,
        // its end is the connect's failure.
        let due = self.core.poll_timeout().is_some_and(|due| due <= now);
        if due && self.socket.is_connecting() {
            let error = self.socket.timed_out(self.core.answer_timeout());
            self.core.fail(error);
        }
        self.core.handle_timeout(now);
        self.transmit();
    }

    // ----- C. commands ------------------------------------------------------

    /// Sends a request (any setting, control or query; the values are the
    /// core's [`Command`]s, and `rfc2217_client` maps the `serialport`
    /// crate's types to them). Requests are pipelined. Its
    /// [`PortEvent::Answer`] carries the value the server says is in use.
    pub fn request(&mut self, command: Command) -> Result<RequestId, Error> {
        let id = self.core.request(Instant::now(), command);
        self.transmit();
        id
    }

    /// Sets DTR and RTS together: both changes leave in one TCP segment
    /// (boards that reset through DTR/RTS need them close together). On
    /// `Err` the DTR change may have been queued (when only the second
    /// request found the queue full); its answer comes as any other.
    pub fn set_dtr_rts(&mut self, dtr: bool, rts: bool) -> Result<[RequestId; 2], Error> {
        let ids = self.core.set_dtr_rts(Instant::now(), dtr, rts);
        self.transmit();
        ids
    }

    /// Empties the server's buffers (and, for receive, ours).
    pub fn purge(&mut self, purge: Purge) -> Result<RequestId, Error> {
        let id = self.core.purge(Instant::now(), purge);
        self.drive(true); // reading may have stopped for want of room
        id
    }

    /// A barrier, the remote port's flush: its [`PortEvent::Answer`] comes
    /// once the server has processed everything written before it.
    pub fn barrier(&mut self) -> Result<RequestId, Error> {
        let id = self.core.barrier(Instant::now());
        self.transmit();
        id
    }

    /// Asks the server for the modem lines; they come as
    /// [`PortEvent::ModemState`] (if the server answers polls).
    pub fn query_modem_state(&mut self) -> Result<(), Error> {
        self.core.query_modem_state(Instant::now())?;
        self.transmit();
        Ok(())
    }

    /// Asks the server for the line state; it comes as
    /// [`PortEvent::LineState`] (if the server answers polls).
    pub fn query_line_state(&mut self) -> Result<(), Error> {
        self.core.query_line_state()?;
        self.transmit();
        Ok(())
    }

    // ----- D. outputs -------------------------------------------------------

    /// The next event, oldest first.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<PortEvent> {
        let had_room = self.core.has_room_for_input();
        let event = self.core.poll_event()?;
        if !had_room {
            self.drive(true); // reading had stopped for want of room
        }
        Some(event)
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    /// With many ports, poll for at most the earliest of theirs.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.core.poll_timeout()
    }

    fn usable(&self) -> Result<(), Error> {
        match self.core.closed() {
            Some(reason) => Err(Error::Closed(reason.to_owned())),
            None => Ok(()),
        }
    }
}

impl std::fmt::Debug for RemotePort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemotePort")
            .field("core", &self.core)
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
        if self.core.bytes_to_read() == 0 {
            return match self.core.closed() {
                Some(_) => Ok(0),
                None => Err(io::ErrorKind::WouldBlock.into()),
            };
        }
        let was_full = !self.core.has_room_for_input() || !self.held.is_empty();
        let n = self.core.read(buf);
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
        if !self.core.is_ready_for_data() || self.outbound.len() >= OUTBOUND_CAPACITY {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let mut out = [0u8; TRANSMIT_QUEUE_CAPACITY + 2 * WRITE_CHUNK];
        let chunk = &data[..data.len().min(WRITE_CHUNK)];
        let encoded = self.core.encode_data(chunk, &mut out);
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
