//! What the rfc2217 tests share, so that each scenario is written once and
//! run against every client and every server.

pub mod client;
pub mod data;
pub mod fake_server;
pub mod mio_facade;
pub mod servers;
