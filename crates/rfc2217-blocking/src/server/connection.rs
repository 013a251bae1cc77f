//! One client on a thread of its own: the server crate's `Connection`
//! between a non-blocking socket and the device, the thread asleep in
//! poll(2) in between.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use log::{info, warn};
use rfc2217_device::Device;
use rfc2217_server::{receive_now, send_now, Connection, Ending, Pumped, Scratch, Transport};

use super::wait::{hung_up, wait};
use super::ServerState;

/// The signature's default prefix: this server and its version.
const SIGNATURE_PREFIX: &str = concat!("rfc2217-blocking ", env!("CARGO_PKG_VERSION"));

/// The client being served, as the accept loop sees it.
pub(crate) struct Served {
    pub(crate) peer: SocketAddr,
    /// A handle on the socket: polled for the client hanging up, and shut
    /// down to wake the thread when it must stop.
    control: TcpStream,
    /// Why the accept loop ends the connection, once it does.
    stop: Arc<Mutex<Option<String>>>,
    thread: JoinHandle<()>,
}

impl Served {
    /// Serves `stream` on a new thread, with the device of `state`'s slot
    /// (open: the accept loop opened it); when the client leaves, the
    /// device goes back to the slot.
    pub(crate) fn start(
        stream: TcpStream,
        peer: SocketAddr,
        state: Arc<ServerState>,
    ) -> io::Result<Served> {
        let control = stream.try_clone()?;
        let stop = Arc::new(Mutex::new(None));
        let asked = Arc::clone(&stop);
        let thread = thread::Builder::new()
            .name(format!("rfc2217 {peer}"))
            .spawn(move || serve(stream, peer, &state, &asked))?;
        Ok(Served {
            peer,
            control,
            stop,
            thread,
        })
    }

    /// The connection ended, or its client hung up: either way a newcomer
    /// need not wait for it.
    pub(crate) fn is_over(&self) -> bool {
        self.thread.is_finished() || hung_up(&self.control)
    }

    /// Ends the connection for `reason` and waits until its device is back
    /// in the slot.
    pub(crate) fn stop(self, reason: String) {
        (self.stop.lock().unwrap_or_else(PoisonError::into_inner)).get_or_insert(reason);
        // Wakes the thread from poll(2), or fails its next socket call.
        let _ = self.control.shutdown(Shutdown::Both);
        if self.thread.join().is_err() {
            warn!("{}: the connection's thread panicked", self.peer);
        }
    }
}

/// The connection's thread: serves, then gives the device back.
fn serve(stream: TcpStream, peer: SocketAddr, state: &ServerState, stop: &Mutex<Option<String>>) {
    let Some(device) = state.lock_slot().lend() else {
        warn!("{peer}: the device is closed");
        return;
    };
    let mut lent = Lent {
        state,
        device: Some(device),
        failed: false,
    };
    let device = lent.device_mut();
    let name = device.name();
    let signature = state.config.signature_for(SIGNATURE_PREFIX, &name);
    let mut connection = Connection::new(&state.config, &signature, peer, Instant::now());
    info!("{peer} connected; serving {name}");
    let stream = Closing(stream);
    let ending = run(&mut connection, &stream.0, device, stop);
    // Logged before the client can see the end, so what it sees is logged.
    info!("{peer} disconnected: {}", ending.reason);
    drop(stream);
    lent.failed = ending.device_failed;
}

/// The client's socket, shut down when the connection ends, however it
/// ends (a panic too): the accept loop's handle keeps it open otherwise,
/// and the client would not see the end.
struct Closing(TcpStream);

impl Drop for Closing {
    fn drop(&mut self) {
        let _ = self.0.shutdown(Shutdown::Both);
    }
}

/// The device while a connection has it: out of the slot, so that no lock
/// is held while the connection waits, and back in it (purged and
/// restored, or closed if it failed) when this drops, however the
/// connection ended: a panic too.
struct Lent<'a> {
    state: &'a ServerState,
    device: Option<Box<dyn Device>>,
    /// The connection ended with the device failing.
    failed: bool,
}

impl Lent<'_> {
    fn device_mut(&mut self) -> &mut dyn Device {
        self.device
            .as_deref_mut()
            .expect("the device is lent until the end")
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(device) = self.device.take() {
            let config = &self.state.config;
            drop(
                self.state
                    .lock_slot()
                    .take_back(config, device, self.failed),
            );
        }
    }
}

/// Drives the connection until it ends, or the accept loop stops it.
fn run(
    connection: &mut Connection,
    stream: &TcpStream,
    device: &mut dyn Device,
    stop: &Mutex<Option<String>>,
) -> Ending {
    let stopped = || stop.lock().unwrap_or_else(PoisonError::into_inner).clone();
    if let Err(error) = stream.set_nonblocking(true) {
        return Ending::socket_error("starting", &error);
    }
    let mut socket = Socket(stream);
    let mut scratch = Scratch::default();
    loop {
        if let Some(reason) = stopped() {
            return Ending::new(reason);
        }
        let result = match connection.drive(Instant::now(), &mut socket, device, &mut scratch) {
            Ok(Pumped::Busy) => continue,
            Ok(Pumped::Idle) => wait(
                socket.0,
                device_fd(device),
                connection,
                connection.poll_timeout(),
            ),
            Err(ending) => Err(ending),
        };
        if let Err(ending) = result {
            // Stopping shuts the socket down: the reason is the stop's.
            return stopped().map_or(ending, Ending::new);
        }
    }
}

/// The device's descriptor, to wait on.
#[cfg(unix)]
fn device_fd(device: &dyn Device) -> Option<std::os::fd::RawFd> {
    device.as_raw_fd()
}

/// No descriptors to wait on without poll(2).
#[cfg(not(unix))]
fn device_fd(_: &dyn Device) -> Option<()> {
    None
}

/// The client's socket, non-blocking.
struct Socket<'a>(&'a TcpStream);

impl Transport for Socket<'_> {
    fn receive(&mut self, buf: &mut [u8]) -> Result<usize, Ending> {
        Ok(receive_now(&mut self.0, buf)?.unwrap_or(0))
    }

    fn send(&mut self, bytes: &[u8]) -> Result<usize, Ending> {
        Ok(send_now(&mut self.0, bytes)?.0)
    }
}
