//! The server: one serial device shared with TCP clients, one at a time.
//!
//! The accept loop runs on the caller's thread ([`Server::run`]) or its own
//! ([`Server::spawn`]). Each client gets two threads around one
//! `rfc2217_proto::Session`: one reads the socket, writes the data to the
//! device and carries out the requests; the other reads the device, polls
//! its modem lines and sends to the client. All protocol logic is the
//! session's; this module only moves bytes and waits.
//!
//! Flow control works both ways. When the client suspends us
//! (FLOWCONTROL-SUSPEND), device data is held (up to 64 KiB, then the
//! device is not read, so its own buffer and flow control take over) and
//! sent on resume, nothing dropped. When the device stops taking data for
//! 50 ms, the client is suspended until it does. Meanwhile the client's
//! later commands wait behind its data, in TCP order, as with other
//! servers: the server does not read past data the device has not taken.
//!
//! When a client leaves (or is closed), the device's buffers are purged,
//! its defaults restored and DTR and RTS dropped; the device stays open for
//! the next client. A device that fails is closed with its client and
//! opened again for the next one; if that fails, clients are told
//! `device unavailable: ...` and closed, and the server keeps accepting.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use rfc2217_blocking::{Server, ServerConfig};
//!
//! let device: rfc2217_blocking::DeviceSpec = "loop://".parse()?;
//! let config = ServerConfig::new(device).with_modem_poll_interval(Duration::from_millis(20));
//! let server = Server::bind("127.0.0.1:2217", config)?;
//! println!("serving loop:// on {}", server.local_addr()?);
//! server.run()?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod config;
mod connection;
mod inbound;
mod link;
mod outbound;

pub use config::{SecondClient, ServerConfig};

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use log::{info, warn};

use crate::device::Device;
use connection::Connection;

/// The line a second client gets under [`SecondClient::Refuse`].
pub const BUSY_MESSAGE: &str = "port busy: another client is connected\r\n";

/// How long a newcomer waits for a client that is just leaving before it is
/// refused: the old connection may have ended a moment ago without the
/// server having noticed yet (its threads notice within one poll interval).
const BUSY_GRACE: Duration = Duration::from_millis(500);

/// How long a refused client is given to read the message and close.
const REFUSAL_LINGER: Duration = Duration::from_secs(2);

/// An RFC 2217 access server for one device. See the module docs.
pub struct Server {
    listener: TcpListener,
    state: Arc<ServerState>,
}

/// What the accept loop and the connections share.
pub(crate) struct ServerState {
    pub(crate) config: ServerConfig,
    /// The open device while no client has it; `None` if it must be
    /// (re)opened.
    device: Mutex<Option<Box<dyn Device>>>,
    shutdown: AtomicBool,
    local_addr: SocketAddr,
}

impl ServerState {
    /// The device for a new client: the one kept from the last client, or
    /// a freshly opened one with the defaults applied.
    fn take_device(&self) -> io::Result<Box<dyn Device>> {
        if let Some(device) = self.lock_device().take() {
            return Ok(device);
        }
        let mut device = self.config.device.open()?;
        device.restore(&self.config.defaults)?;
        info!("opened {}", device.name());
        Ok(device)
    }

    /// Keeps a device (restored after its client) for the next client.
    pub(crate) fn give_back(&self, device: Option<Box<dyn Device>>) {
        *self.lock_device() = device;
    }

