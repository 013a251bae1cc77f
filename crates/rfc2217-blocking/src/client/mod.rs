//! The client: [`RemotePort`], opened with [`OpenOptions`] and
//! [`OpenOptionsExt::open`]. What the port does with the server's bytes
//! (options, opening, requests, state, errors) is `rfc2217-client`'s; this
//! module connects, moves the bytes on a reader thread, and waits.

mod any;
mod connection;
mod open;
mod remote_port;
mod serial;

pub use any::open_port;
pub use open::OpenOptionsExt;
pub use remote_port::RemotePort;
pub use rfc2217_client::{Error, OpenOptions};
