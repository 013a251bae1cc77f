//! The mio client as a [`Client`], through the test kit's blocking
//! [`Driver`]. Every wait here is bounded and ends in a result: a server
//! that never answers fails the cell, it does not stop the suite.

use std::io::{self, Read as _, Write as _};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rfc2217_client::Error;
use rfc2217_mio::RemotePort;
use rfc2217_proto::{Command, ModemState, Purge, RequestId};
use rfc2217_testkit::mio_facade::Driver;

use super::modem_poll::PollWatch;
use super::{read_until_stalled, Chunk, Client, Open, BAUD, POLL_ANSWER_TIMEOUT, POLL_MAX_AGE};
use crate::device;

/// The answer timeout of a port opened without `poll_modem`: the
/// client's default.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(3);
/// How much longer than the port's answer timeout a wait may last: the
/// port's own timers should always end it first.
const BACKSTOP: Duration = Duration::from_secs(2);

/// The mio client, driven until each call's outcome is known.
pub(super) struct MioClient {
    driver: Driver,
    /// The answer timeout the port was opened with.
    answer_timeout: Duration,
}

impl MioClient {
    /// The port, for what needs no waiting (state, reads, writes).
    fn port(&mut self) -> &mut RemotePort {
        &mut self.driver.port
    }

    /// How long a wait for the port's verdict may last.
    fn patience(&self) -> Duration {
        self.answer_timeout + BACKSTOP
    }

    /// Why the connection ended, if it has.
    fn closed(&self) -> Option<String> {
        self.driver.closed().map(|error| error.to_string())
    }

    /// Waits for the answer to `request`, queued as `id`.
    fn answer(
        &mut self,
        id: Result<RequestId, Error>,
        request: Command,
    ) -> Result<Command, String> {
        let id = id.map_err(|error| error.to_string())?;
        self.driver.collect();
        let patience = self.patience();
        match self.driver.answer_within(id, patience) {
            Some(result) => result.map_err(|error| error.to_string()),
            None => Err(format!(
                "no answer event for {request} within {} s: the port's own timeout did not fire",
                patience.as_secs_f64()
            )),
        }
    }
}

impl Client for MioClient {
    const NAME: &'static str = "mio-client";

    fn open(address: SocketAddr, how: Open) -> Result<Self, Error> {
        let mut options = rfc2217_mio::OpenOptions::new(address.to_string()).baud_rate(BAUD);
        if how.keep_settings {
            options = options.keep_settings();
        }
        let mut answer_timeout = ANSWER_TIMEOUT;
        if how.poll_modem {
            answer_timeout = POLL_ANSWER_TIMEOUT;
            options = options
                .poll_modem(Some(POLL_MAX_AGE))
                .answer_timeout(answer_timeout);
        }
        let driver = Driver::open_within(options, answer_timeout + BACKSTOP)?;
        Ok(MioClient {
            driver,
            answer_timeout,
        })
    }

    fn request(&mut self, command: Command) -> Result<Command, String> {
        let id = self.port().request(command);
        self.answer(id, command)
    }

    fn purge(&mut self, purge: Purge) -> Result<(), String> {
        let id = self.port().purge(purge);
        self.answer(id, Command::PurgeData(purge)).map(drop)
    }

    fn modem_lines(&mut self) -> Result<[bool; 4], String> {
        self.driver.turn(Duration::from_millis(10));
        let lines = self
            .port()
            .modem_state()
            .ok_or_else(|| Error::NoModemState.to_string())?;
        Ok([
            ModemState::CTS,
            ModemState::DSR,
            ModemState::RI,
            ModemState::CD,
        ]
        .map(|line| lines.contains(line)))
    }

    fn polled_modem_state(&mut self) -> Result<bool, String> {
        // The port polls by itself once the cached state is stale.
        let recorded = |port: &RemotePort| port.state().modem.map(|(_, at)| at);
        let watch = PollWatch::new(recorded(self.port()), Instant::now());
        let patience = watch.deadline().saturating_duration_since(Instant::now());
        self.driver.within(patience, |driver| {
            watch.is_answered(recorded(&driver.port)) || driver.port.is_closed()
        });
        if watch.is_answered(recorded(self.port())) {
            return Ok(true);
        }
        self.closed().map_or(Ok(false), Err)
    }

    fn signature(&mut self, wait: Duration) -> Result<Option<Vec<u8>>, String> {
        self.driver
            .within(wait, |driver| driver.port.server_signature().is_some());
        Ok(self.port().server_signature().map(<[u8]>::to_vec))
    }

    fn write(&mut self, data: &[u8]) -> Result<(), String> {
        let mut taken = 0;
        let mut waiting = self.port().bytes_to_write();
        let mut last_progress = Instant::now();
        // Until the port took everything and the socket took it from the port.
        while taken < data.len() || waiting > 0 {
            let mut blocked = true;
            if taken < data.len() {
                match self.port().write(&data[taken..]) {
                    Ok(n) => {
                        taken += n;
                        blocked = false;
                        last_progress = Instant::now();
                    }
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                    Err(error) => {
                        return Err(format!(
                            "the write failed after {taken} of {} bytes: {error}",
                            data.len()
                        ))
                    }
                }
            }
            let wait = if blocked {
                Duration::from_millis(50)
            } else {
                Duration::ZERO
            };
            self.driver.turn(wait);
            if let Some(reason) = self.closed() {
                return Err(format!(
                    "the port took {taken} of {} bytes: {reason}",
                    data.len()
                ));
            }
            let now_waiting = self.port().bytes_to_write();
            if now_waiting < waiting {
                last_progress = Instant::now();
            }
            waiting = now_waiting;
            if last_progress.elapsed() >= device::STALL {
                return Err(format!(
                    "the port took {taken} of {} bytes, then nothing for {} s ({waiting} bytes waiting for the socket)",
                    data.len(),
                    device::STALL.as_secs()
                ));
            }
        }
        Ok(())
    }

    fn read(&mut self, len: usize) -> (Vec<u8>, Option<String>) {
        read_until_stalled(len, |buffer| match self.port().read(buffer) {
            Ok(0) => Chunk::End(self.closed().unwrap_or_else(|| "the port read 0".into())),
            Ok(n) => Chunk::Bytes(n),
            // Nothing there: wait for more.
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                self.driver.turn(Duration::from_millis(50));
                Chunk::Nothing
            }
            Err(error) => Chunk::End(format!("the read failed: {error}")),
        })
    }
}
