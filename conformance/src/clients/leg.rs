//! One client against one running server, across its scenarios: the
//! connection they share, reopened after a failure, and the checks at the
//! device end every scenario uses.

use std::mem;
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use rfc2217_client::Error;
use rfc2217_proto::Command;
use serialport::TTYPort;

use super::{Client, Open};
use crate::device;
use crate::peers::RunningServer;
use crate::termios::{self, Termios};

/// How long the pty may take to show a setting the server acknowledged.
const SETTLE: Duration = Duration::from_secs(1);
/// How long a reopen tries again while the server still serves the
/// previous connection (sredird exits only after the client left, and a
/// new sredird cannot take the port's lock before that).
const REOPEN_PATIENCE: Duration = Duration::from_secs(3);
/// How quiet the pty's far end must be to count as drained.
const QUIET: Duration = Duration::from_millis(50);

/// A client against one running server, across its scenarios.
pub(super) struct Leg<C> {
    address: SocketAddr,
    /// The served pty, for reading its settings.
    path: String,
    /// The pty's far end: the equipment.
    far_end: TTYPort,
    /// The connection the scenarios share, once open.
    pub(super) client: Option<C>,
    /// The default open failed: open with `keep_settings` from then on.
    pub(super) keep_settings: bool,
    /// The current cell's observations.
    pub(super) notes: Vec<String>,
    /// The current cell's timings.
    pub(super) timings: Vec<String>,
}

impl<C: Client> Leg<C> {
    /// A leg against `running`, with no client open yet.
    pub(super) fn new(running: &RunningServer) -> Result<Leg<C>, String> {
        let far_end = running
            .device
            .far_end
            .try_clone_native()
            .map_err(|error| format!("cannot open the pty's far end again: {error}"))?;
        Ok(Leg {
            address: running.address,
            path: running.device.path().to_owned(),
            far_end,
            client: None,
            keep_settings: false,
            notes: Vec::new(),
            timings: Vec::new(),
        })
    }

    /// The current cell's observations and timings, leaving none for the next.
    pub(super) fn take_notes(&mut self) -> (Vec<String>, Vec<String>) {
        (mem::take(&mut self.notes), mem::take(&mut self.timings))
    }

    /// Opens a client `how`; while the server still serves the previous
    /// connection (it closes the new one at once), tries again.
    pub(super) fn open(&mut self, how: Open) -> Result<C, Error> {
        let started = Instant::now();
        let mut attempts = 1;
        loop {
            match C::open(self.address, how) {
                Err(Error::Closed(_)) if started.elapsed() < REOPEN_PATIENCE => {
                    attempts += 1;
                    thread::sleep(Duration::from_millis(100));
                }
                result => {
                    if attempts > 1 {
                        self.notes.push(format!(
                            "the open took {attempts} attempts: the server closed the earlier ones at once (its previous connection had not ended yet)"
                        ));
                    }
                    return result;
                }
            }
        }
    }

    /// The shared connection, opened (again) if need be.
    pub(super) fn client(&mut self) -> Result<&mut C, String> {
        if self.client.is_none() {
            let how = Open {
                keep_settings: self.keep_settings,
                ..Open::default()
            };
            let client = self
                .open(how)
                .map_err(|error| format!("cannot open the client: {error}"))?;
            self.client = Some(client);
        }
        let note = "the client was opened with keep_settings: the default open fails on this server (see `open`)";
        if self.keep_settings && !self.notes.iter().any(|seen| seen == note) {
            self.notes.push(note.to_owned());
        }
        self.client.as_mut().ok_or_else(|| "no client".to_owned())
    }

    /// Sends `command` and returns the value in use. An answer other than
    /// the value asked for that the client accepted anyway (lenient
    /// SET-CONTROL and PURGE-DATA answers) is noted.
    pub(super) fn apply(&mut self, command: Command) -> Result<Command, String> {
        let answer = self.client()?.request(command).map_err(|error| {
            if error.contains(&command.to_string()) {
                error
            } else {
                format!("{command}: {error}")
            }
        })?;
        if answer != command {
            self.notes.push(format!(
                "{command} was answered with {answer} (accepted as a lenient answer)"
            ));
        }
        Ok(answer)
    }

    /// Waits up to [`SETTLE`] for the pty's settings to satisfy `check`;
    /// the error says what the device shows instead.
    pub(super) fn device_shows(
        &self,
        after: &str,
        expected: &str,
        check: impl Fn(&Termios) -> bool,
    ) -> Result<(), String> {
        let deadline = Instant::now() + SETTLE;
        loop {
            let termios = termios::read(&self.path)?;
            if check(&termios) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "after {after} the device shows {}; expected {expected}",
                    termios.describe()
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Empties the far end of the pty and returns a second handle on it,
    /// for the thread that plays the equipment in a data scenario.
    pub(super) fn emptied_far_end(&mut self) -> Result<TTYPort, String> {
        self.drain_far_end(false);
        self.far_end
            .try_clone_native()
            .map_err(|error| format!("cannot open the pty's far end again: {error}"))
    }

    /// Empties the far end of the pty, noting what was there unless the
    /// scenario moved data itself.
    pub(super) fn drain_far_end(&mut self, after_data: bool) {
        let stray = device::drain(&mut self.far_end, QUIET);
        if stray.is_empty() {
            return;
        }
        let what = if after_data {
            "more than was sent"
        } else {
            "not sent as data"
        };
        self.notes.push(format!(
            "byte(s) {what} reached the device: {}",
            device::hex(&stray)
        ));
    }
}
