//! RFC 2217 over blocking sockets and threads: a client that is a
//! `std::io::Read + Write` and a `serialport::SerialPort`, and a server
//! that shares one serial device with TCP clients. Everything on the wire
//! comes from `rfc2217-proto`; this crate only moves bytes and waits.
//!
//! A server for the in-process loopback device `loop://` (a real port is
//! `ServerConfig::new("/dev/ttyUSB0".parse::<DeviceSpec>()?)`), and a client
//! that configures the remote port, writes through it and reads the echo:
//!
//! ```
//! use std::io::{Read, Write};
//! use rfc2217_blocking::{OpenOptions, OpenOptionsExt, Server, ServerConfig};
//!
//! let server = Server::bind("127.0.0.1:0", ServerConfig::loopback())?.spawn()?;
//!
//! let mut port = OpenOptions::new(server.local_addr().to_string())
//!     .baud_rate(115_200)
//!     .open()?;                      // one round trip: settings, DTR, RTS, masks
//! port.set_dtr_rts(false, true)?;    // both lines in one TCP segment
//! port.write_all(b"AT\r\xff")?;      // 0xFF is escaped on the wire
//! port.flush()?;                     // returns once the server has processed it
//! let mut echo = [0u8; 4];
//! port.read_exact(&mut echo)?;
//! assert_eq!(&echo, b"AT\r\xff");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The same client also opens from a URL in pyserial's form,
//! `RemotePort::open("rfc2217://host:2217?ign_set_control&timeout=5")`, and
//! [`open_port`] opens either a local device or a URL as a
//! `Box<dyn serialport::SerialPort>`.

mod client;
mod server;

pub use client::*;
pub use server::*;

/// The README's Rust examples, compiled (and, where they need no server,
/// run) as doctests, so the README cannot fall behind the API.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExamples;
