//! A client's TCP stream, non-blocking, with what mio last said of it.

use mio::net::TcpStream;

use rfc2217_server::{receive_now, send_now, Ending, Transport};

/// The stream and its readiness. The registration is edge-triggered: each
/// flag is set by an event and cleared when the stream says `WouldBlock`,
/// so the connection tries an operation only when it may succeed.
pub(crate) struct Socket {
    stream: TcpStream,
    readable: bool,
    writable: bool,
    /// The client closed its side or reset the connection. Its input
    /// before that is still read and carried out in order; the flag only
    /// tells the server that a newcomer does not have to wait for it.
    hung_up: bool,
}

impl Socket {
    pub(crate) fn new(stream: TcpStream) -> Socket {
        Socket {
            stream,
            readable: true,
            writable: true,
            hung_up: false,
        }
    }

    /// The stream, to register it with mio.
    pub(crate) fn stream_mut(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    pub(crate) fn on_ready(&mut self, event: &mio::event::Event) {
        // A hang-up or an error is reported by the next read or write.
        let failed = event.is_error();
        self.readable |= event.is_readable() || event.is_read_closed() || failed;
        self.writable |= event.is_writable() || event.is_write_closed() || failed;
        self.hung_up |= event.is_read_closed() || failed;
    }

    /// The client closed its side of the connection or reset it.
    pub(crate) fn hung_up(&self) -> bool {
        self.hung_up
    }
}

impl Transport for Socket {
    fn receive(&mut self, buf: &mut [u8]) -> Result<usize, Ending> {
        if !self.readable {
            return Ok(0);
        }
        let received = receive_now(&mut self.stream, buf)?;
        self.readable = received.is_some();
        Ok(received.unwrap_or(0))
    }

    fn send(&mut self, bytes: &[u8]) -> Result<usize, Ending> {
        if !self.writable {
            return Ok(0);
        }
        let (written, full) = send_now(&mut self.stream, bytes)?;
        self.writable = !full;
        Ok(written)
    }
}
