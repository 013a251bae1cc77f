//! The serial devices an RFC 2217 server serves, behind one contract that
//! never waits.
//!
//! A server moves bytes between a client and a [`Device`] from whatever
//! drives it: a thread per client, or one event loop for thousands. So a
//! device call returns at once. A read or write that cannot proceed now
//! returns `Ok(0)`; the server tries again when the device's descriptor is
//! ready ([`Device::as_raw_fd`]) or, for a device without one, after its
//! own next call that could have changed it. A break is switched on and off
//! with SET-CONTROL BREAK-ON / BREAK-OFF through [`Device::apply`], and the
//! server times it.
//!
//! Three devices come with the crate: [`Loopback`] (`loop://`), a serial
//! port through the `serialport` crate ([`SerialDevice`], also used for
//! ptys) and, with the `pty-pair` feature on Unix, `PtyPair`, a test
//! fixture: a pty whose far end the test holds. A [`DeviceOpener`] (such as
//! a parsed [`DeviceSpec`]) opens a device again after it failed.
//! [`Settings`] are the line settings in the `serialport` crate's types,
//! with their RFC 2217 requests.

mod loopback;
#[cfg(all(unix, feature = "pty-pair"))]
mod pty;
mod serial;
mod settings;
mod spec;

use std::io;
#[cfg(unix)]
use std::os::fd::RawFd;

use rfc2217_proto::{Command, LineState, ModemState, Purge};

pub use loopback::Loopback;
#[cfg(all(unix, feature = "pty-pair"))]
pub use pty::PtyPair;
pub use serial::SerialDevice;
pub use settings::{
    data_bits_from, data_bits_request, flow_control_from, flow_control_request, parity_from,
    parity_request, stop_bits_from, stop_bits_request, Settings,
};
pub use spec::{DeviceOpener, DeviceSpec};

/// A serial device, driven without waiting.
///
/// Every method returns at once. `Ok(0)` from [`read`](Self::read) or
/// [`write`](Self::write) means "not now" (nothing received, or no room),
/// never the end of the device. An `Err` means the device is unusable (it
/// vanished): the server ends the connection and opens the device again
/// for the next client. A request the device cannot carry out is no error:
/// it is answered with the value the device really uses.
///
/// When can a read or write that returned `Ok(0)` succeed? A device with a
/// file descriptor says so through it: the server waits on
/// [`as_raw_fd`](Self::as_raw_fd) (a `mio` registration, a `poll`). A
/// device without one (an in-process device such as [`Loopback`]) must
/// change only through the server's own calls: the server reads it again
/// after every write to it and at every modem poll, and never waits for it
/// otherwise.
pub trait Device: Send {
    /// A name for logs and the default signature, e.g. `/dev/ttyUSB0`.
    fn name(&self) -> String;

    /// The descriptor to wait on for reads and writes, if the device has
    /// one. The device keeps it non-blocking.
    #[cfg(unix)]
    fn as_raw_fd(&self) -> Option<RawFd> {
        None
    }

    /// Reads what the device received into `buf`; `Ok(0)` if nothing is
    /// there now.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize>;

    /// Writes what the device takes now of `data`; `Ok(0)` if it takes
    /// nothing now (flow control, a full buffer).
    fn write(&mut self, data: &[u8]) -> io::Result<usize>;

    /// Applies a settings or SET-CONTROL request (value 0 or a query value:
    /// only reads) and returns the value now in use, which may differ from
    /// the one asked for. BREAK-ON and BREAK-OFF switch the line's break;
    /// the caller decides how long it lasts.
    fn apply(&mut self, request: Command) -> io::Result<Command>;

    /// Empties the device's receive buffer, transmit buffer or both.
    fn purge(&mut self, purge: Purge) -> io::Result<()>;

    /// The modem input lines now: CD, RI, DSR, CTS (no change bits). A
    /// device without modem lines (a pty) reports [`ModemState::EMPTY`].
    fn modem_lines(&mut self) -> io::Result<ModemState>;

    /// Line conditions seen since the last call (break, framing, parity,
    /// overrun errors), where the device can tell; empty otherwise.
    fn line_state(&mut self) -> io::Result<LineState> {
        Ok(LineState::EMPTY)
    }

    /// Puts the device back as a new client expects to find it: `defaults`
    /// applied, DTR and RTS off, no break. The server calls it when it
    /// opens the device and when a client leaves, so the next one starts
    /// clean.
    fn restore(&mut self, defaults: &Settings) -> io::Result<()>;
}

/// `Err` for a device that is gone: what reads and writes return once the
/// far end of a pty or a [`Loopback`] was unplugged.
fn vanished(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        format!("{what}: device vanished"),
    )
}
