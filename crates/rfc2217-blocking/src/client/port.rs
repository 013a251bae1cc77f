//! `RemotePort`: a serial port on an RFC 2217 server.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use log::{debug, info};
use rfc2217_client::{ClientOptions, Error, PortState, Settings};
use rfc2217_proto::{
    ComPortState, Command, Control, LineState, ModemState, Purge, RequestId, Session, Side,
    TelnetOption,
};

use super::connection::Shared;

/// How to open a remote port. Build one from an address or a URL, adjust
/// it, then [`open`](OpenOptions::open) it.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    client: ClientOptions,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

impl OpenOptions {
    /// A port at `host:port`, opened 9600 8N1 with DTR and RTS on (as
    /// pyserial does), answers awaited 3 s, reads waiting 1 s.
    pub fn new(address: impl Into<String>) -> Self {
        OpenOptions::with(ClientOptions::new(address))
    }

    fn with(client: ClientOptions) -> Self {
        OpenOptions {
            client,
            read_timeout: Some(Duration::from_secs(1)),
            write_timeout: None,
        }
    }

    /// From a URL in pyserial's form:
    /// `rfc2217://host:port[?ign_set_control&poll_modem&timeout=SECONDS&logging=LEVEL]`.
    pub fn from_url(url: &str) -> Result<Self, Error> {
        ClientOptions::from_url(url).map(OpenOptions::with)
    }

    /// The line settings to open with.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.client.settings = settings;
        self
    }

    /// The baud rate to open with.
    pub fn baud_rate(mut self, baud_rate: u32) -> Self {
        self.client.settings.baud_rate = baud_rate;
        self
    }

    /// DTR and RTS at open.
    pub fn dtr_rts(mut self, dtr: bool, rts: bool) -> Self {
        self.client.dtr = dtr;
        self.client.rts = rts;
        self
    }

    /// Open without touching the port's line settings, DTR or RTS, to look
    /// at it as it is (picocom's `--noinit`).
    pub fn keep_settings(mut self) -> Self {
        self.client.keep_settings = true;
        self
    }

    /// How long to wait for each answer from the server (and for the
    /// negotiation at open).
    pub fn answer_timeout(mut self, timeout: Duration) -> Self {
        self.client.answer_timeout = timeout;
        self
    }

    /// How long a read waits for data (`None`: forever).
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// How long a write waits for the server (`None`: forever), including
    /// while the server has suspended us with FLOWCONTROL-SUSPEND.
    pub fn write_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Do not wait for SET-CONTROL answers (pyserial's `ign_set_control`).
    pub fn ignore_set_control_answers(mut self, ignore: bool) -> Self {
        self.client.ignore_set_control_answers = ignore;
        self
    }

    /// Ask for the modem lines when the cached state is older than `max_age`
    /// (pyserial's `poll_modem`), instead of relying on notifications only.
    pub fn poll_modem(mut self, max_age: Option<Duration>) -> Self {
        self.client.poll_modem = max_age;
        self
    }

    /// Our signature, sent when the server asks (1 to 64 bytes; a longer
    /// one is cut).
    pub fn signature(mut self, signature: &[u8]) -> Self {
        self.client.signature = Some(signature.to_vec());
        self
    }

    /// Connects and configures the port with one pipelined batch: the
    /// negotiation, the settings, DTR, RTS and the masks go out at once, so
    /// a server that answers promptly costs one round trip.
    pub fn open(self) -> Result<RemotePort, Error> {
        let started = Instant::now();
        let client = &self.client;
        let stream = connect(&client.address, client.answer_timeout)?;
        stream.set_nodelay(true)?;
        let session = Session::new(client.session_config()?, rfc2217_proto::Instant::ZERO);
        let shared = Shared::start(stream, session, started)?;
        let port = RemotePort {
            shared: Arc::new(Handle(shared)),
            name: client.name.clone(),
            read_timeout: self.read_timeout,
            write_timeout: self.write_timeout,
            answer_timeout: client.answer_timeout,
            poll_modem: client.poll_modem,
        };
        // The signature is asked for too, but not awaited: some servers
        // (pyserial's) never answer it. It is stored when it comes.
        let ids = port.send_requests(&client.opening_requests())?;
        // COM-PORT first: a server that refuses it is named as such rather
        // than by the first request it leaves unanswered.
        port.wait_for_com_port()?;
        for (id, request) in ids {
            port.conclude(id, request)?;
        }
        info!(
            "opened {} in {:.1} ms",
            port.name,
            started.elapsed().as_secs_f64() * 1000.0
        );
        Ok(port)
    }
}

fn connect(address: &str, timeout: Duration) -> Result<TcpStream, Error> {
    let failed = |source| Error::Connect {
        address: address.to_owned(),
        source,
    };
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the name resolves to no address");
    for candidate in address.to_socket_addrs().map_err(failed)? {
        match TcpStream::connect_timeout(&candidate, timeout) {
            Ok(stream) => return Ok(stream),
            Err(error) => last = error,
        }
    }
    Err(failed(last))
}

