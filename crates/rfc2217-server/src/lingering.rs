//! How a refused client is let go, by either server: its line, then its
//! input read and dropped until it closes or the linger deadline, so that
//! closing does not reset the connection and lose the line. At most
//! [`MAX_REFUSALS`] linger at once; beyond that a refused client gets its
//! line only if the socket takes it at once, and is closed.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use crate::Refusal;

/// How long a refused client is given, in all, to read its line and
/// close: the server reads and drops its input meanwhile.
pub const REFUSAL_LINGER: Duration = Duration::from_secs(2);

/// Refused clients lingering at once, per server: what a flood of
/// refused clients can hold (sockets, and the thread server's threads).
pub const MAX_REFUSALS: usize = 256;

/// Bytes of a refused client's input read and dropped per
/// [`Lingering::advance`]: a client that keeps sending is then left to the
/// deadline.
const DRAIN_BUDGET: usize = 64 * 1024;

/// A refused client's non-blocking socket, lingering until
/// [`deadline`](Self::deadline). The driver calls
/// [`advance`](Self::advance) when the socket is ready and at the
/// deadline, and drops the socket once it returns false.
#[derive(Debug)]
pub struct Lingering<S> {
    stream: S,
    /// Shuts the sending side of the stream down, once the line is sent.
    shut_write: fn(&S),
    refusal: Refusal,
    sent: usize,
    deadline: Instant,
}

/// Lets a client refused at `now` go as the policy says, while
/// `lingering` other refused clients linger: lingering (returned, for the
/// driver to advance) below [`MAX_REFUSALS`]; beyond it, its line if the
/// socket takes it at once, then closed (`None`). `stream` must be
/// non-blocking; `shut_write` shuts its sending side down.
pub fn let_go<S: Read + Write>(
    stream: S,
    shut_write: fn(&S),
    refusal: Refusal,
    now: Instant,
    lingering: usize,
) -> Option<Lingering<S>> {
    let mut refused = Lingering {
        stream,
        shut_write,
        refusal,
        sent: 0,
        deadline: now + REFUSAL_LINGER,
    };
    let goes_on = refused.advance(now);
    (goes_on && lingering < MAX_REFUSALS).then_some(refused)
}

impl<S: Read + Write> Lingering<S> {
    /// The stream, for the driver to wait on it.
    pub fn stream(&self) -> &S {
        &self.stream
    }

    /// The stream, for the driver to register it.
    pub fn stream_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// When the refusal ends, whatever the client does.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the line waits for the socket to take it (else the client's
    /// input, or its close, is waited for).
    pub fn wants_write(&self) -> bool {
        self.sent < self.refusal.message().len()
    }

    /// Moves the refusal on: the line, then the client's input read and
    /// dropped. False once it is over (the client closed, the socket
    /// failed, or the deadline passed) and the stream may be dropped.
    pub fn advance(&mut self, now: Instant) -> bool {
        if now >= self.deadline {
            return false;
        }
        if self.wants_write() {
            match self.stream.write(&self.refusal.message()[self.sent..]) {
                Ok(n) => self.sent += n,
                Err(error) => return is_transient(&error),
            }
            if self.wants_write() {
                return true;
            }
            (self.shut_write)(&self.stream);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// A socket that takes `room` bytes, always has input, and remembers
    /// being shut down.
    #[derive(Debug, Default)]
    struct Chatty {
        room: usize,
        written: Vec<u8>,
        shut: Cell<bool>,
    }

    impl Read for Chatty {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            Ok(buf.len())
        }
    }

    impl Write for Chatty {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let n = self.room.min(bytes.len());
            if n == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            self.room -= n;
            self.written.extend_from_slice(&bytes[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn shut(stream: &Chatty) {
        stream.shut.set(true);
    }

    fn roomy() -> Chatty {
        Chatty {
            room: 1000,
            ..Chatty::default()
        }
    }

    #[test]
    fn a_client_that_keeps_sending_is_let_go_at_the_deadline() {
        let start = Instant::now();
        let mut refused = let_go(roomy(), shut, Refusal::busy(), start, 0).unwrap();
        assert_eq!(refused.stream().written, Refusal::busy().message());
        assert!(
            refused.stream().shut.get(),
            "the line is followed by the end"
        );
        assert!(refused.advance(start + REFUSAL_LINGER / 2));
        assert!(!refused.advance(start + REFUSAL_LINGER));
    }

    #[test]
    fn beyond_the_cap_a_client_gets_what_the_socket_takes_at_once_and_no_linger() {
        let start = Instant::now();
        let lingering = MAX_REFUSALS - 1;
        assert!(let_go(roomy(), shut, Refusal::busy(), start, lingering).is_some());
        let full = Chatty {
            room: 4,
            ..Chatty::default()
        };
        let refused = let_go(full, shut, Refusal::busy(), start, MAX_REFUSALS);
        assert!(refused.is_none(), "closed at once");
    }

    #[test]
    fn a_line_the_socket_does_not_take_at_once_is_sent_as_it_takes_it() {
        let start = Instant::now();
        let full = Chatty::default();
        let mut refused = let_go(full, shut, Refusal::busy(), start, 0).unwrap();
        assert!(refused.wants_write());
        refused.stream_mut().room = 1000;
        assert!(refused.advance(start));
        assert!(!refused.wants_write());
        assert_eq!(refused.stream().written, Refusal::busy().message());
    }
}
