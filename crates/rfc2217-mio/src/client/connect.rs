//! The `mio` client's entry point on the shared [`OpenOptions`].

use rfc2217_client::{Error, OpenOptions};

use super::RemotePort;

/// Connecting a remote port driven by a `mio` loop, from the
/// [`OpenOptions`] every transport shares (in scope with
/// `use rfc2217_mio::OpenOptionsExt`).
pub trait OpenOptionsExt {
    /// Starts connecting and queues the opening batch; nothing waits.
    /// Register the port with a `mio::Poll` and drive it: it reports
    /// [`PortEvent::Opened`](crate::PortEvent::Opened) or
    /// [`OpenFailed`](crate::PortEvent::OpenFailed). A host name is
    /// resolved here, by the system (which may block); an IP address is not.
    fn connect(self) -> Result<RemotePort, Error>;
}

impl OpenOptionsExt for OpenOptions {
    fn connect(self) -> Result<RemotePort, Error> {
        RemotePort::start(&self)
    }
}
