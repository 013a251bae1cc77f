//! The blocking facade over the mio client: a [`Driver`] runs one remote
//! port on its own `mio::Poll`, with the run loop of the crate docs, and
//! waits (boundedly) for what its caller expects. Tests and the
//! conformance suite use it to ask the mio client the questions they ask
//! the thread client.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use crate::PATIENCE;
use mio::{Events, Poll, Token};
use rfc2217_mio::{Error, OpenOptions, OpenOptionsExt, PortEvent, RemotePort};
use rfc2217_proto::{Command, RequestId};

const PORT: Token = Token(0);

/// One remote port on its own poll, driven by the run loop of the crate
/// docs. Events the test has not asked for yet wait in `inbox`.
pub struct Driver {
    poll: Poll,
    events: Events,
    /// The port, for what the facade does not wrap.
    pub port: RemotePort,
    /// Events the caller has not taken yet, oldest first.
    pub inbox: VecDeque<PortEvent>,
}

impl Driver {
    /// Connects and registers; the port is not open yet.
    pub fn connect(options: OpenOptions) -> Driver {
        Driver::start(options).expect("connecting starts")
    }

    /// Connects and waits until the port is open (or fails to); a port
    /// that does neither within [`PATIENCE`] is an error.
    pub fn open(options: OpenOptions) -> Result<Driver, Error> {
        Driver::open_within(options, PATIENCE)
    }

