//! What the server tests share. The test client is the blocking server's:
//! the core's client `Session` over a `TcpStream`, running the documented
//! loop with every wait bounded. Only starting a server differs.

#![allow(dead_code, unused_imports, unreachable_pub)] // each test file uses a part

#[path = "../../../rfc2217-blocking/tests/server_common/mod.rs"]
mod blocking_common;

pub use blocking_common::{random_bytes, read_refusal, TestClient, PATIENCE};

use rfc2217_mio::{PortConfig, RunningServer, Server};

/// Starts a server with one port for `config` on a free port of 127.0.0.1.
pub fn start(config: PortConfig) -> RunningServer {
    start_ports(vec![config])
}

/// Starts one server with a port for each of `configs`.
pub fn start_ports(configs: Vec<PortConfig>) -> RunningServer {
    let _ = env_logger::builder().is_test(true).try_init();
    let mut server = Server::new().expect("poll");
    for config in configs {
        server.add_port("127.0.0.1:0", config).expect("bind");
    }
    server.spawn().expect("spawn")
}
