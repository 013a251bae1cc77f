//! The client: [`RemotePort`], a serial port on an RFC 2217 server that a
//! `mio` loop drives, opened with [`OpenOptions`].

mod event;
mod link;
mod opening;
mod options;
mod port;

pub use event::PortEvent;
pub use options::OpenOptions;
pub use port::RemotePort;
pub use rfc2217_port::Error;
