//! Shared test harness: sessions driven against each other or against
//! scripted bytes in memory, with a virtual clock. No sockets, no sleeps.
#![allow(dead_code, unreachable_pub)] // each test file uses part of it

use core::time::Duration;

use rfc2217_proto::{
    Client, ClientEvent, Command, Config, Control, DataSize, Instant, Parity, Purge, Role, Server,
    ServerEvent, Session, StopSize, TRANSMIT_QUEUE_CAPACITY,
};

/// Everything one session produced while being driven.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log<E> {
    /// Data delivered to the application.
    pub data: Vec<u8>,
    /// Events, in order.
    pub events: Vec<E>,
    /// Data and events interleaved as they came (adjacent data merged).
    pub sequence: Vec<Item<E>>,
}

impl<E> Default for Log<E> {
    fn default() -> Self {
        Log {
            data: Vec::new(),
            events: Vec::new(),
            sequence: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<E> {
    Data(Vec<u8>),
    Event(E),
}

impl<E: Copy> Log<E> {
    fn data(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.data.extend_from_slice(bytes);
        match self.sequence.last_mut() {
            Some(Item::Data(run)) => run.extend_from_slice(bytes),
            _ => self.sequence.push(Item::Data(bytes.to_vec())),
        }
    }

    fn event(&mut self, event: E) {
        self.events.push(event);
        self.sequence.push(Item::Event(event));
    }
}

/// Feeds `input` to `session` in one call sequence, draining events (each
/// handed to `on_event`) and transmit after every call, as the run loop
/// prescribes, with a data buffer of `data_buffer` bytes (one of
/// [`DATA_BUFFERS`]; anything else gets 4096). Returns the bytes the
/// session transmitted; fails if the session stops taking input with
/// everything drained.
pub fn feed<R: Role>(
    session: &mut Session<R>,
    now: Instant,
    input: &[u8],
    data_buffer: usize,
    log: &mut Log<R::Event>,
    on_event: &mut dyn FnMut(&mut Session<R>, R::Event),
) -> Vec<u8> {
    let (sent, consumed) = feed_until_stalled(session, now, input, data_buffer, log, on_event);
    assert_eq!(consumed, input.len(), "no progress with everything drained");
    sent
}

/// As [`feed`], but stops where the session takes no more input with
/// everything drained (a server whose application has not answered a
/// request); returns the bytes transmitted and the input consumed.
pub fn feed_until_stalled<R: Role>(
    session: &mut Session<R>,
    now: Instant,
    input: &[u8],
    data_buffer: usize,
    log: &mut Log<R::Event>,
    on_event: &mut dyn FnMut(&mut Session<R>, R::Event),
) -> (Vec<u8>, usize) {
    match data_buffer {
        1 => feed_with::<R, 1>(session, now, input, log, on_event),
        2 => feed_with::<R, 2>(session, now, input, log, on_event),
        3 => feed_with::<R, 3>(session, now, input, log, on_event),
        7 => feed_with::<R, 7>(session, now, input, log, on_event),
        16 => feed_with::<R, 16>(session, now, input, log, on_event),
        64 => feed_with::<R, 64>(session, now, input, log, on_event),
        _ => feed_with::<R, 4096>(session, now, input, log, on_event),
    }
}

/// The data buffer sizes `feed` offers.
pub const DATA_BUFFERS: [usize; 7] = [1, 2, 3, 7, 16, 64, 4096];

fn feed_with<R: Role, const N: usize>(
    session: &mut Session<R>,
    now: Instant,
    input: &[u8],
    log: &mut Log<R::Event>,
    on_event: &mut dyn FnMut(&mut Session<R>, R::Event),
) -> (Vec<u8>, usize) {
    let mut data = [0u8; N];
    // Drain what earlier commands left first, as the run loop prescribes.
    let mut drain = |session: &mut Session<R>, log: &mut Log<R::Event>| {
        while let Some(event) = session.poll_event() {
            log.event(event);
            on_event(session, event);
        }
        drain_transmit(session)
    };
    let mut sent = drain(session, log);
    let mut consumed = 0;
    while consumed < input.len() {
        let received = session.handle_input(now, &input[consumed..], &mut data);
        assert!(received.consumed <= input.len() - consumed);
        consumed += received.consumed;
        log.data(&data[..received.data_len]);
        let answers = drain(session, log);
        let progress = received.consumed > 0 || received.data_len > 0 || !answers.is_empty();
        sent.extend(answers);
        if !progress {
            break;
        }
    }
    (sent, consumed)
}

/// An access server's application that answers every request as `port`
/// applies it, inside its event loop.
pub fn answering(port: &mut FakePort) -> impl FnMut(&mut Session<Server>, ServerEvent) + '_ {
    move |server, event| {
        if let ServerEvent::Request(request) = event {
            server
                .respond(port.apply(request))
                .expect("room for the answer");
        }
    }
}

pub fn drain_transmit<R: Role>(session: &mut Session<R>) -> Vec<u8> {
    let mut out = [0u8; TRANSMIT_QUEUE_CAPACITY];
    let n = session.poll_transmit(&mut out);
    out[..n].to_vec()
}

pub fn drain_events<R: Role>(session: &mut Session<R>) -> Vec<R::Event> {
    std::iter::from_fn(|| session.poll_event()).collect()
}

/// A serial port as an access server's application sees it: it applies
/// every request and reports the value in use. Unsupported values leave the
/// setting unchanged, as a real driver would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakePort {
    pub baud: u32,
    pub data_size: DataSize,
    pub parity: Parity,
    pub stop_size: StopSize,
    pub outbound_flow: Control,
    pub inbound_flow: Control,
    pub break_on: bool,
    pub dtr: bool,
    pub rts: bool,
    pub purges: Vec<Purge>,
    /// Highest baud rate the port accepts; faster requests keep the old rate.
    pub max_baud: u32,
}

impl Default for FakePort {
    fn default() -> Self {
        FakePort {
            baud: 9600,
            data_size: DataSize::Eight,
            parity: Parity::None,
            stop_size: StopSize::One,
            outbound_flow: Control::NoFlowControl,
            inbound_flow: Control::NoInboundFlowControl,
            break_on: false,
            dtr: false,
            rts: false,
            purges: Vec::new(),
            max_baud: 4_000_000,
        }
    }
}

impl FakePort {
    /// Applies a request and returns the answer with the value in use.
    pub fn apply(&mut self, request: Command) -> Command {
        match request {
            Command::SetBaudRate(rate) => {
                if rate != 0 && rate <= self.max_baud {
                    self.baud = rate;
                }
                Command::SetBaudRate(self.baud)
            }
            Command::SetDataSize(size) => {
                if matches!(
                    size,
                    DataSize::Five | DataSize::Six | DataSize::Seven | DataSize::Eight
                ) {
                    self.data_size = size;
                }
                Command::SetDataSize(self.data_size)
            }
            Command::SetParity(parity) => {
                if !matches!(parity, Parity::Query | Parity::Unknown(_)) {
                    self.parity = parity;
                }
                Command::SetParity(self.parity)
            }
            Command::SetStopSize(stop) => {
                if !matches!(stop, StopSize::Query | StopSize::Unknown(_)) {
                    self.stop_size = stop;
                }
                Command::SetStopSize(self.stop_size)
            }
            Command::SetControl(control) => Command::SetControl(self.control(control)),
            Command::PurgeData(purge) => {
                self.purges.push(purge);
                Command::PurgeData(purge)
            }
            other => panic!("not a request the application answers: {other:?}"),
        }
    }

