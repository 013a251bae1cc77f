//! The run loop of a remote port: the core's rule (after every input,
//! drain the events, then the transmit queue) over a non-blocking socket
//! and bounded buffers.
//!
//! Input stops when a buffer the caller drains is full (received data,
//! events), or when the session cannot queue the answers it needs: it is
//! drained into `outbound` only while that has room, so a server that
//! sends requests but does not read the answers is held back by the core.
//! Our own data backing up never stops input: the server's
//! FLOWCONTROL-SUSPEND arrives in-band, and must be read. Unconsumed
//! socket bytes wait in `held`; whatever frees room calls
//! [`RemotePort::drive`] again, so no readiness edge is ever needed twice.

use std::io::{self, Read, Write};
use std::time::Instant;

use log::trace;
use rfc2217_proto::TRANSMIT_QUEUE_CAPACITY;

use super::{RemotePort, OUTBOUND_CAPACITY};

/// Bytes read from the socket at once.
const READ_CHUNK: usize = 16 * 1024;

impl RemotePort {
    /// Decodes held input and sends; with `read`, reads the socket until it
    /// would block or a buffer is full.
    pub(super) fn drive(&mut self, read: bool) {
        loop {
            self.decode_held();
            self.transmit();
            if !read || !self.read_socket() {
                break;
            }
        }
    }

    /// The port can take input from the socket now.
    pub(super) fn wants_read(&self) -> bool {
        self.socket.is_connected() && self.held.is_empty() && self.core.has_room_for_input()
    }

    /// Moves what waits, then what the session queued, to the socket, as
    /// far as it takes it. The session keeps its queue while `outbound` is
    /// full. Once the core has closed, the socket is shut.
    pub(super) fn transmit(&mut self) {
        if self.core.closed().is_some() {
            return self.shut();
        }
        self.flush_outbound();
        if self.outbound.len() >= OUTBOUND_CAPACITY {
            return;
        }
        let mut out = [0u8; TRANSMIT_QUEUE_CAPACITY];
        let n = self.core.poll_transmit(&mut out);
        self.send(&out[..n]);
    }

    /// Writes `bytes` after what waits (flushed by the caller): straight to
    /// the socket when nothing waits, and what the socket does not take
    /// waits in `outbound`.
    pub(super) fn send(&mut self, bytes: &[u8]) {
        let written = if self.outbound.is_empty() && self.socket.is_connected() {
            self.write_socket(bytes)
        } else {
            0
        };
        if self.core.closed().is_none() {
            self.outbound.extend(&bytes[written..]);
        }
    }

    /// Writes what waits, as far as the socket takes it. The bytes are made
    /// contiguous first, so that what was queued together leaves together.
    pub(super) fn flush_outbound(&mut self) {
        if self.outbound.is_empty() || !self.socket.is_connected() {
            return;
        }
        let mut waiting = std::mem::take(&mut self.outbound);
        let written = self.write_socket(waiting.make_contiguous());
        waiting.drain(..written);
        if self.core.closed().is_none() {
            self.outbound = waiting;
        }
    }

    /// Writes as much of `bytes` as the socket takes now; an error ends
    /// the connection.
    fn write_socket(&mut self, bytes: &[u8]) -> usize {
        let mut written = 0;
        while written < bytes.len() {
            match self.socket.stream().write(&bytes[written..]) {
                Ok(0) => {
                    self.close(io::Error::from(io::ErrorKind::WriteZero).to_string());
                    break;
                }
                Ok(n) => written += n,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) => {
                    self.close(error.to_string());
                    break;
                }
            }
        }
        written
    }

    /// One read of the socket, decoded; false when there is nothing more
    /// to read now (or no room for it).
    fn read_socket(&mut self) -> bool {
        if !self.wants_read() {
            return false;
        }
        let mut input = [0u8; READ_CHUNK];
        match self.socket.stream().read(&mut input) {
            Ok(0) => {
                self.close("the server closed the connection".to_owned());
                false
            }
            Ok(n) => {
                trace!("{}: received {n} bytes", self.core.name());
                let used = self.decode(&input[..n]);
                self.held.extend_from_slice(&input[used..n]);
                true
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => true,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => false,
            Err(error) => {
                self.close(error.to_string());
                false
            }
        }
    }

    fn decode_held(&mut self) {
        if self.held.is_empty() {
            return;
        }
        let held = std::mem::take(&mut self.held);
        let used = self.decode(&held);
        self.held = held;
        self.held.drain(..used);
    }

    /// Feeds socket bytes to the core, sending the answers they ask for
    /// between steps, while it takes them; returns how many it took.
    fn decode(&mut self, input: &[u8]) -> usize {
        let mut used = 0;
        while used < input.len() {
            let step = self.core.handle_input(Instant::now(), &input[used..]);
            used += step;
            self.transmit();
            if step == 0 {
                break; // no room, or a drain the socket cannot take now
            }
        }
        used
    }

    /// Ends the connection: the core fails what waits and reports it.
    fn close(&mut self, reason: String) {
        self.core.close(reason);
        self.shut();
    }

    /// Shuts the socket and drops what would have gone through it.
    fn shut(&mut self) {
        self.socket.close();
        self.held = Vec::new();
        self.outbound.clear();
    }
}
