//! A minimal client: open a remote port, set it up, talk to it.
//!
//! `cargo run -p rfc2217-blocking --example client -- rfc2217://127.0.0.1:2217`

use std::io::{Read, Write};
use std::time::Duration;

use rfc2217_blocking::{OpenOptions, OpenOptionsExt};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    env_logger::init();
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "rfc2217://127.0.0.1:2217".into());
    let mut port = OpenOptions::from_url(&url)?
        .baud_rate(115_200)
        .read_timeout(Some(Duration::from_secs(1)))
        .open()?;
    port.set_dtr_rts(false, false)?; // e.g. release a board from reset
    port.write_all(b"hello \xff world\r\n")?;
    port.flush()?; // returns once the server has processed it
    let mut echo = [0u8; 64];
    let n = port.read(&mut echo)?;
    println!("got {:?}", String::from_utf8_lossy(&echo[..n]));
    println!("state: {:?}", port.state());
    Ok(())
}
