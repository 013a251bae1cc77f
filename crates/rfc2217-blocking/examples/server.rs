//! A minimal RFC 2217 server: serves `loop://`, or the serial port given as
//! the argument, on 127.0.0.1:2217 until interrupted.
//!
//! Run: `RUST_LOG=debug cargo run -p rfc2217-blocking --example server -- /dev/ttyUSB0`

use rfc2217_blocking::{DeviceSpec, Server, ServerConfig};

fn main() -> std::io::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let device: DeviceSpec = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "loop://".to_owned())
        .parse()?;
    let server = Server::bind("127.0.0.1:2217", ServerConfig::new(device))?;
    server.run()
}
