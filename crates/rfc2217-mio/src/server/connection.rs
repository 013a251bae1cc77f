//! One client: its session, the bytes waiting between stages, and the run
//! loop of the core's crate docs driven by readiness instead of threads.
//!
//! Bytes move through four stages, each of which may refuse them:
//!
//! ```text
//! socket --read--> session --data--> device        (inbound)
//! device --read--> session --wire--> socket        (outbound)
//! ```
//!
//! A stage that refused bytes keeps them in a [`Buffer`], and nothing is
//! fed to it until they are gone: a device that stops taking data stops
//! the socket from being read (and after [`WRITE_STALL`] the client is
//! suspended, as the blocking server does); a client that stops reading
//! stops the device from being read; a client that suspended us keeps up
//! to [`HOLD_LIMIT`] of device data waiting. So each connection holds at most a few
//! chunks, whatever its peers do.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use log::{debug, error, info};
use mio::net::TcpStream;
use rfc2217_proto::{
    self as proto, Command, Config, Event, LineState, ModemState, Purge, Session, TelnetCommand,
    TRANSMIT_QUEUE_CAPACITY,
};

use super::buffer::Buffer;
use super::config::PortConfig;
use super::device::PortDevice;
use super::socket::Socket;

/// Bytes read from the socket or the device at once.
pub(crate) const CHUNK: usize = 16 * 1024;

/// Wire bytes waiting for the socket above which the client's input is not
/// read: a client that sends requests but does not read the answers is
/// not answered without bound.
const OUT_LIMIT: usize = CHUNK;

/// How long the device may refuse data before the client is asked to stop
/// sending (FLOWCONTROL-SUSPEND); it is resumed once the device takes the
/// data. Until then only TCP holds the client back.
const WRITE_STALL: Duration = Duration::from_millis(50);

/// How long a client's BRK holds the line in break.
const BREAK_DURATION: Duration = Duration::from_millis(250);

/// Device data held while the session takes none (the client suspended
/// us, or BINARY is being negotiated); beyond it the device is not read,
/// and its own buffer and flow control hold the rest.
const HOLD_LIMIT: usize = 64 * 1024;

/// Bytes (and events) one [`Connection::pump`], or one stage of it, moves
/// before it lets the other connections have a turn.
const BUDGET: usize = 256 * 1024;

/// Why a connection ends.
#[derive(Debug)]
pub(crate) struct Ending {
    pub(crate) reason: String,
    /// The device failed: it is not given to the next client but opened
    /// again.
    pub(crate) device_failed: bool,
}

impl Ending {
    pub(crate) fn new(reason: impl Into<String>) -> Ending {
        Ending {
            reason: reason.into(),
            device_failed: false,
        }
    }
}

/// What a [`Connection::pump`] left behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pumped {
    /// Everything that could move moved; wait for an event or a deadline.
    Idle,
    /// The budget ran out with more to do: pump again soon.
    Busy,
}

/// Buffers shared by all connections: bytes pass through them on the way
/// from one stage to the next, and only what the next stage refuses is
/// copied into a connection's own [`Buffer`].
pub(crate) struct Scratch {
    wire: Vec<u8>,
    data: Vec<u8>,
    device: Vec<u8>,
    out: Vec<u8>,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            wire: vec![0; CHUNK],
            data: vec![0; CHUNK],
            device: vec![0; CHUNK],
            // Escaping at most doubles the data; queued commands come first.
            out: vec![0; 2 * CHUNK + TRANSMIT_QUEUE_CAPACITY],
        }
    }
}

/// One client being served.
pub(crate) struct Connection {
    pub(crate) port: usize,
    pub(crate) peer: SocketAddr,
    socket: Socket,
    session: Session,
    /// The session's clock starts with the connection.
    epoch: Instant,
    /// Wire bytes read and not yet taken by the session (it stopped
    /// because the device refused data, or a break began).
    wire_in: Buffer,
    /// Data for the device that it has not taken yet.
    to_device: Buffer,
    /// Events that came after `to_device`'s data: a request is carried out
    /// only once the data before it reached the device.
    events: VecDeque<Event>,
    /// Device data the session did not take yet (the client suspended us,
    /// or BINARY is being negotiated).
    from_device: Buffer,
    /// Wire bytes the socket did not take yet.
    wire_out: Buffer,
    /// While a BRK's break is on: data and requests wait until then.
    break_until: Option<Instant>,
    /// Since when the device has refused data.
    stalled_since: Option<Instant>,
    /// We asked the client to stop sending (the device stalled).
    suspended_client: bool,
    next_modem_poll: Instant,
    modem_poll_interval: Duration,
    /// The last readings given to the session.
    modem_lines: Option<ModemState>,
    line_state: LineState,
    last_input: Instant,
    idle_timeout: Option<Duration>,
    /// The deadline the server's timers will wake this connection at.
    pub(crate) timer: Option<Instant>,
    /// Waiting in the server's queue of connections to pump again.
    pub(crate) busy: bool,
    /// Bytes of memory this connection's buffers held when last counted.
    pub(crate) accounted: usize,
}

