//! The TCP connection under a remote port: a non-blocking connect that
//! tries each address the name resolves to in turn, and the port's
//! registration with the caller's `mio::Registry`.

use std::io;
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::time::Duration;
use std::vec;

use log::debug;
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use rfc2217_client::Error;

/// Where the connection stands.
enum Stage {
    /// A connect is under way; `rest` are the addresses to try if it fails.
    Connecting {
        rest: vec::IntoIter<SocketAddr>,
    },
    Connected,
    Closed,
}

/// The registration the OS holds, so that a change of interest costs a
/// system call only when the interest really changed.
#[derive(Clone, Copy)]
struct Registration {
    token: Token,
    /// `None`: the socket is not registered (closed, or nothing wanted).
    interest: Option<Interest>,
}

/// A remote port's TCP socket: connecting (address after address), then
/// connected, then closed, and its registration.
pub(super) struct Socket {
    address: String,
    stream: TcpStream,
    stage: Stage,
    registration: Option<Registration>,
    /// The socket of a failed connect attempt, still registered; it is
    /// deregistered, and the new one registered, at the next sync.
    retired: Option<TcpStream>,
}

impl Socket {
    /// Resolves `address` (`host:port`; a name is resolved by the system,
    /// which may block) and starts connecting to the first address.
    pub(super) fn connect(address: &str) -> Result<Socket, Error> {
        let failed = |source| Error::Connect {
            address: address.to_owned(),
            source,
        };
        let addresses = address.to_socket_addrs().map_err(failed)?.collect();
        Socket::connect_to(address, addresses)
    }

    /// Starts connecting to the first of `addresses` (what `address`
    /// resolved to) that takes a connect.
    fn connect_to(address: &str, addresses: Vec<SocketAddr>) -> Result<Socket, Error> {
        let mut rest = addresses.into_iter();
        let stream = start(&mut rest).map_err(|source| Error::Connect {
            address: address.to_owned(),
            source,
        })?;
        Ok(Socket {
            address: address.to_owned(),
            stream,
            stage: Stage::Connecting { rest },
            registration: None,
            retired: None,
        })
    }

    pub(super) fn is_connecting(&self) -> bool {
        matches!(self.stage, Stage::Connecting { .. })
    }

    pub(super) fn is_connected(&self) -> bool {
        matches!(self.stage, Stage::Connected)
    }

    /// The connected socket, for reading and writing.
    pub(super) fn stream(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// Sees whether the connect under way has ended (on any event for the
    /// socket while connecting). `Ok(true)`: connected now; `Ok(false)`:
    /// still connecting, perhaps to the next address; `Err`: every address
    /// failed.
    pub(super) fn poll_connect(&mut self) -> Result<bool, Error> {
        let Stage::Connecting { rest } = &mut self.stage else {
            return Ok(false);
        };
        let failure = match self.stream.take_error() {
            Ok(Some(error)) | Err(error) => error,
            Ok(None) => match self.stream.peer_addr() {
                Ok(peer) => {
                    debug!("connected to {peer}");
                    self.stream.set_nodelay(true).map_err(Error::Io)?;
                    self.stage = Stage::Connected;
                    return Ok(true);
                }
                // Not yet: the event was spurious.
                Err(error) if error.kind() == io::ErrorKind::NotConnected => return Ok(false),
                Err(error) => error,
            },
        };
        debug!("cannot connect to {}: {failure}", self.address);
        match start(rest) {
            Ok(next) => {
                let failed = std::mem::replace(&mut self.stream, next);
                // Only a registered socket needs deregistering; a later
                // failure before the sync replaces an unregistered one.
                if self.retired.is_none() {
                    self.retired = Some(failed);
                }
                Ok(false)
            }
            Err(_) => {
                self.close();
                Err(Error::Connect {
                    address: self.address.clone(),
                    source: failure,
                })
            }
        }
    }

    /// The error for a connect that did not end within `waited`.
    pub(super) fn timed_out(&self, waited: Duration) -> Error {
        Error::Connect {
            address: self.address.clone(),
            source: io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no connection within {} s", waited.as_secs_f64()),
            ),
        }
    }

