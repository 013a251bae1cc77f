//! One client on the event loop: the server crate's [`Connection`] and the
//! client's socket, driven whenever either or the device is ready.

use std::net::SocketAddr;
use std::time::Instant;

use mio::net::TcpStream;
use rfc2217_device::Device;
use rfc2217_server::{Ending, Pumped, Scratch};

use super::socket::Socket;

/// A connection as the event loop keeps it: the server crate's
/// connection, its socket, and the loop's bookkeeping.
pub(crate) struct Connection {
    /// The index of the service whose device the client has.
    pub(crate) service: usize,
    connection: rfc2217_server::Connection,
    socket: Socket,
    /// The deadline the server's timers will wake this connection at.
    pub(crate) timer: Option<Instant>,
    /// Waiting in the server's queue of connections to pump again.
    pub(crate) busy: bool,
    /// Bytes of memory this connection's buffers held when last counted.
    pub(crate) accounted: usize,
}

impl Connection {
    pub(crate) fn new(
        stream: TcpStream,
        service: usize,
        connection: rfc2217_server::Connection,
    ) -> Connection {
        Connection {
            service,
            connection,
            socket: Socket::new(stream),
            timer: None,
            busy: false,
            accounted: 0,
        }
    }

    pub(crate) fn peer(&self) -> SocketAddr {
        self.connection.peer()
    }

    pub(crate) fn socket_mut(&mut self) -> &mut Socket {
        &mut self.socket
    }

    /// The client closed its side of the connection or reset it.
    pub(crate) fn hung_up(&self) -> bool {
        self.socket.hung_up()
    }

    pub(crate) fn buffered(&self) -> usize {
        self.connection.buffered()
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.connection.poll_timeout()
    }

    /// See [`rfc2217_server::Connection::drive`].
    pub(crate) fn drive(
        &mut self,
        now: Instant,
        device: &mut dyn Device,
        scratch: &mut Scratch,
    ) -> Result<Pumped, Ending> {
        (self.connection).drive(now, &mut self.socket, device, scratch)
    }
}