impl Connection {
    /// A connection for `stream`, on port number `port`, serving the device
    /// named `device_name`. Its opening negotiation goes out at the first
    /// [`pump`](Self::pump).
    pub(crate) fn new(
        stream: TcpStream,
        peer: SocketAddr,
        port: usize,
        config: &PortConfig,
        device_name: &str,
        now: Instant,
    ) -> Connection {
        let signature = config.signature_for(device_name);
        let session_config = Config::server()
            .with_signature(&signature)
            .unwrap_or_else(|_| Config::server());
        Connection {
            port,
            peer,
            socket: Socket::new(stream),
            session: Session::new(session_config, proto::Instant::ZERO),
            epoch: now,
            wire_in: Buffer::default(),
            to_device: Buffer::default(),
            events: VecDeque::new(),
            from_device: Buffer::default(),
            wire_out: Buffer::default(),
            break_until: None,
            stalled_since: None,
            suspended_client: false,
            next_modem_poll: now,
            modem_poll_interval: config.modem_poll_interval,
            modem_lines: None,
            line_state: LineState::EMPTY,
            last_input: now,
            idle_timeout: config.idle_timeout,
            timer: None,
            busy: false,
            accounted: 0,
        }
    }

    pub(crate) fn socket_mut(&mut self) -> &mut Socket {
        &mut self.socket
    }

    /// The client closed its side of the connection or reset it.
    pub(crate) fn hung_up(&self) -> bool {
        self.socket.hung_up()
    }

    /// Memory held by the connection's queues (not the fixed-size session).
    pub(crate) fn buffered(&self) -> usize {
        self.wire_in.capacity()
            + self.to_device.capacity()
            + self.from_device.capacity()
            + self.wire_out.capacity()
            + self.events.capacity() * std::mem::size_of::<Event>()
    }

