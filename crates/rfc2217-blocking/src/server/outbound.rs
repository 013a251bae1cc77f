//! Device to network: the thread that reads the device, samples its modem
//! lines and line state, runs the session's timers and sends it all to the
//! client.

use std::time::{Duration, Instant};

use log::{debug, error, info};
use rfc2217_proto::{LineState, ModemState, Server, ServerEvent, Session};

use super::link::{Closed, Link, PENDING_CAPACITY};
use crate::device::DeviceReader;

/// Bytes read from the device at once.
const CHUNK: usize = 4 * 1024;

pub(crate) struct Outbound<'a> {
    link: &'a Link,
    reader: Box<dyn DeviceReader>,
    device_name: String,
    poll_interval: Duration,
    modem_lines: Option<ModemState>,
    line_state: LineState,
}

impl<'a> Outbound<'a> {
    pub(crate) fn new(
        link: &'a Link,
        reader: Box<dyn DeviceReader>,
        device_name: String,
        poll_interval: Duration,
    ) -> Self {
        Outbound {
            link,
            reader,
            device_name,
            poll_interval,
            modem_lines: None,
            line_state: LineState::EMPTY,
        }
    }

    /// Runs until the connection is closed. Waits are bounded by the modem
    /// poll interval, so the end is noticed within one interval.
    pub(crate) fn run(mut self) -> Closed {
        let mut buf = [0u8; CHUNK];
        let mut next_poll = Instant::now();
        loop {
            if self.link.is_closing() {
                return Closed;
            }
            if Instant::now() >= next_poll {
                if let Err(closed) = self.sample() {
                    return closed;
                }
                next_poll = Instant::now() + self.poll_interval;
            }
            self.link.park_if_asked();
            let timeout = next_poll.saturating_duration_since(Instant::now());
            // Read only as much as can be held: while the client cannot take
            // data, the device's own buffer holds the rest.
            let shared = self.link.lock();
            let room = PENDING_CAPACITY - shared.pending.len();
            if room == 0 {
                drop(self.link.wait_for_room(shared, timeout));
                continue;
            }
            drop(shared);
            match self.reader.read(&mut buf[..room.min(CHUNK)], timeout) {
                Ok(0) => {}
                Ok(n) => {
                    let mut shared = self.link.lock();
                    shared.pending.extend(&buf[..n]);
                    if let Err(closed) = self.link.flush(shared) {
                        return closed;
                    }
                }
                Err(error) => return self.device_error("reading", &error),
            }
        }
    }

    /// Reads the modem lines and line state into the session (which sends
    /// notifications under the client's masks) and fires due timers.
    fn sample(&mut self) -> Result<(), Closed> {
        let lines = match self.reader.modem_lines() {
            Ok(lines) => lines,
            Err(error) => return Err(self.device_error("reading the modem lines", &error)),
        };
        let line_state = match self.reader.line_state() {
            Ok(state) => state,
            Err(error) => return Err(self.device_error("reading the line state", &error)),
        };
        let peer = self.link.peer;
        if self.modem_lines != Some(lines) && self.feed(|s| s.handle_modem_lines(lines))? {
            debug!("{peer}: modem lines {lines:?}");
            self.modem_lines = Some(lines);
        }
        // A device reports conditions seen since the last reading, so each
        // non-empty reading is news; an empty one only clears the answer to
        // the client's polls.
        let news = !line_state.is_empty() || line_state != self.line_state;
        if news && self.feed(|s| s.handle_line_state(line_state))? {
            debug!("{peer}: line state {line_state:?}");
            self.line_state = line_state;
        }
        let now = self.link.now();
        let mut shared = self.link.lock();
        if shared.session.poll_timeout().is_some_and(|at| at <= now) {
            shared.session.handle_timeout(now);
        }
        while let Some(event) = shared.session.poll_event() {
            match event {
                ServerEvent::ComPortUnavailable(why) => {
                    info!("{peer}: no COM-PORT-OPTION ({why}); serving plain data");
                }
                other => debug!("{peer}: {other:?}"),
            }
        }
        self.link.flush(shared)
    }

    /// Gives the session a reading; if its queue is full, sends what is
    /// queued and tries once more. False if the queue stays full (the
    /// client suspended us and our notifications are held back): the
    /// reading is then skipped, and the change reported at a later poll.
    fn feed(
        &mut self,
        input: impl Fn(&mut Session<Server>) -> Result<(), rfc2217_proto::Error>,
    ) -> Result<bool, Closed> {
        let mut shared = self.link.lock();
        if input(&mut shared.session).is_ok() {
            return Ok(true);
        }
        self.link.flush(shared)?;
        let mut shared = self.link.lock();
        let taken = input(&mut shared.session).is_ok();
        if !taken {
            debug!("{}: a notification waits for room", self.link.peer);
        }
        Ok(taken)
    }

    fn device_error(&self, doing: &str, error: &std::io::Error) -> Closed {
        error!(
            "{}: device {} failed while {doing}: {error}",
            self.link.peer, self.device_name
        );
        self.link
            .device_failed(format!("device error while {doing}: {error}"))
    }
}
