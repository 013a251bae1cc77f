//! The client's socket as the connection sees it: a trait each driver
//! implements, and the reading and writing of a non-blocking stream that
//! both drivers share.

use std::io::{self, Read, Write};

use crate::Ending;

/// The client's socket as a driver gives it to
/// [`Connection::drive`](crate::Connection::drive): non-blocking, so each
/// call takes or gives what it can now.
pub trait Transport {
    /// Reads what the client sent; `Ok(0)` if nothing is there now. The
    /// client closing ([`Ending::client_closed`]) and socket errors
    /// ([`Ending::socket_error`]) end the connection.
    fn receive(&mut self, buf: &mut [u8]) -> Result<usize, Ending>;

    /// Writes what the socket takes now of `bytes`; returns how much.
    fn send(&mut self, bytes: &[u8]) -> Result<usize, Ending>;
}

/// Reads a non-blocking stream once: `Some(n)` bytes (never 0), or `None`
/// if nothing is there now.
pub fn receive_now(stream: &mut impl Read, buf: &mut [u8]) -> Result<Option<usize>, Ending> {
    loop {
        return match stream.read(buf) {
            Ok(0) => Err(Ending::client_closed()),
            Ok(n) => Ok(Some(n)),
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => Err(Ending::socket_error("receiving", &error)),
        };
    }
}

/// Writes what a non-blocking stream takes now of `bytes`: the bytes
/// written, and whether it refused the rest (it is full).
pub fn send_now(stream: &mut impl Write, bytes: &[u8]) -> Result<(usize, bool), Ending> {
    let mut written = 0;
    while written < bytes.len() {
        match stream.write(&bytes[written..]) {
            Ok(0) => return Err(Ending::client_closed()),
            Ok(n) => written += n,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok((written, true)),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(Ending::socket_error("sending", &error)),
        }
    }
    Ok((written, false))
}

impl Ending {
    /// The client closed its side of the connection (or reset it).
    pub fn client_closed() -> Ending {
        Ending::new("the client closed the connection")
    }

    /// The client's socket failed while `doing` (receiving, sending).
    pub fn socket_error(doing: &str, error: &io::Error) -> Ending {
        match error.kind() {
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => Ending::client_closed(),
            _ => Ending::new(format!("socket error while {doing}: {error}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that takes or gives `room` bytes, then would block.
    struct Limited {
        room: usize,
    }

    impl Read for Limited {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.room.min(buf.len());
            self.room -= n;
            if n == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            Ok(n)
        }
    }

    impl Write for Limited {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.read(&mut vec![0; bytes.len()])
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_stream_takes_what_it_can_and_an_empty_one_gives_nothing() {
        let mut stream = Limited { room: 3 };
        assert_eq!(send_now(&mut stream, b"hello").unwrap(), (3, true));
        assert_eq!(receive_now(&mut stream, &mut [0; 4]).unwrap(), None);
        let mut roomy = Limited { room: 10 };
        assert_eq!(send_now(&mut roomy, b"hello").unwrap(), (5, false));
        assert_eq!(receive_now(&mut roomy, &mut [0; 4]).unwrap(), Some(4));
    }

    #[test]
    fn a_closed_or_reset_stream_ends_the_connection_as_the_client_leaving() {
        let closed = receive_now(&mut io::empty(), &mut [0; 4]).unwrap_err();
        assert_eq!(closed.reason, "the client closed the connection");
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(
            Ending::socket_error("sending", &reset).reason,
            closed.reason
        );
    }
}
