//! The thread client's entry point on the shared [`OpenOptions`].

use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use rfc2217_client::{ClientCore, Error, OpenOptions};

use super::connection::{Shared, RECEIVE_CAPACITY};
use super::RemotePort;

/// Opening a remote port whose calls wait, from the [`OpenOptions`] every
/// transport shares (in scope with `use rfc2217_blocking::OpenOptionsExt`).
pub trait OpenOptionsExt {
    /// Connects and configures the port with one pipelined batch: the
    /// negotiation, the settings, DTR, RTS and the masks go out at once, so
    /// a server that answers promptly costs one round trip. Returns once
    /// the server agreed to COM-PORT-OPTION and answered the batch.
    fn open(self) -> Result<RemotePort, Error>;
}

impl OpenOptionsExt for OpenOptions {
    fn open(self) -> Result<RemotePort, Error> {
        // The session's clock, and its negotiation timer, start before the
        // connect: the answer timeout bounds both together.
        let client = ClientCore::new(&self, Instant::now(), RECEIVE_CAPACITY)?;
        let stream = connect(self.address(), client.answer_timeout())?;
        stream.set_nodelay(true)?;
        RemotePort::start(&self, Shared::start(stream, client)?)
    }
}

/// Connects to the first address `address` resolves to that takes a
/// connection within `timeout`.
fn connect(address: &str, timeout: Duration) -> Result<TcpStream, Error> {
    let failed = |source| Error::Connect {
        address: address.to_owned(),
        source,
    };
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the name resolves to no address");
    for candidate in address.to_socket_addrs().map_err(failed)? {
        match TcpStream::connect_timeout(&candidate, timeout) {
            Ok(stream) => return Ok(stream),
            Err(error) => last = error,
        }
    }
    Err(failed(last))
}
