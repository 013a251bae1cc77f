//! [`ClientCore`]: a remote port with everything but the I/O. A transport
//! feeds it socket bytes and the time, and takes from it the bytes to send,
//! the events to report and the next deadline; it adds only connecting and
//! waiting, so every transport opens, asks, polls and closes alike.

mod opening;
mod session_events;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use log::debug;
use rfc2217_proto::{
    self as proto, Client, Command, Control, Encoded, Purge, RequestId, Session, Side, TelnetOption,
};

use crate::{Error, OpenOptions, PortEvent, PortState};
use opening::Opening;

/// Events held for the transport's caller before the core takes no more
/// input: a caller that does not drain them stops the server, not memory.
const EVENT_CAPACITY: usize = 64;
/// Data decoded from one slice of input at most.
const DECODE_CHUNK: usize = 16 * 1024;
/// The shortest modem poll interval, so `poll_modem` cannot spin.
const MIN_MODEM_POLL: Duration = Duration::from_millis(10);

/// The client side of one connection to an RFC 2217 server, free of I/O:
/// the core's `Session<Client>`, the opening batch and its verdict, the
/// caller's awaited requests and their outcomes, the [`PortState`] the
/// server's answers and notifications make, modem polling, and received
/// data (bounded).
///
/// Inputs: [`handle_input`](Self::handle_input) (socket bytes),
/// [`handle_timeout`](Self::handle_timeout) (the time),
/// [`close`](Self::close) (the socket ended). Outputs:
/// [`poll_transmit`](Self::poll_transmit) (bytes for the socket),
/// [`poll_event`](Self::poll_event), [`poll_timeout`](Self::poll_timeout),
/// [`read`](Self::read). After each input or command, drain the events and
/// the transmit queue.
pub struct ClientCore {
    name: String,
    answer_timeout: Duration,
    modem_max_age: Option<Duration>,
    /// When the modem lines were last asked for.
    modem_asked: Option<Instant>,
    session: Session<Client>,
    /// The session's clock starts here.
    epoch: Instant,
    received: VecDeque<u8>,
    receive_capacity: usize,
    events: VecDeque<PortEvent>,
    /// The caller's requests whose answers are awaited.
    awaited: Vec<Awaited>,
    /// The id the caller's next request gets. The core numbers requests
    /// itself: the session names only those whose answers it awaits, and
    /// every request gets its [`PortEvent::Answer`].
    next_id: u16,
    /// Until the port is open or failed to.
    opening: Option<Opening>,
    state: PortState,
    /// Why the connection ended, once it has.
    closed: Option<String>,
}

/// A caller's request whose answer the session awaits.
struct Awaited {
    /// The session's id for it.
    session: RequestId,
    /// The id the caller was given.
    id: RequestId,
    request: Command,
}

impl ClientCore {
    /// A remote port opened with `options`, the opening batch (negotiation,
    /// settings, DTR, RTS, masks, the signature request) queued to go out
    /// at once, so a server that answers promptly costs one round trip.
    /// The session's clock starts at `now`; the negotiation timer with it,
    /// so it bounds connecting too. Received data is held up to
    /// `receive_capacity` bytes; then input stops until the caller reads.
    pub fn new(
        options: &OpenOptions,
        now: Instant,
        receive_capacity: usize,
    ) -> Result<Self, Error> {
        let mut session = Session::new(options.session_config()?, proto::Instant::ZERO);
        let mut opening = Opening::new(now);
        for request in options.opening_requests() {
            if let Some(id) = session.request(proto::Instant::ZERO, request)? {
                opening.expect(id, request);
            }
        }
        Ok(ClientCore {
            name: options.name().to_owned(),
            answer_timeout: options.answer_timeout_value(),
            modem_max_age: options.modem_max_age().map(|age| age.max(MIN_MODEM_POLL)),
            modem_asked: None,
            session,
            epoch: now,
            received: VecDeque::new(),
            receive_capacity,
            events: VecDeque::new(),
            awaited: Vec::new(),
            next_id: 0,
            opening: Some(opening),
            state: PortState::default(),
            closed: None,
        })
    }

    // ----- getters ----------------------------------------------------------

    /// The URL or address the port was opened with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How long each answer is awaited.
    pub fn answer_timeout(&self) -> Duration {
        self.answer_timeout
    }

    /// [`PortEvent::Opened`] was queued and the connection is up.
    pub fn is_open(&self) -> bool {
        self.opening.is_none() && self.closed.is_none()
    }

    /// Why the connection ended, once it has ([`PortEvent::Closed`] was
    /// queued).
    pub fn closed(&self) -> Option<&str> {
        self.closed.as_deref()
    }

