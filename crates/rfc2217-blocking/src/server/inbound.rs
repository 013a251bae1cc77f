//! Network to device: the thread that reads the client's socket, feeds the
//! session, writes the data to the device and carries out the client's
//! requests.

use std::io::{self, Read};
use std::net::TcpStream;
use std::time::Duration;

use log::{debug, error, info};
use rfc2217_proto::{Command, Error, Purge, Server, ServerEvent, Session, TelnetCommand};

use super::link::{Closed, Link};
use crate::device::Device;

/// How long a client's BRK holds the line in break.
const BREAK_DURATION: Duration = Duration::from_millis(250);

/// How long a device write may make no progress before the client is
/// asked to stop sending (FLOWCONTROL-SUSPEND); it is resumed once the
/// device takes data again. Also how often a stalled write checks whether
/// the connection ended.
const WRITE_STALL: Duration = Duration::from_millis(50);

/// Bytes read from the socket at once, and the size of the data buffer.
const CHUNK: usize = 8 * 1024;

pub(crate) struct Inbound<'a> {
    link: &'a Link,
    device: &'a mut dyn Device,
}

impl<'a> Inbound<'a> {
    pub(crate) fn new(link: &'a Link, device: &'a mut dyn Device) -> Self {
        Inbound { link, device }
    }