    fn control(&mut self, control: Control) -> Control {
        use Control::*;
        let flag = |on: bool, yes: Control, no: Control| if on { yes } else { no };
        match control {
            QueryFlowControl => self.outbound_flow,
            NoFlowControl | XonXoffFlowControl | HardwareFlowControl | DcdFlowControl
            | DsrFlowControl => {
                self.outbound_flow = control;
                control
            }
            QueryInboundFlowControl => self.inbound_flow,
            NoInboundFlowControl
            | XonXoffInboundFlowControl
            | HardwareInboundFlowControl
            | DtrFlowControl => {
                self.inbound_flow = control;
                control
            }
            QueryBreak | BreakOn | BreakOff => {
                if control != QueryBreak {
                    self.break_on = control == BreakOn;
                }
                flag(self.break_on, BreakOn, BreakOff)
            }
            QueryDtr | DtrOn | DtrOff => {
                if control != QueryDtr {
                    self.dtr = control == DtrOn;
                }
                flag(self.dtr, DtrOn, DtrOff)
            }
            QueryRts | RtsOn | RtsOff => {
                if control != QueryRts {
                    self.rts = control == RtsOn;
                }
                flag(self.rts, RtsOn, RtsOff)
            }
            Unknown(_) => self.outbound_flow,
        }
    }
}

/// A client and an access server connected in memory.
pub struct Pair {
    pub client: Session<Client>,
    pub server: Session<Server>,
    pub client_log: Log<ClientEvent>,
    pub server_log: Log<ServerEvent>,
    pub port: FakePort,
    /// The server application answers requests (turn off to test timeouts).
    pub answer_requests: bool,
    pub now: Instant,
    /// Bytes on their way; the server's may wait while its application
    /// owes an answer.
    to_server: Vec<u8>,
    to_client: Vec<u8>,
    /// Application data waiting for `encode_data`.
    pub client_outgoing: Vec<u8>,
    pub server_outgoing: Vec<u8>,
    /// Every byte that crossed the wire, per direction.
    pub wire_to_server: Vec<u8>,
    pub wire_to_client: Vec<u8>,
    /// Number of `drive` rounds that moved bytes (a round trip is two).
    pub flights: usize,
}

impl Pair {
    pub fn new() -> Self {
        Pair::with(Config::client(), Config::server())
    }

