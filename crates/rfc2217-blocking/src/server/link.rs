//! What the two threads of a connection share: the session, the device data
//! waiting for the client, the socket's write half, and how the connection
//! ends.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use rfc2217_proto::{Instant, Server, Session};

/// Device data held for the client while it cannot take it (it suspended
/// us, or BINARY is being negotiated). When this is full the device is not
/// read, so memory stays bounded and nothing is dropped.
pub(crate) const PENDING_CAPACITY: usize = 64 * 1024;

/// How often a thread waiting in the purge handshake checks whether the
/// connection ended (it is woken at once otherwise).
const PARK_CHECK: Duration = Duration::from_millis(50);

/// Bytes encoded per socket write.
const OUT_CHUNK: usize = 16 * 1024;

/// The connection's shared state, behind one lock.
pub(crate) struct Shared {
    pub(crate) session: Session<Server>,
    /// Device data not yet taken by the session.
    pub(crate) pending: VecDeque<u8>,
    /// Where a purge of the receive side stands (see [`Link::purge_received`]).
    purge: PurgeStep,
}

/// The handshake that purges the receive side between two device reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PurgeStep {
    Idle,
    /// The network side asks the device reader to stop between reads.
    Requested,
    /// The device reader waits until the purge is done.
    Parked,
}

/// One connection, as both of its threads see it.
///
/// Lock order: `shared`, then `writer`. A thread that has output takes the
/// writer before it lets go of the session, so bytes reach the socket in
/// the order the session produced them, while the session stays free for
/// the other thread during the (possibly slow) socket write.
pub(crate) struct Link {
    shared: Mutex<Shared>,
    /// Signalled when room is made in `pending`, a purge moves on, or the
    /// connection closes.
    wake: Condvar,
    writer: Mutex<TcpStream>,
    /// A handle used only to shut the socket down, which wakes both threads.
    control: TcpStream,
    pub(crate) peer: SocketAddr,
    epoch: std::time::Instant,
    closing: AtomicBool,
    /// Why the connection ended (the first reason given), and whether the
    /// device failed.
    end: Mutex<Option<(String, bool)>>,
}

/// The connection is over; the reason was recorded with [`Link::close`].
#[derive(Debug)]
pub(crate) struct Closed;

impl Link {
    pub(crate) fn new(
        session: Session<Server>,
        socket: &TcpStream,
        peer: SocketAddr,
    ) -> io::Result<Self> {
        Ok(Link {
            shared: Mutex::new(Shared {
                session,
                pending: VecDeque::new(),
                purge: PurgeStep::Idle,
            }),
            wake: Condvar::new(),
            writer: Mutex::new(socket.try_clone()?),
            control: socket.try_clone()?,
            peer,
            epoch: std::time::Instant::now(),
            closing: AtomicBool::new(false),
            end: Mutex::new(None),
        })
    }

    /// The session's clock: time since the connection began.
    pub(crate) fn now(&self) -> Instant {
        let micros = self.epoch.elapsed().as_micros();
        Instant::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Shared> {
        // A panicking thread cannot leave the session half-updated in a way
        // that matters more than the connection; carry on and close.
        self.shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits at most `timeout` for room in `pending`, a purge or the end.
    pub(crate) fn wait_for_room<'a>(
        &'a self,
        shared: MutexGuard<'a, Shared>,
        timeout: Duration,
    ) -> MutexGuard<'a, Shared> {
        match self.wake.wait_timeout(shared, timeout) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }

    /// Wakes a reader waiting for room.
    pub(crate) fn made_room(&self) {
        self.wake.notify_all();
    }

