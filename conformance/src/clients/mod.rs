//! Our clients against live servers: the blocking client and the mio
//! client, each against ser2net, sredird and pyserial's PortManager, each
//! server serving a pty whose far end plays the equipment.
//!
//! Every scenario is written once, against [`Client`], and run on both
//! legs. A scenario passes when what it asked for can be seen where it
//! matters: settings in the pty's termios, data byte-exact at the other
//! end. A client error fails it with the error's text, verbatim.
//!
//! One server per pairing; its scenarios share one client connection,
//! which is opened again after a scenario failed (it may have left the
//! connection broken or clogged). Every wait is bounded: by the clients'
//! answer timeouts, their read and write timeouts, and [`device::STALL`]
//! for transfers that stop making progress.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use mio::{Events, Poll, Token};
use rfc2217_port::Error;
use rfc2217_proto::{Command, Control, DataSize, ModemState, Parity, Purge, RequestId, StopSize};
use serialport::{SerialPort, TTYPort};

use super::device::{self, Termios};
use super::peers::{RunningServer, Server, StartError};
use super::verdict::{Cell, Outcome, Part, LIVE_SCENARIOS};

/// The baud rate every client opens with.
const BAUD: u32 = 115_200;
/// Bytes moved each way by the data scenarios.
const DATA_LEN: usize = 1 << 20;
/// How long the pty may take to show a setting the server acknowledged.
const SETTLE: Duration = Duration::from_secs(1);
/// How long to wait for the server's signature.
const SIGNATURE_WAIT: Duration = Duration::from_secs(2);
/// `poll_modem`'s maximum age of the cached modem state.
const POLL_MAX_AGE: Duration = Duration::from_millis(200);
/// How long the `poll_modem` client waits for answers (a poll that is
/// never answered costs this much).
const POLL_ANSWER_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a reopen tries again while the server still serves the
/// previous connection (sredird exits only after the client left, and a
/// new sredird cannot take the port's lock before that).
const REOPEN_PATIENCE: Duration = Duration::from_secs(3);
/// How quiet the pty's far end must be to count as drained.
const QUIET: Duration = Duration::from_millis(50);
/// The mio driver's own limit beyond a client's answer timeout: the
/// client's timers should always fire first.
const BACKSTOP: Duration = Duration::from_secs(2);

/// Our blocking and mio clients against each live server; one Cell per (scenario, client/server).
pub(crate) fn run() -> Vec<Cell> {
    let mut cells = Vec::new();
    for server in Server::ALL {
        cells.extend(run_leg::<BlockingClient>(server));
        cells.extend(run_leg::<MioClient>(server));
    }
    cells
}

/// Every scenario for client `C` against a fresh `server`.
fn run_leg<C: Client>(server: Server) -> Vec<Cell> {
    let peer = format!("{}/{}", C::NAME, server.name());
    let cell = |scenario: &str, outcome: Outcome, observations: Vec<String>| Cell {
        part: Part::Live,
        scenario: scenario.to_owned(),
        peer: peer.clone(),
        outcome,
        observations,
    };
    let every = |outcome: Outcome| {
        LIVE_SCENARIOS
            .iter()
            .map(|scenario| cell(scenario, outcome.clone(), Vec::new()))
            .collect()
    };
    let running = match RunningServer::start(server) {
        Ok(running) => running,
        Err(error @ StartError::Missing(_)) => return every(Outcome::Missing(error.to_string())),
        Err(error @ StartError::Failed(_)) => return every(Outcome::Fail(error.to_string())),
    };
    let far_end = match running.device.far_end.try_clone_native() {
        Ok(far_end) => far_end,
        Err(error) => {
            return every(Outcome::Fail(format!(
                "cannot open the pty's far end again: {error}"
            )))
        }
    };
    let mut leg = Leg::<C> {
        address: running.address,
        path: running.device.path().to_owned(),
        far_end,
        client: None,
        keep_settings: false,
        notes: Vec::new(),
    };
    let mut cells = Vec::new();
    for (scenario, body) in scenarios::<C>() {
        leg.notes.clear();
        let result = body(&mut leg);
        if result.is_err() {
            // It may have left the connection broken or clogged.
            leg.client = None;
        }
        leg.drain_far_end(scenario.starts_with("data-"));
        let observations = std::mem::take(&mut leg.notes);
        cells.push(cell(scenario, Outcome::from_result(result), observations));
    }
    // The client leaves before the server stops.
    drop(leg);
    drop(running);
    cells
}

