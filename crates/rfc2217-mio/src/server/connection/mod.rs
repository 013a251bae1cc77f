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
//! to [`HOLD_LIMIT`] of device data waiting. So each connection holds at
//! most a few chunks, whatever its peers do.
//!
//! The stages are in [`inbound`] and [`outbound`], what happens on
//! deadlines in [`due`].

mod due;
mod inbound;
mod outbound;

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use log::error;
use mio::net::TcpStream;
use rfc2217_proto::{
    self as proto, Config, LineState, ModemState, Server, ServerEvent, Session,
    TRANSMIT_QUEUE_CAPACITY,
};

use super::buffer::Buffer;
use super::config::PortConfig;
use super::device::PortDevice;
use super::socket::Socket;

/// Bytes read from the socket or the device at once.
const CHUNK: usize = 16 * 1024;

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
    data: Box<[u8; CHUNK]>,
    device: Vec<u8>,
    out: Vec<u8>,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            wire: vec![0; CHUNK],
            data: Box::new([0; CHUNK]),
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
    session: Session<Server>,
    /// The session's clock starts with the connection.
    epoch: Instant,
    /// Wire bytes read and not yet taken by the session (it stopped
    /// because the device refused data, or a break began).
    wire_in: Buffer,
    /// Data for the device that it has not taken yet.
    to_device: Buffer,
    /// Events that came after `to_device`'s data: a request is carried out
    /// (and answered) only once the data before it reached the device. The
    /// session reads no further input until it is answered.
    events: VecDeque<ServerEvent>,
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
            + self.events.capacity() * std::mem::size_of::<ServerEvent>()
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

    /// Queues a command (an answer, SUSPEND, RESUME); if the session's queue
    /// is full, sends what is queued and tries again.
    fn command(
        &mut self,
        queue: impl Fn(&mut Session<Server>) -> Result<(), proto::Error>,
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
