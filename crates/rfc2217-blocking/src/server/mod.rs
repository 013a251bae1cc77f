//! The server: one serial device shared with TCP clients, one at a time,
//! each on a thread of its own.
//!
//! The accept loop runs on the caller's thread ([`Server::run`]) or its own
//! ([`Server::spawn`]). Each client's thread drives `rfc2217-server`'s
//! `Connection` (all the protocol, flow control and device handling is
//! there, written once for every server of the workspace) over a non-blocking socket, and
//! sleeps in poll(2) on the socket and the device's descriptor until one is
//! ready or the connection's next deadline. A device without a descriptor
//! (`loop://`) changes only through the connection's own calls.
//!
//! Flow control works both ways. When the client suspends us
//! (FLOWCONTROL-SUSPEND), device data is held (up to 64 KiB, then the
//! device is not read, so its own buffer and flow control take over) and
//! sent on resume, nothing dropped. When the device stops taking data for
//! 50 ms, the client is suspended until it does. Meanwhile the client's
//! later commands wait behind its data, in TCP order, as with other
//! servers: the server does not read past data the device has not taken.
//!
//! Every policy of [`ServerConfig`] applies: a second client is refused or
//! takes the device over; a client from an address the filter refuses is
//! closed at once; a silent client is closed after the idle timeout. When
//! a client leaves (or is closed), the device's buffers are purged, its
//! defaults restored and DTR and RTS dropped; the device stays open for the
//! next client. A device that fails is closed with its client and opened
//! again for the next one; if that fails, clients are told
//! `device unavailable: ...` and closed, and the server keeps accepting. A
//! client that hung up makes way for a newcomer at once.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use rfc2217_blocking::{DeviceSpec, Server, ServerConfig};
//!
//! let device: DeviceSpec = "loop://".parse()?;
//! let config = ServerConfig::new(device).with_modem_poll_interval(Duration::from_millis(20));
//! let server = Server::bind("127.0.0.1:2217", config)?;
//! println!("serving loop:// on {}", server.local_addr()?);
//! server.run()?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod connection;
mod refusal;
#[cfg(unix)]
mod wait;

/// Without poll(2) (std waits on one socket at a time), a connection's
/// thread looks at its socket and device every few milliseconds, and a
/// newcomer waits for the old connection's thread to notice its client
/// left.
#[cfg(not(unix))]
mod wait {
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    use rfc2217_server::{Connection, Ending};

    const LOOK_AGAIN: Duration = Duration::from_millis(5);

    pub(crate) fn wait(
        _: &TcpStream,
        _: Option<()>,
        _: &Connection,
        deadline: Option<Instant>,
    ) -> Result<(), Ending> {
        let left = deadline.map_or(LOOK_AGAIN, |at| {
            at.saturating_duration_since(Instant::now())
        });
        std::thread::sleep(left.min(LOOK_AGAIN));
        Ok(())
    }

    pub(crate) fn wait_refused(_: &TcpStream, _: bool, deadline: Instant) {
        let left = deadline.saturating_duration_since(Instant::now());
        std::thread::sleep(left.min(LOOK_AGAIN));
    }

    pub(crate) fn hung_up(_: &TcpStream) -> bool {
        false
    }
}

// What a served device is configured with, named from here too.
pub use rfc2217_device::{Device, DeviceOpener, DeviceSpec, Loopback, SerialDevice};
pub use rfc2217_server::{ClientFilter, SecondClient, ServerConfig, BUSY_MESSAGE};

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use log::{info, warn};
use rfc2217_server::{admit, Admission, DeviceSlot, Refusal, ServerThread};

use connection::Served;
use refusal::refuse;

/// How long to wait before accepting again after `accept` failed (e.g. out
/// of file descriptors): the error would come back at once.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// An RFC 2217 access server for one device. See the module docs.
pub struct Server {
    listener: TcpListener,
    state: Arc<ServerState>,
}

/// What the accept loop and the connection's thread share.
pub(crate) struct ServerState {
    pub(crate) config: ServerConfig,
    /// The device while no connection has it: a connection's thread takes
    /// it out for the connection and puts it back when it ends, so the lock
    /// is held only for those moves and the accept loop's opening.
    slot: Mutex<DeviceSlot>,
    shutdown: AtomicBool,
    local_addr: SocketAddr,
    /// Refused clients lingering now (see `refusal.rs`).
    refusals: Arc<AtomicUsize>,
}

