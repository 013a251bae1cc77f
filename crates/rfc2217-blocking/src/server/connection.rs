//! One client: its two threads, and handing the device back when it leaves.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use log::{info, warn};
use rfc2217_proto::{Config, Instant, Purge, Session};

use super::inbound::Inbound;
use super::link::Link;
use super::outbound::Outbound;
use super::ServerState;
use crate::device::Device;

/// The client being served, as the accept loop sees it.
pub(crate) struct Connection {
    pub(crate) peer: SocketAddr,
    link: Arc<Link>,
    thread: Option<JoinHandle<()>>,
    /// Disconnected when the connection's thread has handed the device back.
    done: Receiver<()>,
}

impl Connection {
    /// Serves `socket` with `device` on a new thread; when the client
    /// leaves, the device is restored and put back into `state`.
    pub(crate) fn start(
        socket: TcpStream,
        peer: SocketAddr,
        device: Box<dyn Device>,
        state: Arc<ServerState>,
    ) -> io::Result<Connection> {
        let name = device.name();
        let signature = state.config.signature_for(&name);
        let config = Config::server()
            .with_signature(&signature)
            .unwrap_or_else(|_| Config::server());
        let link = Arc::new(Link::new(
            Session::new(config, Instant::ZERO),
            &socket,
            peer,
        )?);
        info!("{peer} connected; serving {name}");
        let (done_tx, done) = mpsc::channel::<()>();
        let thread_link = Arc::clone(&link);
        let thread = thread::Builder::new()
            .name(format!("rfc2217 {peer}"))
            .spawn(move || {
                let device = serve(&thread_link, device, socket, &state);
                state.give_back(device);
                drop(done_tx);
            })?;
        Ok(Connection {
            peer,
            link,
            thread: Some(thread),
            done,
        })
    }

    /// Waits at most `timeout` for the connection to end; true if it did.
    pub(crate) fn wait(&self, timeout: Duration) -> bool {
        matches!(
            self.done.recv_timeout(timeout),
            Err(RecvTimeoutError::Disconnected) | Ok(())
        )
    }

    /// Ends the connection for `reason` and waits until the device is back.
    pub(crate) fn stop(mut self, reason: String) {
        self.link.close(reason);
        self.join();
    }

    /// Waits for the connection's thread (after it ended).
    pub(crate) fn join(&mut self) {
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                warn!("{}: the connection's thread panicked", self.peer);
            }
        }
    }
}

/// Runs both threads of a connection to its end, and returns the device if
/// it is still usable, restored for the next client.
fn serve(
    link: &Link,
    mut device: Box<dyn Device>,
    socket: TcpStream,
    state: &ServerState,
) -> Option<Box<dyn Device>> {
    let peer = link.peer;
    let name = device.name();
    match device.reader() {
        Ok(reader) => {
            let interval = state.config.modem_poll_interval;
            let outbound = Outbound::new(link, reader, name.clone(), interval);
            // The opening negotiation goes out before anything else.
            let opened = link.flush(link.lock());
            thread::scope(|scope| {
                scope.spawn(|| outbound.run());
                if opened.is_ok() {
                    Inbound::new(link, device.as_mut()).run(socket);
                }
                // Whatever ended the inbound side ends the outbound side.
                link.close("the connection ended");
            });
        }
        Err(error) => {
            link.device_failed(format!("device error while opening a reader: {error}"));
        }
    }
    let (reason, device_failed) = link.outcome();
    info!("{peer} disconnected: {reason}");
    if device_failed {
        warn!("{name}: dropped after an error; it is opened again for the next client");
        return None;
    }
    let restored = device
        .purge(Purge::Both)
        .and_then(|()| device.restore(&state.config.defaults));
    match restored {
        Ok(()) => Some(device),
        Err(error) => {
            warn!("{name}: restoring the defaults failed ({error}); it is opened again for the next client");
            None
        }
    }
}
