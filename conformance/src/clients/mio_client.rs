//! The mio client as a [`Client`], through the blocking [`MioFacade`].

use std::io::{self, Read as _, Write as _};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rfc2217_client::Error;
use rfc2217_proto::{Command, ModemState, Purge};

use super::mio_facade::MioFacade;
use super::{read_until_stalled, Chunk, Client, Open, BAUD, POLL_ANSWER_TIMEOUT, POLL_MAX_AGE};
use crate::device;

/// The answer timeout of a port opened without `poll_modem`: the
/// client's default.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(3);

/// The mio client, driven until each call's outcome is known.
pub(super) struct MioClient(MioFacade);

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
        MioFacade::open(options, answer_timeout).map(MioClient)
    }

    fn request(&mut self, command: Command) -> Result<Command, String> {
        self.0.request(command)
    }

    fn purge(&mut self, purge: Purge) -> Result<(), String> {
        self.0.purge(purge)
    }

    fn modem_lines(&mut self) -> Result<[bool; 4], String> {
        self.0.turn(Duration::from_millis(10))?;
        let lines = self
            .0
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
        self.0.idle(POLL_MAX_AGE + Duration::from_millis(50))?;
        let asked = Instant::now();
        let deadline = asked + self.0.answer_timeout();
        loop {
            if self
                .0
                .port()
                .state()
                .modem
                .is_some_and(|(_, at)| at >= asked)
            {
                return Ok(true);
            }
            if let Some(reason) = self.0.closed() {
                return Err(reason);
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
            self.0.turn(Duration::from_millis(20))?;
        }
    }

    fn signature(&mut self, wait: Duration) -> Result<Option<Vec<u8>>, String> {
        let deadline = Instant::now() + wait;
        loop {
            let signature = self.0.port().server_signature().map(<[u8]>::to_vec);
            if signature.is_some() || Instant::now() >= deadline {
                return Ok(signature);
            }
            self.0.turn(Duration::from_millis(20))?;
        }
    }

    fn write(&mut self, data: &[u8]) -> Result<(), String> {
        let facade = &mut self.0;
        let mut taken = 0;
        let mut waiting = facade.port().bytes_to_write();
        let mut last_progress = Instant::now();
        // Until the port took everything and the socket took it from the port.
        while taken < data.len() || waiting > 0 {
            let mut blocked = true;
            if taken < data.len() {
                match facade.port().write(&data[taken..]) {
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
            facade.turn(wait)?;
            if let Some(reason) = facade.closed() {
                return Err(format!(
                    "the port took {taken} of {} bytes: {reason}",
                    data.len()
                ));
            }
            let now_waiting = facade.port().bytes_to_write();
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
        let facade = &mut self.0;
        read_until_stalled(len, |buffer| match facade.port().read(buffer) {
            Ok(0) => Chunk::End(facade.closed().unwrap_or_else(|| "the port read 0".into())),
            Ok(n) => Chunk::Bytes(n),
            // Nothing there: wait for more.
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                match facade.turn(Duration::from_millis(50)) {
                    Ok(()) => Chunk::Nothing,
                    Err(error) => Chunk::End(error),
                }
            }
            Err(error) => Chunk::End(format!("the read failed: {error}")),
        })
    }
}