impl ServerState {
    pub(crate) fn lock_slot(&self) -> MutexGuard<'_, DeviceSlot> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Server {
    /// Listens on `addr` (TCP port 0 picks a free one) for clients of the
    /// device `config` names. The device is opened now if it can be, to
    /// report a bad device early; if it cannot, a warning is logged and it
    /// is opened again when a client connects.
    pub fn bind(addr: impl ToSocketAddrs, config: ServerConfig) -> io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        let local_addr = listener.local_addr()?;
        let mut slot = DeviceSlot::default();
        // A failure is logged, and retried for the first client.
        let _ = slot.open_early(&config);
        info!("serving {} on {local_addr}", config.describe_device());
        let state = Arc::new(ServerState {
            config,
            slot: Mutex::new(slot),
            shutdown: AtomicBool::new(false),
            local_addr,
            refusals: Arc::default(),
        });
        Ok(Server { listener, state })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A handle that stops the server from another thread.
    pub fn handle(&self) -> ServerHandle {
        ServerHandle {
            state: Arc::clone(&self.state),
        }
    }

    /// Accepts and serves clients until [`ServerHandle::shutdown`]; then
    /// closes the connected client, if any, and returns. Take a
    /// [`handle`](Self::handle) first to be able to stop it.
    pub fn run(self) -> io::Result<()> {
        let mut active: Option<Served> = None;
        for stream in self.listener.incoming() {
            if self.state.shutdown.load(Ordering::Acquire) {
                break;
            }
            match stream {
                Ok(stream) => self.accept(stream, &mut active),
                Err(error) => {
                    warn!("accepting a connection failed: {error}");
                    thread::sleep(ACCEPT_RETRY);
                }
            }
        }
        if let Some(served) = active.take() {
            served.stop("the server is shutting down".to_owned());
        }
        drop(self.state.lock_slot().close());
        info!("stopped serving on {}", self.state.local_addr);
        Ok(())
    }

    /// Runs the server on a thread of its own.
    pub fn spawn(self) -> io::Result<RunningServer> {
        let handle = self.handle();
        let stopper = handle.clone();
        let local_addr = self.state.local_addr;
        let thread = thread::Builder::new()
            .name(format!("rfc2217 server {local_addr}"))
            .spawn(move || self.run())?;
        Ok(RunningServer {
            handle,
            local_addr,
            thread: ServerThread::new(thread, move || stopper.shutdown()),
        })
    }

    /// Serves a newcomer, or refuses it, as the config says.
    fn accept(&self, stream: TcpStream, active: &mut Option<Served>) {
        let Ok(peer) = stream.peer_addr() else {
            return; // gone already
        };
        if active.as_ref().is_some_and(Served::is_over) {
            if let Some(old) = active.take() {
                old.stop("the client closed the connection".to_owned());
            }
        }
        let config = &self.state.config;
        match admit(config, peer, active.as_ref().map(|served| served.peer)) {
            Admission::Serve => {}
            Admission::Drop => return,
            Admission::Refuse(refusal) => return self.refuse(stream, peer, refusal),
            Admission::KickOld { reason } => {
                if let Some(old) = active.take() {
                    old.stop(reason);
                }
            }
        }
        if let Err(error) = stream.set_nodelay(true) {
            warn!("{peer}: cannot set TCP_NODELAY: {error}");
        }
        if let Err(error) = self.state.lock_slot().open(config) {
            return self.refuse(
                stream,
                peer,
                Refusal::device_unavailable(config, peer, &error),
            );
        }
        match Served::start(stream, peer, Arc::clone(&self.state)) {
            Ok(served) => *active = Some(served),
            Err(error) => warn!("{peer}: cannot start serving: {error}"),
        }
    }

    fn refuse(&self, stream: TcpStream, peer: SocketAddr, refusal: Refusal) {
        refuse(stream, peer, refusal, &self.state.refusals);
    }
}

/// Stops a [`Server`] from another thread.
#[derive(Clone)]
pub struct ServerHandle {
    state: Arc<ServerState>,
}

impl ServerHandle {
    /// Asks the server to stop: its accept loop ends, the connected client
    /// is disconnected, and [`Server::run`] returns.
    pub fn shutdown(&self) {
        if self.state.shutdown.swap(true, Ordering::AcqRel) {
            return;
        }
        // Wake the accept loop with a connection of our own.
        let mut addr = self.state.local_addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        if let Err(error) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
            warn!("cannot wake the accept loop on {addr}: {error}; it stops at the next client");
        }
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.state.local_addr
    }
}

/// A server running on its own thread ([`Server::spawn`]); dropping it
/// shuts the server down and waits for it.
pub struct RunningServer {
    handle: ServerHandle,
    local_addr: SocketAddr,
    thread: ServerThread,
}

impl RunningServer {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle that stops the server.
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }

    /// Stops the server and waits for it to finish.
    pub fn shutdown(self) -> io::Result<()> {
        self.thread.shutdown()
    }
}