/// A scenario: `Ok` if every check held, else what failed.
type Scenario<C> = fn(&mut Leg<C>) -> Result<(), String>;

/// A check of the pty's settings.
type Check = fn(&Termios) -> bool;

fn scenarios<C: Client>() -> [(&'static str, Scenario<C>); 11] {
    let table: [(&'static str, Scenario<C>); 11] = [
        ("open", open),
        ("settings", settings),
        ("datasize-parity", datasize_parity),
        ("flow-control", flow_control),
        ("dtr-rts", dtr_rts),
        ("break", break_on_and_off),
        ("purge", purge),
        ("modem", modem),
        ("signature", signature),
        ("data-to-device", data_to_device),
        ("data-from-device", data_from_device),
    ];
    debug_assert!(table.iter().map(|(name, _)| *name).eq(LIVE_SCENARIOS));
    table
}

// ----- the clients -------------------------------------------------------------

/// How a client is opened.
#[derive(Clone, Copy, Debug, Default)]
struct Open {
    /// Leave the port's settings, DTR and RTS as they are (only the masks
    /// and the signature request go out): for a server the default open
    /// fails on, so that the other scenarios can still run.
    keep_settings: bool,
    /// Ask for the modem lines when the cached state is older than
    /// [`POLL_MAX_AGE`], answers awaited [`POLL_ANSWER_TIMEOUT`].
    poll_modem: bool,
}

/// What a scenario needs of a client. Every call returns within the
/// client's timeouts; errors are our clients' own texts.
trait Client: Sized {
    /// The client's half of a cell's peer, e.g. `blocking-client`.
    const NAME: &'static str;

    /// Opens the port at `address` at [`BAUD`] 8N1 with DTR and RTS on
    /// (unless `how` says otherwise) and waits until it is open.
    fn open(address: SocketAddr, how: Open) -> Result<Self, Error>;

    /// Sends a request and returns the value the server says is in use.
    fn request(&mut self, command: Command) -> Result<Command, String>;

    /// Empties the server's buffers (and, for receive, ours).
    fn purge(&mut self, purge: Purge) -> Result<(), String>;

    /// CTS, DSR, RI and CD, as a program reads them.
    fn modem_lines(&mut self) -> Result<[bool; 4], String>;

    /// With `poll_modem`: waits until the cached modem state is stale,
    /// reads it, and says whether the server answered the poll (a state
    /// newer than the read came).
    fn polled_modem_state(&mut self) -> Result<bool, String>;

    /// The server's signature, waiting up to `wait` for it.
    fn signature(&mut self, wait: Duration) -> Result<Option<Vec<u8>>, String>;

    /// Writes all of `data`; fails if the port takes nothing for
    /// [`device::STALL`].
    fn write(&mut self, data: &[u8]) -> Result<(), String>;

    /// Reads until `len` bytes came or nothing came for [`device::STALL`];
    /// returns what came and, if it ended early for a reason other than
    /// the stall, why.
    fn read(&mut self, len: usize) -> (Vec<u8>, Option<String>);
}

/// The blocking client, as its users call it.
struct BlockingClient(rfc2217_blocking::RemotePort);

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
        thread::sleep(POLL_MAX_AGE + Duration::from_millis(50));
        let asked = Instant::now();
        self.0.modem_state().map_err(|error| error.to_string())?;
        Ok(self.0.state().modem.is_some_and(|(_, at)| at >= asked))
    }

    fn signature(&mut self, wait: Duration) -> Result<Option<Vec<u8>>, String> {
        let deadline = Instant::now() + wait;
        loop {
            let signature = self.0.server_signature();
            if signature.is_some() || Instant::now() >= deadline {
                return Ok(signature);
            }
            thread::sleep(Duration::from_millis(20));
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
        let mut received = Vec::with_capacity(len);
        let mut buffer = vec![0; 64 * 1024];
        let mut last_progress = Instant::now();
        while received.len() < len && last_progress.elapsed() < device::STALL {
            let want = buffer.len().min(len - received.len());
            match self.0.read(&mut buffer[..want]) {
                Ok(0) => return (received, Some("the connection closed".to_owned())),
                Ok(n) => {
                    received.extend_from_slice(&buffer[..n]);
                    last_progress = Instant::now();
                }
                Err(error) if error.kind() == io::ErrorKind::TimedOut => {}
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return (received, Some(format!("the read failed: {error}"))),
            }
        }
        (received, None)
    }
}

/// The mio client on its own `mio::Poll`, driven by the run loop of the
/// crate docs. Answers and the end of the connection wait in `inbox`;
/// modem and line state are read from the port's state instead.
struct MioClient {
    poll: Poll,
    events: Events,
    port: rfc2217_mio::RemotePort,
    inbox: VecDeque<rfc2217_mio::PortEvent>,
    answer_timeout: Duration,
}

const PORT: Token = Token(0);

impl MioClient {
    /// One turn of the loop: waits for the socket or the port's deadline
    /// (at most `wait`), hands over what happened, collects the events.
    fn turn(&mut self, wait: Duration) -> Result<(), String> {
        let now = Instant::now();
        let timeout = self.port.poll_timeout().map_or(wait, |deadline| {
            deadline.saturating_duration_since(now).min(wait)
        });
        match self.poll.poll(&mut self.events, Some(timeout)) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(format!("mio poll failed: {error}")),
        }
        for event in self.events.iter() {
            self.port.handle_event(event);
        }
        self.port.handle_timeout(Instant::now());
        self.collect()
    }

    /// Drains the port's events and brings its registration up to date.
    fn collect(&mut self) -> Result<(), String> {
        use rfc2217_mio::PortEvent;
        while let Some(event) = self.port.poll_event() {
            match event {
                PortEvent::ModemState(_)
                | PortEvent::LineState(_)
                | PortEvent::Suspended
                | PortEvent::Resumed => {}
                other => self.inbox.push_back(other),
            }
        }
        self.port
            .reregister(self.poll.registry())
            .map_err(|error| format!("mio reregister failed: {error}"))
    }

    /// Turns the loop for `duration`.
    fn idle(&mut self, duration: Duration) -> Result<(), String> {
        let until = Instant::now() + duration;
        while Instant::now() < until {
            self.turn(until.saturating_duration_since(Instant::now()))?;
        }
        Ok(())
    }

    /// Takes the first event `pick` accepts out of the inbox, turning the
    /// loop for at most `patience`.
    fn wait_for(
        &mut self,
        patience: Duration,
        pick: impl Fn(&rfc2217_mio::PortEvent) -> bool,
    ) -> Result<Option<rfc2217_mio::PortEvent>, String> {
        let deadline = Instant::now() + patience;
        loop {
            if let Some(at) = self.inbox.iter().position(&pick) {
                return Ok(self.inbox.remove(at));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            self.turn(Duration::from_millis(50))?;
        }
    }

    /// Waits for the answer to `request`, sent as `id`.
    fn answer(&mut self, id: RequestId, request: Command) -> Result<Command, String> {
        use rfc2217_mio::PortEvent;
        let patience = self.answer_timeout + BACKSTOP;
        let event = self.wait_for(
            patience,
            |event| matches!(event, PortEvent::Answer { id: answered, .. } if *answered == id),
        )?;
        match event {
            Some(PortEvent::Answer { result, .. }) => result.map_err(|error| error.to_string()),
            _ => Err(format!(
                "no answer event for {request} within {} s: the port's own timeout did not fire",
                patience.as_secs_f64()
            )),
        }
    }

    /// Why the connection ended, if it has.
    fn closed(&self) -> Option<String> {
        self.port.is_closed().then(|| {
            let reason = self.inbox.iter().find_map(|event| match event {
                rfc2217_mio::PortEvent::Closed(reason) => Some(reason.clone()),
                _ => None,
            });
            Error::Closed(reason.unwrap_or_default()).to_string()
        })
    }
}

impl Client for MioClient {
    const NAME: &'static str = "mio-client";

    fn open(address: SocketAddr, how: Open) -> Result<Self, Error> {
        use rfc2217_mio::PortEvent;
        let mut options = rfc2217_mio::OpenOptions::new(address.to_string()).baud_rate(BAUD);
        if how.keep_settings {
            options = options.keep_settings();
        }
        let mut answer_timeout = Duration::from_secs(3);
        if how.poll_modem {
            answer_timeout = POLL_ANSWER_TIMEOUT;
            options = options
                .poll_modem(Some(POLL_MAX_AGE))
                .answer_timeout(answer_timeout);
        }
        let harness = |what: &str, error: &dyn std::fmt::Display| {
            Error::Io(io::Error::other(format!("{what}: {error}")))
        };
        let poll = Poll::new().map_err(|error| harness("no mio poll", &error))?;
        let mut port = options.connect()?;
        port.register(poll.registry(), PORT)
            .map_err(|error| harness("cannot register the port", &error))?;
        let mut client = MioClient {
            poll,
            events: Events::with_capacity(16),
            port,
            inbox: VecDeque::new(),
            answer_timeout,
        };
        let patience = answer_timeout + BACKSTOP;
        let opened = client
            .wait_for(patience, |event| {
                matches!(event, PortEvent::Opened | PortEvent::OpenFailed(_))
            })
            .map_err(|error| harness("the driver failed", &error))?;
        match opened {
            Some(PortEvent::Opened) => Ok(client),
            Some(PortEvent::OpenFailed(error)) => Err(error),
            _ => Err(harness(
                "the port reported neither Opened nor OpenFailed",
                &format!("within {} s", patience.as_secs_f64()),
            )),
        }
    }

    fn request(&mut self, command: Command) -> Result<Command, String> {
        let id = self
            .port
            .request(command)
            .map_err(|error| error.to_string())?;
        self.collect()?;
        self.answer(id, command)
    }

    fn purge(&mut self, purge: Purge) -> Result<(), String> {
        let id = self.port.purge(purge).map_err(|error| error.to_string())?;
        self.collect()?;
        self.answer(id, Command::PurgeData(purge)).map(drop)
    }

    fn modem_lines(&mut self) -> Result<[bool; 4], String> {
        self.turn(Duration::from_millis(10))?;
        let lines = self
            .port
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
        self.idle(POLL_MAX_AGE + Duration::from_millis(50))?;
        let asked = Instant::now();
        let deadline = asked + self.answer_timeout;
        loop {
            if self.port.state().modem.is_some_and(|(_, at)| at >= asked) {
                return Ok(true);
            }
            if let Some(reason) = self.closed() {
                return Err(reason);
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
            self.turn(Duration::from_millis(20))?;
        }
    }

    fn signature(&mut self, wait: Duration) -> Result<Option<Vec<u8>>, String> {
        let deadline = Instant::now() + wait;
        loop {
            let signature = self.port.server_signature().map(<[u8]>::to_vec);
            if signature.is_some() || Instant::now() >= deadline {
                return Ok(signature);
            }
            self.turn(Duration::from_millis(20))?;
        }
    }

    fn write(&mut self, data: &[u8]) -> Result<(), String> {
        let mut taken = 0;
        let mut waiting = self.port.bytes_to_write();
        let mut last_progress = Instant::now();
        // Until the port took everything and the socket took it from the port.
        while taken < data.len() || waiting > 0 {
            let mut blocked = true;
            if taken < data.len() {
                match self.port.write(&data[taken..]) {
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
            self.turn(wait)?;
            if let Some(reason) = self.closed() {
                return Err(format!(
                    "the port took {taken} of {} bytes: {reason}",
                    data.len()
                ));
            }
            let now_waiting = self.port.bytes_to_write();
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
        let mut received = Vec::with_capacity(len);
        let mut buffer = vec![0; 64 * 1024];
        let mut last_progress = Instant::now();
        while received.len() < len && last_progress.elapsed() < device::STALL {
            let want = buffer.len().min(len - received.len());
            match self.port.read(&mut buffer[..want]) {
                Ok(0) => {
                    let reason = self.closed().unwrap_or_else(|| "the port read 0".into());
                    return (received, Some(reason));
                }
                Ok(n) => {
                    received.extend_from_slice(&buffer[..n]);
                    last_progress = Instant::now();
                    continue; // read what is there before turning
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return (received, Some(format!("the read failed: {error}"))),
            }
            if let Err(error) = self.turn(Duration::from_millis(50)) {
                return (received, Some(error));
            }
        }
        (received, None)
    }
}

// ----- one client against one server --------------------------------------------

/// A client against one running server, across its scenarios.
struct Leg<C> {
    address: SocketAddr,
    /// The served pty, for reading its settings.
    path: String,
    /// The pty's far end: the equipment.
    far_end: TTYPort,
    /// The connection the scenarios share, once open.
    client: Option<C>,
    /// The default open failed: open with `keep_settings` from then on.
    keep_settings: bool,
    /// The current cell's observations.
    notes: Vec<String>,
}

impl<C: Client> Leg<C> {
    /// Opens a client `how`; while the server still serves the previous
    /// connection (it closes the new one at once), tries again.
    fn open(&mut self, how: Open) -> Result<C, Error> {
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
    fn client(&mut self) -> Result<&mut C, String> {
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
    fn apply(&mut self, command: Command) -> Result<Command, String> {
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
    fn device_shows(
        &self,
        after: &str,
        expected: &str,
        check: impl Fn(&Termios) -> bool,
    ) -> Result<(), String> {
        let deadline = Instant::now() + SETTLE;
        loop {
            let termios = device::termios(&self.path)?;
            if check(&termios) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "after {after} the device shows {}; expected {expected}",
                    show(&termios)
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Empties the far end of the pty, noting what was there unless the
    /// scenario moved data itself.
    fn drain_far_end(&mut self, after_data: bool) {
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
            hex(&stray)
        ));
    }
}

// ----- the scenarios ---------------------------------------------------------------

/// Opens as a user would (115200 8N1, DTR and RTS on, the default
/// options); the pty runs at 115200.
fn open<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    leg.client = None;
    match leg.open(Open::default()) {
        Ok(client) => leg.client = Some(client),
        Err(error) => {
            leg.keep_settings = true;
            return Err(error.to_string());
        }
    }
    leg.device_shows("the open", "speed 115200", |t| t.speed == BAUD)
}

/// Three baud rates and both stop sizes, each seen at the device.
fn settings<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    for baud in [9600, 57_600, 115_200] {
        let request = Command::SetBaudRate(baud);
        leg.apply(request)?;
        leg.device_shows(&request.to_string(), &format!("speed {baud}"), |t| {
            t.speed == baud
        })?;
    }
    for (stop, two) in [(StopSize::Two, true), (StopSize::One, false)] {
        let request = Command::SetStopSize(stop);
        leg.apply(request)?;
        let expected = if two { "cstopb" } else { "-cstopb" };
        leg.device_shows(&request.to_string(), expected, |t| t.two_stop_bits == two)?;
    }
    Ok(())
}

/// 7 data bits and even parity, seen at the device (a pty cannot: this
/// fails on every server, each in its own way).
fn datasize_parity<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    let size = Command::SetDataSize(DataSize::Seven);
    leg.apply(size)?;
    leg.device_shows(&size.to_string(), "cs7", |t| t.data_bits == 7)?;
    let parity = Command::SetParity(Parity::Even);
    leg.apply(parity)?;
    leg.device_shows(&parity.to_string(), "parenb", |t| t.parity)?;
    // Back to 8N1 for what follows.
    leg.apply(Command::SetDataSize(DataSize::Eight))?;
    leg.apply(Command::SetParity(Parity::None)).map(drop)
}

/// Hardware, software, then no flow control, each seen at the device.
fn flow_control<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    let steps: [(Control, &str, Check); 3] = [
        (Control::HardwareFlowControl, "crtscts -ixon", |t| {
            t.rts_cts && !t.xon_xoff
        }),
        (Control::XonXoffFlowControl, "ixon -crtscts", |t| {
            t.xon_xoff && !t.rts_cts
        }),
        (Control::NoFlowControl, "-crtscts -ixon", |t| {
            !t.xon_xoff && !t.rts_cts
        }),
    ];
    let mut result = Ok(());
    for (control, expected, check) in steps {
        let request = Command::SetControl(control);
        result = leg
            .apply(request)
            .and_then(|_| leg.device_shows(&request.to_string(), expected, check));
        if result.is_err() {
            break;
        }
    }
    if result.is_err() {
        // XON/XOFF left on would eat 0x11 and 0x13 in the data scenarios.
        if let Some(client) = leg.client.as_mut() {
            let _ = client.request(Command::SetControl(Control::NoFlowControl));
        }
    }
    result
}

/// DTR and RTS on and off: a pty has no modem lines, so only the calls'
/// success can be checked.
fn dtr_rts<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    for control in [
        Control::DtrOn,
        Control::DtrOff,
        Control::RtsOn,
        Control::RtsOff,
    ] {
        leg.apply(Command::SetControl(control))?;
    }
    Ok(())
}

/// BREAK on, then off (invisible at the far end of a pty).
fn break_on_and_off<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    leg.apply(Command::SetControl(Control::BreakOn))?;
    leg.apply(Command::SetControl(Control::BreakOff)).map(drop)
}

/// Purging the receive buffer, the transmit buffer, both.
fn purge<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    for which in [Purge::Receive, Purge::Transmit, Purge::Both] {
        leg.client()?
            .purge(which)
            .map_err(|error| format!("{}: {error}", Command::PurgeData(which)))?;
    }
    Ok(())
}

/// CTS, DSR, RI and CD read as a program reads them; then, with
/// `poll_modem`, a modem state the server sends in answer to the poll.
fn modem<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    let [cts, dsr, ri, cd] = leg.client()?.modem_lines()?;
    let on = |on: bool| if on { "on" } else { "off" };
    leg.notes.push(format!(
        "modem lines read: CTS {}, DSR {}, RI {}, CD {}",
        on(cts),
        on(dsr),
        on(ri),
        on(cd)
    ));
    // One connection at a time: sredird allows no second one, ser2net
    // kicks the first.
    leg.client = None;
    let how = Open {
        keep_settings: leg.keep_settings,
        poll_modem: true,
    };
    let mut polling = leg
        .open(how)
        .map_err(|error| format!("cannot open the client with poll_modem: {error}"))?;
    let answered = polling.polled_modem_state()?;
    drop(polling);
    // Whether the server answers the poll is its business: the client's
    // contract is a state no older than the answer timeout allows.
    if !answered {
        leg.notes.push(format!(
            "ignores the modem-state poll: with poll_modem the read returned the state cached since the open, {} s later",
            POLL_ANSWER_TIMEOUT.as_secs_f64()
        ));
    }
    Ok(())
}

/// The server's signature, asked for by the open.
fn signature<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    match leg.client()?.signature(SIGNATURE_WAIT)? {
        Some(text) => {
            leg.notes.push(format!(
                "signature: \"{}\"",
                String::from_utf8_lossy(&text).escape_debug()
            ));
            Ok(())
        }
        None => Err(format!(
            "no SIGNATURE from the server within {} s of the open's request",
            SIGNATURE_WAIT.as_secs_f64()
        )),
    }
}

