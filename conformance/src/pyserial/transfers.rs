//! The far end's half of a data scenario, on a thread of its own while
//! the client writes or reads: receiving what the client writes, or
//! sending what it reads. Each ends with a byte-for-byte comparison and,
//! if all arrived, a timing.

use std::fs;
use std::io;
use std::path::Path;
use std::thread::{self, JoinHandle};
use std::time::Instant;

use serialport::TTYPort;

use crate::device;

/// Bytes written to the far end at a time.
const CHUNK: usize = 4096;

/// A transfer under way.
pub(super) enum Transfer {
    /// The client writes, the far end receives.
    ToDevice(ToDevice),
    /// The far end sends, the client reads.
    FromDevice(FromDevice),
}

/// Receives at the far end what the client writes.
pub(super) struct ToDevice {
    started: Instant,
    /// What arrived, and when the last of it did.
    thread: JoinHandle<(Vec<u8>, Instant)>,
}

impl ToDevice {
    /// Starts receiving `len` bytes at `far_end`.
    pub(super) fn start(mut far_end: TTYPort, len: usize) -> ToDevice {
        let thread = thread::spawn(move || {
            let received = device::receive(&mut far_end, len);
            (received, Instant::now())
        });
        ToDevice {
            started: Instant::now(),
            thread,
        }
    }

    /// Once the client wrote it all: what arrived must be `expected`.
    /// Returns the timing.
    pub(super) fn finish(self, expected: &[u8]) -> Result<String, String> {
        let (received, finished) = self
            .thread
            .join()
            .map_err(|_| "the far end's reader panicked".to_owned())?;
        device::compare("at the device", expected, &received)?;
        Ok(device::rate(received.len(), finished - self.started))
    }
}

/// Writes the payload at the far end for the client to read.
pub(super) struct FromDevice {
    started: Instant,
    thread: JoinHandle<io::Result<()>>,
}

impl FromDevice {
    /// Starts sending `payload` at `far_end`.
    pub(super) fn start(mut far_end: TTYPort, payload: Vec<u8>) -> FromDevice {
        let thread = thread::spawn(move || {
            payload
                .chunks(CHUNK)
                .try_for_each(|chunk| device::send(&mut far_end, chunk))
        });
        FromDevice {
            started: Instant::now(),
            thread,
        }
    }

    /// Once the client read it all into `received`: that must be
    /// `expected`. Returns the timing.
    pub(super) fn finish(self, expected: &[u8], received: &Path) -> Result<String, String> {
        let elapsed = self.started.elapsed();
        let written = self
            .thread
            .join()
            .map_err(|_| "the far end's writer panicked".to_owned())?;
        let received = fs::read(received)
            .map_err(|error| format!("cannot read what the client received: {error}"))?;
        let compared = device::compare("at the client", expected, &received);
        match (written, compared) {
            (Ok(()), Ok(())) => Ok(device::rate(received.len(), elapsed)),
            (Ok(()), Err(text)) => Err(text),
            (Err(error), Ok(())) => Err(format!("writing at the far end failed: {error}")),
            (Err(error), Err(text)) => {
                Err(format!("{text} (writing at the far end failed: {error})"))
            }
        }
    }
}