    /// Network side: runs `purge` (which empties the device's receive
    /// buffer) while the device reader is parked between two reads, then
    /// drops the device data not sent yet. So no byte read before the purge
    /// reaches the client after it, and none read after it is lost. Takes
    /// up to one read timeout (the modem poll interval).
    pub(crate) fn purge_received<T>(&self, purge: impl FnOnce() -> T) -> Result<T, Closed> {
        let mut shared = self.lock();
        shared.purge = PurgeStep::Requested;
        self.wake.notify_all();
        while shared.purge != PurgeStep::Parked {
            if self.is_closing() {
                shared.purge = PurgeStep::Idle;
                return Err(Closed);
            }
            shared = self.wait_for_room(shared, PARK_CHECK);
        }
        drop(shared);
        let result = purge();
        let mut shared = self.lock();
        shared.pending.clear();
        shared.purge = PurgeStep::Idle;
        drop(shared);
        self.wake.notify_all();
        Ok(result)
    }

    /// Device side, between reads: if a purge is asked for, waits until it
    /// is done.
    pub(crate) fn park_if_asked(&self) {
        let mut shared = self.lock();
        if shared.purge != PurgeStep::Requested {
            return;
        }
        shared.purge = PurgeStep::Parked;
        self.wake.notify_all();
        while shared.purge == PurgeStep::Parked && !self.is_closing() {
            shared = self.wait_for_room(shared, PARK_CHECK);
        }
    }

    /// Sends everything the session has to send: queued commands, then as
    /// much pending device data as it takes now.
    pub(crate) fn flush<'a>(&'a self, mut shared: MutexGuard<'a, Shared>) -> Result<(), Closed> {
        let mut out = [0u8; OUT_CHUNK];
        let mut took_data = false;
        loop {
            let Shared {
                session, pending, ..
            } = &mut *shared;
            let (front, _) = pending.as_slices();
            let encoded = session.encode_data(front, &mut out);
            pending.drain(..encoded.consumed);
            took_data |= encoded.consumed > 0;
            if encoded.written == 0 {
                break;
            }
            self.transmit(shared, &out[..encoded.written])?;
            shared = self.lock();
        }
        drop(shared);
        if took_data {
            self.made_room();
        }
        Ok(())
    }

    /// Writes `bytes` to the socket, letting go of the session only once
    /// the writer is held (see the lock order above).
    fn transmit(&self, shared: MutexGuard<'_, Shared>, bytes: &[u8]) -> Result<(), Closed> {
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        drop(shared);
        writer.write_all(bytes).map_err(|error| {
            let reason = match error.kind() {
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => {
                    "the client closed the connection".to_owned()
                }
                _ => format!("socket error while sending: {error}"),
            };
            self.close(reason)
        })
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    /// Ends the connection for `reason` (the first reason given is kept):
    /// the socket is shut down, which wakes a thread reading or writing it,
    /// and a thread waiting for room is woken.
    pub(crate) fn close(&self, reason: impl Into<String>) -> Closed {
        self.end_with(reason.into(), false)
    }

    /// Ends the connection because the device failed; the server will not
    /// give this device to the next client but open it again.
    pub(crate) fn device_failed(&self, reason: impl Into<String>) -> Closed {
        self.end_with(reason.into(), true)
    }

    fn end_with(&self, reason: String, device_failed: bool) -> Closed {
        {
            let mut end = self.end.lock().unwrap_or_else(|p| p.into_inner());
            if end.is_none() {
                *end = Some((reason, device_failed));
            }
        }
        if !self.closing.swap(true, Ordering::AcqRel) {
            let _ = self.control.shutdown(Shutdown::Both);
            // A waiter that checked the flag just before this wakes at its
            // timeout (one modem poll interval) instead; the session lock is
            // not taken here, so `close` may be called with it held.
            self.wake.notify_all();
        }
        Closed
    }

    /// Why the connection ended, and whether the device failed.
    pub(crate) fn outcome(&self) -> (String, bool) {
        let end = self.end.lock().unwrap_or_else(|p| p.into_inner());
        end.clone()
            .unwrap_or_else(|| ("the connection ended".to_owned(), false))
    }
}