    pub fn with(client: Config<Client>, server: Config<Server>) -> Self {
        let now = Instant::ZERO;
        let mut client = Session::new(client, now);
        let mut server = Session::new(server, now);
        let to_server = drain_transmit(&mut client);
        let to_client = drain_transmit(&mut server);
        Pair {
            client,
            server,
            client_log: Log::default(),
            server_log: Log::default(),
            port: FakePort::default(),
            answer_requests: true,
            now,
            wire_to_server: to_server.clone(),
            wire_to_client: to_client.clone(),
            to_server,
            to_client,
            client_outgoing: Vec::new(),
            server_outgoing: Vec::new(),
            flights: 0,
        }
    }

    /// A pair whose opening negotiation is done and whose logs are empty.
    pub fn connected() -> Self {
        let mut pair = Pair::new();
        pair.drive();
        assert!(pair.client.is_com_port_active() && pair.server.is_com_port_active());
        pair.clear_logs();
        pair
    }

    pub fn clear_logs(&mut self) {
        self.client_log = Log::default();
        self.server_log = Log::default();
        self.flights = 0;
    }

    /// Moves bytes both ways until nothing is in flight.
    pub fn drive(&mut self) {
        let mut stalled = 0;
        for _ in 0..100 {
            self.encode_outgoing();
            if self.to_server.len() == stalled && self.to_client.is_empty() {
                return;
            }
            self.flights += 1;
            let (port, answer) = (&mut self.port, self.answer_requests);
            let (sent, consumed) = feed_until_stalled(
                &mut self.server,
                self.now,
                &self.to_server,
                4096,
                &mut self.server_log,
                &mut |server, event| {
                    if answer {
                        answering(port)(server, event);
                    }
                },
            );
            self.to_server.drain(..consumed);
            stalled = self.to_server.len();
            self.to_client.extend(&sent);
            self.wire_to_client.extend(&sent);
            let wire = std::mem::take(&mut self.to_client);
            let sent = feed(
                &mut self.client,
                self.now,
                &wire,
                4096,
                &mut self.client_log,
                &mut |_, _| {},
            );
            self.to_server.extend(&sent);
            self.wire_to_server.extend(&sent);
        }
        panic!("the pair never went quiet");
    }

    fn encode_outgoing(&mut self) {
        encode(
            &mut self.client,
            &mut self.client_outgoing,
            &mut self.to_server,
            &mut self.wire_to_server,
        );
        encode(
            &mut self.server,
            &mut self.server_outgoing,
            &mut self.to_client,
            &mut self.wire_to_client,
        );
    }

    /// Moves the clock on, fires due timers on both ends, and drives.
    pub fn advance(&mut self, by: Duration) {
        self.now = self.now + by;
        fire_timers(&mut self.client, &mut self.client_log, self.now);
        fire_timers(&mut self.server, &mut self.server_log, self.now);
        let sent = drain_transmit(&mut self.client);
        self.to_server.extend(&sent);
        self.wire_to_server.extend(&sent);
        let sent = drain_transmit(&mut self.server);
        self.to_client.extend(&sent);
        self.wire_to_client.extend(&sent);
        self.drive();
    }

    /// Client events since the last call.
    pub fn take_client_events(&mut self) -> Vec<ClientEvent> {
        std::mem::take(&mut self.client_log.events)
    }

    pub fn take_server_events(&mut self) -> Vec<ServerEvent> {
        std::mem::take(&mut self.server_log.events)
    }
}

/// Fires what is due at `now`, draining events between calls until
/// nothing more is due.
fn fire_timers<R: Role>(session: &mut Session<R>, log: &mut Log<R::Event>, now: Instant) {
    while session.poll_timeout().is_some_and(|due| due <= now) {
        session.handle_timeout(now);
        let events = drain_events(session);
        if events.is_empty() {
            return;
        }
        for event in events {
            log.event(event);
        }
    }
}

fn encode<R: Role>(
    session: &mut Session<R>,
    outgoing: &mut Vec<u8>,
    wire: &mut Vec<u8>,
    record: &mut Vec<u8>,
) {
    let mut out = vec![0u8; TRANSMIT_QUEUE_CAPACITY + 2 * outgoing.len() + 16];
    let encoded = session.encode_data(outgoing, &mut out);
    outgoing.drain(..encoded.consumed);
    wire.extend_from_slice(&out[..encoded.written]);
    record.extend_from_slice(&out[..encoded.written]);
}

/// `IAC SB 44 <payload, IAC doubled> IAC SE`.
pub fn com_port(payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![255, 250, 44];
    for &b in payload {
        bytes.push(b);
        if b == 255 {
            bytes.push(255);
        }
    }
    bytes.extend([255, 240]);
    bytes
}
