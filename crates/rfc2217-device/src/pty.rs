//! A pty pair for tests (feature `pty-pair`): the server serves one end as
//! its serial device, the test reads and writes the other.

use std::io;

use serialport::TTYPort;

use crate::DeviceSpec;

/// A pseudo-terminal pair from [`TTYPort::pair`]: the subsidiary end is the
/// device a server serves (by its path, so the server can open it again),
/// the controlling end ([`far_end`](Self::far_end)) plays the equipment
/// plugged into it.
///
/// A pty has no modem lines and forces 8 data bits without parity; see
/// [`SerialDevice`](crate::SerialDevice). The pair keeps its own handle on
/// the subsidiary end open, so the pty survives the server closing and
/// reopening it; dropping [`far_end`](Self::far_end) makes the device
/// vanish.
pub struct PtyPair {
    /// The controlling end: what the server's device sends arrives here,
    /// and what is written here the device receives.
    pub far_end: TTYPort,
    /// Keeps the subsidiary end open between the server's uses.
    _keep: TTYPort,
    path: String,
}

impl PtyPair {
    /// Opens a new pty pair.
    pub fn new() -> io::Result<Self> {
        let (far_end, keep) = TTYPort::pair().map_err(io::Error::from)?;
        let path = serialport::SerialPort::name(&keep)
            .ok_or_else(|| io::Error::other("the pty has no path"))?;
        Ok(PtyPair {
            far_end,
            _keep: keep,
            path,
        })
    }

    /// The device's path, e.g. `/dev/pts/3`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What a server is given to serve the device (and to reopen it).
    pub fn spec(&self) -> DeviceSpec {
        DeviceSpec::Path(self.path.clone())
    }
}