    /// Shuts the socket down; the server sees the end at once.
    pub(super) fn close(&mut self) {
        if !matches!(self.stage, Stage::Closed) {
            let _ = self.stream.shutdown(Shutdown::Both);
            self.stage = Stage::Closed;
        }
    }

    /// Registers the socket under `token` with `wanted` interest.
    pub(super) fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        wanted: Option<Interest>,
    ) -> io::Result<()> {
        if self.registration.is_some() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the port is registered already",
            ));
        }
        self.retired = None; // never registered
        self.registration = Some(Registration {
            token,
            interest: None,
        });
        self.sync(registry, wanted)
    }

    /// Brings the registration in line with `wanted`: registers, changes,
    /// or deregisters the socket, and does nothing if it is up to date.
    /// Skipping needless changes matters beyond the system call: re-arming
    /// an edge-triggered registration reports a ready socket again.
    pub(super) fn sync(&mut self, registry: &Registry, wanted: Option<Interest>) -> io::Result<()> {
        let Some(registration) = &mut self.registration else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "register the port before reregistering it",
            ));
        };
        if let Some(mut retired) = self.retired.take() {
            if registration.interest.take().is_some() {
                registry.deregister(&mut retired)?;
            }
        }
        let stream = &mut self.stream;
        match (registration.interest, wanted) {
            (Some(held), Some(wanted)) if held == wanted => {}
            (Some(_), Some(wanted)) => registry.reregister(stream, registration.token, wanted)?,
            (None, Some(wanted)) => registry.register(stream, registration.token, wanted)?,
            (Some(_), None) => registry.deregister(stream)?,
            (None, None) => {}
        }
        registration.interest = wanted;
        Ok(())
    }

    /// Takes the socket out of `registry`.
    pub(super) fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        if self.registration.is_some() {
            self.sync(registry, None)?;
        }
        self.registration = None;
        Ok(())
    }
}

/// Starts a non-blocking connect to the next address that takes one.
fn start(addresses: &mut vec::IntoIter<SocketAddr>) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the name resolves to no address");
    for address in addresses {
        match TcpStream::connect(address) {
            Ok(stream) => return Ok(stream),
            Err(error) => last = error,
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use mio::{Events, Poll};

    use super::*;

    /// Polls until the connect under way ends.
    fn finish(socket: &mut Socket, poll: &mut Poll) -> Result<(), Error> {
        let mut events = Events::with_capacity(4);
        for _ in 0..100 {
            poll.poll(&mut events, Some(Duration::from_millis(50)))
                .unwrap();
            if !events.is_empty() && socket.poll_connect()? {
                return Ok(());
            }
            // A new attempt's socket is registered here.
            socket
                .sync(poll.registry(), Some(Interest::WRITABLE))
                .unwrap();
        }
        panic!("the connect never ended");
    }

    fn refusing_address() -> SocketAddr {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap() // closed when the listener drops
    }

    #[test]
    fn a_refused_address_is_followed_by_the_next_one() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let listening = listener.local_addr().unwrap();
        let addresses = vec![refusing_address(), listening];
        let mut socket = Socket::connect_to("lab:2217", addresses).unwrap();
        let mut poll = Poll::new().unwrap();
        socket
            .register(poll.registry(), Token(7), Some(Interest::WRITABLE))
            .unwrap();
        finish(&mut socket, &mut poll).unwrap();
        assert!(socket.is_connected());
        assert_eq!(socket.stream().peer_addr().unwrap(), listening);
        socket.deregister(poll.registry()).unwrap();
    }

    #[test]
    fn when_every_address_refuses_the_error_names_the_address() {
        let addresses = vec![refusing_address(), refusing_address()];
        let mut socket = Socket::connect_to("lab:2217", addresses).unwrap();
        let mut poll = Poll::new().unwrap();
        socket
            .register(poll.registry(), Token(7), Some(Interest::WRITABLE))
            .unwrap();
        let error = finish(&mut socket, &mut poll).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("cannot connect to lab:2217: "),
            "{message}"
        );
        assert!(!socket.is_connecting() && !socket.is_connected());
    }
}
