//! Serial devices a server can serve.
//!
//! The server talks to its device through two small traits, so it never
//! knows whether bytes go to a UART, a pty or an in-process loop:
//!
//! * [`Device`]: the handle the network-to-device thread owns. It writes
//!   data, applies settings and control requests and answers with the value
//!   in use, purges, sends breaks and restores the defaults between clients.
//! * [`DeviceReader`]: a second handle for the device-to-network thread. It
//!   reads data and samples the modem lines and line state, so reading never
//!   waits for a write or a settings change, and the other way round.
//!
//! Three devices come with the crate: [`Loopback`] (`loop://`), a serial port
//! through the `serialport` crate ([`SerialDevice`], also used for ptys) and,
//! on Unix, [`PtyPair`] to give tests a pty with a far end they control.
//! A [`DeviceOpener`] (such as a parsed [`DeviceSpec`]) opens a device again
//! after it failed.

mod loopback;
#[cfg(unix)]
mod pty;
mod serial;
mod spec;

use std::io;
use std::time::Duration;

use rfc2217_client::Settings;
use rfc2217_proto::{Command, LineState, ModemState, Purge};

pub use loopback::Loopback;
#[cfg(unix)]
pub use pty::PtyPair;
pub use serial::SerialDevice;
pub use spec::{DeviceOpener, DeviceSpec};

/// The side of a serial device that takes data and requests.
///
/// Every method may block, but only for a bounded time, so the server can
/// notice a client that left. An `Err` means the device is unusable (it
/// vanished): the server closes the connection and opens the device again
/// for the next client. A request the device cannot carry out is no error:
/// it is answered with the value the device really uses.
pub trait Device: Send {
    /// A name for logs and the default signature, e.g. `/dev/ttyUSB0`.
    fn name(&self) -> String;

    /// A second handle for reading, used by another thread at the same time.
    fn reader(&self) -> io::Result<Box<dyn DeviceReader>>;

    /// Writes some of `data`, waiting at most `timeout` for the device to
    /// take any. `Ok(0)` means it took nothing in that time (flow control,
    /// a full buffer); the caller tries again.
    fn write(&mut self, data: &[u8], timeout: Duration) -> io::Result<usize>;

    /// Applies a settings or SET-CONTROL request (value 0 or a query value:
    /// only reads) and returns the value now in use, which may differ from
    /// the one asked for.
    fn apply(&mut self, request: Command) -> io::Result<Command>;

    /// Empties the device's receive buffer, transmit buffer or both.
    fn purge(&mut self, purge: Purge) -> io::Result<()>;

    /// Holds the line in break for about `duration`, then releases it.
    fn send_break(&mut self, duration: Duration) -> io::Result<()>;

    /// Puts the device back as a new client expects to find it: `defaults`
    /// applied, DTR and RTS off, no break. The server calls it when a
    /// client leaves, so the next one starts clean.
    fn restore(&mut self, defaults: &Settings) -> io::Result<()>;
}

/// The side of a serial device that delivers data and line states.
pub trait DeviceReader: Send {
    /// Reads what the device received into `buf`, waiting at most `timeout`
    /// for something to arrive. `Ok(0)` means nothing came in that time.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize>;

    /// The modem input lines now: CD, RI, DSR, CTS (no change bits). A
    /// device without modem lines (a pty) reports [`ModemState::EMPTY`].
    fn modem_lines(&mut self) -> io::Result<ModemState>;

    /// Line conditions seen since the last call (break, framing, parity,
    /// overrun errors), where the device can tell; empty otherwise.
    fn line_state(&mut self) -> io::Result<LineState> {
        Ok(LineState::EMPTY)
    }
}

/// `Err` for a device that is gone: what reads and writes return once the
/// far end of a pty or a [`Loopback`] was unplugged.
fn vanished(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        format!("{what}: device vanished"),
    )
}
