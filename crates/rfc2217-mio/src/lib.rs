//! RFC 2217 on a `mio` event loop: remote ports that register with the
//! caller's `mio::Poll`, and a server that serves many devices and clients
//! from one thread. Everything on the wire comes from `rfc2217-proto`.

mod client;
mod server;

pub use client::*;
pub use server::*;