/// Shuts the connection down when the last handle to the port is dropped.
struct Handle(Arc<Shared>);

impl Drop for Handle {
    fn drop(&mut self) {
        self.0.shut_down();
    }
}

/// A serial port on an RFC 2217 server: `Read` and `Write` (0xFF-safe),
/// every setting and control line, and the `serialport::SerialPort` trait.
///
/// Handles made with [`try_clone`](Self::try_clone) share the connection,
/// so one thread can read while another writes; it closes when the last
/// handle is dropped.
pub struct RemotePort {
    shared: Arc<Handle>,
    name: String,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    answer_timeout: Duration,
    poll_modem: Option<Duration>,
}

impl RemotePort {
    /// Opens `url` (`rfc2217://host:port[?options]`) with default settings.
    pub fn open(url: &str) -> Result<Self, Error> {
        OpenOptions::from_url(url)?.open()
    }

    fn connection(&self) -> &Shared {
        &self.shared.0
    }

    /// The URL or address the port was opened with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Another handle to the same port.
    pub fn try_clone(&self) -> Self {
        RemotePort {
            shared: Arc::clone(&self.shared),
            name: self.name.clone(),
            ..*self
        }
    }

    /// What the server last reported of the port.
    pub fn state(&self) -> PortState {
        self.connection().lock().state.clone()
    }

    /// The server's signature, once it has sent one.
    pub fn server_signature(&self) -> Option<Vec<u8>> {
        let core = self.connection().lock();
        let signature = core.state.signature?;
        Some(signature.as_bytes().to_vec())
    }

    /// Whether a side of a Telnet option was agreed with the server.
    pub fn is_option_enabled(&self, option: TelnetOption, side: Side) -> bool {
        self.connection()
            .lock()
            .session
            .is_option_enabled(option, side)
    }

    /// The server has suspended our sending (FLOWCONTROL-SUSPEND); writes
    /// wait until it resumes.
    pub fn is_suspended_by_server(&self) -> bool {
        self.connection().lock().session.is_suspended_by_peer()
    }

    /// How long reads wait (`None`: forever).
    pub fn read_timeout(&self) -> Option<Duration> {
        self.read_timeout
    }

