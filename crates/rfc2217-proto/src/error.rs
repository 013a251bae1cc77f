//! Errors of a call the session could not carry out. What the peer does
//! wrong is never an error here: it is a `PeerViolation` event.

use core::fmt;

/// A call the session could not carry out; nothing was queued.
///
/// Two kinds: a queue is full (pressure: drain the session's outputs, then
/// call again; [`is_queue_full`](Self::is_queue_full) tells), or the call
/// itself is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The outbound queue is full: transmit what
    /// [`poll_transmit`](crate::Session::poll_transmit) gives, then try again.
    TransmitQueueFull,
    /// The event queue is full: drain
    /// [`poll_event`](crate::Session::poll_event), then try again.
    EventQueueFull,
    /// As many requests wait for replies as the session can track: handle
    /// replies or timeouts first.
    TooManyPendingRequests,
    /// A signature must hold 1 to [`SIGNATURE_CAPACITY`](crate::SIGNATURE_CAPACITY) bytes.
    InvalidSignature,
    /// COM-PORT-OPTION was refused on this connection, so no RFC 2217
    /// command may be sent (RFC 855: only an agreed option is
    /// subnegotiated). Serve or use the connection as plain Telnet.
    ComPortRefused,
}

impl Error {
    /// A queue is full: the same call succeeds once the outputs are drained.
    pub fn is_queue_full(&self) -> bool {
        matches!(
            self,
            Error::TransmitQueueFull | Error::EventQueueFull | Error::TooManyPendingRequests
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::TransmitQueueFull => "the outbound command queue is full",
            Error::EventQueueFull => "the event queue is full",
            Error::TooManyPendingRequests => "too many requests are waiting for replies",
            Error::InvalidSignature => "a signature must hold 1 to 64 bytes",
            Error::ComPortRefused => "COM-PORT-OPTION (RFC 2217) was refused on this connection",
        })
    }
}

impl core::error::Error for Error {}
