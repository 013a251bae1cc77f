//! `cargo xtask record`: plays a scenario against a live peer and keeps the
//! conversation as a [`Capture`].
//!
//! The recording proxy sits in this process, between the scenario's client
//! session and the TCP connection to the peer: every chunk that crosses it
//! is logged with its time, in the order the session saw it, so a replay
//! can give the session exactly what it was given live.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rfc2217_proto as proto;

use super::capture::{Capture, Line, Record, CLIENT_GOT_ALL, PEER_CLOSED};
use super::player::{Outgoing, Player, REQUEST_TIMEOUT};
use super::scenario::{Scenario, Step, QUIET};
use crate::device;
use crate::peers::RunningServer;

/// The longest any step waits for the peer to fall quiet.
const MAX_QUIET_WAIT: Duration = Duration::from_secs(3);
/// How long COM-PORT-OPTION may take to settle (beyond the session's own
/// negotiation timeout).
const NEGOTIATION_WAIT: Duration = Duration::from_secs(5);

/// Plays `scenario` against `server` and returns the capture. Device-end
/// observations are `note` lines; [`problems`] lists the failed ones.
pub(crate) fn record(server: &mut RunningServer, scenario: &Scenario) -> Result<Capture, String> {
    device::drain(&mut server.device.far_end, Duration::from_millis(50));
    let stream = TcpStream::connect(server.address)
        .map_err(|error| format!("cannot connect to {}: {error}", server.address))?;
    let _ = stream.set_nodelay(true);
    let mut proxy = Proxy {
        stream,
        start: Instant::now(),
        lines: Vec::new(),
        logged_events: 0,
        closed: false,
    };
    let mut player = Player::new(scenario.session_silent, proto::Instant::ZERO);
    proxy.flush(&mut player);
    for (index, step) in scenario.steps.iter().enumerate() {
        if proxy.closed {
            proxy.note(format!("steps {index} and later not run: {PEER_CLOSED}"));
            break;
        }
        let device_end = server
            .device
            .far_end
            .try_clone_native()
            .map_err(|error| format!("cannot clone the pty: {error}"))?;
        let device_job = match step {
            Step::ToDevice(data) => Some(expect_at_device(device_end, data.clone())),
            Step::FromDevice(data) => Some(send_from_device(device_end, data.clone())),
            _ => None,
        };
        let now = proxy.now();
        proxy.log(
            now,
            Record::Step {
                index,
                text: step.describe(),
            },
        );
        player.start(now, step);
        proxy.flush(&mut player);
        match step {
            Step::Negotiate => {
                proxy.wait_until(&mut player, NEGOTIATION_WAIT, Player::is_negotiated);
                proxy.wait_quiet(&mut player);
            }
            Step::OpeningBatch | Step::Request(_) | Step::RequestSignature => {
                proxy.wait_until(&mut player, REQUEST_TIMEOUT * 2, Player::is_answered);
                proxy.wait_quiet(&mut player);
            }
            Step::Wait(time) => proxy.wait_until(&mut player, *time, |_| false),
            Step::FromDevice(data) => {
                let wanted = player.data.len() + data.len();
                let mut seen = player.data.len();
                let mut progress = Instant::now();
                while seen < wanted && progress.elapsed() < device::STALL && !proxy.closed {
                    proxy.wait_until(&mut player, QUIET, |player| player.data.len() > seen);
                    if player.data.len() > seen {
                        seen = player.data.len();
                        progress = Instant::now();
                    }
                }
                proxy.wait_quiet(&mut player);
            }
            _ => proxy.wait_quiet(&mut player),
        }
        if let Some(job) = device_job {
            let outcome = job
                .join()
                .unwrap_or_else(|_| Err("the device thread panicked".into()));
            proxy.note(match outcome {
                Ok(text) => format!("ok: {text}"),
                Err(text) => format!("FAILED: {text}"),
            });
        }
    }
    // The client's view of data from the device, checked as a whole.
    let expected = scenario.data_from_device();
    if !expected.is_empty() {
        proxy.note(
            match device::compare("device to client", &expected, &player.data) {
                Ok(()) => format!("{CLIENT_GOT_ALL} {} bytes from the device", expected.len()),
                Err(text) => format!("FAILED: {text}"),
            },
        );
    }
    Ok(Capture {
        peer: server.server.name().to_owned(),
        scenario: scenario.name.to_owned(),
        version: server.version.clone(),
        lines: proxy.lines,
    })
}

