//! What a connection does on its deadlines: modem polls, the end of a
//! break, the session's timers, the idle timeout, and suspending the
//! client while the device refuses data.

use std::time::Instant;

use log::debug;
use rfc2217_proto::{self as proto, Server, Session};

use rfc2217_device::Device;
use rfc2217_proto::{Command, Control};

use super::{Connection, Ending, WRITE_STALL};

impl Connection {
    pub(super) fn run_timers(
        &mut self,
        now: Instant,
        device: &mut dyn Device,
    ) -> Result<(), Ending> {
        if self.break_until.is_some_and(|end| end <= now) {
            self.break_until = None;
            device
                .apply(Command::SetControl(Control::BreakOff))
                .map_err(|error| self.device_error(device, "ending a break", &error))?;
        }
        if self.next_modem_poll <= now {
            self.sample(device)?;
            self.next_modem_poll = now + self.modem_poll_interval;
        }
        let session_now = self.session_now(now);
        if self
            .session
            .poll_timeout()
            .is_some_and(|at| at <= session_now)
        {
            self.session.handle_timeout(session_now);
            self.take_events(now, device)?;
        }
        if let Some(timeout) = self.idle_timeout {
            if !self.may_decode() || !self.wire_in.is_empty() {
                // Input waiting for a slow device or a break is no silence:
                // the idle clock starts once it is all taken.
                self.last_input = now;
            } else if self.last_input + timeout <= now {
                return Err(Ending::new(format!("nothing received for {timeout:?}")));
            }
        }
        self.drain_session();
        Ok(())
    }

    /// Reads the modem lines and line state into the session, which
    /// notifies the client under its masks.
    fn sample(&mut self, device: &mut dyn Device) -> Result<(), Ending> {
        let lines = device
            .modem_lines()
            .map_err(|error| self.device_error(device, "reading the modem lines", &error))?;
        let line_state = device
            .line_state()
            .map_err(|error| self.device_error(device, "reading the line state", &error))?;
        if self.modem_lines != Some(lines) && self.feed(|s| s.handle_modem_lines(lines)) {
            debug!("{}: modem lines {lines}", self.peer);
            self.modem_lines = Some(lines);
        }
        // A device reports conditions seen since the last reading, so each
        // non-empty reading is news.
        let news = !line_state.is_empty() || line_state != self.line_state;
        if news && self.feed(|s| s.handle_line_state(line_state)) {
            debug!("{}: line state {line_state}", self.peer);
            self.line_state = line_state;
        }
        Ok(())
    }

    /// Gives the session a reading; if its queue is full, sends what is
    /// queued and tries once more. False if it stays full (the client
    /// suspended us and our notifications wait): the change is then
    /// reported at a later poll.
    fn feed(&mut self, input: impl Fn(&mut Session<Server>) -> Result<(), proto::Error>) -> bool {
        if input(&mut self.session).is_ok() {
            return true;
        }
        self.drain_session();
        input(&mut self.session).is_ok()
    }

    /// Suspends the client once the device has refused data for
    /// [`WRITE_STALL`], and resumes it when the device took it all.
    pub(super) fn track_stall(&mut self, now: Instant) {
        if !self.to_device.is_empty() {
            let since = *self.stalled_since.get_or_insert(now);
            if !self.suspended_client && since + WRITE_STALL <= now {
                debug!("{}: device busy, suspending the client", self.peer);
                self.suspended_client = true;
                self.command(Session::suspend_peer);
            }
            return;
        }
        self.stalled_since = None;
        if self.suspended_client {
            debug!("{}: device ready, resuming the client", self.peer);
            self.suspended_client = false;
            self.command(Session::resume_peer);
        }
    }
}
