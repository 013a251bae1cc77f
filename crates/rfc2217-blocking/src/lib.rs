//! RFC 2217 over blocking sockets and threads: a client that is a
//! `std::io::Read + Write` and a `serialport::SerialPort`, and a server that
//! shares one serial device with TCP clients. Everything on the wire comes
//! from `rfc2217-proto`; this crate only moves bytes and waits.

mod client;
mod device;
mod server;

pub use client::*;
pub use device::*;
pub use server::*;
