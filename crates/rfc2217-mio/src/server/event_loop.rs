//! The server's one thread: one `mio::Poll` for every service's listener
//! and device, every connection and every refused client, and one heap of
//! deadlines. It sleeps in `Poll::poll` until an event or the earliest
//! deadline; nothing is polled in a loop.

use std::collections::VecDeque;
use std::io;
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use log::{info, warn};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token, Waker};
use rfc2217_server::{
    admit, let_go, Admission, Ending, Lingering, Pumped, Refusal, Scratch, ServerConfig,
};

use super::connection::Connection;
use super::service::Service;
use super::slab::Slab;
use super::stats::Counters;
use super::timers::Timers;

/// The token of the waker that [`ServerHandle::shutdown`](crate::ServerHandle::shutdown) uses.
const WAKER: Token = Token(usize::MAX);

/// How long to wait before accepting again after `accept` failed (e.g. out
/// of file descriptors): the error would come back at once.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// The signature's default prefix: this server and its version.
const SIGNATURE_PREFIX: &str = concat!("rfc2217-mio ", env!("CARGO_PKG_VERSION"));

/// Events taken from the poll at once.
const EVENT_CAPACITY: usize = 1024;

/// What a token stands for: the index of a service, connection or refusal
/// and its kind, packed into one number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Listener(usize),
    Device(usize),
    Connection(usize),
    Refusal(usize),
}

const KINDS: usize = 4;

impl Source {
    fn token(self) -> Token {
        let (index, kind) = match self {
            Source::Listener(index) => (index, 0),
            Source::Device(index) => (index, 1),
            Source::Connection(index) => (index, 2),
            Source::Refusal(index) => (index, 3),
        };
        Token(index * KINDS + kind)
    }

    fn of(token: Token) -> Source {
        let index = token.0 / KINDS;
        match token.0 % KINDS {
            0 => Source::Listener(index),
            1 => Source::Device(index),
            2 => Source::Connection(index),
            _ => Source::Refusal(index),
        }
    }
}

/// What the event loop shares with the handles of the server.
pub(crate) struct Shared {
    pub(crate) waker: Waker,
    pub(crate) stop: AtomicBool,
    pub(crate) counters: Counters,
}

pub(crate) struct EventLoop {
    poll: Poll,
    services: Vec<Service>,
    connections: Slab<Connection>,
    refusals: Slab<Lingering<TcpStream>>,
    timers: Timers,
    /// Connections whose pump ran out of budget, to pump again: number
    /// and serial (a closed one's number may be taken by then).
    busy: VecDeque<(usize, u64)>,
    scratch: Scratch,
    shared: Arc<Shared>,
    /// The sum of the connections' buffered bytes.
    buffered: usize,
}

