//! The same program for a local serial port and a remote one: it only uses
//! the `serialport::SerialPort` trait.
//!
//! ```sh
//! cargo run -p rfc2217-blocking --example any_port -- /dev/ttyUSB0
//! cargo run -p rfc2217-blocking --example any_port -- rfc2217://127.0.0.1:2217
//! ```

use std::io::{Read, Write};
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let name = std::env::args()
        .nth(1)
        .ok_or("usage: any_port DEVICE-OR-URL (e.g. /dev/ttyUSB0 or rfc2217://127.0.0.1:2217)")?;
    let mut port = rfc2217_blocking::open_port(&name, 115_200)?;
    port.set_timeout(Duration::from_millis(500))?;
    port.write_data_terminal_ready(true)?;
    println!(
        "{name}: {} baud, {:?} data bits, {:?} parity, {:?} stop bits, {:?} flow control",
        port.baud_rate()?,
        port.data_bits()?,
        port.parity()?,
        port.stop_bits()?,
        port.flow_control()?
    );
    port.write_all(b"AT\r")?;
    port.flush()?;
    let mut reply = [0u8; 256];
    match port.read(&mut reply) {
        Ok(n) => println!("read {:?}", String::from_utf8_lossy(&reply[..n])),
        Err(error) if error.kind() == std::io::ErrorKind::TimedOut => println!("no answer"),
        Err(error) => return Err(error.into()),
    }
    println!(
        "CTS {} DSR {} RI {} CD {}",
        port.read_clear_to_send()?,
        port.read_data_set_ready()?,
        port.read_ring_indicator()?,
        port.read_carrier_detect()?
    );
    Ok(())
}
