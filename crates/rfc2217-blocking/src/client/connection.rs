//! The connection behind a remote port: the session, the socket, and the
//! reader thread that drives them.
//!
//! One thread owns reading: it feeds the socket's bytes to the session,
//! keeps received data (bounded), records answers and notifications, fires
//! timers, and wakes whoever waits. Writers and requesters lock the session,
//! produce bytes, then take the writer lock *before* releasing the session
//! (hand over hand), so bytes reach the socket in the order the session
//! produced them.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use log::{debug, trace, warn};
use rfc2217_client::{Error, Outcome, PortState};
use rfc2217_proto::{
    self as proto, Client, ClientEvent, Command, RequestId, Session, TRANSMIT_QUEUE_CAPACITY,
};

/// Received data kept for the application; when full, the reader stops
/// reading the socket and TCP flow control slows the server down.
const RECEIVE_CAPACITY: usize = 256 * 1024;
const READ_CHUNK: usize = 16 * 1024;
/// How often a blocked reader thread looks at its timers anyway.
const TICK: Duration = Duration::from_millis(100);

/// Everything guarded by the session lock.
pub(crate) struct Core {
    pub(crate) session: Session<Client>,
    pub(crate) received: VecDeque<u8>,
    pub(crate) state: PortState,
    outcomes: HashMap<RequestId, Outcome>,
    /// Why the connection ended, once it has.
    pub(crate) closed: Option<String>,
}

/// The socket's write side and what it could not take yet.
pub(crate) struct Writer {
    stream: TcpStream,
    /// Encoded bytes a timed-out write left behind; they go first next time,
    /// so the byte stream stays intact.
    unsent: Vec<u8>,
}

/// State shared by every handle of one remote port and its reader thread.
///
/// Lock order: `core`, then `writer`; never the other way round. The reader
/// thread only ever tries the writer lock, so it never blocks on a slow
/// socket and always goes on reading.
pub(crate) struct Shared {
    core: Mutex<Core>,
    changed: Condvar,
    writer: Mutex<Writer>,
    /// A handle for shutting the socket down without any lock.
    control: TcpStream,
    epoch: Instant,
}

impl Shared {
    /// Starts the reader thread on `stream` for `session`.
    pub(crate) fn start(
        stream: TcpStream,
        session: Session<Client>,
        epoch: Instant,
    ) -> io::Result<Arc<Shared>> {
        let reader = stream.try_clone()?;
        let control = stream.try_clone()?;
        let shared = Arc::new(Shared {
            core: Mutex::new(Core {
                session,
                received: VecDeque::new(),
                state: PortState::default(),
                outcomes: HashMap::new(),
                closed: None,
            }),
            changed: Condvar::new(),
            writer: Mutex::new(Writer {
                stream,
                unsent: Vec::new(),
            }),
            control,
            epoch,
        });
        let for_thread = Arc::clone(&shared);
        thread::Builder::new()
            .name("rfc2217-reader".into())
            .spawn(move || for_thread.read_loop(reader))?;
        Ok(shared)
    }