    /// When the connection next has something to do without an event.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        let session = self
            .session
            .poll_timeout()
            .map(|at| self.epoch + Duration::from_micros(at.as_micros()));
        let stall = match self.stalled_since {
            Some(since) if !self.suspended_client => Some(since + WRITE_STALL),
            _ => None,
        };
        let idle = self.idle_timeout.map(|timeout| self.last_input + timeout);
        [
            Some(self.next_modem_poll),
            self.break_until,
            session,
            stall,
            idle,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Does everything that is due and moves every byte that can move, up
    /// to [`BUDGET`]. `Err` ends the connection.
    pub(crate) fn pump(
        &mut self,
        now: Instant,
        device: &mut PortDevice,
        scratch: &mut Scratch,
    ) -> Result<Pumped, Ending> {
        self.run_timers(now, device)?;
        let mut budget = BUDGET;
        let pumped = loop {
            let moved = self.inbound(now, device, scratch)? + self.outbound(device, scratch)?;
            if moved == 0 {
                break Pumped::Idle;
            }
            budget = budget.saturating_sub(moved);
            if budget == 0 {
                break Pumped::Busy;
            }
        };
        self.track_stall(now)?;
        Ok(pumped)
    }

    fn session_now(&self, now: Instant) -> proto::Instant {
        let micros = now.saturating_duration_since(self.epoch).as_micros();
        proto::Instant::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
    }

    // ----- deadlines ------------------------------------------------------------

    fn run_timers(&mut self, now: Instant, device: &mut PortDevice) -> Result<(), Ending> {
        if self.break_until.is_some_and(|end| end <= now) {
            self.break_until = None;
            device
                .set_break(false)
                .map_err(|error| self.device_error(device, "ending a break", &error))?;
        }
        if self.next_modem_poll <= now {
            self.sample(device)?;
            self.next_modem_poll = now + self.modem_poll_interval;
        }
        let session_now = self.session_now(now);
        if self
            .session
            .poll_timeout()
            .is_some_and(|at| at <= session_now)
        {
            self.session.handle_timeout(session_now);
            self.take_events(now, device)?;
        }
        if let Some(timeout) = self.idle_timeout {
            if !self.may_decode() || !self.wire_in.is_empty() {
                // Input waiting for a slow device or a break is no silence:
                // the idle clock starts once it is all taken.
                self.last_input = now;
            } else if self.last_input + timeout <= now {
                return Err(Ending::new(format!("nothing received for {timeout:?}")));
            }
        }
        self.transmit()
    }

    /// Reads the modem lines and line state into the session, which
    /// notifies the client under its masks.
    fn sample(&mut self, device: &mut PortDevice) -> Result<(), Ending> {
        let lines = device
            .modem_lines()
            .map_err(|error| self.device_error(device, "reading the modem lines", &error))?;
        let line_state = device
            .line_state()
            .map_err(|error| self.device_error(device, "reading the line state", &error))?;
        if self.modem_lines != Some(lines) && self.feed(|s| s.handle_modem_lines(lines))? {
            debug!("{}: modem lines {lines:?}", self.peer);
            self.modem_lines = Some(lines);
        }
        // A device reports conditions seen since the last reading, so each
        // non-empty reading is news.
        let news = !line_state.is_empty() || line_state != self.line_state;
        if news && self.feed(|s| s.handle_line_state(line_state))? {
            debug!("{}: line state {line_state:?}", self.peer);
            self.line_state = line_state;
        }
        Ok(())
    }

    /// Gives the session a reading; if its queue is full, sends what is
    /// queued and tries once more. False if it stays full (the client
    /// suspended us and our notifications wait): the change is then
    /// reported at a later poll.
    fn feed(
        &mut self,
        input: impl Fn(&mut Session) -> Result<(), proto::Error>,
    ) -> Result<bool, Ending> {
        if input(&mut self.session).is_ok() {
            return Ok(true);
        }
        self.transmit()?;
        Ok(input(&mut self.session).is_ok())
    }

    /// Suspends the client once the device has refused data for
    /// [`WRITE_STALL`], and resumes it when the device took it all.
    fn track_stall(&mut self, now: Instant) -> Result<(), Ending> {
        if !self.to_device.is_empty() {
            let since = *self.stalled_since.get_or_insert(now);
            if !self.suspended_client && since + WRITE_STALL <= now {
                debug!("{}: device busy, suspending the client", self.peer);
                self.suspended_client = true;
                self.command(Session::suspend_peer)?;
            }
            return Ok(());
        }
        self.stalled_since = None;
        if self.suspended_client {
            debug!("{}: device ready, resuming the client", self.peer);
            self.suspended_client = false;
            self.command(Session::resume_peer)?;
        }
        Ok(())
    }

    // ----- socket to device -------------------------------------------------------

    /// Moves client input on until a stage refuses it; returns the bytes
    /// and events moved.
    fn inbound(
        &mut self,
        now: Instant,
        device: &mut PortDevice,
        scratch: &mut Scratch,
    ) -> Result<usize, Ending> {
        let mut moved = 0;
        while moved < BUDGET {
            moved += self.drain_to_device(now, device)?;
            if !self.may_decode() || self.wire_out.len() >= OUT_LIMIT {
                return Ok(moved);
            }
            let taken = if self.wire_in.is_empty() {
                let n = self.socket.read(&mut scratch.wire)?;
                if n == 0 {
                    return Ok(moved);
                }
                self.last_input = now;
                let input = &scratch.wire[..n];
                let taken = self.decode(now, input, &mut scratch.data, device)?;
                self.wire_in.extend(&input[taken..]);
                taken
            } else {
                let held = std::mem::take(&mut self.wire_in);
                let taken = self.decode(now, held.as_slice(), &mut scratch.data, device)?;
                self.wire_in = held;
                self.wire_in.consume(taken);
                taken
            };
            if taken == 0 {
                return Ok(moved);
            }
            moved += taken;
        }
        Ok(moved)
    }

    /// Decoded data goes to the device before the events that followed it,
    /// and a break holds both.
    fn may_decode(&self) -> bool {
        self.to_device.is_empty() && self.events.is_empty() && self.break_until.is_none()
    }

    /// Gives the device what waits for it: data, then the events after it.
    fn drain_to_device(&mut self, now: Instant, device: &mut PortDevice) -> Result<usize, Ending> {
        let mut moved = 0;
        while self.break_until.is_none() {
            if !self.to_device.is_empty() {
                let n = self.write_device(device, self.to_device.as_slice())?;
                self.to_device.consume(n);
                moved += n;
                if !self.to_device.is_empty() {
                    break;
                }
            }
            let Some(event) = self.events.pop_front() else {
                break;
            };
            self.handle_event(event, now, device)?;
            moved += 1;
        }
        if moved > 0 {
            self.transmit()?;
        }
        Ok(moved)
    }

    /// Runs the core's loop over `input` while decoding may go on; returns
    /// the bytes the session took.
    fn decode(
        &mut self,
        now: Instant,
        input: &[u8],
        data: &mut [u8],
        device: &mut PortDevice,
    ) -> Result<usize, Ending> {
        let mut taken = 0;
        while taken < input.len() && self.may_decode() {
            let received = self
                .session
                .handle_input(self.session_now(now), &input[taken..], data);
            taken += received.consumed;
            let data = &data[..received.data_len];
            let n = if data.is_empty() {
                0
            } else {
                self.write_device(device, data)?
            };
            self.to_device.extend(&data[n..]);
            self.take_events(now, device)?;
            self.transmit()?;
            if received.consumed == 0 {
                break; // the session wants nothing more now
            }
        }
        Ok(taken)
    }

    /// Drains the session's events: each is handled at once, unless data
    /// or events before it still wait for the device.
    fn take_events(&mut self, now: Instant, device: &mut PortDevice) -> Result<(), Ending> {
        while let Some(event) = self.session.poll_event() {
            if self.may_decode() {
                self.handle_event(event, now, device)?;
            } else {
                self.events.push_back(event);
            }
        }
        Ok(())
    }

    fn handle_event(
        &mut self,
        event: Event,
        now: Instant,
        device: &mut PortDevice,
    ) -> Result<(), Ending> {
        let peer = self.peer;
        match event {
            Event::Request(request) => self.apply(request, now, device)?,
            Event::TelnetCommand(TelnetCommand::Break) => {
                debug!("{peer}: BRK: a break for {BREAK_DURATION:?}");
                device
                    .set_break(true)
                    .map_err(|error| self.device_error(device, "starting a break", &error))?;
                self.break_until = Some(now + BREAK_DURATION);
            }
            Event::TelnetCommand(command) => debug!("{peer}: Telnet {command:?} ignored"),
            Event::ComPortActive => debug!("{peer}: COM-PORT-OPTION agreed"),
            Event::ComPortUnavailable(why) => {
                info!("{peer}: no COM-PORT-OPTION ({why:?}); serving plain data");
            }
            Event::PeerSignature => {
                let signature = String::from_utf8_lossy(self.session.peer_signature());
                info!("{peer}: client signature {signature:?}");
            }
            Event::Suspended => debug!("{peer}: client suspended our data"),
            // The outbound stage sends what was held back.
            Event::Resumed => debug!("{peer}: client resumed our data"),
            Event::PeerViolation(violation) => debug!("{peer}: bad input: {violation:?}"),
            Event::OptionChanged {
                option,
                side,
                enabled,
            } => debug!("{peer}: {option:?} {side:?} enabled={enabled}"),
            // Client-side events; a server session does not produce them.
            Event::Reply { .. } | Event::Timeout { .. } => {}
            Event::LineState(_) | Event::ModemState(_) => {}
        }
        Ok(())
    }

    /// Carries out a request on the device and answers with the value in use.
    fn apply(
        &mut self,
        request: Command,
        now: Instant,
        device: &mut PortDevice,
    ) -> Result<(), Ending> {
        let result = match request {
            Command::PurgeData(purge) => self.purge(purge, device).map(|()| request),
            _ => device.apply(request),
        };
        let reply =
            result.map_err(|error| self.device_error(device, &format!("{request:?}"), &error))?;
        debug!("{}: {request:?} -> {reply:?}", self.peer);
        if matches!(request, Command::SetControl(_)) {
            // DTR and RTS may have moved the input lines: look at once.
            self.next_modem_poll = now;
        }
        self.command(|session| session.respond(reply))
    }

    /// Empties the device's buffers; purging its receive side also drops
    /// the device data the client was not sent yet.
    fn purge(&mut self, purge: Purge, device: &mut PortDevice) -> io::Result<()> {
        if matches!(purge, Purge::Receive | Purge::Both) {
            self.from_device.clear();
        }
        device.purge(purge)
    }

    /// Reads what the device has (nothing if `buf` is empty).
    fn read_device(&self, device: &mut PortDevice, buf: &mut [u8]) -> Result<usize, Ending> {
        if buf.is_empty() {
            return Ok(0);
        }
        device
            .read(buf)
            .map_err(|error| self.device_error(device, "reading", &error))
    }

    fn write_device(&self, device: &mut PortDevice, data: &[u8]) -> Result<usize, Ending> {
        device
            .write(data)
            .map_err(|error| self.device_error(device, "writing", &error))
    }

    // ----- device to socket -------------------------------------------------------

    /// Moves device data and queued commands to the socket until a stage
    /// refuses them; returns the device bytes moved.
    fn outbound(
        &mut self,
        device: &mut PortDevice,
        scratch: &mut Scratch,
    ) -> Result<usize, Ending> {
        let mut moved = 0;
        while moved < BUDGET {
            if !self.wire_out.is_empty() {
                let n = self.socket.write(self.wire_out.as_slice())?;
                self.wire_out.consume(n);
                if !self.wire_out.is_empty() {
                    return Ok(moved);
                }
            }
            if !self.from_device.is_empty() {
                let encoded =
                    (self.session).encode_data(self.from_device.as_slice(), &mut scratch.out);
                self.from_device.consume(encoded.consumed);
                moved += encoded.consumed;
                if encoded.written > 0 {
                    self.send(&scratch.out[..encoded.written])?;
                    continue;
                }
                // The session takes no data now: hold more, up to the limit.
                let room = HOLD_LIMIT.saturating_sub(self.from_device.len());
                let n = self.read_device(device, &mut scratch.device[..room.min(CHUNK)])?;
                if n == 0 {
                    return Ok(moved);
                }
                self.from_device.extend(&scratch.device[..n]);
                moved += n;
                continue;
            }
            let n = self.read_device(device, &mut scratch.device)?;
            let fresh = &scratch.device[..n];
            let encoded = self.session.encode_data(fresh, &mut scratch.out);
            self.from_device.extend(&fresh[encoded.consumed..]);
            moved += n;
            let written = encoded.written;
            if written == 0 {
                return Ok(moved);
            }
            self.send(&scratch.out[..written])?;
        }
        Ok(moved)
    }

    /// Queues a command (an answer, SUSPEND, RESUME); if the session's queue
    /// is full, sends what is queued and tries again.
    fn command(
        &mut self,
        queue: impl Fn(&mut Session) -> Result<(), proto::Error>,
    ) -> Result<(), Ending> {
        if let Err(proto::Error::TransmitQueueFull) = queue(&mut self.session) {
            self.transmit()?;
            if let Err(refused) = queue(&mut self.session) {
                error!("{}: the session refused a command: {refused}", self.peer);
            }
        }
        self.transmit()
    }

    /// Sends what the session has queued.
    fn transmit(&mut self) -> Result<(), Ending> {
        let mut out = [0u8; TRANSMIT_QUEUE_CAPACITY];
        loop {
            let n = self.session.poll_transmit(&mut out);
            if n == 0 {
                return Ok(());
            }
            self.send(&out[..n])?;
        }
    }

    /// Writes `bytes` after what waits for the socket; what it does not
    /// take now waits.
    fn send(&mut self, bytes: &[u8]) -> Result<(), Ending> {
        let n = if self.wire_out.is_empty() {
            self.socket.write(bytes)?
        } else {
            0
        };
        self.wire_out.extend(&bytes[n..]);
        Ok(())
    }

    fn device_error(&self, device: &PortDevice, doing: &str, error: &io::Error) -> Ending {
        error!(
            "{}: device {} failed while {doing}: {error}",
            self.peer,
            device.name()
        );
        Ending {
            reason: format!("device error while {doing}: {error}"),
            device_failed: true,
        }
    }
}