    /// Runs until the client leaves or the connection is closed.
    pub(crate) fn run(mut self, mut socket: TcpStream) -> Closed {
        let mut input = vec![0u8; CHUNK];
        let mut data = Box::new([0u8; CHUNK]);
        loop {
            let n = match socket.read(&mut input) {
                Ok(0) => return self.link.close("the client closed the connection"),
                Ok(n) => n,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    return self
                        .link
                        .close(format!("socket error while receiving: {error}"))
                }
            };
            if self.link.is_closing() {
                return Closed;
            }
            if let Err(closed) = self.take(&input[..n], &mut data) {
                return closed;
            }
        }
    }

    /// Runs the documented loop over one read from the socket: decode, then
    /// the data to the device (it precedes the events of the same call),
    /// then every event, then the answers to the client. The session reads
    /// no further input until each request is answered, which handling the
    /// events does.
    fn take(&mut self, mut input: &[u8], data: &mut [u8; CHUNK]) -> Result<(), Closed> {
        let mut events = Vec::new();
        let mut stuck = false;
        while !input.is_empty() {
            let mut shared = self.link.lock();
            let received = shared.session.handle_input(self.link.now(), input, data);
            input = &input[received.consumed..];
            events.extend(std::iter::from_fn(|| shared.session.poll_event()));
            drop(shared);
            // Every request is answered below and the queue is flushed, so
            // the session always takes more input next time; should it
            // not, close rather than spin.
            if received.consumed == 0 && events.is_empty() {
                if stuck {
                    error!("{}: the session takes no more input", self.link.peer);
                    return Err(self.link.close("the session took no more input"));
                }
                stuck = true;
            } else {
                stuck = false;
            }
            self.write_device(&data[..received.data_len])?;
            for event in events.drain(..) {
                self.handle_event(event)?;
            }
            self.link.flush(self.link.lock())?;
        }
        Ok(())
    }

    fn write_device(&mut self, mut data: &[u8]) -> Result<(), Closed> {
        let mut stalled = false;
        while !data.is_empty() {
            if self.link.is_closing() {
                return Err(Closed);
            }
            match self.device.write(data, WRITE_STALL) {
                Ok(0) if !stalled => {
                    stalled = true;
                    debug!("{}: device busy, suspending the client", self.link.peer);
                    self.suspend_client(true)?;
                }
                Ok(n) => data = &data[n..],
                Err(error) => return Err(self.device_error("writing", &error)),
            }
        }
        if stalled {
            debug!("{}: device ready, resuming the client", self.link.peer);
            self.suspend_client(false)?;
        }
        Ok(())
    }

    /// Sends FLOWCONTROL-SUSPEND or -RESUME to the client, at once: this
    /// thread is about to wait for the device.
    fn suspend_client(&mut self, suspend: bool) -> Result<(), Closed> {
        self.send(|session| {
            if suspend {
                session.suspend_peer()
            } else {
                session.resume_peer()
            }
        })?;
        self.link.flush(self.link.lock())
    }

    fn handle_event(&mut self, event: ServerEvent) -> Result<(), Closed> {
        let peer = self.link.peer;
        match event {
            ServerEvent::Request(request) => self.apply(request)?,
            ServerEvent::TelnetCommand(TelnetCommand::Break) => {
                debug!("{peer}: BRK: sending a break for {BREAK_DURATION:?}");
                if let Err(error) = self.device.send_break(BREAK_DURATION) {
                    return Err(self.device_error("sending a break", &error));
                }
            }
            ServerEvent::TelnetCommand(command) => debug!("{peer}: Telnet {command} ignored"),
            ServerEvent::ComPortActive => debug!("{peer}: COM-PORT-OPTION agreed"),
            ServerEvent::ComPortUnavailable(why) => {
                info!("{peer}: no COM-PORT-OPTION ({why}); serving plain data");
            }
            ServerEvent::Signature(signature) => {
                info!("{peer}: client signature \"{signature}\"");
            }
            ServerEvent::Suspended => debug!("{peer}: client suspended our data"),
            // The flush after the events sends what was held back.
            ServerEvent::Resumed => debug!("{peer}: client resumed our data"),
            ServerEvent::PeerViolation(violation) => debug!("{peer}: bad input: {violation}"),
            ServerEvent::OptionChanged {
                option,
                side,
                enabled,
            } => debug!("{peer}: {option} {side:?} enabled={enabled}"),
            other => debug!("{peer}: {other:?}"),
        }
        Ok(())
    }

    /// Carries out a request on the device and answers with the value in use.
    fn apply(&mut self, request: Command) -> Result<(), Closed> {
        let result = match request {
            Command::PurgeData(purge) => self.purge(purge).map(|()| request),
            _ => self.device.apply(request),
        };
        let reply = match result {
            Ok(reply) => reply,
            Err(error) => return Err(self.device_error(&request.to_string(), &error)),
        };
        debug!("{}: {request} -> {reply}", self.link.peer);
        self.send(|session| session.respond(reply))
    }

    /// Empties the device's buffers, and with its receive buffer the data
    /// read from it that the client has not been sent yet.
    fn purge(&mut self, purge: Purge) -> io::Result<()> {
        if !matches!(purge, Purge::Receive | Purge::Both) {
            return self.device.purge(purge);
        }
        let device = &mut *self.device;
        match self.link.purge_received(|| device.purge(purge)) {
            Ok(result) => result,
            // The connection is ending; nothing is left to purge for.
            Err(Closed) => Ok(()),
        }
    }

    /// Queues a command; if the transmit queue is full (the other thread's
    /// notifications took the room), sends what is queued and tries again.
    fn send(
        &mut self,
        mut queue: impl FnMut(&mut Session<Server>) -> Result<(), Error>,
    ) -> Result<(), Closed> {
        loop {
            let mut shared = self.link.lock();
            match queue(&mut shared.session) {
                Ok(()) => return Ok(()),
                Err(Error::TransmitQueueFull) => self.link.flush(shared)?,
                // A plain Telnet client: no RFC 2217 command may be sent.
                Err(Error::ComPortRefused) => return Ok(()),
                Err(other) => {
                    error!("{}: the session refused a command: {other}", self.link.peer);
                    return Ok(());
                }
            }
        }
    }

    fn device_error(&self, doing: &str, error: &io::Error) -> Closed {
        error!(
            "{}: device {} failed while {doing}: {error}",
            self.link.peer,
            self.device.name()
        );
        self.link
            .device_failed(format!("device error while {doing}: {error}"))
    }
}