/// The device-end checks that failed in `capture`.
pub(crate) fn problems(capture: &Capture) -> Vec<&str> {
    capture
        .lines
        .iter()
        .filter_map(|line| match &line.record {
            Record::Note(text) => text.strip_prefix("FAILED: "),
            _ => None,
        })
        .collect()
}

fn expect_at_device(
    mut port: serialport::TTYPort,
    data: Vec<u8>,
) -> JoinHandle<Result<String, String>> {
    thread::spawn(move || {
        let received = device::receive(&mut port, data.len());
        device::compare("client to device", &data, &received)?;
        Ok(format!("the device got all {} bytes", data.len()))
    })
}

fn send_from_device(
    mut port: serialport::TTYPort,
    data: Vec<u8>,
) -> JoinHandle<Result<String, String>> {
    thread::spawn(move || {
        device::send(&mut port, &data)
            .map(|()| format!("the device sent {} bytes", data.len()))
            .map_err(|error| format!("the device could not send: {error}"))
    })
}

/// The connection to the peer, logging all that crosses it.
struct Proxy {
    stream: TcpStream,
    start: Instant,
    lines: Vec<Line>,
    /// Events of the player already logged.
    logged_events: usize,
    closed: bool,
}

impl Proxy {
    fn now(&self) -> proto::Instant {
        proto::Instant::from_micros(self.start.elapsed().as_micros() as u64)
    }

    fn log(&mut self, now: proto::Instant, record: Record) {
        self.lines.push(Line {
            micros: now.as_micros(),
            record,
        });
    }

    fn note(&mut self, text: String) {
        let now = self.now();
        self.log(now, Record::Note(text));
    }

    /// Sends what the player has for the wire and logs its new events.
    fn flush(&mut self, player: &mut Player) {
        let now = self.now();
        for event in &player.events()[self.logged_events..] {
            self.lines.push(Line {
                micros: now.as_micros(),
                record: Record::Event(event.clone()),
            });
        }
        self.logged_events = player.events().len();
        for outgoing in player.take_outgoing() {
            let (Outgoing::Session(bytes) | Outgoing::Raw(bytes)) = &outgoing;
            let written = (!self.closed).then(|| self.stream.write_all(bytes));
            self.log(
                now,
                match outgoing {
                    Outgoing::Session(bytes) => Record::Sent(bytes),
                    Outgoing::Raw(bytes) => Record::SentRaw(bytes),
                },
            );
            if let Some(Err(error)) = written {
                self.note(format!("write failed: {error}"));
                self.closed = true;
            }
        }
    }

    /// Serves the connection until `done` holds or `limit` passes.
    fn wait_until(&mut self, player: &mut Player, limit: Duration, done: impl Fn(&Player) -> bool) {
        let until = Instant::now() + limit;
        while !done(player) && !self.closed {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            self.serve(player, left);
        }
    }

    /// Serves the connection until nothing came for [`QUIET`].
    fn wait_quiet(&mut self, player: &mut Player) {
        let until = Instant::now() + MAX_QUIET_WAIT;
        while !self.closed && Instant::now() < until {
            if !self.serve(player, QUIET) {
                break;
            }
        }
    }

    /// Reads once, waiting at most `limit` (less if the session's clock
    /// is due first); ticks the clock when it is due. Tells whether input
    /// came.
    fn serve(&mut self, player: &mut Player, limit: Duration) -> bool {
        let now = self.now();
        let until_deadline = player
            .deadline()
            .map(|deadline| deadline.saturating_duration_since(now));
        let wait = until_deadline.map_or(limit, |d| d.min(limit));
        let _ = self
            .stream
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))));
        let mut buffer = [0; 16 * 1024];
        let got_input = match self.stream.read(&mut buffer) {
            Ok(0) => {
                self.note(PEER_CLOSED.into());
                self.closed = true;
                false
            }
            Ok(n) => {
                let now = self.now();
                self.log(now, Record::Received(buffer[..n].to_vec()));
                player.input(now, &buffer[..n]);
                true
            }
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                false
            }
            Err(error) => {
                self.note(format!("read failed: {error}"));
                self.closed = true;
                false
            }
        };
        let now = self.now();
        if !got_input && player.deadline().is_some_and(|deadline| deadline <= now) {
            self.log(now, Record::Tick);
            player.tick(now);
        }
        self.flush(player);
        got_input
    }
}
