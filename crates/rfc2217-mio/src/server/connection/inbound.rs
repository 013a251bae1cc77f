//! Socket to device: client input through the session, its data to the
//! device and its requests carried out, in the order they came.

use std::io;
use std::time::Instant;

use log::{debug, info};
use rfc2217_port::describe;
use rfc2217_proto::{Command, DataSize, Event, Parity, Purge, StopSize, TelnetCommand};

use super::{Connection, Ending, Scratch, BREAK_DURATION, BUDGET, OUT_LIMIT};
use crate::server::device::PortDevice;

impl Connection {
    /// Moves client input on until a stage refuses it; returns the bytes
    /// and events moved.
    pub(super) fn inbound(
        &mut self,
        now: Instant,
        device: &mut PortDevice,
        scratch: &mut Scratch,
    ) -> Result<usize, Ending> {
        let mut moved = 0;
        while moved < BUDGET {
            moved += self.drain_to_device(now, device)?;
            if !self.may_decode() || self.wire_out.len() >= OUT_LIMIT {
                return Ok(moved);
            }
            let taken = if self.wire_in.is_empty() {
                let n = self.socket.read(&mut scratch.wire)?;
                if n == 0 {
                    return Ok(moved);
                }
                self.last_input = now;
                let input = &scratch.wire[..n];
                let taken = self.decode(now, input, &mut scratch.data, device)?;
                self.wire_in.extend(&input[taken..]);
                taken
            } else {
                let held = std::mem::take(&mut self.wire_in);
                let taken = self.decode(now, held.as_slice(), &mut scratch.data, device)?;
                self.wire_in = held;
                self.wire_in.consume(taken);
                taken
            };
            if taken == 0 {
                return Ok(moved);
            }
            moved += taken;
        }
        Ok(moved)
    }

    /// Decoded data goes to the device before the events that followed it,
    /// and a break holds both.
    pub(super) fn may_decode(&self) -> bool {
        self.to_device.is_empty() && self.events.is_empty() && self.break_until.is_none()
    }

    /// Gives the device what waits for it: data, then the events after it.
    fn drain_to_device(&mut self, now: Instant, device: &mut PortDevice) -> Result<usize, Ending> {
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
            self.transmit()?;
        }
        Ok(moved)
    }

    /// Runs the core's loop over `input` while decoding may go on; returns
    /// the bytes the session took.
    fn decode(
        &mut self,
        now: Instant,
        input: &[u8],
        data: &mut [u8],
        device: &mut PortDevice,
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
            self.transmit()?;
            if received.consumed == 0 {
                break; // the session wants nothing more now
            }
        }
        Ok(taken)
    }

    /// Drains the session's events: each is handled at once, unless data
    /// or events before it still wait for the device.
    pub(super) fn take_events(
        &mut self,
        now: Instant,
        device: &mut PortDevice,
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
        event: Event,
        now: Instant,
        device: &mut PortDevice,
    ) -> Result<(), Ending> {
        let peer = self.peer;
        match event {
            Event::Request(request) => self.apply(request, now, device)?,
            Event::TelnetCommand(TelnetCommand::Break) => {
                debug!("{peer}: BRK: a break for {BREAK_DURATION:?}");
                device
                    .set_break(true)
                    .map_err(|error| self.device_error(device, "starting a break", &error))?;
                self.break_until = Some(now + BREAK_DURATION);
            }
            Event::TelnetCommand(command) => debug!("{peer}: Telnet {command:?} ignored"),
            Event::ComPortActive => debug!("{peer}: COM-PORT-OPTION agreed"),
            Event::ComPortUnavailable(why) => {
                info!("{peer}: no COM-PORT-OPTION ({why:?}); serving plain data");
            }
            Event::PeerSignature => {
                let signature = String::from_utf8_lossy(self.session.peer_signature());
                info!("{peer}: client signature {signature:?}");
            }
            Event::Suspended => debug!("{peer}: client suspended our data"),
            // The outbound stage sends what was held back.
            Event::Resumed => debug!("{peer}: client resumed our data"),
            Event::PeerViolation(violation) => debug!("{peer}: bad input: {violation:?}"),
            Event::OptionChanged {
                option,
                side,
                enabled,
            } => debug!("{peer}: {option:?} {side:?} enabled={enabled}"),
            // Client-side events; a server session does not produce them.
            Event::Reply { .. } | Event::Timeout { .. } => {}
            Event::LineState(_) | Event::ModemState(_) => {}
        }
        Ok(())
    }

    /// Carries out a request on the device and answers with the value in use.
    fn apply(
        &mut self,
        request: Command,
        now: Instant,
        device: &mut PortDevice,
    ) -> Result<(), Ending> {
        let result = match request {
            Command::PurgeData(purge) => self.purge(purge, device).map(|()| request),
            _ => device.apply(request),
        };
        let reply =
            result.map_err(|error| self.device_error(device, &format!("{request:?}"), &error))?;
        if changes_something(&request) {
            info!(
                "{}: {}, in use: {}",
                self.peer,
                describe(&request),
                describe(&reply)
            );
        } else {
            debug!(
                "{}: {}: {}",
                self.peer,
                describe(&request),
                describe(&reply)
            );
        }
        if matches!(request, Command::SetControl(_)) {
            // DTR and RTS may have moved the input lines: look at once.
            self.next_modem_poll = now;
        }
        self.command(|session| session.respond(reply))
    }

    /// Empties the device's buffers; purging its receive side also drops
    /// the device data the client was not sent yet.
    fn purge(&mut self, purge: Purge, device: &mut PortDevice) -> io::Result<()> {
        if matches!(purge, Purge::Receive | Purge::Both) {
            self.from_device.clear();
        }
        device.purge(purge)
    }

    fn write_device(&self, device: &mut PortDevice, data: &[u8]) -> Result<usize, Ending> {
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
