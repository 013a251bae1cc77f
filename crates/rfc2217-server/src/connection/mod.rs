//! One client: its session, the bytes waiting between stages, and the run
//! loop of the core's crate docs, driven by whoever owns the socket.
//!
//! Bytes move through four stages, each of which may refuse them:
//!
//! ```text
//! socket --input--> session --data--> device        (inbound)
//! device --read--> session --wire--> socket         (outbound)
//! ```
//!
//! The driver owns the socket: it hands over what it read
//! ([`Connection::handle_input`], while [`Connection::wants_input`]) and
//! writes what [`Connection::transmit`] holds. The calls may come in any
//! order: bytes still leave each stage in the order they entered it. A stage that refused
//! bytes keeps them in a [`Buffer`], and nothing is fed to it until they
//! are gone: a device that stops taking data stops the socket from being
//! read (and after [`WRITE_STALL`] the client is suspended); a client that
//! stops reading stops the device from being read; a client that suspended
//! us keeps up to [`HOLD_LIMIT`] of device data waiting. So each
//! connection holds at most a few chunks, whatever its peers do.
//!
//! The stages are in [`inbound`] and [`outbound`], what happens on
//! deadlines in [`due`], the log of the client's events in [`events`].

mod due;
mod events;
mod inbound;
mod outbound;

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use log::error;
use rfc2217_device::Device;
use rfc2217_proto::{
    self as proto, Config, LineState, ModemState, Server, ServerEvent, Session,
    TRANSMIT_QUEUE_CAPACITY,
};

use crate::buffer::Buffer;
use crate::{ServerConfig, Transport};

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
pub struct Ending {
    /// For the log line "... disconnected: {reason}".
    pub reason: String,
    /// The device failed: it is not given to the next client but opened
    /// again.
    pub device_failed: bool,
}

impl Ending {
    /// An ending for `reason` that leaves the device usable.
    pub fn new(reason: impl Into<String>) -> Ending {
        Ending {
            reason: reason.into(),
            device_failed: false,
        }
    }

    /// The device hung up (a pty whose far end closed, a serial adapter
    /// unplugged) or reported an error while the driver waited on it: the
    /// connection ends and the device is opened again for the next client.
    pub fn device_hung_up() -> Ending {
        Ending {
            reason: "device error: the device hung up".to_owned(),
            device_failed: true,
        }
    }
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Ending {}

/// What a [`Connection::pump`] left behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pumped {
    /// Everything that could move moved; wait for the socket, the device
    /// or [`Connection::poll_timeout`].
    Idle,
    /// The budget ran out with more to do: pump again soon, after the
    /// driver's other connections had a turn.
    Busy,
}

/// Buffers a driver lends its connections: bytes pass through them on the
/// way from one stage to the next, and only what the next stage refuses is
/// copied into a connection's own queues. One per thread is enough.
pub struct Scratch {
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

/// One client being served: inputs (socket bytes, time) in; device calls,
/// socket bytes and deadlines out.
pub struct Connection {
    peer: SocketAddr,
    session: Session<Server>,
    /// The session's clock starts with the connection.
    epoch: Instant,
    /// Wire bytes received and not yet taken by the session (it stopped
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
    /// Wire bytes for the socket, until the driver wrote them.
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
}

impl Connection {
    /// A connection for the client at `peer`, answering SIGNATURE with
    /// `signature` (see [`ServerConfig::signature_for`]). Its opening
    /// negotiation is ready to [`transmit`](Self::transmit) after the first
    /// [`pump`](Self::pump).
    pub fn new(
        config: &ServerConfig,
        signature: &[u8],
        peer: SocketAddr,
        now: Instant,
    ) -> Connection {
        let session_config = Config::server()
            .with_signature(signature)
            .unwrap_or_else(|_| Config::server());
        Connection {
            peer,
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
        }
    }

    /// The client's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Whether the driver may read the socket and hand the bytes to
    /// [`handle_input`](Self::handle_input): not while earlier input waits
    /// for the device or a break, nor while answers pile up unsent.
    pub fn wants_input(&self) -> bool {
        self.may_decode() && self.wire_in.is_empty() && self.wire_out.len() < OUT_LIMIT
    }

    /// Whether the device's data would be read now; a driver that waits on
    /// the device's descriptor level-triggered waits for reading only then.
    pub fn wants_device_input(&self) -> bool {
        self.wire_out.len() < OUT_LIMIT && self.from_device.len() < HOLD_LIMIT
    }

    /// Whether data waits for the device to take it; a driver that waits on
    /// the device's descriptor waits for writing only then.
    pub fn wants_device_output(&self) -> bool {
        !self.to_device.is_empty()
    }

    /// Wire bytes for the socket. Write what it takes, then call
    /// [`transmitted`](Self::transmitted).
    pub fn transmit(&self) -> &[u8] {
        self.wire_out.as_slice()
    }

