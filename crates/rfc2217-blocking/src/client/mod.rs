//! The client: [`RemotePort`], opened with [`OpenOptions`].

mod connection;
mod error;
mod port;
mod serial;

pub use error::Error;
pub use port::{OpenOptions, RemotePort};
