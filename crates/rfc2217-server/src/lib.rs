//! The RFC 2217 access server's application layer, written once and free
//! of I/O: no sockets, no threads, no sleeping. The thread server of
//! `rfc2217-blocking` and the event-loop server of `rfc2217-mio` are thin
//! drivers of it: they move bytes between a socket and a [`Connection`],
//! hand it the device of a [`DeviceSlot`], and wake it at its deadlines.
//!
//! * [`ServerConfig`]: every policy of a served device (which device, the
//!   signature, the settings at open and after each client, the second
//!   client policy, the modem poll interval, the idle timeout, the client
//!   address filter).
//! * [`admit`]: whether a newcomer is served, dropped, refused with a
//!   line ([`Refusal`]), or takes the device over; [`let_go`]: how a
//!   refused client is let go (its line, a bounded linger, a cap).
//! * [`DeviceSlot`]: the device kept open between clients, restored when
//!   one leaves, reopened after it failed.
//! * [`ServerThread`]: a spawned server's thread, stopped and joined by
//!   its handle.
//! * [`Connection`]: one client, the core's `Session` between its bytes and
//!   the device, with bounded memory, flow control both ways, timed
//!   breaks, modem polls and the idle timeout.
//!
//! ```
//! use std::time::Instant;
//! use rfc2217_device::Loopback;
//! use rfc2217_server::{Connection, Scratch, ServerConfig};
//!
//! let config = ServerConfig::loopback();
//! let mut device = Loopback::new();
//! let now = Instant::now();
//! let mut connection = Connection::new(&config, b"doc", "127.0.0.1:1".parse()?, now);
//! let mut scratch = Scratch::default();
//! connection.pump(now, &mut device, &mut scratch)?;
//! // The opening negotiation waits for the socket.
//! assert!(!connection.transmit().is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod admission;
mod buffer;
mod config;
mod connection;
mod lingering;
mod running;
mod signature;
mod slot;
mod transport;

pub use admission::{admit, Admission, Refusal, BUSY_MESSAGE};
pub use config::{ClientFilter, SecondClient, ServerConfig};
pub use connection::{Connection, Ending, Pumped, Scratch};
pub use lingering::{let_go, Lingering, MAX_REFUSALS, REFUSAL_LINGER};
pub use running::ServerThread;
pub use slot::DeviceSlot;
pub use transport::{receive_now, send_now, Transport};