    /// The socket took the first `n` bytes of [`transmit`](Self::transmit)
    /// (all of them if `n` is more).
    pub fn transmitted(&mut self, n: usize) {
        self.wire_out.consume(n);
    }

    /// Memory held by the connection's queues (not the fixed-size session).
    pub fn buffered(&self) -> usize {
        self.wire_in.capacity()
            + self.to_device.capacity()
            + self.from_device.capacity()
            + self.wire_out.capacity()
            + self.events.capacity() * std::mem::size_of::<ServerEvent>()
    }

    /// When the connection next has something to do without new input:
    /// pump it then.
    pub fn poll_timeout(&self) -> Option<Instant> {
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

    /// Takes `input` the driver read from the socket; what the session
    /// cannot take yet is kept. Input comes out in the order it came in:
    /// while earlier input is held, new input queues behind it. A driver
    /// that reads only while [`wants_input`](Self::wants_input) keeps the
    /// connection's memory bounded. Pump afterwards. `Err` ends the
    /// connection.
    pub fn handle_input(
        &mut self,
        now: Instant,
        input: &[u8],
        device: &mut dyn Device,
        scratch: &mut Scratch,
    ) -> Result<(), Ending> {
        self.last_input = now;
        if !self.wire_in.is_empty() {
            // The next pump decodes it after what is held.
            self.wire_in.extend(input);
            return Ok(());
        }
        let taken = self.decode(now, input, &mut scratch.data, device)?;
        self.wire_in.extend(&input[taken..]);
        Ok(())
    }

    /// Does everything that is due and moves every byte that can move
    /// between the session, the device and [`transmit`](Self::transmit),
    /// up to a budget (256 KiB); returns what it moved and whether there is
    /// more. `Err` ends the connection.
    pub fn pump(
        &mut self,
        now: Instant,
        device: &mut dyn Device,
        scratch: &mut Scratch,
    ) -> Result<(usize, Pumped), Ending> {
        self.run_timers(now, device)?;
        let mut total = 0;
        let pumped = loop {
            let moved = self.inbound(now, device, scratch)? + self.outbound(device, scratch)?;
            if moved == 0 {
                break Pumped::Idle;
            }
            total += moved;
            if total >= BUDGET {
                break Pumped::Busy;
            }
        };
        self.track_stall(now);
        Ok((total, pumped))
    }

    /// The driver's whole turn: pumps, sends, receives, until nothing moves
    /// or the budget ran out ([`Pumped::Busy`]: drive it again soon). Deadlines
    /// are handled first, so input that waited for a break's end is read
    /// in the same turn. `Err` ends the connection.
    pub fn drive(
        &mut self,
        now: Instant,
        transport: &mut dyn Transport,
        device: &mut dyn Device,
        scratch: &mut Scratch,
    ) -> Result<Pumped, Ending> {
        loop {
            let (mut moved, pumped) = self.pump(now, device, scratch)?;
            let sent = transport.send(self.transmit())?;
            self.transmitted(sent);
            moved += sent;
            if pumped == Pumped::Busy {
                return Ok(Pumped::Busy);
            }
            if self.wants_input() {
                let mut wire = std::mem::take(&mut scratch.wire);
                let received = transport.receive(&mut wire);
                let result = match received {
                    Ok(n) if n > 0 => self
                        .handle_input(now, &wire[..n], device, scratch)
                        .map(|()| n),
                    other => other,
                };
                scratch.wire = wire;
                moved += result?;
            }
            if moved == 0 {
                return Ok(Pumped::Idle);
            }
        }
    }

    fn session_now(&self, now: Instant) -> proto::Instant {
        let micros = now.saturating_duration_since(self.epoch).as_micros();
        proto::Instant::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
    }

    /// Queues a command (an answer, SUSPEND, RESUME); if the session's queue
    /// is full, moves what is queued out and tries again.
    fn command(&mut self, queue: impl Fn(&mut Session<Server>) -> Result<(), proto::Error>) {
        if let Err(proto::Error::TransmitQueueFull) = queue(&mut self.session) {
            self.drain_session();
            if let Err(refused) = queue(&mut self.session) {
                error!("{}: the session refused a command: {refused}", self.peer);
            }
        }
        self.drain_session();
    }

    /// Moves what the session has queued to the socket's queue.
    fn drain_session(&mut self) {
        let mut out = [0u8; TRANSMIT_QUEUE_CAPACITY];
        loop {
            let n = self.session.poll_transmit(&mut out);
            if n == 0 {
                return;
            }
            self.wire_out.extend(&out[..n]);
        }
    }

    fn device_error(&self, device: &dyn Device, doing: &str, error: &io::Error) -> Ending {
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

#[cfg(test)]
mod tests;
