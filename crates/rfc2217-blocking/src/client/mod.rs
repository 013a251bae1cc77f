//! The client: [`RemotePort`], opened with [`OpenOptions`].

mod any;
mod connection;
mod error;
mod port;
mod serial;

pub use any::open_port;
pub use error::Error;
pub use port::{OpenOptions, RemotePort};