impl EventLoop {
    pub(crate) fn new() -> io::Result<EventLoop> {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), WAKER)?;
        Ok(EventLoop {
            poll,
            services: Vec::new(),
            connections: Slab::default(),
            refusals: Slab::default(),
            timers: Timers::default(),
            busy: VecDeque::new(),
            scratch: Scratch::default(),
            shared: Arc::new(Shared {
                waker,
                stop: AtomicBool::new(false),
                counters: Counters::default(),
            }),
            buffered: 0,
        })
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub(crate) fn local_addrs(&self) -> Vec<SocketAddr> {
        self.services
            .iter()
            .map(|service| service.local_addr)
            .collect()
    }

    /// Listens on `addr` for clients of the device `config` names. The
    /// device is opened now if it can be, to report a bad device early; if
    /// it cannot, it is opened again when a client connects.
    pub(crate) fn add_device(
        &mut self,
        addr: impl ToSocketAddrs,
        config: ServerConfig,
    ) -> io::Result<SocketAddr> {
        let index = self.services.len();
        let mut service = Service::bind(addr, config)?;
        let registry = self.poll.registry();
        let token = Source::Listener(index).token();
        registry.register(&mut service.listener, token, Interest::READABLE)?;
        if let Ok(true) = service.slot.open_early(&service.config) {
            service.register_device(registry, Source::Device(index).token())?;
        }
        info!(
            "serving {} on {}",
            service.config.describe_device(),
            service.local_addr
        );
        let addr = service.local_addr;
        self.services.push(service);
        Ok(addr)
    }

    /// Serves until a handle asks to stop; then closes every client
    /// (restoring its device) and returns.
    pub(crate) fn run(mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(EVENT_CAPACITY);
        while !self.shared.stop.load(Ordering::Acquire) {
            let timeout = if self.busy.is_empty() {
                let now = Instant::now();
                self.timers
                    .next()
                    .map(|at| at.saturating_duration_since(now))
            } else {
                Some(Duration::ZERO)
            };
            if let Err(error) = self.poll.poll(&mut events, timeout) {
                if error.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(error);
            }
            for event in events.iter() {
                self.dispatch(event);
            }
            self.fire_timers();
            self.pump_busy();
        }
        for key in self.connections.keys() {
            self.close(key, Ending::new("the server is shutting down"));
        }
        let registry = self.poll.registry();
        for service in &mut self.services {
            service.close_device(registry);
            info!("stopped serving on {}", service.local_addr);
        }
        Ok(())
    }

    fn dispatch(&mut self, event: &mio::event::Event) {
        if event.token() == WAKER {
            return; // the loop checks the stop flag
        }
        match Source::of(event.token()) {
            Source::Listener(index) => self.accept(index),
            Source::Device(index) => {
                if let Some(key) = self.services.get(index).and_then(|s| s.active) {
                    // A hang-up is reported once (edge-triggered): end the
                    // connection now, rather than wait for a device call
                    // to fail, which may never come while nothing moves.
                    if event.is_error() || event.is_read_closed() {
                        self.close(key, Ending::device_hung_up());
                    } else {
                        self.pump(key);
                    }
                }
            }
            Source::Connection(key) => {
                if let Some(connection) = self.connections.get_mut(key) {
                    connection.socket_mut().on_ready(event);
                    self.pump(key);
                }
            }
            Source::Refusal(key) => self.advance_refusal(key),
        }
    }

    fn fire_timers(&mut self) {
        let now = Instant::now();
        while let Some((at, token, serial)) = self.timers.pop_due(now) {
            match Source::of(token) {
                Source::Connection(key) => {
                    let Some(connection) = self.connections.get_mut_if(key, serial) else {
                        continue;
                    };
                    // Only the latest deadline counts; an earlier one was
                    // moved and has been handled.
                    if connection.timer == Some(at) {
                        connection.timer = None;
                        self.pump(key);
                    }
                }
                Source::Refusal(key) => {
                    if self.refusals.serial(key) == Some(serial) {
                        self.advance_refusal(key);
                    }
                }
                Source::Listener(index) => self.accept(index),
                Source::Device(_) => {}
            }
        }
    }

    fn pump_busy(&mut self) {
        for _ in 0..self.busy.len() {
            let Some((key, serial)) = self.busy.pop_front() else {
                break;
            };
            if let Some(connection) = self.connections.get_mut_if(key, serial) {
                connection.busy = false;
                self.pump(key);
            }
        }
    }

    /// Moves a connection on, then schedules its next deadline and counts
    /// its memory; closes it if it ended.
    fn pump(&mut self, key: usize) {
        let now = Instant::now();
        let Some(serial) = self.connections.serial(key) else {
            return;
        };
        let Some(connection) = self.connections.get_mut(key) else {
            return;
        };
        let service = &mut self.services[connection.service];
        let result = match service.slot.device_mut() {
            Some(device) => connection.drive(now, device, &mut self.scratch),
            None => Err(Ending::new("the device is closed")),
        };
        match result {
            Ok(pumped) => {
                if pumped == Pumped::Busy && !connection.busy {
                    connection.busy = true;
                    self.busy.push_back((key, serial));
                }
                if let Some(at) = connection.deadline() {
                    if connection.timer.is_none_or(|scheduled| at < scheduled) {
                        connection.timer = Some(at);
                        let token = Source::Connection(key).token();
                        self.timers.schedule(at, token, serial);
                    }
                }
                let held = connection.buffered();
                self.buffered = self.buffered - connection.accounted + held;
                connection.accounted = held;
                self.shared.counters.set_buffered(self.buffered);
            }
            Err(ending) => self.close(key, ending),
        }
    }

    fn accept(&mut self, index: usize) {
        loop {
            let Some(service) = self.services.get(index) else {
                return;
            };
            match service.listener.accept() {
                Ok((stream, peer)) => self.admit(index, stream, peer),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    warn!("accepting a connection failed: {error}");
                    let retry = Instant::now() + ACCEPT_RETRY;
                    // A listener is never replaced: no serial.
                    self.timers
                        .schedule(retry, Source::Listener(index).token(), 0);
                    return;
                }
            }
        }
    }

    /// Serves a newcomer of service `index`, or refuses it, as its policy
    /// says.
    fn admit(&mut self, index: usize, stream: TcpStream, peer: SocketAddr) {
        self.shared.counters.accepted();
        if let Some(old) = self.services[index].active {
            // A client that hung up is gone, even if the rest of its input
            // waits behind a break or a full device: it cannot ask for
            // anything more.
            if self.connections.get(old).is_some_and(Connection::hung_up) {
                self.close(old, Ending::new("the client closed the connection"));
            }
        }
        let service = &self.services[index];
        let served = service.active.and_then(|old| self.connections.get(old));
        match admit(&service.config, peer, served.map(Connection::peer)) {
            Admission::Serve => {}
            Admission::Drop => {
                self.shared.counters.refused();
                return;
            }
            Admission::Refuse(refusal) => return self.refuse(stream, refusal),
            Admission::KickOld { reason } => {
                if let Some(old) = service.active {
                    self.close(old, Ending::new(reason));
                }
            }
        }
        if let Err(error) = stream.set_nodelay(true) {
            warn!("{peer}: cannot set TCP_NODELAY: {error}");
        }
        let service = &mut self.services[index];
        let registry = self.poll.registry();
        if let Err(error) = service.open_device(registry, Source::Device(index).token()) {
            let refusal = Refusal::device_unavailable(&service.config, peer, &error);
            return self.refuse(stream, refusal);
        }
        let name = service
            .slot
            .device_mut()
            .map_or_else(String::new, |d| d.name());
        let signature = service.config.signature_for(SIGNATURE_PREFIX, &name);
        let now = Instant::now();
        let connection = rfc2217_server::Connection::new(&service.config, &signature, peer, now);
        let mut connection = Connection::new(stream, index, connection);
        info!("{peer} connected; serving {name}");
        let key = self.connections.next_key();
        let token = Source::Connection(key).token();
        let interest = Interest::READABLE | Interest::WRITABLE;
        let stream = connection.socket_mut().stream_mut();
        if let Err(error) = registry.register(stream, token, interest) {
            warn!("{peer}: cannot start serving: {error}");
            return;
        }
        self.connections.insert(connection);
        self.services[index].active = Some(key);
        self.shared.counters.set_connections(self.connections.len());
        self.pump(key);
    }

    /// Ends a connection and gives its device back to its service.
    fn close(&mut self, key: usize, ending: Ending) {
        let Some(mut connection) = self.connections.remove(key) else {
            return;
        };
        let registry = self.poll.registry();
        let _ = registry.deregister(connection.socket_mut().stream_mut());
        info!("{} disconnected: {}", connection.peer(), ending.reason);
        self.buffered -= connection.accounted;
        self.shared.counters.set_buffered(self.buffered);
        self.shared.counters.set_connections(self.connections.len());
        let service = &mut self.services[connection.service];
        if service.active == Some(key) {
            service.active = None;
            service.give_back(registry, ending.device_failed);
        }
    }

    fn refuse(&mut self, stream: TcpStream, refusal: Refusal) {
        self.shared.counters.refused();
        let shut_write = |stream: &TcpStream| {
            let _ = stream.shutdown(Shutdown::Write);
        };
        let lingering = self.refusals.len();
        let Some(mut refused) = let_go(stream, shut_write, refusal, Instant::now(), lingering)
        else {
            return;
        };
        let key = self.refusals.next_key();
        let token = Source::Refusal(key).token();
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(error) = self
            .poll
            .registry()
            .register(refused.stream_mut(), token, interest)
        {
            warn!("cannot refuse a client politely: {error}");
            return;
        }
        let deadline = refused.deadline();
        let key = self.refusals.insert(refused);
        let serial = self.refusals.serial(key).unwrap_or_default();
        self.timers.schedule(deadline, token, serial);
    }

    fn advance_refusal(&mut self, key: usize) {
        let Some(refusal) = self.refusals.get_mut(key) else {
            return;
        };
        if !refusal.advance(Instant::now()) {
            let _ = self.poll.registry().deregister(refusal.stream_mut());
            self.refusals.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_source_and_the_waker_is_apart() {
        for source in [
            Source::Listener(0),
            Source::Device(7),
            Source::Connection(12_345),
            Source::Refusal(3),
        ] {
            assert_eq!(Source::of(source.token()), source);
            assert_ne!(source.token(), WAKER);
        }
    }
}
