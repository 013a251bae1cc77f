//! Opening a local device or a remote one by name, behind the same trait.

use serialport::SerialPort;

use super::{OpenOptions, OpenOptionsExt};

/// Opens `name` as a `serialport::SerialPort` at `baud_rate`: a local
/// device (`/dev/ttyUSB0`, `COM3`) through the `serialport` crate, or a
/// remote one if `name` is an `rfc2217://` URL. Code written against the
/// trait works the same with either.
pub fn open_port(name: &str, baud_rate: u32) -> serialport::Result<Box<dyn SerialPort>> {
    if name
        .get(..10)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("rfc2217://"))
    {
        let port = OpenOptions::from_url(name)?.baud_rate(baud_rate).open()?;
        Ok(Box::new(port))
    } else {
        serialport::new(name, baud_rate).open()
    }
}
