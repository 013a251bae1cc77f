//! A loopback that stops taking or giving data on demand: a device whose
//! flow control holds it, for the tests of backpressure.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rfc2217_device::{Device, DeviceOpener, Loopback, Settings};
use rfc2217_proto::{Command, LineState, ModemState, Purge};

/// The switches of a stallable device and the loopback behind it; the
/// device itself comes from [`opener`](Self::opener), as a server opens it.
///
/// The device has no file descriptor, and its switches change it from
/// outside the server's calls; a server notices at its next modem poll,
/// which is how a device without a descriptor is looked at (see
/// [`Device`]).
#[derive(Clone)]
pub struct Stallable {
    loopback: Loopback,
    writes_stalled: Arc<AtomicBool>,
    reads_stalled: Arc<AtomicBool>,
}

impl Stallable {
    /// A loopback holding `capacity` bytes, taking and giving data.
    pub fn new(capacity: usize) -> Stallable {
        Stallable {
            loopback: Loopback::with_capacity(capacity),
            writes_stalled: Arc::default(),
            reads_stalled: Arc::default(),
        }
    }

    /// While `stalled`, the device takes no data (writes return `Ok(0)`).
    pub fn stall_writes(&self, stalled: bool) {
        self.writes_stalled.store(stalled, Ordering::Release);
    }

    /// While `stalled`, the device gives no data (reads return `Ok(0)`),
    /// so what it was given stays in it.
    pub fn stall_reads(&self, stalled: bool) {
        self.reads_stalled.store(stalled, Ordering::Release);
    }

    /// Bytes written to the device and not yet read back.
    pub fn buffered(&self) -> usize {
        self.loopback.buffered()
    }

    /// Opens the device again and again on the same loopback and switches.
    pub fn opener(&self) -> impl DeviceOpener {
        let device = self.clone();
        move || Ok(Box::new(device.clone()) as Box<dyn Device>)
    }
}

impl Device for Stallable {
    fn name(&self) -> String {
        "stallable loop".into()
    }
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.reads_stalled.load(Ordering::Acquire) {
            return Ok(0);
        }
        self.loopback.read(buf)
    }
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.writes_stalled.load(Ordering::Acquire) {
            return Ok(0);
        }
        self.loopback.write(data)
    }
    fn apply(&mut self, request: Command) -> io::Result<Command> {
        self.loopback.apply(request)
    }
    fn purge(&mut self, purge: Purge) -> io::Result<()> {
        self.loopback.purge(purge)
    }
    fn modem_lines(&mut self) -> io::Result<ModemState> {
        self.loopback.modem_lines()
    }
    fn line_state(&mut self) -> io::Result<LineState> {
        self.loopback.line_state()
    }
    fn restore(&mut self, defaults: &Settings) -> io::Result<()> {
        self.loopback.restore(defaults)
    }
}
