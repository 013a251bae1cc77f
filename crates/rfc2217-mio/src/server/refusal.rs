//! A client that is not served: it is told why in one line, and its
//! connection is closed once it has read it.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::time::Instant;

use mio::net::TcpStream;
use rfc2217_server::{Refusal, REFUSAL_LINGER};

/// Bytes of a refused client's input read and dropped per event: a client
/// that keeps sending is then left to the deadline.
const DRAIN_BUDGET: usize = 64 * 1024;

/// A refused connection, lingering. The line is written and the sending
/// side shut down; then the client's input is read and dropped until it
/// closes, so that closing does not reset the connection and lose the line.
pub(crate) struct Lingering {
    stream: TcpStream,
    refusal: Refusal,
    sent: usize,
    pub(crate) deadline: Instant,
}

impl Lingering {
    pub(crate) fn new(stream: TcpStream, refusal: Refusal, now: Instant) -> Lingering {
        Lingering {
            stream,
            refusal,
            sent: 0,
            deadline: now + REFUSAL_LINGER,
        }
    }

    /// The stream, to register it with mio.
    pub(crate) fn stream_mut(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// Moves the refusal on; false once it is over and the stream may be
    /// dropped.
    pub(crate) fn advance(&mut self, now: Instant) -> bool {
        if now >= self.deadline {
            return false;
        }
        let message = self.refusal.message();
        if self.sent < message.len() {
            match self.stream.write(&message[self.sent..]) {
                Ok(n) => self.sent += n,
                Err(error) => return is_transient(&error),
            }
            if self.sent < message.len() {
                return true;
            }
            let _ = self.stream.shutdown(Shutdown::Write);
        }
        let mut sink = [0u8; 1024];
        let mut drained = 0;
        while drained < DRAIN_BUDGET {
            match self.stream.read(&mut sink) {
                Ok(0) => return false,
                Ok(n) => drained += n,
                Err(error) => return is_transient(&error),
            }
        }
        true
    }
}

fn is_transient(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}
