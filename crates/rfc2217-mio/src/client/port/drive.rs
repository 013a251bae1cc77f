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

use log::{debug, info, trace, warn};
use rfc2217_client::{Error, Outcome};
use rfc2217_proto::{ClientEvent, Command, RequestId, TRANSMIT_QUEUE_CAPACITY};

use super::{RemotePort, EVENT_CAPACITY, OUTBOUND_CAPACITY, RECEIVE_CAPACITY};
use crate::client::PortEvent;

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
        self.link.is_connected() && self.held.is_empty() && self.has_room_for_input()
    }

    fn has_room_for_input(&self) -> bool {
        self.received.len() < RECEIVE_CAPACITY && self.events.len() < EVENT_CAPACITY
    }

    /// Moves what waits, then what the session queued, to the socket, as
    /// far as it takes it. The session keeps its queue while `outbound` is
    /// full.
    pub(super) fn transmit(&mut self) {
        self.drain_session_events();
        self.flush_outbound();
        if self.closed.is_some() || self.outbound.len() >= OUTBOUND_CAPACITY {
            return;
        }
        let mut out = [0u8; TRANSMIT_QUEUE_CAPACITY];
        let n = self.session.poll_transmit(&mut out);
        self.send(&out[..n]);
    }

    /// Writes `bytes` after what waits (flushed by the caller): straight to
    /// the socket when nothing waits, and what the socket does not take
    /// waits in `outbound`.
    pub(super) fn send(&mut self, bytes: &[u8]) {
        let written = if self.outbound.is_empty() && self.link.is_connected() {
            self.write_socket(bytes)
        } else {
            0
        };
        if self.closed.is_none() {
            self.outbound.extend(&bytes[written..]);
        }
    }

    /// Writes what waits, as far as the socket takes it. The bytes are made
    /// contiguous first, so that what was queued together leaves together.
    pub(super) fn flush_outbound(&mut self) {
        if self.outbound.is_empty() || !self.link.is_connected() {
            return;
        }
        let mut waiting = std::mem::take(&mut self.outbound);
        let written = self.write_socket(waiting.make_contiguous());
        waiting.drain(..written);
        if self.closed.is_none() {
            self.outbound = waiting;
        }
    }

    /// Writes as much of `bytes` as the socket takes now; an error ends
    /// the connection.
    fn write_socket(&mut self, bytes: &[u8]) -> usize {
        let mut written = 0;
        while written < bytes.len() {
            match self.link.stream().write(&bytes[written..]) {
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
        match self.link.stream().read(&mut input) {
            Ok(0) => {
                self.close("the server closed the connection".to_owned());
                false
            }
            Ok(n) => {
                trace!("{}: received {n} bytes", self.name);
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

    /// Feeds socket bytes to the session while there is room for what they
    /// make; returns how many it took.
    fn decode(&mut self, input: &[u8]) -> usize {
        let mut data = [0u8; READ_CHUNK];
        let mut used = 0;
        while used < input.len() && self.closed.is_none() && self.has_room_for_input() {
            // The session writes no more data than it takes input, so
            // feeding at most `room` bytes keeps `received` bounded.
            let room = (RECEIVE_CAPACITY - self.received.len()).min(data.len());
            let now = self.session_time(Instant::now());
            let rest = &input[used..];
            let step = self
                .session
                .handle_input(now, &rest[..rest.len().min(room)], &mut data);
            used += step.consumed;
            self.received.extend(&data[..step.data_len]);
            // The events, and the answers the input asked for.
            self.transmit();
            if step.consumed == 0 && step.data_len == 0 {
                break; // the session needs a drain the buffers cannot take
            }
        }
        used
    }

    /// Takes every event the session queued; true if there was any.
    pub(super) fn drain_session_events(&mut self) -> bool {
        let mut any = false;
        while let Some(event) = self.session.poll_event() {
            any = true;
            self.handle_session_event(event);
        }
        any
    }

    fn handle_session_event(&mut self, event: ClientEvent) {
        match event {
            ClientEvent::Reply { id, reply, status } => {
                debug!("{}: answer {reply} ({status:?})", self.name);
                self.state.record_reply(&reply);
                if let Some(id) = id {
                    self.conclude(id, Outcome::Answered { reply, status });
                }
            }
            ClientEvent::Signature {
                id,
                signature,
                status,
            } => {
                debug!("{}: server signature {signature} ({status:?})", self.name);
                self.state.record_signature(signature);
                if let Some(id) = id {
                    let reply = Command::Signature;
                    self.conclude(id, Outcome::Answered { reply, status });
                }
            }
            ClientEvent::Timeout { id, request } => {
                debug!("{}: no answer to {request}", self.name);
                self.conclude(id, Outcome::TimedOut);
            }
            ClientEvent::ModemState(lines) => {
                self.state.record_modem(lines, Instant::now());
                self.events.push_back(PortEvent::ModemState(lines));
            }
            ClientEvent::LineState(state) => {
                self.state.record_line(state);
                self.events.push_back(PortEvent::LineState(state));
            }
            ClientEvent::ComPortActive => self.check_opening(),
            ClientEvent::ComPortUnavailable(why) => {
                // While connecting, the negotiation timer bounds the connect.
                let error = if self.link.is_connecting() {
                    self.link.timed_out(self.answer_timeout)
                } else {
                    Error::no_com_port(why, self.answer_timeout)
                };
                self.fail(error);
            }
            ClientEvent::Suspended => {
                debug!("{}: the server suspended our sending", self.name);
                self.events.push_back(PortEvent::Suspended);
            }
            ClientEvent::Resumed => {
                debug!("{}: the server resumed our sending", self.name);
                self.events.push_back(PortEvent::Resumed);
            }
            ClientEvent::PeerViolation(violation) => {
                warn!("{}: the server broke the protocol: {violation}", self.name)
            }
            other => trace!("{}: {other:?}", self.name),
        }
    }

    /// Reports how request `id` ended: to the opening, or to the caller.
    /// A late answer to a request already reported is dropped.
    fn conclude(&mut self, id: RequestId, outcome: Outcome) {
        if let Some(opening) = &mut self.opening {
            if let Some(request) = opening.request(id) {
                let result = outcome.into_result(request, self.answer_timeout);
                opening.conclude(id, result.map(drop));
                return self.check_opening();
            }
        }
        if let Some(at) = self
            .awaited
            .iter()
            .position(|awaited| awaited.session == id)
        {
            let awaited = self.awaited.remove(at);
            let result = outcome.into_result(awaited.request, self.answer_timeout);
            self.events.push_back(PortEvent::Answer {
                id: awaited.id,
                result,
            });
        }
    }

    /// Reports the port open, or the opening's first failure, once
    /// COM-PORT-OPTION is agreed and every opening answer came.
    fn check_opening(&mut self) {
        let decided = self
            .opening
            .as_ref()
            .is_some_and(|opening| opening.is_complete() && self.session.is_com_port_active());
        if !decided {
            return;
        }
        let Some(opening) = self.opening.take() else {
            return;
        };
        let started = opening.started;
        match opening.verdict() {
            Ok(()) => {
                info!(
                    "{}: opened in {:.1} ms",
                    self.name,
                    started.elapsed().as_secs_f64() * 1000.0
                );
                self.modem_asked = Some(Instant::now());
                self.events.push_back(PortEvent::Opened);
            }
            Err(error) => {
                self.events.push_back(PortEvent::OpenFailed(error));
                self.close("the port could not be opened".to_owned());
            }
        }
    }

    /// Ends the connection for `error`: while opening, as the open's failure.
    pub(super) fn fail(&mut self, error: Error) {
        let reason = error.to_string();
        if self.opening.take().is_some() {
            self.events.push_back(PortEvent::OpenFailed(error));
        }
        self.close(reason);
    }

    /// Ends the connection: every awaited request fails, then `Closed`.
    fn close(&mut self, reason: String) {
        if self.closed.is_some() {
            return;
        }
        debug!("{}: connection ended: {reason}", self.name);
        self.link.close();
        self.held = Vec::new();
        self.outbound.clear();
        if self.opening.take().is_some() {
            let error = Error::Closed(reason.clone());
            self.events.push_back(PortEvent::OpenFailed(error));
        }
        for awaited in std::mem::take(&mut self.awaited) {
            let result = Err(Error::Closed(reason.clone()));
            self.events.push_back(PortEvent::Answer {
                id: awaited.id,
                result,
            });
        }
        self.events.push_back(PortEvent::Closed(reason.clone()));
        self.closed = Some(reason);
    }
}
