//! What the rfc2217 tests share (not published): a [`TestClient`] built
//! from the core's client session, a [`Stallable`] device, and
//! [`ServerKind`], which starts either server from one `ServerConfig`, so a
//! server scenario in `tests/` is written once and run against both with
//! [`on_both_servers!`].

mod servers;
mod stallable;
mod test_client;

pub use servers::{ServerKind, TestServer};
pub use stallable::Stallable;
pub use test_client::{random_bytes, read_refusal, TestClient, PATIENCE};