    /// Connects and waits at most `patience` until the port is open: the
    /// open's own error if it failed, a [`TimedOut`](io::ErrorKind::TimedOut)
    /// error if it neither opened nor failed in time (its own timeouts
    /// should have ended the open first). For callers that report such a
    /// peer instead of failing a test.
    pub fn open_within(options: OpenOptions, patience: Duration) -> Result<Driver, Error> {
        let mut driver = Driver::start(options)?;
        let opened = driver.take_within(patience, |event| {
            matches!(event, PortEvent::Opened | PortEvent::OpenFailed(_))
        });
        match opened {
            Some(PortEvent::OpenFailed(error)) => Err(error),
            Some(_) => Ok(driver),
            None => Err(Error::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the port reported neither Opened nor OpenFailed within {} s",
                    patience.as_secs_f64()
                ),
            ))),
        }
    }

    /// Connects and registers, or says why connecting could not start.
    fn start(options: OpenOptions) -> Result<Driver, Error> {
        let _ = env_logger::builder().is_test(true).try_init();
        let poll = Poll::new().map_err(Error::Io)?;
        let mut port = options.connect()?;
        port.register(poll.registry(), PORT).map_err(Error::Io)?;
        Ok(Driver {
            poll,
            events: Events::with_capacity(16),
            port,
            inbox: VecDeque::new(),
        })
    }

    /// One turn of the loop: wait for the socket or the port's deadline
    /// (at most `wait`), hand over what happened, collect the events. A
    /// signal that cuts the wait short makes a shorter turn. Only our own
    /// poll failing panics: nothing a peer does can make it fail.
    pub fn turn(&mut self, wait: Duration) {
        let now = Instant::now();
        let timeout = self.port.poll_timeout().map_or(wait, |deadline| {
            deadline.saturating_duration_since(now).min(wait)
        });
        match self.poll.poll(&mut self.events, Some(timeout)) {
            Err(error) if error.kind() != io::ErrorKind::Interrupted => {
                panic!("the mio poll failed: {error}")
            }
            _ => {}
        }
        for event in self.events.iter() {
            self.port.handle_event(event);
        }
        self.port.handle_timeout(Instant::now());
        self.collect();
    }

    /// Drains the port's events into the inbox and reregisters.
    pub fn collect(&mut self) {
        while let Some(event) = self.port.poll_event() {
            self.inbox.push_back(event);
        }
        self.port
            .reregister(self.poll.registry())
            .expect("reregister");
    }

    /// Turns the loop for `duration`, whatever happens: time for the port
    /// to act on its own (its timers, the server's messages).
    pub fn idle(&mut self, duration: Duration) {
        self.within(duration, |_| false);
    }

    /// The connection's end, if it has come: [`Error::Closed`] with the
    /// reason of the [`PortEvent::Closed`] still in the inbox (empty if the
    /// event was taken out already).
    pub fn closed(&self) -> Option<Error> {
        self.port.is_closed().then(|| {
            let reason = self.inbox.iter().find_map(|event| match event {
                PortEvent::Closed(reason) => Some(reason.clone()),
                _ => None,
            });
            Error::Closed(reason.unwrap_or_default())
        })
    }

    /// Turns the loop until `condition` holds; panics naming `what` after
    /// [`PATIENCE`].
    pub fn until(&mut self, what: &str, condition: impl FnMut(&mut Driver) -> bool) {
        assert!(
            self.within(PATIENCE, condition),
            "gave up waiting for {what}"
        );
    }

    /// Turns the loop until `condition` holds or `patience` has passed;
    /// whether it holds. For callers that report a wait that never ends
    /// instead of failing a test.
    pub fn within(
        &mut self,
        patience: Duration,
        mut condition: impl FnMut(&mut Driver) -> bool,
    ) -> bool {
        let deadline = Instant::now() + patience;
        while !condition(self) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            self.turn(left.min(Duration::from_millis(50)));
        }
        true
    }

    /// Waits for the first event `pick` accepts and takes it out of the inbox.
    pub fn wait_for(&mut self, what: &str, pick: impl FnMut(&PortEvent) -> bool) -> PortEvent {
        self.take_within(PATIENCE, pick)
            .unwrap_or_else(|| panic!("gave up waiting for {what}"))
    }

    /// Takes the first event `pick` accepts out of the inbox, turning the
    /// loop for at most `patience`.
    pub fn take_within(
        &mut self,
        patience: Duration,
        mut pick: impl FnMut(&PortEvent) -> bool,
    ) -> Option<PortEvent> {
        let mut found = None;
        self.within(patience, |driver| {
            if let Some(at) = driver.inbox.iter().position(&mut pick) {
                found = driver.inbox.remove(at);
            }
            found.is_some()
        });
        found
    }

    /// Waits for the answer to request `id`. The port's own answer timeout
    /// ends the wait long before [`PATIENCE`].
    pub fn answer(&mut self, id: RequestId) -> Result<Command, Error> {
        self.answer_within(id, PATIENCE)
            .unwrap_or_else(|| panic!("gave up waiting for an answer"))
    }

    /// Waits at most `patience` for the answer to request `id`; `None` if
    /// none came (the port's own answer timeout should have given one).
    /// For callers that report such a wait instead of failing a test.
    pub fn answer_within(
        &mut self,
        id: RequestId,
        patience: Duration,
    ) -> Option<Result<Command, Error>> {
        let event = self.take_within(
            patience,
            |event| matches!(event, PortEvent::Answer { id: answered, .. } if *answered == id),
        );
        match event? {
            PortEvent::Answer { result, .. } => Some(result),
            other => unreachable!("{other:?}"),
        }
    }

    /// Sends a request and waits for its answer.
    pub fn request(&mut self, command: Command) -> Result<Command, Error> {
        let id = self.port.request(command)?;
        self.collect();
        self.answer(id)
    }

    /// Writes as much of `data` as the port takes now; returns how much.
    pub fn write_some(&mut self, data: &[u8]) -> usize {
        let mut taken = 0;
        while taken < data.len() {
            match self.port.write(&data[taken..]) {
                Ok(n) => taken += n,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) => panic!("write failed: {error}"),
            }
        }
        self.collect();
        taken
    }

    /// Writes all of `data`, turning the loop while the port cannot take
    /// it; the received data is read meanwhile into `echo`.
    pub fn write_all(&mut self, mut data: &[u8], echo: &mut Vec<u8>) {
        self.until("all data taken", |driver| {
            let taken = driver.write_some(data);
            data = &data[taken..];
            driver.read_available(echo);
            data.is_empty()
        });
    }

    /// Reads what the port holds into `into`.
    pub fn read_available(&mut self, into: &mut Vec<u8>) {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match self.port.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => into.extend_from_slice(&buffer[..n]),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) => panic!("read failed: {error}"),
            }
        }
        self.collect();
    }

    /// Reads until `into` holds `len` bytes.
    pub fn read_to(&mut self, into: &mut Vec<u8>, len: usize) {
        self.until("the data", |driver| {
            driver.read_available(into);
            into.len() >= len
        });
    }

    /// Waits until the server has processed everything written so far.
    pub fn barrier(&mut self) -> Result<Command, Error> {
        let id = self.port.barrier()?;
        self.collect();
        self.answer(id)
    }
}
