//! What the rfc2217 tests share (not published), so that each scenario is
//! written once and run against every server or every client:
//!
//! * [`ServerKind`] starts either server from one `ServerConfig`;
//!   [`on_both_servers!`] runs a server scenario against both.
//! * [`TestClient`], a client built from the core's session, for server
//!   scenarios that need to see every frame.
//! * [`client::Client`], what a client scenario asks of a client, with the
//!   thread client and the mio client behind it; [`on_every_client!`] and
//!   [`on_every_client_and_server!`] run a scenario on each.
//! * [`mio_facade::Driver`], the blocking facade over the mio client.
//! * [`fake_server`], scripted servers that misbehave on purpose, and
//!   [`Stallable`], a device that stops taking or giving data on demand.

pub mod client;
pub mod data;
pub mod fake_server;
pub mod mio_facade;
mod servers;
mod stallable;
mod test_client;

pub use data::{random_bytes, url, PATIENCE};
pub use servers::{ServerKind, TestServer};
pub use stallable::Stallable;
pub use test_client::{read_refusal, TestClient};
