//! An RFC 2217 server for several devices on one thread: each argument is
//! `[ADDRESS=]DEVICE`, a device being `loop://` or a serial port path.
//! Without an address, devices are served on 127.0.0.1 from port 2217 on;
//! without arguments, `loop://` is served on 127.0.0.1:2217. Runs until
//! interrupted.
//!
//! Run: `RUST_LOG=debug cargo run -p rfc2217-mio --example mio_server -- loop:// 127.0.0.1:3000=/dev/ttyUSB0`

use std::net::SocketAddr;

use rfc2217_mio::{DeviceSpec, Server, ServerConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        args.push("loop://".to_owned());
    }
    let mut server = Server::new()?;
    for (n, arg) in args.iter().enumerate() {
        let (addr, device) = match arg.split_once('=') {
            Some((addr, device)) => (addr.parse::<SocketAddr>()?, device),
            None => (
                SocketAddr::from(([127, 0, 0, 1], 2217 + n as u16)),
                arg.as_str(),
            ),
        };
        if !addr.ip().is_loopback() {
            log::warn!("{addr} is reachable from other hosts: RFC 2217 has no authentication");
        }
        let device: DeviceSpec = device.parse()?;
        server.add_device(addr, ServerConfig::new(device))?;
    }
    server.run()?;
    Ok(())
}