/// 1 MiB written by the client arrives byte-exact at the far end, which
/// reads while the client writes.
fn data_to_device<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    leg.drain_far_end(false);
    let data = device::payload(0x2217_0001, DATA_LEN);
    let mut far_end = leg
        .far_end
        .try_clone_native()
        .map_err(|error| format!("cannot open the pty's far end again: {error}"))?;
    let client = leg.client()?;
    let started = Instant::now();
    let receiving = thread::spawn(move || device::receive(&mut far_end, DATA_LEN));
    let written = client.write(&data);
    let received = receiving
        .join()
        .map_err(|_| "the device's reader panicked".to_owned())?;
    let compared = device::compare("client to device", &data, &received);
    conclude(leg, compared, written.err(), started)
}

/// 1 MiB written at the far end arrives byte-exact at the client, which
/// reads while the far end writes.
fn data_from_device<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    leg.drain_far_end(false);
    let data = device::payload(0x2217_0002, DATA_LEN);
    let mut far_end = leg
        .far_end
        .try_clone_native()
        .map_err(|error| format!("cannot open the pty's far end again: {error}"))?;
    let client = leg.client()?;
    let started = Instant::now();
    let sent = data.clone();
    let sending = thread::spawn(move || device::send(&mut far_end, &sent));
    let (received, ended) = client.read(DATA_LEN);
    let sending = sending
        .join()
        .map_err(|_| "the device's writer panicked".to_owned())?;
    let compared = device::compare("device to client", &data, &received);
    let problems = [
        ended,
        sending
            .err()
            .map(|error| format!("the device's writer: {error}")),
    ];
    let problem = problems.into_iter().flatten().reduce(|a, b| a + "; " + &b);
    conclude(leg, compared, problem, started)
}

