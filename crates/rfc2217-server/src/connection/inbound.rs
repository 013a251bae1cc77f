//! Socket to device: client input through the session, its data to the
//! device and its requests carried out, in the order they came.

use std::io;
use std::time::Instant;

use log::{debug, info};
use rfc2217_device::Device;
use rfc2217_proto::{
    Command, Control, DataSize, Parity, Purge, ServerEvent, StopSize, TelnetCommand,
};

use super::{Connection, Ending, Scratch, BREAK_DURATION, CHUNK, OUT_LIMIT};

impl Connection {
    /// Moves held client input on until a stage refuses it; returns the
    /// bytes and events moved.
    pub(super) fn inbound(
        &mut self,
        now: Instant,
        device: &mut dyn Device,
        scratch: &mut Scratch,
    ) -> Result<usize, Ending> {
        let mut moved = self.drain_to_device(now, device)?;
        if self.may_decode() && !self.wire_in.is_empty() && self.wire_out.len() < OUT_LIMIT {
            let held = std::mem::take(&mut self.wire_in);
            let taken = self.decode(now, held.as_slice(), &mut scratch.data, device)?;
            self.wire_in = held;
            self.wire_in.consume(taken);
            moved += taken;
        }
        Ok(moved)
    }

    /// Decoded data goes to the device before the events that followed it,
    /// and a break holds both. (A request waiting here is answered when it
    /// is carried out; until then the session itself would read nothing.)
    pub(super) fn may_decode(&self) -> bool {
        self.to_device.is_empty() && self.events.is_empty() && self.break_until.is_none()
    }

    /// Gives the device what waits for it: data, then the events after it.
    fn drain_to_device(&mut self, now: Instant, device: &mut dyn Device) -> Result<usize, Ending> {
        let mut moved = 0;
        while self.break_until.is_none() {
            if !self.to_device.is_empty() {
                let n = self.write_device(device, self.to_device.as_slice())?;
                self.to_device.consume(n);
                moved += n;
                if !self.to_device.is_empty() {
                    break;
                }
            }
            let Some(event) = self.events.pop_front() else {
                break;
            };
            self.handle_event(event, now, device)?;
            moved += 1;
        }
        if moved > 0 {
            self.drain_session();
        }
        Ok(moved)
    }

    /// Runs the core's loop over `input` while decoding may go on; returns
    /// the bytes the session took.
    pub(super) fn decode(
        &mut self,
        now: Instant,
        input: &[u8],
        data: &mut [u8; CHUNK],
        device: &mut dyn Device,
    ) -> Result<usize, Ending> {
        let mut taken = 0;
        while taken < input.len() && self.may_decode() {
            let received = self
                .session
                .handle_input(self.session_now(now), &input[taken..], data);
            taken += received.consumed;
            let data = &data[..received.data_len];
            let n = if data.is_empty() {
                0
            } else {
                self.write_device(device, data)?
            };
            self.to_device.extend(&data[n..]);
            self.take_events(now, device)?;
            self.drain_session();
            if received.consumed == 0 {
                // The session wants nothing more now: its queues need a
                // drain, or a request waits (in `events`) to be answered.
                break;
            }
        }
        Ok(taken)
    }

    /// Drains the session's events: each is handled at once, unless data
    /// or events before it still wait for the device.
    pub(super) fn take_events(
        &mut self,
        now: Instant,
        device: &mut dyn Device,
    ) -> Result<(), Ending> {
        while let Some(event) = self.session.poll_event() {
            if self.may_decode() {
                self.handle_event(event, now, device)?;
            } else {
                self.events.push_back(event);
            }
        }
        Ok(())
    }

    fn handle_event(
        &mut self,
        event: ServerEvent,
        now: Instant,
        device: &mut dyn Device,
    ) -> Result<(), Ending> {
        match event {
            ServerEvent::Request(request) => self.apply(request, now, device),
            ServerEvent::TelnetCommand(TelnetCommand::Break) => {
                debug!("{}: BRK: a break for {BREAK_DURATION:?}", self.peer);
                device
                    .apply(Command::SetControl(Control::BreakOn))
                    .map_err(|error| self.device_error(device, "starting a break", &error))?;
                self.break_until = Some(now + BREAK_DURATION);
                Ok(())
            }
            // The outbound stage sends what a RESUME released.
            other => {
                self.log_event(&other);
                Ok(())
            }
        }
    }

    /// Carries out a request on the device and answers with the value in use.
    fn apply(
        &mut self,
        request: Command,
        now: Instant,
        device: &mut dyn Device,
    ) -> Result<(), Ending> {
        let result = match request {
            Command::PurgeData(purge) => self.purge(purge, device).map(|()| request),
            _ => device.apply(request),
        };
        let reply =
            result.map_err(|error| self.device_error(device, &format!("{request}"), &error))?;
        if changes_something(&request) {
            info!("{}: {request}, in use: {reply}", self.peer);
        } else {
            debug!("{}: {request}: {reply}", self.peer);
        }
        if matches!(request, Command::SetControl(_)) {
            // DTR and RTS may have moved the input lines: look at once.
            self.next_modem_poll = now;
        }
        self.respond(reply)
    }

    /// Answers the request being carried out; the session reads the
    /// client's input again once it has. It keeps room for the answer, so
    /// after a transmit it cannot refuse it; if it did, the connection ends
    /// rather than leave the client unread. (A client that has refused
    /// COM-PORT-OPTION since it asked gets no answer: none may be sent.)
    fn respond(&mut self, reply: Command) -> Result<(), Ending> {
        let answered = self.session.respond(reply);
        if answered.is_err() && answered != Err(rfc2217_proto::Error::ComPortRefused) {
            self.drain_session();
            self.session.respond(reply).map_err(|refused| {
                Ending::new(format!("the session refused the answer {reply}: {refused}"))
            })?;
        }
        self.drain_session();
        Ok(())
    }

    /// Empties the device's buffers; purging its receive side also drops
    /// the device data the client was not sent yet.
    fn purge(&mut self, purge: Purge, device: &mut dyn Device) -> io::Result<()> {
        if matches!(purge, Purge::Receive | Purge::Both) {
            self.from_device.clear();
        }
        device.purge(purge)
    }

    fn write_device(&self, device: &mut dyn Device, data: &[u8]) -> Result<usize, Ending> {
        device
            .write(data)
            .map_err(|error| self.device_error(device, "writing", &error))
    }
}

/// A request that sets something (logged at info), not a query.
fn changes_something(request: &Command) -> bool {
    match *request {
        Command::SetBaudRate(rate) => rate != 0,
        Command::SetDataSize(size) => size != DataSize::Query,
        Command::SetParity(parity) => parity != Parity::Query,
        Command::SetStopSize(size) => size != StopSize::Query,
        Command::SetControl(control) => !control.is_query(),
        _ => true,
    }
}
