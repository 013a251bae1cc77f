//! A client's TCP stream, non-blocking, with what mio last said of it.

use std::io::{self, Read, Write};

use mio::net::TcpStream;

use super::connection::Ending;

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

    /// Reads what the client sent; `Ok(0)` if nothing is there now. The
    /// client closing and socket errors end the connection.
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> Result<usize, Ending> {
        while self.readable {
            match self.stream.read(buf) {
                Ok(0) => return Err(Ending::new("the client closed the connection")),
                Ok(n) => return Ok(n),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => self.readable = false,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(socket_error("receiving", &error)),
            }
        }
        Ok(0)
    }

    /// Writes what the socket takes now of `bytes`; returns how much.
    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<usize, Ending> {
        let mut written = 0;
        while self.writable && written < bytes.len() {
            match self.stream.write(&bytes[written..]) {
                Ok(0) => return Err(Ending::new("the client closed the connection")),
                Ok(n) => written += n,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => self.writable = false,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(socket_error("sending", &error)),
            }
        }
        Ok(written)
    }
}

fn socket_error(doing: &str, error: &io::Error) -> Ending {
    match error.kind() {
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => {
            Ending::new("the client closed the connection")
        }
        _ => Ending::new(format!("socket error while {doing}: {error}")),
    }
}