/// A data scenario's verdict: the comparison, and what else went wrong;
/// the rate if everything arrived.
fn conclude<C>(
    leg: &mut Leg<C>,
    compared: Result<(), String>,
    problem: Option<String>,
    started: Instant,
) -> Result<(), String> {
    match (compared, problem) {
        (Ok(()), None) => {
            let seconds = started.elapsed().as_secs_f64();
            leg.notes.push(format!(
                "{DATA_LEN} bytes in {seconds:.2} s ({:.2} MiB/s)",
                DATA_LEN as f64 / seconds / f64::from(1 << 20)
            ));
            Ok(())
        }
        (Ok(()), Some(problem)) => Err(format!("all bytes arrived, but {problem}")),
        (Err(difference), None) => Err(difference),
        (Err(difference), Some(problem)) => Err(format!("{difference}; {problem}")),
    }
}

// ----- texts ---------------------------------------------------------------------

/// A pty's settings in `stty`'s words.
fn show(termios: &Termios) -> String {
    let flag = |on: bool, name: &str| format!("{}{name}", if on { "" } else { "-" });
    format!(
        "speed {} cs{} {} {} {} {}",
        termios.speed,
        termios.data_bits,
        flag(termios.parity, "parenb"),
        flag(termios.two_stop_bits, "cstopb"),
        flag(termios.rts_cts, "crtscts"),
        flag(termios.xon_xoff, "ixon"),
    )
}

/// Up to 32 bytes in hex, then how many more.
fn hex(bytes: &[u8]) -> String {
    let mut text: Vec<String> = bytes.iter().take(32).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > 32 {
        text.push(format!("... ({} in all)", bytes.len()));
    }
    text.join(" ")
}