    fn lock_device(&self) -> std::sync::MutexGuard<'_, Option<Box<dyn Device>>> {
        self.device.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Server {
    /// Listens on `addr` (port 0 picks a free port) for clients of the
    /// device `config` names. The device is opened now if it can be, to
    /// report a bad device early; if it cannot, a warning is logged and it
    /// is opened again when a client connects.
    pub fn bind(addr: impl ToSocketAddrs, config: ServerConfig) -> io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        let local_addr = listener.local_addr()?;
        let state = Arc::new(ServerState {
            config,
            device: Mutex::new(None),
            shutdown: AtomicBool::new(false),
            local_addr,
        });
        match state.take_device() {
            Ok(device) => state.give_back(Some(device)),
            Err(error) => warn!(
                "cannot open {} yet ({error}); trying again when a client connects",
                state.config.device.describe()
            ),
        }
        info!("serving {} on {local_addr}", state.config.device.describe());
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
        let mut active: Option<Connection> = None;
        for stream in self.listener.incoming() {
            if self.state.shutdown.load(Ordering::Acquire) {
                break;
            }
            match stream {
                Ok(stream) => self.accept(stream, &mut active),
                Err(error) => {
                    // E.g. out of file descriptors: wait a little rather
                    // than spin on an error that will come back at once.
                    warn!("accepting a connection failed: {error}");
                    thread::sleep(Duration::from_millis(100));
                }
            }
        }
        if let Some(connection) = active.take() {
            connection.stop("the server is shutting down".to_owned());
        }
        info!("stopped serving on {}", self.state.local_addr);
        Ok(())
    }

    /// Runs the server on a thread of its own.
    pub fn spawn(self) -> io::Result<RunningServer> {
        let handle = self.handle();
        let local_addr = self.state.local_addr;
        let thread = thread::Builder::new()
            .name(format!("rfc2217 server {local_addr}"))
            .spawn(move || self.run())?;
        Ok(RunningServer {
            handle,
            local_addr,
            thread: Some(thread),
        })
    }

    fn accept(&self, stream: TcpStream, active: &mut Option<Connection>) {
        let Ok(peer) = stream.peer_addr() else {
            return; // gone already
        };
        if let Err(error) = stream.set_nodelay(true) {
            warn!("{peer}: cannot set TCP_NODELAY: {error}");
        }
        if let Some(mut old) = active.take() {
            match self.state.config.second_client {
                _ if old.wait(Duration::ZERO) => old.join(),
                SecondClient::Refuse if !old.wait(BUSY_GRACE) => {
                    info!("{peer} refused: {} has the port", old.peer);
                    *active = Some(old);
                    refuse(stream, peer, BUSY_MESSAGE.to_owned());
                    return;
                }
                SecondClient::Refuse => old.join(),
                SecondClient::KickOld => {
                    info!("{peer} takes the port over from {}", old.peer);
                    old.stop(format!("{peer} took the port over"));
                }
            }
        }
        let device = match self.state.take_device() {
            Ok(device) => device,
            Err(error) => {
                warn!(
                    "{peer} refused: cannot open {}: {error}",
                    self.state.config.device.describe()
                );
                refuse(stream, peer, format!("device unavailable: {error}\r\n"));
                return;
            }
        };
        match Connection::start(stream, peer, device, Arc::clone(&self.state)) {
            Ok(connection) => *active = Some(connection),
            Err(error) => warn!("{peer}: cannot start serving: {error}"),
        }
    }
}

/// Tells a client why it is not served, then closes its connection. On a
/// thread of its own: the client is given time to read the line, and the
/// input it sent meanwhile is read and dropped, so closing does not reset
/// the connection and lose the line.
fn refuse(mut stream: TcpStream, peer: SocketAddr, message: String) {
    let linger = move || {
        let _ = stream.set_write_timeout(Some(REFUSAL_LINGER));
        let _ = stream.write_all(message.as_bytes());
        let _ = stream.shutdown(Shutdown::Write);
        let _ = stream.set_read_timeout(Some(REFUSAL_LINGER));
        let mut sink = [0u8; 1024];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    };
    if let Err(error) = thread::Builder::new()
        .name(format!("rfc2217 refuse {peer}"))
        .spawn(linger)
    {
        warn!("{peer}: cannot start the refusal: {error}");
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
    thread: Option<JoinHandle<io::Result<()>>>,
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
    pub fn shutdown(mut self) -> io::Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> io::Result<()> {
        self.handle.shutdown();
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the server thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
