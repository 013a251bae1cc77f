//! `RemotePort`: a serial port on an RFC 2217 server, its calls waiting
//! on the reader thread.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rfc2217_client::{ClientCore, Error, OpenOptions, PortState};
use rfc2217_proto::{
    Command, Control, LineState, ModemState, Purge, RequestId, Side, TelnetOption,
};

use super::connection::{Core, Shared};
use super::OpenOptionsExt;

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
}

impl RemotePort {
    /// Opens `url` (`rfc2217://host:port[?options]`) with default settings.
    pub fn open(url: &str) -> Result<Self, Error> {
        OpenOptions::from_url(url)?.open()
    }

    /// Sends the opening batch on `connection` and waits for its verdict.
    pub(super) fn start(options: &OpenOptions, connection: Arc<Shared>) -> Result<Self, Error> {
        let (read_timeout, write_timeout) = options.io_timeouts();
        let core = connection.lock();
        let answer_timeout = core.client.answer_timeout();
        let name = core.client.name().to_owned();
        let port = RemotePort {
            shared: Arc::new(Handle(Arc::clone(&connection))),
            name,
            read_timeout,
            write_timeout,
            answer_timeout,
        };
        connection.transmit(core, port.write_deadline())?;
        connection.opened(answer_timeout)?;
        Ok(port)
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
        self.connection().lock().client.state().clone()
    }

    /// The server's signature, once it has sent one.
    pub fn server_signature(&self) -> Option<Vec<u8>> {
        let core = self.connection().lock();
        let signature = core.client.state().signature?;
        Some(signature.as_bytes().to_vec())
    }

    /// Whether a side of a Telnet option was agreed with the server.
    pub fn is_option_enabled(&self, option: TelnetOption, side: Side) -> bool {
        self.connection()
            .lock()
            .client
            .is_option_enabled(option, side)
    }

    /// The server has suspended our sending (FLOWCONTROL-SUSPEND); writes
    /// wait until it resumes.
    pub fn is_suspended_by_server(&self) -> bool {
        self.connection().lock().client.is_suspended_by_server()
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
        let [id] = self.request_ids(|client, now| client.request(now, request).map(|id| [id]))?;
        self.answer(id)
    }

    /// Sets DTR and RTS together: both changes leave in one TCP segment
    /// (boards that reset through DTR/RTS need them close together).
    pub fn set_dtr_rts(&self, dtr: bool, rts: bool) -> Result<(), Error> {
        let [dtr, rts] = self.request_ids(|client, now| client.set_dtr_rts(now, dtr, rts))?;
        // Both answers are awaited, even when the first is an error.
        let dtr = self.answer(dtr);
        let rts = self.answer(rts);
        dtr.and(rts).map(drop)
    }

    /// Sends a break of `duration`. RFC 2217 has no timed break, so the
    /// client times it: BREAK on, once answered a sleep of `duration` on
    /// the calling thread, then BREAK off. The call takes `duration` plus
    /// two round trips, and the break on the device lasts `duration` plus
    /// about one round trip.
    pub fn send_break(&self, duration: Duration) -> Result<(), Error> {
        self.request(Command::SetControl(Control::BreakOn))?;
        std::thread::sleep(duration);
        self.request(Command::SetControl(Control::BreakOff))?;
        Ok(())
    }

    /// Empties the server's buffers (and, for receive, ours).
    pub fn purge(&self, purge: Purge) -> Result<(), Error> {
        let [id] = self.request_ids(|client, now| client.purge(now, purge).map(|id| [id]))?;
        self.connection().notify(); // the reader thread may wait for room
        self.answer(id).map(drop)
    }

    /// The modem lines. With modem polling on, a cached state older than
    /// the maximum age is refreshed from the server first.
    pub fn modem_state(&self) -> Result<ModemState, Error> {
        let asked = Instant::now();
        let stale = self.connection().lock().client.is_modem_state_stale(asked);
        if stale {
            self.queue(|client, now| client.query_modem_state(now))?;
            let deadline = asked + self.answer_timeout;
            // Past the deadline the cached state, if any, is reported.
            self.wait_until(Some(deadline), |core| {
                core.client.has_modem_state_since(asked)
            });
        }
        let core = self.connection().lock();
        let modem = core.client.state().modem;
        modem.map(|(state, _)| state).ok_or(Error::NoModemState)
    }

    /// The last line state the server reported.
    pub fn line_state(&self) -> Option<LineState> {
        self.connection().lock().client.state().line
    }

    /// Bytes received and not yet read.
    pub fn bytes_to_read(&self) -> usize {
        self.connection().lock().client.bytes_to_read()
    }

    /// Bytes written that the socket has not taken yet.
    pub fn bytes_to_write(&self) -> usize {
        self.connection().unsent()
    }

    /// Queues on the core and sends at once (one TCP segment).
    fn queue<T>(
        &self,
        queue: impl FnOnce(&mut ClientCore, Instant) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.connection().queue(self.write_deadline(), queue)
    }

    /// Queues requests as [`Self::queue`]; their answers are kept for
    /// [`Self::answer`].
    fn request_ids<const N: usize>(
        &self,
        queue: impl FnOnce(&mut ClientCore, Instant) -> Result<[RequestId; N], Error>,
    ) -> Result<[RequestId; N], Error> {
        self.connection().request(self.write_deadline(), queue)
    }

    /// Waits for the answer to request `id`.
    fn answer(&self, id: RequestId) -> Result<Command, Error> {
        self.connection().answer(id, self.answer_timeout)
    }

    /// Waits until `done`, the connection ends, or `deadline` passes;
    /// whether `done`.
    fn wait_until(&self, deadline: Option<Instant>, done: impl Fn(&Core) -> bool) -> bool {
        let connection = self.connection();
        let mut core = connection.lock();
        loop {
            if done(&core) {
                return true;
            }
            if core.client.closed().is_some() {
                return false;
            }
            let (next, in_time) = connection.wait(core, deadline);
            core = next;
            if !in_time {
                return done(&core);
            }
        }
    }

    fn write_deadline(&self) -> Option<Instant> {
        self.write_timeout.map(|timeout| Instant::now() + timeout)
    }

    /// A barrier: returns once the server has processed everything written
    /// before it.
    fn barrier(&self) -> Result<(), Error> {
        let [id] = self.request_ids(|client, now| client.barrier(now).map(|id| [id]))?;
        self.answer(id).map(drop)
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
        let deadline = self.read_timeout.map(|timeout| Instant::now() + timeout);
        let ready = |core: &Core| core.client.bytes_to_read() > 0 || core.client.closed().is_some();
        if !self.wait_until(deadline, ready) {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no data within the read timeout",
            ));
        }
        let connection = self.connection();
        let n = connection.lock().client.read(buf);
        connection.notify(); // the reader thread may wait for room
        Ok(n)
    }
}

impl Write for RemotePort {
    /// Writes data, 0xFF and all. Waits while the server has suspended us
    /// (FLOWCONTROL-SUSPEND), up to the write timeout.
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        let deadline = self.write_deadline();
        loop {
            let ready =
                |core: &Core| core.client.is_ready_for_data() || core.client.closed().is_some();
            if !self.wait_until(deadline, ready) {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the server held our data back (FLOWCONTROL-SUSPEND) past the write timeout",
                ));
            }
            if let Some(error) = self.connection().lock().closed_error() {
                return Err(error.into());
            }
            match self.connection().send_data(data, deadline)? {
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
