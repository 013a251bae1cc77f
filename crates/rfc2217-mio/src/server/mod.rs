//! The server: many devices, each on its own listener, and many clients,
//! all on one thread and one `mio::Poll`. [`Server`] says how it behaves.

mod buffer;
mod config;
mod connection;
mod device;
mod event_loop;
mod port;
mod refusal;
mod slab;
mod socket;
mod stats;
mod timers;

pub use config::{ClientFilter, PortConfig};
pub use stats::ServerStats;
// The policies and devices a port is configured with are the blocking
// server's.
pub use rfc2217_blocking::{DeviceSpec, SecondClient, BUSY_MESSAGE};

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use event_loop::{EventLoop, Shared};

/// An RFC 2217 access server for any number of ports, on one thread and
/// one `mio::Poll`.
///
/// Add ports with [`add_port`](Self::add_port), then [`run`](Self::run)
/// it on the current thread or [`spawn`](Self::spawn) it on its own.
///
/// Each port ([`PortConfig`]) serves one device to one client at a time,
/// with the blocking server's policies: a second client is refused with
/// [`BUSY_MESSAGE`](rfc2217_blocking::BUSY_MESSAGE) or takes the port over
/// ([`SecondClient`](rfc2217_blocking::SecondClient)); when a client
/// leaves, the device's buffers are purged, its defaults restored and DTR
/// and RTS dropped; a device that fails is closed with its client and
/// opened again for the next one, and while it cannot be opened clients
/// are told `device unavailable: ...` and closed. A port may also close a
/// client that sent nothing for an idle timeout. A client that closed or
/// reset its connection makes way for a newcomer at once (the event says
/// so), even if its last input still waits for the device.
///
/// All protocol logic is the core's `Session`; each connection runs the
/// loop of the core's crate docs whenever its socket or device is ready.
/// `loop://` and other in-process devices are driven through the blocking
/// crate's [`Device`](rfc2217_blocking::Device) traits with zero timeouts;
/// a serial port's file descriptor is registered with the poll. Modem
/// lines are read on a timer while a client is connected; with nothing to
/// do the thread sleeps.
///
/// Memory is bounded both ways. A device that stops taking data stops the
/// client's socket from being read (TCP holds the client back) and after
/// 50 ms the client is suspended (FLOWCONTROL-SUSPEND) until the device
/// takes data again. A client that stops reading, or suspends us, stops the
/// device from being read, so its own buffer and flow control take over.
/// [`ServerStats::buffered_bytes`] counts what the connections hold.
///
/// ```
/// use rfc2217_mio::{PortConfig, Server};
///
/// let mut server = Server::new()?;
/// let first = server.add_port("127.0.0.1:0", PortConfig::loopback())?;
/// let second = server.add_port("127.0.0.1:0", PortConfig::loopback())?;
/// let running = server.spawn()?;
/// assert_eq!(running.local_addrs(), [first, second]);
/// // ... clients connect to `first` and `second` ...
/// running.shutdown()?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Server {
    event_loop: EventLoop,
}

impl Server {
    /// A server with no ports yet.
    pub fn new() -> io::Result<Server> {
        Ok(Server {
            event_loop: EventLoop::new()?,
        })
    }

    /// A server with one port: listens on `addr` for clients of the device
    /// `config` names.
    pub fn bind(addr: impl ToSocketAddrs, config: PortConfig) -> io::Result<Server> {
        let mut server = Server::new()?;
        server.add_port(addr, config)?;
        Ok(server)
    }

    /// Listens on `addr` (port 0 picks a free port) for clients of the
    /// device `config` names; returns the address bound. The device is
    /// opened now if it can be, to report a bad device early; if it
    /// cannot, a warning is logged and it is opened again when a client
    /// connects.
    pub fn add_port(
        &mut self,
        addr: impl ToSocketAddrs,
        config: PortConfig,
    ) -> io::Result<SocketAddr> {
        self.event_loop.add_port(addr, config)
    }

    /// The addresses the ports listen on, in the order they were added.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.event_loop.local_addrs()
    }

    /// A handle that stops the server and reads its counters, from any
    /// thread.
    pub fn handle(&self) -> ServerHandle {
        ServerHandle {
            shared: Arc::clone(self.event_loop.shared()),
        }
    }

    /// Serves until [`ServerHandle::shutdown`]; then closes every client,
    /// restoring its device, and returns. Take a [`handle`](Self::handle)
    /// first to be able to stop it.
    pub fn run(self) -> io::Result<()> {
        self.event_loop.run()
    }

    /// Runs the server on a thread of its own.
    pub fn spawn(self) -> io::Result<RunningServer> {
        let handle = self.handle();
        let local_addrs = self.local_addrs();
        let thread = thread::Builder::new()
            .name("rfc2217-mio server".to_owned())
            .spawn(move || self.run())?;
        Ok(RunningServer {
            handle,
            local_addrs,
            thread: Some(thread),
        })
    }
}

/// Stops a [`Server`] and reads its counters, from any thread.
#[derive(Clone)]
pub struct ServerHandle {
    shared: Arc<Shared>,
}

impl ServerHandle {
    /// Asks the server to stop: [`Server::run`] closes every client and
    /// returns.
    pub fn shutdown(&self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Err(error) = self.shared.waker.wake() {
            log::warn!("cannot wake the server to stop it: {error}");
        }
    }

    /// The server's counters now.
    pub fn stats(&self) -> ServerStats {
        self.shared.counters.snapshot()
    }
}

/// A server running on its own thread ([`Server::spawn`]); dropping it
/// shuts the server down and waits for it.
pub struct RunningServer {
    handle: ServerHandle,
    local_addrs: Vec<SocketAddr>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl RunningServer {
    /// The addresses the ports listen on, in the order they were added.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// The address of the first port.
    ///
    /// # Panics
    ///
    /// If the server has no port.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addrs[0]
    }

    /// A handle that stops the server and reads its counters.
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }

    /// The server's counters now.
    pub fn stats(&self) -> ServerStats {
        self.handle.stats()
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