    /// What the server last reported of the port.
    pub fn state(&self) -> &PortState {
        &self.state
    }

    /// Whether a side of a Telnet option was agreed with the server.
    pub fn is_option_enabled(&self, option: TelnetOption, side: Side) -> bool {
        self.session.is_option_enabled(option, side)
    }

    /// The server has suspended our sending (FLOWCONTROL-SUSPEND).
    pub fn is_suspended_by_server(&self) -> bool {
        self.session.is_suspended_by_peer()
    }

    /// Data may be encoded now: the port is open and the server has not
    /// suspended us.
    pub fn is_ready_for_data(&self) -> bool {
        self.is_open() && self.session.is_ready_for_data()
    }

    /// Bytes received and not yet read.
    pub fn bytes_to_read(&self) -> usize {
        self.received.len()
    }

    /// Input can be taken now: there is room for the data and the events
    /// it may make.
    pub fn has_room_for_input(&self) -> bool {
        self.received.len() < self.receive_capacity && self.events.len() < EVENT_CAPACITY
    }

    /// The cached modem state is older than `poll_modem`'s maximum age (or
    /// missing) at `now`: a caller about to report it asks first.
    pub fn is_modem_state_stale(&self, now: Instant) -> bool {
        self.modem_max_age.is_some_and(|max_age| {
            self.state
                .modem
                .is_none_or(|(_, at)| now.saturating_duration_since(at) > max_age)
        })
    }

    // ----- inputs -----------------------------------------------------------

    /// Feeds bytes from the socket while there is room for what they make;
    /// returns how many were taken. Fewer than all: the caller's buffers
    /// are full (read, drain events) or the session needs its transmit
    /// queue drained; offer the rest after that.
    pub fn handle_input(&mut self, now: Instant, input: &[u8]) -> usize {
        let mut data = [0u8; DECODE_CHUNK];
        let mut used = 0;
        while used < input.len() && self.closed.is_none() && self.has_room_for_input() {
            // The session writes no more data than it takes input, so
            // feeding at most `room` bytes keeps `received` bounded.
            let room = (self.receive_capacity - self.received.len()).min(data.len());
            let rest = &input[used..];
            let step = self.session.handle_input(
                self.session_time(now),
                &rest[..rest.len().min(room)],
                &mut data,
            );
            used += step.consumed;
            self.received.extend(&data[..step.data_len]);
            self.drain_session_events(now);
            if step.consumed == 0 && step.data_len == 0 {
                break; // the session needs a drain first
            }
        }
        used
    }

