//! RFC 2217 on a `mio` event loop: remote ports that register with the
//! caller's `mio::Poll`, and a server that serves many devices and clients
//! from one thread. Everything on the wire comes from `rfc2217-proto`; what
//! a client does with it (options, the opening batch, requests, the port's
//! state, errors) from `rfc2217-client`. This crate moves the bytes.
//!
//! # The server
//!
//! One thread and one `mio::Poll` for every served device (each on its own
//! listener) and every client, with bounded memory both ways and no CPU
//! when nothing happens:
//!
//! ```
//! use rfc2217_mio::{SecondClient, Server, ServerConfig};
//!
//! let mut server = Server::new()?;
//! let bench = server.add_device("127.0.0.1:0", ServerConfig::loopback())?;
//! let shared = server.add_device(
//!     "127.0.0.1:0",
//!     ServerConfig::loopback().with_second_client(SecondClient::KickOld),
//! )?;
//! let running = server.spawn()?; // or server.run() on this thread
//! assert_eq!(running.local_addrs(), [bench, shared]);
//! running.shutdown()?; // closes the clients, restores the devices
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # A remote port in an event loop
//!
//! The loop: poll until a socket is ready or the earliest port deadline;
//! hand each event to its port and tell every port the time; then drain
//! each port's events, move data, and [`reregister`](RemotePort::reregister)
//! (after every call on a port, as its interest may have changed). Here a
//! port on this crate's server, serving `loop://`, sets its lines once it is
//! open and reads back what it wrote:
//!
//! ```
//! use std::io::{ErrorKind, Read, Write};
//! use std::time::Instant;
//!
//! use mio::{Events, Poll, Token};
//! use rfc2217_mio::{OpenOptions, OpenOptionsExt, PortEvent, Server, ServerConfig};
//!
//! let mut server = Server::new()?;
//! let address = server.add_device("127.0.0.1:0", ServerConfig::loopback())?;
//! let _running = server.spawn()?;
//!
//! let mut poll = Poll::new()?;
//! let mut events = Events::with_capacity(16);
//! let mut port = OpenOptions::new(address.to_string())
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
//!             PortEvent::ModemState(lines) => println!("modem lines {lines}"),
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

mod client;
mod server;

pub use client::*;
pub use server::*;
