//! The connection behind a remote port: the client core, the socket, and
//! the reader thread that drives them.
//!
//! One thread owns reading (see `reader`): it feeds the socket's bytes to
//! the core, fires timers, and wakes whoever waits. Writers and requesters
//! lock the core, produce bytes, then take the writer lock *before*
//! releasing the core (hand over hand), so bytes reach the socket in the
//! order the core produced them.

mod reader;

use std::io::{self, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use rfc2217_client::{Answers, ClientCore, Error, PortEvent};
use rfc2217_proto::{Command, RequestId, TRANSMIT_QUEUE_CAPACITY};

/// Received data kept for the application; when full, the reader stops
/// reading the socket and TCP flow control slows the server down.
pub(crate) const RECEIVE_CAPACITY: usize = 256 * 1024;
/// Data one write encodes at most, and socket bytes read at once.
const CHUNK: usize = 16 * 1024;

/// Everything guarded by the core lock: the client core, and what its
/// events said that a waiting thread has not picked up yet.
pub(crate) struct Core {
    pub(crate) client: ClientCore,
    /// Answers to the requests someone waits for, until taken.
    answers: Answers,
    /// The opening's verdict, until `open` takes it.
    opened: Option<Result<(), Error>>,
    /// The reader thread waits for the session's transmit queue to be
    /// drained (it could not take the writer to do it itself).
    awaits_drain: bool,
}

impl Core {
    /// Takes the core's events: awaited answers and the opening's verdict
    /// are kept for their waiters; the rest is in the core's state already.
    /// True if there was any (waiters are then woken).
    fn collect(&mut self) -> bool {
        let mut any = false;
        while let Some(event) = self.client.poll_event() {
            any = true;
            match event {
                PortEvent::Answer { id, result } => {
                    self.answers.offer(id, result);
                }
                PortEvent::Opened => self.opened = Some(Ok(())),
                PortEvent::OpenFailed(error) => self.opened = Some(Err(error)),
                _ => {}
            }
        }
        any
    }

    /// Called after taking bytes from the session's transmit queue: true
    /// if the reader thread waits for that (the caller then wakes it, so
    /// it goes on at once rather than at its next tick).
    fn drained(&mut self) -> bool {
        std::mem::take(&mut self.awaits_drain)
    }

    /// The error for a call on a closed connection, if it is.
    pub(crate) fn closed_error(&self) -> Option<Error> {
        let reason = self.client.closed()?;
        Some(Error::Closed(reason.to_owned()))
    }
}

/// The socket's write side and what it could not take yet.
struct Writer {
    stream: TcpStream,
    /// Encoded bytes a timed-out write left behind; they go first next time,
    /// so the byte stream stays intact.
    unsent: Vec<u8>,
}

/// State shared by every handle of one remote port and its reader thread.
///
/// Lock order: `core`, then `writer`; never the other way round (so
/// `fail` and `end`, which take the core, run only once the writer guard
/// is dropped). The reader thread only ever tries the writer lock, so it
/// never blocks on a slow socket and always goes on reading.
pub(crate) struct Shared {
    core: Mutex<Core>,
    changed: Condvar,
    writer: Mutex<Writer>,
    /// A handle for shutting the socket down without any lock.
    control: TcpStream,
}

impl Shared {
    /// Starts the reader thread on `stream` for `client`.
    pub(crate) fn start(stream: TcpStream, client: ClientCore) -> io::Result<Arc<Shared>> {
        let reader = stream.try_clone()?;
        let control = stream.try_clone()?;
        let shared = Arc::new(Shared {
            core: Mutex::new(Core {
                client,
                answers: Answers::new(),
                opened: None,
                awaits_drain: false,
            }),
            changed: Condvar::new(),
            writer: Mutex::new(Writer {
                stream,
                unsent: Vec::new(),
            }),
            control,
        });
        let for_thread = Arc::clone(&shared);
        thread::Builder::new()
            .name("rfc2217-reader".into())
            .spawn(move || for_thread.read_loop(reader))?;
        Ok(shared)
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

    /// Runs `queue` on the core (a query), keeps the events it made for
    /// their waiters, and sends what it queued.
    pub(crate) fn queue<T>(
        &self,
        deadline: Option<Instant>,
        queue: impl FnOnce(&mut ClientCore, Instant) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.queue_awaiting(deadline, queue, |_| &[])
    }

    /// As [`Self::queue`] for requests (a setting, a barrier, a purge): the
    /// caller waits for their answers with [`Self::answer`], each once.
    pub(crate) fn request<const N: usize>(
        &self,
        deadline: Option<Instant>,
        queue: impl FnOnce(&mut ClientCore, Instant) -> Result<[RequestId; N], Error>,
    ) -> Result<[RequestId; N], Error> {
        self.queue_awaiting(deadline, queue, |ids| ids)
    }

    /// Runs `queue`, records the ids whose answers are awaited (`awaited`
    /// names them) before the events are taken, and sends. A send that
    /// timed out left the bytes in `unsent`, to go first next time: the
    /// requests are on their way, and their ids are returned.
    fn queue_awaiting<T>(
        &self,
        deadline: Option<Instant>,
        queue: impl FnOnce(&mut ClientCore, Instant) -> Result<T, Error>,
        awaited: impl Fn(&T) -> &[RequestId],
    ) -> Result<T, Error> {
        let mut core = self.lock();
        if let Some(error) = core.closed_error() {
            return Err(error);
        }
        let queued = queue(&mut core.client, Instant::now());
        let ids = queued.as_ref().map_or(&[][..], &awaited).to_vec();
        for &id in &ids {
            core.answers.expect(id);
        }
        core.collect();
        match self.transmit(core, deadline) {
            Ok(()) => queued,
            Err(Error::Io(error)) if is_timeout(&error) => queued,
            Err(error) => {
                let mut core = self.lock();
                for id in ids {
                    core.answers.forget(id);
                }
                Err(error)
            }
        }
    }

    /// Sends what the core has queued, keeping order: the writer lock is
    /// taken before the core lock is released.
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
        let n = core.client.poll_transmit(&mut out);
        let drained = n > 0 && core.drained();
        drop(core);
        if drained {
            self.notify();
        }
        if n == 0 && writer.unsent.is_empty() {
            return Ok(());
        }
        let sent = writer.send(&out[..n], deadline);
        // `fail` takes the core lock: never while holding the writer.
        drop(writer);
        sent.map_err(|error| self.fail(error))
    }

    /// Encodes as much of `data` as the core takes now and sends it.
    /// Returns how many bytes of `data` were taken: 0 if the core holds
    /// data back (the caller waits for a change and tries again).
    pub(crate) fn send_data(&self, data: &[u8], deadline: Option<Instant>) -> Result<usize, Error> {
        // Bytes a timed-out write left behind go first; while they cannot
        // go, no new data is taken. (`fail` takes the core lock, so the
        // writer guard must be gone before it runs.)
        let left_over = self.lock_writer().send(&[], deadline);
        left_over.map_err(|error| self.fail(error))?;
        let chunk = &data[..data.len().min(CHUNK)];
        let mut out = vec![0u8; TRANSMIT_QUEUE_CAPACITY + 2 * chunk.len()];
        let mut core = self.lock();
        let encoded = core.client.encode_data(chunk, &mut out);
        let drained = encoded.written > 0 && core.drained();
        let mut writer = self.lock_writer();
        drop(core);
        if drained {
            self.notify();
        }
        let sent = writer.send(&out[..encoded.written], deadline);
        drop(writer);
        match sent {
            Ok(()) => {}
            // Encoded and kept in `unsent`: the data counts as taken.
            Err(error) if is_timeout(&error) => {}
            Err(error) => return Err(self.fail(error)),
        }
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

    /// Waits until the request `id` (from [`Self::request`]) is answered,
    /// timed out or failed. Giving up, it stops awaiting `id`: an answer
    /// that comes later is dropped.
    pub(crate) fn answer(&self, id: RequestId, patience: Duration) -> Result<Command, Error> {
        let mut core = self.lock();
        let backstop = Self::backstop(patience);
        loop {
            if let Some(result) = core.answers.take(id) {
                return result;
            }
            core = match self.wait_in_time(core, backstop) {
                Ok(core) => core,
                Err(error) => {
                    self.lock().answers.forget(id);
                    return Err(error);
                }
            };
        }
    }

    /// Waits for the opening's verdict: COM-PORT-OPTION agreed and every
    /// opening answer in, or the first failure.
    pub(crate) fn opened(&self, patience: Duration) -> Result<(), Error> {
        let mut core = self.lock();
        // The negotiation, then the answers: two timeouts at most.
        let backstop = Self::backstop(2 * patience);
        loop {
            if let Some(verdict) = core.opened.take() {
                return verdict;
            }
            core = self.wait_in_time(core, backstop)?;
        }
    }

    /// The core fires every timeout itself; this deadline is only a
    /// backstop for a reader thread that could not run.
    fn backstop(patience: Duration) -> Instant {
        Instant::now() + patience + Duration::from_secs(1)
    }

    /// Waits for a change, as long as the connection is up and the
    /// backstop has not passed.
    fn wait_in_time<'a>(
        &self,
        core: MutexGuard<'a, Core>,
        backstop: Instant,
    ) -> Result<MutexGuard<'a, Core>, Error> {
        if let Some(error) = core.closed_error() {
            return Err(error);
        }
        match self.wait(core, Some(backstop)) {
            (core, true) => Ok(core),
            (_, false) => Err(Error::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                "the connection's reader thread did not run",
            ))),
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
        if !is_timeout(&error) {
            self.end(error.to_string());
        }
        Error::Io(error)
    }

    /// Ends the connection for `reason`: every waiter gets its error.
    fn end(&self, reason: String) {
        let mut core = self.lock();
        core.client.close(reason);
        core.collect();
        drop(core);
        self.notify();
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
