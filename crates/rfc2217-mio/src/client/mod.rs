//! The client: [`RemotePort`], a serial port on an RFC 2217 server that the
//! caller's `mio` loop drives, opened with [`OpenOptions`].
//!
//! A remote port never blocks and never spawns a thread. It registers its
//! socket with a `mio::Poll` the caller owns, next to any number of other
//! ports and sockets, and tells the caller what it needs: the interest to
//! register with, derived from its state, and the deadline of its next
//! timer. Opening is asynchronous: the negotiation and the opening batch
//! (settings, DTR, RTS, masks) go out at once, and
//! [`PortEvent::Opened`] comes when COM-PORT-OPTION is agreed and every
//! answer came, or [`PortEvent::OpenFailed`] naming the problem. Requests
//! are pipelined; each gets exactly one [`PortEvent::Answer`]. Options,
//! errors and the opening batch are the blocking client's, from
//! `rfc2217-port`.
//!
//! The loop: poll until a socket is ready or the earliest port deadline;
//! hand each event to its port and tell every port the time; then drain
//! each port's events, move data, and [`reregister`](RemotePort::reregister)
//! (after every call on a port, as its interest may have changed). Here a
//! port on the blocking crate's `loop://` server sets its lines once it is
//! open and reads back what it wrote:
//!
//! ```
//! use std::io::{ErrorKind, Read, Write};
//! use std::time::Instant;
//!
//! use mio::{Events, Poll, Token};
//! use rfc2217_blocking::{Server, ServerConfig};
//! use rfc2217_mio::{OpenOptions, PortEvent};
//!
//! let server = Server::bind("127.0.0.1:0", ServerConfig::loopback())?.spawn()?;
//!
//! let mut poll = Poll::new()?;
//! let mut events = Events::with_capacity(16);
//! let mut port = OpenOptions::new(server.local_addr().to_string())
//!     .baud_rate(115_200)
//!     .connect()?; // nothing waits: the outcome comes as an event
//! port.register(poll.registry(), Token(0))?;
//!
//! let mut to_send: &[u8] = b"AT\r\xff"; // 0xFF is escaped on the wire
//! let mut echo = Vec::new();
//! while echo.len() < 4 {
//!     // Until the socket is ready or the port's next deadline.
//!     let timeout = port.poll_timeout().map(|at| at.saturating_duration_since(Instant::now()));
//!     poll.poll(&mut events, timeout)?;
//!     for event in &events {
//!         port.handle_event(event); // one port: every token is ours
//!     }
//!     port.handle_timeout(Instant::now());
//!     while let Some(event) = port.poll_event() {
//!         match event {
//!             PortEvent::Opened => drop(port.set_dtr_rts(false, true)?),
//!             PortEvent::OpenFailed(error) => return Err(error.into()),
//!             PortEvent::Answer { result, .. } => drop(result?),
//!             PortEvent::ModemState(lines) => println!("modem lines {lines:?}"),
//!             other => println!("{other:?}"),
//!         }
//!     }
//!     if port.is_open() {
//!         match port.write(to_send) {
//!             Ok(n) => to_send = &to_send[n..],
//!             Err(error) if error.kind() == ErrorKind::WouldBlock => {} // after the next event
//!             Err(error) => return Err(error.into()),
//!         }
//!         let mut buffer = [0u8; 64];
//!         while let Ok(n @ 1..) = port.read(&mut buffer) {
//!             echo.extend_from_slice(&buffer[..n]);
//!         }
//!     }
//!     port.reregister(poll.registry())?;
//! }
//! assert_eq!(echo, b"AT\r\xff");
//! assert_eq!(port.state().baud_rate, Some(115_200));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With several ports, give each a token, hand each event to the port of
//! its token, and poll for at most the earliest of their
//! [`poll_timeout`](RemotePort::poll_timeout)s; `examples/many_ports.rs`
//! drives several from one loop.

mod event;
mod link;
mod opening;
mod options;
mod port;

pub use event::PortEvent;
pub use options::OpenOptions;
pub use port::RemotePort;
pub use rfc2217_port::Error;