    /// Sets how long reads wait.
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) {
        self.read_timeout = timeout;
    }

    /// Sets how long writes wait (`None`: forever).
    pub fn set_write_timeout(&mut self, timeout: Option<Duration>) {
        self.write_timeout = timeout;
    }

    /// Sends a request and returns the value the server says is in use.
    pub fn request(&self, request: Command) -> Result<Command, Error> {
        let ids = self.send_requests(&[request])?;
        match ids.first() {
            Some(&(id, request)) => self.conclude(id, request),
            None => Ok(request),
        }
    }

    /// Sets DTR and RTS together: both changes leave in one TCP segment
    /// (boards that reset through DTR/RTS need them close together).
    pub fn set_dtr_rts(&self, dtr: bool, rts: bool) -> Result<(), Error> {
        let ids = self.send_requests(&[
            Command::SetControl(if dtr { Control::DtrOn } else { Control::DtrOff }),
            Command::SetControl(if rts { Control::RtsOn } else { Control::RtsOff }),
        ])?;
        for (id, request) in ids {
            self.conclude(id, request)?;
        }
        Ok(())
    }

    /// Sends a break of `duration`.
    pub fn send_break(&self, duration: Duration) -> Result<(), Error> {
        self.request(Command::SetControl(Control::BreakOn))?;
        std::thread::sleep(duration);
        self.request(Command::SetControl(Control::BreakOff))?;
        Ok(())
    }

    /// Empties the server's buffers (and, for receive, ours).
    pub fn purge(&self, purge: Purge) -> Result<(), Error> {
        if matches!(purge, Purge::Receive | Purge::Both) {
            self.connection().lock().received.clear();
        }
        self.request(Command::PurgeData(purge)).map(drop)
    }

    /// The modem lines. With modem polling on, a cached state older than
    /// the maximum age is refreshed from the server first.
    pub fn modem_state(&self) -> Result<ModemState, Error> {
        let connection = self.connection();
        let mut core = connection.lock();
        if let Some(max_age) = self.poll_modem {
            let stale = core
                .state
                .modem
                .is_none_or(|(_, at)| at.elapsed() > max_age);
            if stale {
                let asked = Instant::now();
                core.session.query_modem_state().map_err(Error::from)?;
                connection.transmit(core, self.write_deadline())?;
                core = connection.lock();
                let deadline = asked + self.answer_timeout;
                while core.state.modem.is_none_or(|(_, at)| at < asked) && core.closed.is_none() {
                    let (next, in_time) = connection.wait(core, Some(deadline));
                    core = next;
                    if !in_time {
                        break; // keep the cached state, if there is one
                    }
                }
            }
        }
        core.state
            .modem
            .map(|(state, _)| state)
            .ok_or(Error::NoModemState)
    }

    /// The last line state the server reported.
    pub fn line_state(&self) -> Option<LineState> {
        self.connection().lock().state.line
    }

    /// Bytes received and not yet read.
    pub fn bytes_to_read(&self) -> usize {
        self.connection().lock().received.len()
    }

    /// Bytes written that the socket has not taken yet.
    pub fn bytes_to_write(&self) -> usize {
        self.connection().unsent()
    }

    /// Queues `requests` in one batch (one TCP segment) and returns the ids
    /// of those whose answers are awaited.
    fn send_requests(&self, requests: &[Command]) -> Result<Vec<(RequestId, Command)>, Error> {
        let connection = self.connection();
        let mut core = connection.lock();
        if let Some(reason) = &core.closed {
            return Err(Error::Closed(reason.clone()));
        }
        let now = connection.now();
        let mut awaited = Vec::new();
        for &request in requests {
            debug!("request {request}");
            // The session's ack policy decides whether an answer is awaited.
            if let Some(id) = core.session.request(now, request)? {
                awaited.push((id, request));
            }
        }
        connection.transmit(core, self.write_deadline())?;
        Ok(awaited)
    }

    /// Waits for the answer to `id` and turns it into a result.
    fn conclude(&self, id: RequestId, request: Command) -> Result<Command, Error> {
        self.connection()
            .outcome(id, request, self.answer_timeout)?
            .into_result(request, self.answer_timeout)
    }

    /// Waits until COM-PORT-OPTION is settled and data may flow.
    fn wait_for_com_port(&self) -> Result<(), Error> {
        let connection = self.connection();
        let mut core = connection.lock();
        let deadline = Instant::now() + self.answer_timeout + Duration::from_secs(1);
        loop {
            match core.session.com_port() {
                ComPortState::Active if core.session.is_ready_for_data() => return Ok(()),
                ComPortState::Unavailable(why) => {
                    return Err(Error::no_com_port(why, self.answer_timeout))
                }
                _ => {}
            }
            if let Some(reason) = &core.closed {
                return Err(Error::Closed(reason.clone()));
            }
            let (next, in_time) = connection.wait(core, Some(deadline));
            core = next;
            if !in_time {
                return Err(Error::NoComPortOption {
                    timed_out: Some(self.answer_timeout),
                });
            }
        }
    }

    fn write_deadline(&self) -> Option<Instant> {
        self.write_timeout.map(|timeout| Instant::now() + timeout)
    }

    /// A barrier: returns once the server has processed everything written
    /// before it.
    fn barrier(&self) -> Result<(), Error> {
        let connection = self.connection();
        let mut core = connection.lock();
        let request = Command::SetBaudRate(0);
        let id = core.session.barrier(connection.now())?;
        connection.transmit(core, self.write_deadline())?;
        self.conclude(id, request).map(drop)
    }
}

impl std::fmt::Debug for RemotePort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemotePort")
            .field("name", &self.name)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

impl Read for RemotePort {
    /// Reads received data; `Ok(0)` once the server has closed and all data
    /// is read; `TimedOut` when nothing came within the read timeout.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let connection = self.connection();
        let deadline = self.read_timeout.map(|timeout| Instant::now() + timeout);
        let mut core = connection.lock();
        loop {
            if !core.received.is_empty() {
                // Slice copies (`VecDeque` reads its front slice).
                let n = core.received.read(buf)?;
                drop(core);
                connection.notify(); // the reader thread may wait for room
                return Ok(n);
            }
            if core.closed.is_some() {
                return Ok(0);
            }
            let (next, in_time) = connection.wait(core, deadline);
            core = next;
            if !in_time && core.received.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no data within the read timeout",
                ));
            }
        }
    }
}

impl Write for RemotePort {
    /// Writes data, 0xFF and all. Waits while the server has suspended us
    /// (FLOWCONTROL-SUSPEND), up to the write timeout.
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        let connection = self.connection();
        let deadline = self.write_deadline();
        loop {
            {
                let core = connection.lock();
                if let Some(reason) = &core.closed {
                    return Err(Error::Closed(reason.clone()).into());
                }
                if !core.session.is_ready_for_data() {
                    let (core, in_time) = connection.wait(core, deadline);
                    drop(core);
                    if !in_time {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "the server held our data back (FLOWCONTROL-SUSPEND) past the write timeout",
                        ));
                    }
                    continue;
                }
            }
            match connection.send_data(data, deadline)? {
                0 => continue, // suspended meanwhile
                n => return Ok(n),
            }
        }
    }

    /// A real barrier: returns once the server has processed everything
    /// written before.
    fn flush(&mut self) -> io::Result<()> {
        self.connection().send_data(&[], self.write_deadline())?;
        Ok(self.barrier()?)
    }
}
