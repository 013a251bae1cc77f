//! The client: [`RemotePort`], opened with [`OpenOptions`].

mod any;
mod connection;
mod port;
mod serial;

pub use any::open_port;
pub use port::{OpenOptions, RemotePort};
pub use rfc2217_client::Error;
