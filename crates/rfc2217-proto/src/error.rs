//! Errors in how the caller uses the session. What the peer does wrong is
//! never an error here: it is an [`Event::PeerViolation`](crate::Event::PeerViolation).

use core::fmt;

/// A call the session could not carry out; nothing was queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// The outbound queue is full: transmit what [`poll_transmit`](crate::Session::poll_transmit)
    /// gives, then try again.
    TransmitQueueFull,
    /// As many requests wait for replies as the session can track: handle
    /// replies or timeouts first.
    TooManyPendingRequests,
    /// The call belongs to the other role (e.g. `respond` on a client).
    WrongRole,
    /// A signature must hold 1 to [`SIGNATURE_CAPACITY`](crate::SIGNATURE_CAPACITY) bytes.
    InvalidSignature,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::TransmitQueueFull => "the outbound command queue is full",
            Error::TooManyPendingRequests => "too many requests are waiting for replies",
            Error::WrongRole => "this call is for the other role",
            Error::InvalidSignature => "a signature must hold 1 to 64 bytes",
        })
    }
}

impl core::error::Error for Error {}
