//! What a remote port tells the transport driving it.

use rfc2217_proto::{Command, LineState, ModemState, RequestId};

use crate::Error;

/// Something that happened on a remote port, drained with
/// [`ClientCore::poll_event`](crate::ClientCore::poll_event).
///
/// A port reports [`Opened`](Self::Opened) or [`OpenFailed`](Self::OpenFailed)
/// once, every request exactly one [`Answer`](Self::Answer), and
/// [`Closed`](Self::Closed) last. Received data is not an event: read it.
#[derive(Debug)]
pub enum PortEvent {
    /// The port is open: COM-PORT-OPTION is agreed and the server applied
    /// the opening settings, DTR, RTS and masks. Data may be written.
    Opened,
    /// The port could not be opened; the error names the problem (no
    /// connection, no RFC 2217, a setting rejected or unanswered).
    /// [`Closed`](Self::Closed) follows.
    OpenFailed(Error),
    /// How request `id` ended: the value the server says is in use, or why
    /// not ([`Error::Rejected`], [`Error::NoAnswer`], [`Error::Closed`]).
    /// A request whose answer is not awaited (the masks, SET-CONTROL with
    /// `ign_set_control`) is answered with itself once queued.
    Answer {
        /// The id the request was given when it was queued.
        id: RequestId,
        /// The value in use, or the error.
        result: Result<Command, Error>,
    },
    /// The server reported the modem lines (NOTIFY-MODEMSTATE).
    ModemState(ModemState),
    /// The server reported the line state (NOTIFY-LINESTATE).
    LineState(LineState),
    /// The server asked us to stop sending (FLOWCONTROL-SUSPEND): data is
    /// held back, and requests wait, until [`Resumed`](Self::Resumed).
    Suspended,
    /// The server lets us send again (FLOWCONTROL-RESUME).
    Resumed,
    /// The connection ended, for this reason. The data received before can
    /// still be read; every other call fails.
    Closed(String),
}