    /// The session's clock.
    pub(crate) fn now(&self) -> proto::Instant {
        let micros = self.epoch.elapsed().as_micros();
        proto::Instant::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Core> {
        // A panic while holding the lock leaves the data consistent enough
        // to report the connection as closed; never propagate the poison.
        self.core
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        self.writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for a change (new data, an answer, a notification, the end)
    /// until `deadline`. Returns the guard, and false if the deadline passed.
    pub(crate) fn wait<'a>(
        &self,
        core: MutexGuard<'a, Core>,
        deadline: Option<Instant>,
    ) -> (MutexGuard<'a, Core>, bool) {
        match deadline {
            None => (
                self.changed.wait(core).unwrap_or_else(|p| p.into_inner()),
                true,
            ),
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return (core, false);
                }
                let (core, _) = self
                    .changed
                    .wait_timeout(core, left)
                    .unwrap_or_else(|p| p.into_inner());
                (core, Instant::now() < deadline)
            }
        }
    }

    /// Wakes everyone waiting for a change.
    pub(crate) fn notify(&self) {
        self.changed.notify_all();
    }

    /// Sends what the session has queued, keeping order: the writer lock is
    /// taken before the session lock is released.
    pub(crate) fn transmit(
        &self,
        core: MutexGuard<'_, Core>,
        deadline: Option<Instant>,
    ) -> Result<(), Error> {
        let writer = self.lock_writer();
        self.transmit_with(core, writer, deadline)
    }

    /// As [`Self::transmit`] if the writer is free; otherwise the commands
    /// stay queued and the writer's owner sends them when it is done.
    fn try_transmit(&self, core: MutexGuard<'_, Core>) -> Result<(), Error> {
        match self.writer.try_lock() {
            Ok(writer) => self.transmit_with(core, writer, None),
            Err(_) => Ok(()),
        }
    }

    fn transmit_with(
        &self,
        mut core: MutexGuard<'_, Core>,
        mut writer: MutexGuard<'_, Writer>,
        deadline: Option<Instant>,
    ) -> Result<(), Error> {
        let mut out = [0u8; TRANSMIT_QUEUE_CAPACITY];
        let n = core.session.poll_transmit(&mut out);
        drop(core);
        if n == 0 && writer.unsent.is_empty() {
            return Ok(());
        }
        writer
            .send(&out[..n], deadline)
            .map_err(|error| self.fail(error))
    }

    /// Encodes as much of `data` as the session takes now and sends it.
    /// Returns how many bytes of `data` were taken: 0 if the session holds
    /// data back (the caller waits for a change and tries again).
    pub(crate) fn send_data(&self, data: &[u8], deadline: Option<Instant>) -> Result<usize, Error> {
        // Bytes a timed-out write left behind go first; while they cannot
        // go, no new data is taken.
        self.lock_writer()
            .send(&[], deadline)
            .map_err(|error| self.fail(error))?;
        let chunk = &data[..data.len().min(READ_CHUNK)];
        let mut out = vec![0u8; TRANSMIT_QUEUE_CAPACITY + 2 * chunk.len()];
        let mut core = self.lock();
        let encoded = core.session.encode_data(chunk, &mut out);
        let mut writer = self.lock_writer();
        drop(core);
        match writer.send(&out[..encoded.written], deadline) {
            Ok(()) => {}
            // Encoded and kept in `unsent`: the data counts as taken.
            Err(error) if is_timeout(&error) => {}
            Err(error) => return Err(self.fail(error)),
        }
        drop(writer);
        // Commands the reader thread queued while we held the writer. The
        // data is taken whatever happens here: reporting a timeout now
        // would make the caller write it again.
        match self.transmit(self.lock(), deadline) {
            Err(Error::Io(error)) if is_timeout(&error) => {}
            result => result?,
        }
        Ok(encoded.consumed)
    }

    /// Bytes accepted from the application but not yet taken by the socket.
    pub(crate) fn unsent(&self) -> usize {
        self.lock_writer().unsent.len()
    }

    /// Waits until the request `id` is answered or timed out.
    pub(crate) fn outcome(
        &self,
        id: RequestId,
        request: Command,
        patience: Duration,
    ) -> Result<Outcome, Error> {
        // The session fires the timeout; this deadline is only a backstop
        // for a reader thread that could not run.
        let backstop = Instant::now() + patience + Duration::from_secs(1);
        let mut core = self.lock();
        loop {
            if let Some(outcome) = core.outcomes.remove(&id) {
                return Ok(outcome);
            }
            if let Some(reason) = &core.closed {
                return Err(Error::Closed(reason.clone()));
            }
            let (next, in_time) = self.wait(core, Some(backstop));
            core = next;
            if !in_time {
                return Err(Error::NoAnswer {
                    request,
                    waited: patience,
                });
            }
        }
    }

    /// Closes the socket; the reader thread ends and waiters are woken.
    pub(crate) fn shut_down(&self) {
        let _ = self.control.shutdown(Shutdown::Both);
    }

    /// Turns a socket error into the caller's error. A timeout only means
    /// the socket could not take everything yet (what is left stays in
    /// `unsent`); anything else ends the connection.
    fn fail(&self, error: io::Error) -> Error {
        if is_timeout(&error) {
            return Error::Io(error);
        }
        let mut core = self.lock();
        let reason = error.to_string();
        core.closed.get_or_insert(reason);
        drop(core);
        self.notify();
        Error::Io(error)
    }

    fn read_loop(&self, mut socket: TcpStream) {
        let mut buffer = vec![0u8; READ_CHUNK];
        let reason = loop {
            if let Err(reason) = self.wait_for_room() {
                break reason;
            }
            let _ = socket.set_read_timeout(Some(self.time_to_next_timer()));
            match socket.read(&mut buffer) {
                Ok(0) => break "the server closed the connection".to_owned(),
                Ok(n) => {
                    trace!("received {n} bytes");
                    if let Err(reason) = self.receive(&buffer[..n]) {
                        break reason;
                    }
                }
                Err(error) if is_timeout(&error) || error.kind() == io::ErrorKind::Interrupted => {
                    if let Err(reason) = self.tick() {
                        break reason;
                    }
                }
                Err(error) => break error.to_string(),
            }
        };
        debug!("connection ended: {reason}");
        self.lock().closed.get_or_insert(reason);
        self.notify();
    }

    /// Waits while the receive buffer is full (the application is not
    /// reading), still serving timers.
    fn wait_for_room(&self) -> Result<(), String> {
        let mut core = self.lock();
        while core.received.len() >= RECEIVE_CAPACITY {
            if let Some(reason) = &core.closed {
                return Err(reason.clone());
            }
            let (next, _) = self.wait(core, Some(Instant::now() + TICK));
            core = next;
            self.fire_timers(&mut core);
        }
        Ok(())
    }

    fn time_to_next_timer(&self) -> Duration {
        let core = self.lock();
        let now = self.now();
        let until = core
            .session
            .poll_timeout()
            .map_or(TICK, |deadline| deadline.saturating_duration_since(now));
        until.clamp(Duration::from_millis(1), TICK)
    }

    fn tick(&self) -> Result<(), String> {
        let mut core = self.lock();
        self.fire_timers(&mut core);
        self.try_transmit(core).map_err(|error| error.to_string())
    }

    fn fire_timers(&self, core: &mut Core) {
        let now = self.now();
        if core
            .session
            .poll_timeout()
            .is_some_and(|deadline| deadline <= now)
        {
            core.session.handle_timeout(now);
            if self.handle_events(core) {
                self.notify();
            }
        }
    }

    /// Feeds bytes from the socket to the session (the run loop).
    fn receive(&self, mut input: &[u8]) -> Result<(), String> {
        let mut data = Box::new([0u8; READ_CHUNK]);
        let mut core = self.lock();
        while !input.is_empty() {
            let room = RECEIVE_CAPACITY
                .saturating_sub(core.received.len())
                .min(READ_CHUNK);
            if room == 0 {
                // Let the application read, then go on with the rest.
                self.notify();
                let (next, _) = self.wait(core, Some(Instant::now() + TICK));
                core = next;
                if let Some(reason) = &core.closed {
                    return Err(reason.clone());
                }
                continue;
            }
            let now = self.now();
            // Data written is never more than input consumed: feeding at
            // most `room` bytes keeps the receive buffer bounded.
            let fed = &input[..input.len().min(room)];
            let received = core.session.handle_input(now, fed, &mut data);
            input = &input[received.consumed..];
            core.received.extend(&data[..received.data_len]);
            let changed = self.handle_events(&mut core) || received.data_len > 0;
            if changed {
                self.notify();
            }
            // The answers the session queued (negotiation, signature).
            self.try_transmit(core).map_err(|error| error.to_string())?;
            core = self.lock();
        }
        Ok(())
    }

    /// Records every pending event; true if anything a waiter cares about changed.
    fn handle_events(&self, core: &mut Core) -> bool {
        let mut changed = false;
        while let Some(event) = core.session.poll_event() {
            changed = true;
            match event {
                ClientEvent::Reply { id, reply, status } => {
                    debug!("answer {reply} ({status:?})");
                    core.state.record_reply(&reply);
                    if let Some(id) = id {
                        core.outcomes
                            .insert(id, Outcome::Answered { reply, status });
                    }
                }
                ClientEvent::Signature {
                    id,
                    signature,
                    status,
                } => {
                    debug!("server signature \"{signature}\" ({status:?})");
                    core.state.record_signature(signature);
                    if let Some(id) = id {
                        let reply = Command::Signature;
                        core.outcomes
                            .insert(id, Outcome::Answered { reply, status });
                    }
                }
                ClientEvent::Timeout { id, request } => {
                    debug!("no answer to {request}");
                    core.outcomes.insert(id, Outcome::TimedOut);
                }
                ClientEvent::ModemState(state) => {
                    debug!("modem state {:#04x}", state.0);
                    core.state.record_modem(state, Instant::now());
                }
                ClientEvent::LineState(state) => {
                    debug!("line state {:#04x}", state.0);
                    core.state.record_line(state);
                }
                ClientEvent::PeerViolation(violation) => {
                    warn!("server broke the protocol: {violation}")
                }
                ClientEvent::Suspended => debug!("server suspended our sending"),
                ClientEvent::Resumed => debug!("server resumed our sending"),
                // COM-PORT changes are read from `session.com_port()`; the
                // waiters are woken all the same.
                other => trace!("{other:?}"),
            }
        }
        changed
    }
}

impl Writer {
    /// Writes what is left over, then `bytes`, until `deadline`. On a
    /// timeout whatever did not go is kept for the next call.
    fn send(&mut self, bytes: &[u8], deadline: Option<Instant>) -> io::Result<()> {
        self.unsent.extend_from_slice(bytes);
        while !self.unsent.is_empty() {
            let timeout = match deadline {
                None => None,
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out"));
                    }
                    Some(left)
                }
            };
            self.stream.set_write_timeout(timeout)?;
            match self.stream.write(&self.unsent) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.unsent.drain(..n);
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) if is_timeout(&error) => {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out"))
                }
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
