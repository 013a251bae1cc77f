//! The blocking client, called as its users call it: `Read`, `Write` and
//! `serialport::SerialPort`.

use std::io::{self, Read as _, Write as _};
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use rfc2217_blocking::OpenOptionsExt as _;
use rfc2217_client::Error;
use rfc2217_proto::{Command, Purge};
use serialport::SerialPort as _;

use super::modem_poll::PollWatch;
use super::{read_until_stalled, Chunk, Client, Open, BAUD, POLL_ANSWER_TIMEOUT, POLL_MAX_AGE};
use crate::device;

/// How often a waiting call looks again at what it waits for.
const READ_PACE: Duration = Duration::from_millis(20);

/// The blocking client, as its users call it.
pub(super) struct BlockingClient(rfc2217_blocking::RemotePort);

impl Client for BlockingClient {
    const NAME: &'static str = "blocking-client";

    fn open(address: SocketAddr, how: Open) -> Result<Self, Error> {
        let mut options = rfc2217_blocking::OpenOptions::new(address.to_string())
            .baud_rate(BAUD)
            .read_timeout(Some(Duration::from_millis(100)))
            .write_timeout(Some(device::STALL));
        if how.keep_settings {
            options = options.keep_settings();
        }
        if how.poll_modem {
            options = options
                .poll_modem(Some(POLL_MAX_AGE))
                .answer_timeout(POLL_ANSWER_TIMEOUT);
        }
        options.open().map(BlockingClient)
    }

    fn request(&mut self, command: Command) -> Result<Command, String> {
        self.0.request(command).map_err(|error| error.to_string())
    }

    fn purge(&mut self, purge: Purge) -> Result<(), String> {
        self.0.purge(purge).map_err(|error| error.to_string())
    }

    fn modem_lines(&mut self) -> Result<[bool; 4], String> {
        // Through `serialport::SerialPort`, as a program would.
        let port = &mut self.0;
        let text = |error: serialport::Error| error.to_string();
        Ok([
            port.read_clear_to_send().map_err(text)?,
            port.read_data_set_ready().map_err(text)?,
            port.read_ring_indicator().map_err(text)?,
            port.read_carrier_detect().map_err(text)?,
        ])
    }

    fn polled_modem_state(&mut self) -> Result<bool, String> {
        let recorded = |port: &rfc2217_blocking::RemotePort| port.state().modem.map(|(_, at)| at);
        let watch = PollWatch::new(recorded(&self.0), Instant::now());
        loop {
            // A stale state is asked for and its answer awaited.
            self.0.modem_state().map_err(|error| error.to_string())?;
            if watch.is_answered(recorded(&self.0)) {
                return Ok(true);
            }
            if Instant::now() >= watch.deadline() {
                return Ok(false);
            }
            thread::sleep(READ_PACE);
        }
    }

    fn signature(&mut self, wait: Duration) -> Result<Option<Vec<u8>>, String> {
        let deadline = Instant::now() + wait;
        loop {
            let signature = self.0.server_signature();
            if signature.is_some() || Instant::now() >= deadline {
                return Ok(signature);
            }
            thread::sleep(READ_PACE);
        }
    }

    fn write(&mut self, data: &[u8]) -> Result<(), String> {
        // The write timeout (STALL) bounds each call.
        let mut written = 0;
        while written < data.len() {
            match self.0.write(&data[written..]) {
                Ok(n) => written += n,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    return Err(format!(
                        "the write failed after {written} of {} bytes: {error}",
                        data.len()
                    ))
                }
            }
        }
        Ok(())
    }

    fn read(&mut self, len: usize) -> (Vec<u8>, Option<String>) {
        // The read timeout (100 ms) bounds each call.
        read_until_stalled(len, |buffer| match self.0.read(buffer) {
            Ok(0) => Chunk::End("the connection closed".to_owned()),
            Ok(n) => Chunk::Bytes(n),
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                ) =>
            {
                Chunk::Nothing
            }
            Err(error) => Chunk::End(format!("the read failed: {error}")),
        })
    }
}
