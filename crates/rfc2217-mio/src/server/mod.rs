//! The server: many devices, each on its own listener, and many clients,
//! all on one thread and one `mio::Poll`. [`Server`] says how it behaves;
//! what it does for each client is `rfc2217-server`'s.

mod connection;
mod event_loop;
mod service;
mod slab;
mod socket;
mod stats;
mod timers;

pub use stats::ServerStats;
// What a served device is configured with, named from here too.
pub use rfc2217_device::{Device, DeviceOpener, DeviceSpec, Loopback, SerialDevice};
pub use rfc2217_server::{ClientFilter, SecondClient, ServerConfig, BUSY_MESSAGE};

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;

use event_loop::{EventLoop, Shared};
use rfc2217_server::ServerThread;

/// An RFC 2217 access server for any number of devices, on one thread and
/// one `mio::Poll`.
///
/// Add devices with [`add_device`](Self::add_device), each on its own
/// listener, then [`run`](Self::run) it on the current thread or
/// [`spawn`](Self::spawn) it on its own.
///
/// Each device is served to one client at a time with the policies of its
/// [`ServerConfig`]: a second client is refused with [`BUSY_MESSAGE`] or
/// takes the device over ([`SecondClient`]); when a client leaves, the
/// device's buffers are purged, its defaults restored and DTR and RTS
/// dropped; a device that fails is closed with its client and opened again
/// for the next one, and while it cannot be opened clients are told
/// `device unavailable: ...` and closed; a client that sent nothing for the
/// idle timeout is closed; clients from addresses the filter refuses are
/// closed at once. A client that closed or reset its connection makes way
/// for a newcomer at once (the event says so), even if its last input still
/// waits for the device.
///
/// What each client gets is `rfc2217-server`'s `Connection`, pumped
/// whenever its socket or device is ready or its deadline comes. A device
/// with a file descriptor (a serial port) is registered with the poll; one
/// without (`loop://`) changes only through the connection's own calls. With
/// nothing to do the thread sleeps.
///
/// Memory is bounded both ways. A device that stops taking data stops the
/// client's socket from being read (TCP holds the client back) and after
/// 50 ms the client is suspended (FLOWCONTROL-SUSPEND) until the device
/// takes data again. A client that stops reading, or suspends us, stops the
/// device from being read, so its own buffer and flow control take over.
/// [`ServerStats::buffered_bytes`] counts what the connections hold.
///
/// ```
/// use rfc2217_mio::{Server, ServerConfig};
///
/// let mut server = Server::new()?;
/// let first = server.add_device("127.0.0.1:0", ServerConfig::loopback())?;
/// let second = server.add_device("127.0.0.1:0", ServerConfig::loopback())?;
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
    /// A server with no devices yet.
    pub fn new() -> io::Result<Server> {
        Ok(Server {
            event_loop: EventLoop::new()?,
        })
    }

    /// A server with one device: listens on `addr` for clients of the
    /// device `config` names.
    pub fn bind(addr: impl ToSocketAddrs, config: ServerConfig) -> io::Result<Server> {
        let mut server = Server::new()?;
        server.add_device(addr, config)?;
        Ok(server)
    }

    /// Listens on `addr` (TCP port 0 picks a free one) for clients of the
    /// device `config` names; returns the address bound. The device is
    /// opened now if it can be, to report a bad device early; if it
    /// cannot, a warning is logged and it is opened again when a client
    /// connects.
    pub fn add_device(
        &mut self,
        addr: impl ToSocketAddrs,
        config: ServerConfig,
    ) -> io::Result<SocketAddr> {
        self.event_loop.add_device(addr, config)
    }

    /// The addresses the devices are served on, in the order they were
    /// added.
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
        let stopper = handle.clone();
        let local_addrs = self.local_addrs();
        let thread = thread::Builder::new()
            .name("rfc2217-mio server".to_owned())
            .spawn(move || self.run())?;
        Ok(RunningServer {
            handle,
            local_addrs,
            thread: ServerThread::new(thread, move || stopper.shutdown()),
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
    thread: ServerThread,
}

impl RunningServer {
    /// The addresses the devices are served on, in the order they were
    /// added.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// The address of the first device.
    ///
    /// # Panics
    ///
    /// If the server serves no device.
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
    pub fn shutdown(self) -> io::Result<()> {
        self.thread.shutdown()
    }
}
