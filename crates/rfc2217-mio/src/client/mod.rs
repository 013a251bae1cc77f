//! The client: [`RemotePort`], a serial port on an RFC 2217 server that the
//! caller's `mio` loop drives, opened with [`OpenOptions`] and
//! [`OpenOptionsExt::connect`].
//!
//! A remote port never blocks and never spawns a thread. It registers its
//! socket with a `mio::Poll` the caller owns, next to any number of other
//! ports and sockets, and tells the caller what it needs: the interest to
//! register with, derived from its state, and the deadline of its next
//! timer. Opening is asynchronous: the negotiation and the opening batch
//! (settings, DTR, RTS, masks) go out at once, and
//! [`PortEvent::Opened`] comes when COM-PORT-OPTION is agreed and every
//! answer came, or [`PortEvent::OpenFailed`] naming the problem. Requests
//! are pipelined; each gets exactly one [`PortEvent::Answer`]. What the
//! port does with the server's bytes (options, opening, requests, state,
//! errors) is `rfc2217-client`'s; this module moves the bytes.
//!
//! The event loop that drives a port is shown in the crate docs.
//!
//! With several ports, give each a token, hand each event to the port of
//! its token, and poll for at most the earliest of their
//! [`poll_timeout`](RemotePort::poll_timeout)s; `examples/many_ports.rs`
//! drives several from one loop.

mod connect;
mod remote_port;
mod socket;

pub use connect::OpenOptionsExt;
pub use remote_port::RemotePort;
pub use rfc2217_client::{Error, OpenOptions, PortEvent};
