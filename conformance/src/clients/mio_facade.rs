//! A blocking facade over the mio client: one `RemotePort` on a
//! `mio::Poll` of its own, turned by the run loop of the crate docs until
//! what is waited for happens. It is the only place the suite drives mio;
//! keep its interface small (open, turn, request, purge, the port), so
//! that a shared facade can take its place.

use std::collections::VecDeque;
use std::io;
use std::time::{Duration, Instant};

use mio::{Events, Poll, Token};
use rfc2217_client::Error;
use rfc2217_mio::{OpenOptions, OpenOptionsExt, PortEvent, RemotePort};
use rfc2217_proto::{Command, Purge, RequestId};

/// The facade's own limit beyond the port's answer timeout: the port's
/// timers should always fire first.
const BACKSTOP: Duration = Duration::from_secs(2);

/// The port's token on the poll.
const PORT: Token = Token(0);

/// An open mio `RemotePort` and its loop. Answers and the end of the
/// connection wait in `inbox`; modem and line state are read from the
/// port's state instead.
pub(super) struct MioFacade {
    poll: Poll,
    events: Events,
    port: RemotePort,
    inbox: VecDeque<PortEvent>,
    answer_timeout: Duration,
}

impl MioFacade {
    /// Connects with `options` (whose answer timeout is `answer_timeout`)
    /// and turns the loop until the port is open or failed to open.
    pub(super) fn open(options: OpenOptions, answer_timeout: Duration) -> Result<Self, Error> {
        let harness = |what: &str, error: &dyn std::fmt::Display| {
            Error::Io(io::Error::other(format!("{what}: {error}")))
        };
        let poll = Poll::new().map_err(|error| harness("no mio poll", &error))?;
        let mut port = options.connect()?;
        port.register(poll.registry(), PORT)
            .map_err(|error| harness("cannot register the port", &error))?;
        let mut facade = MioFacade {
            poll,
            events: Events::with_capacity(16),
            port,
            inbox: VecDeque::new(),
            answer_timeout,
        };
        let patience = answer_timeout + BACKSTOP;
        let opened = facade
            .wait_for(patience, |event| {
                matches!(event, PortEvent::Opened | PortEvent::OpenFailed(_))
            })
            .map_err(|error| harness("the driver failed", &error))?;
        match opened {
            Some(PortEvent::Opened) => Ok(facade),
            Some(PortEvent::OpenFailed(error)) => Err(error),
            _ => Err(harness(
                "the port reported neither Opened nor OpenFailed",
                &format!("within {} s", patience.as_secs_f64()),
            )),
        }
    }

    /// The port, for what needs no waiting (state, reads, writes).
    pub(super) fn port(&mut self) -> &mut RemotePort {
        &mut self.port
    }

    /// The answer timeout the port was opened with.
    pub(super) fn answer_timeout(&self) -> Duration {
        self.answer_timeout
    }

    /// One turn of the loop: waits for the socket or the port's deadline
    /// (at most `wait`), hands over what happened, collects the events.
    pub(super) fn turn(&mut self, wait: Duration) -> Result<(), String> {
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

    /// Turns the loop for `duration`.
    pub(super) fn idle(&mut self, duration: Duration) -> Result<(), String> {
        let until = Instant::now() + duration;
        while Instant::now() < until {
            self.turn(until.saturating_duration_since(Instant::now()))?;
        }
        Ok(())
    }

    /// Sends `command` and waits for the value the server says is in use.
    pub(super) fn request(&mut self, command: Command) -> Result<Command, String> {
        let id = self
            .port
            .request(command)
            .map_err(|error| error.to_string())?;
        self.collect()?;
        self.answer(id, command)
    }

    /// Purges and waits for the server's answer.
    pub(super) fn purge(&mut self, purge: Purge) -> Result<(), String> {
        let id = self.port.purge(purge).map_err(|error| error.to_string())?;
        self.collect()?;
        self.answer(id, Command::PurgeData(purge)).map(drop)
    }

    /// Why the connection ended, if it has.
    pub(super) fn closed(&self) -> Option<String> {
        self.port.is_closed().then(|| {
            let reason = self.inbox.iter().find_map(|event| match event {
                PortEvent::Closed(reason) => Some(reason.clone()),
                _ => None,
            });
            Error::Closed(reason.unwrap_or_default()).to_string()
        })
    }

    /// Drains the port's events and brings its registration up to date.
    fn collect(&mut self) -> Result<(), String> {
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

    /// Takes the first event `pick` accepts out of the inbox, turning the
    /// loop for at most `patience`.
    fn wait_for(
        &mut self,
        patience: Duration,
        pick: impl Fn(&PortEvent) -> bool,
    ) -> Result<Option<PortEvent>, String> {
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
}