    /// Tells the core the time: fires request and negotiation timeouts
    /// (reported as [`Error::NoAnswer`] answers, or an open failure) and
    /// the modem poll. Calling it early or twice does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed.is_some() {
            return;
        }
        let session_now = self.session_time(now);
        while self
            .session
            .poll_timeout()
            .is_some_and(|deadline| deadline <= session_now)
        {
            self.session.handle_timeout(session_now);
            if !self.drain_session_events(now) {
                break; // nothing fired: the rest is not due
            }
        }
        if self.modem_poll_due().is_some_and(|due| due <= now) {
            self.modem_asked = Some(now);
            // A full queue skips this poll; the next one is due soon.
            let _ = self.session.query_modem_state();
        }
    }

    /// Ends the connection for `error`: while opening, as the open's
    /// failure (a connect that failed or did not end in time).
    pub fn fail(&mut self, error: Error) {
        let reason = error.to_string();
        if self.opening.take().is_some() {
            self.events.push_back(PortEvent::OpenFailed(error));
        }
        self.close(reason);
    }

    /// Ends the connection (the socket closed or failed, or the port is
    /// dropped): every awaited request fails, then [`PortEvent::Closed`].
    pub fn close(&mut self, reason: String) {
        if self.closed.is_some() {
            return;
        }
        debug!("{}: connection ended: {reason}", self.name);
        if self.opening.take().is_some() {
            let error = Error::Closed(reason.clone());
            self.events.push_back(PortEvent::OpenFailed(error));
        }
        for awaited in std::mem::take(&mut self.awaited) {
            let result = Err(Error::Closed(reason.clone()));
            self.events.push_back(PortEvent::Answer {
                id: awaited.id,
                result,
            });
        }
        self.events.push_back(PortEvent::Closed(reason.clone()));
        self.closed = Some(reason);
    }

    // ----- commands ---------------------------------------------------------

    /// Queues a request (any setting, control or query). Requests are
    /// pipelined; its [`PortEvent::Answer`] carries the value the server
    /// says is in use.
    pub fn request(&mut self, now: Instant, command: Command) -> Result<RequestId, Error> {
        self.usable()?;
        debug!("{}: request {command}", self.name);
        let queued = self.session.request(self.session_time(now), command)?;
        let id = self.next_id();
        match queued {
            Some(session) => self.awaited.push(Awaited {
                session,
                id,
                request: command,
            }),
            // Not awaited: done once queued.
            None => self.events.push_back(PortEvent::Answer {
                id,
                result: Ok(command),
            }),
        }
        Ok(id)
    }

    /// Queues DTR and RTS together, so both changes leave in one TCP
    /// segment (boards that reset through DTR/RTS need them close
    /// together). On `Err` the DTR change may have been queued (when only
    /// the second request found the queue full); its answer comes as any
    /// other.
    pub fn set_dtr_rts(
        &mut self,
        now: Instant,
        dtr: bool,
        rts: bool,
    ) -> Result<[RequestId; 2], Error> {
        let dtr = self.request(
            now,
            Command::SetControl(if dtr { Control::DtrOn } else { Control::DtrOff }),
        );
        let rts = self.request(
            now,
            Command::SetControl(if rts { Control::RtsOn } else { Control::RtsOff }),
        );
        Ok([dtr?, rts?])
    }

    /// Empties the server's buffers (and, for receive, ours).
    pub fn purge(&mut self, now: Instant, purge: Purge) -> Result<RequestId, Error> {
        if matches!(purge, Purge::Receive | Purge::Both) {
            self.received.clear();
        }
        self.request(now, Command::PurgeData(purge))
    }

    /// The remote port's flush: a request whose [`PortEvent::Answer`]
    /// comes once the server has processed everything written before it.
    pub fn barrier(&mut self, now: Instant) -> Result<RequestId, Error> {
        self.usable()?;
        let session = self.session.barrier(self.session_time(now))?;
        let id = self.next_id();
        self.awaited.push(Awaited {
            session,
            id,
            request: Command::SetBaudRate(0),
        });
        Ok(id)
    }

    /// Asks the server for the modem lines; they come as
    /// [`PortEvent::ModemState`] (if the server answers polls).
    pub fn query_modem_state(&mut self, now: Instant) -> Result<(), Error> {
        self.usable()?;
        self.session.query_modem_state()?;
        self.modem_asked = Some(now);
        Ok(())
    }

    /// Asks the server for the line state; it comes as
    /// [`PortEvent::LineState`] (if the server answers polls).
    pub fn query_line_state(&mut self) -> Result<(), Error> {
        self.usable()?;
        self.session.query_line_state()?;
        Ok(())
    }

    /// Encodes data (0xFF escaped) after the commands queued before it,
    /// into `out`; takes none while data is held back (not open yet,
    /// suspended by the server): see [`is_ready_for_data`](Self::is_ready_for_data).
    pub fn encode_data(&mut self, data: &[u8], out: &mut [u8]) -> Encoded {
        if !self.is_open() {
            return Encoded {
                consumed: 0,
                written: self.session.poll_transmit(out),
            };
        }
        self.session.encode_data(data, out)
    }

    /// Moves received data into `buf`; how many bytes.
    pub fn read(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.received.len());
        // Slice copies: bulk data goes through here.
        let (front, back) = self.received.as_slices();
        let from_front = n.min(front.len());
        buf[..from_front].copy_from_slice(&front[..from_front]);
        buf[from_front..n].copy_from_slice(&back[..n - from_front]);
        self.received.drain(..n);
        n
    }

    /// The modem lines have been reported at or after `since`.
    pub fn has_modem_state_since(&self, since: Instant) -> bool {
        self.state.modem.is_some_and(|(_, at)| at >= since)
    }

    // ----- outputs ----------------------------------------------------------

    /// Writes the bytes the session queued (answers, requests) into `out`;
    /// how many. Nothing once closed.
    pub fn poll_transmit(&mut self, out: &mut [u8]) -> usize {
        if self.closed.is_some() {
            return 0;
        }
        self.session.poll_transmit(out)
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<PortEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed.is_some() {
            return None;
        }
        let session = self
            .session
            .poll_timeout()
            .map(|deadline| self.epoch + Duration::from_micros(deadline.as_micros()));
        match (session, self.modem_poll_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ----- internals --------------------------------------------------------

    /// The id for the caller's next request. Ids wrap after 65,536; one
    /// still awaited is skipped, so two requests in flight never share an
    /// id (the session holds far fewer than 65,536).
    fn next_id(&mut self) -> RequestId {
        loop {
            let id = RequestId(self.next_id);
            self.next_id = self.next_id.wrapping_add(1);
            if !self.awaited.iter().any(|awaited| awaited.id == id) {
                return id;
            }
        }
    }

    fn usable(&self) -> Result<(), Error> {
        match &self.closed {
            Some(reason) => Err(Error::Closed(reason.clone())),
            None => Ok(()),
        }
    }

    /// The session's clock at `now`.
    fn session_time(&self, now: Instant) -> proto::Instant {
        let micros = now.saturating_duration_since(self.epoch).as_micros();
        proto::Instant::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
    }

    /// When the modem lines are next asked for: `poll_modem`'s maximum age
    /// after the later of the last report and the last question.
    fn modem_poll_due(&self) -> Option<Instant> {
        let max_age = self.modem_max_age.filter(|_| self.is_open())?;
        let reported = self.state.modem.map(|(_, at)| at);
        let last = reported.max(self.modem_asked)?;
        Some(last + max_age)
    }
}

impl std::fmt::Debug for ClientCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCore")
            .field("name", &self.name)
            .field("open", &self.is_open())
            .field("closed", &self.closed)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rfc2217_proto::{Config, ServerEvent, TRANSMIT_QUEUE_CAPACITY};

    /// A server session that agrees to everything, wired to `core` in
    /// memory: bytes are moved both ways until neither side has any.
    fn pump(core: &mut ClientCore, server: &mut Session<proto::Server>, now: Instant) {
        let mut out = [0u8; TRANSMIT_QUEUE_CAPACITY];
        let mut data = [0u8; 64];
        loop {
            let to_server = core.poll_transmit(&mut out);
            let mut input = &out[..to_server];
            while !input.is_empty() {
                let step = server.handle_input(proto::Instant::ZERO, input, &mut data);
                input = &input[step.consumed..];
                while let Some(event) = server.poll_event() {
                    if let ServerEvent::Request(request) = event {
                        server.respond(request).unwrap();
                    }
                }
            }
            let to_client = server.poll_transmit(&mut out);
            assert_eq!(core.handle_input(now, &out[..to_client]), to_client);
            if to_server == 0 && to_client == 0 {
                break;
            }
        }
    }

    #[test]
    fn bytes_and_time_in_events_out_with_no_socket() {
        let now = Instant::now();
        let options = OpenOptions::new("h:1").baud_rate(115_200);
        let mut core = ClientCore::new(&options, now, 1024).unwrap();
        let mut server = Session::new(Config::server(), proto::Instant::ZERO);
        assert!(core.poll_timeout().is_some(), "the negotiation is timed");
        pump(&mut core, &mut server, now);
        // The server's notifications (modem lines) may come first.
        let events: Vec<_> = std::iter::from_fn(|| core.poll_event()).collect();
        assert!(
            events
                .iter()
                .any(|event| matches!(event, PortEvent::Opened)),
            "{events:?}"
        );
        assert_eq!(core.state().baud_rate, Some(115_200));

        let id = core.request(now, Command::SetBaudRate(9600)).unwrap();
        pump(&mut core, &mut server, now);
        let answer = std::iter::from_fn(|| core.poll_event())
            .find(|event| matches!(event, PortEvent::Answer { .. }));
        assert!(
            matches!(&answer, Some(PortEvent::Answer { id: got, result: Ok(Command::SetBaudRate(9600)) }) if *got == id),
            "{answer:?}"
        );

        let waiting = core.barrier(now).unwrap();
        core.close("gone".to_owned());
        let failed = core.poll_event();
        assert!(
            matches!(&failed, Some(PortEvent::Answer { id: got, result: Err(Error::Closed(_)) }) if *got == waiting),
            "{failed:?}"
        );
        assert!(matches!(core.poll_event(), Some(PortEvent::Closed(reason)) if reason == "gone"));
        assert_eq!(core.poll_timeout(), None);
    }

    #[test]
    fn a_request_id_that_wrapped_round_skips_one_still_awaited() {
        let now = Instant::now();
        let mut core = ClientCore::new(&OpenOptions::new("h:1"), now, 1024).unwrap();
        let mut server = Session::new(Config::server(), proto::Instant::ZERO);
        pump(&mut core, &mut server, now);
        while core.poll_event().is_some() {}
        // A barrier the server has not seen yet stays awaited...
        let awaited = core.barrier(now).unwrap();
        // ...while 65,535 more ids are handed out and the counter wraps.
        core.next_id = awaited.0.wrapping_add(1);
        for _ in 0..u16::MAX {
            assert_ne!(core.next_id(), awaited);
        }
        assert_eq!(core.next_id, awaited.0, "the counter came round");
        let fresh = core.request(now, Command::SetBaudRate(9600)).unwrap();
        assert_ne!(fresh, awaited);
        assert_eq!(fresh.0, awaited.0.wrapping_add(1));
    }
}
