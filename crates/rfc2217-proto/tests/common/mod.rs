//! Shared test harness: sessions driven against each other or against
//! scripted bytes in memory, with a virtual clock. No sockets, no sleeps.
#![allow(dead_code, unreachable_pub)] // each test file uses part of it

use core::time::Duration;

use rfc2217_proto::{
    Command, Config, Control, DataSize, Event, Instant, Parity, Purge, Session, StopSize,
    TRANSMIT_QUEUE_CAPACITY,
};

/// Everything one session produced while being driven.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Log {
    /// Data delivered to the application.
    pub data: Vec<u8>,
    /// Events, in order.
    pub events: Vec<Event>,
    /// Data and events interleaved as they came (adjacent data merged).
    pub sequence: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Data(Vec<u8>),
    Event(Event),
}

impl Log {
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

    fn event(&mut self, event: Event) {
        self.events.push(event);
        self.sequence.push(Item::Event(event));
    }
}

/// Feeds `input` to `session` in one call sequence, draining events (each
/// handed to `on_event`) and transmit after every call, as the run loop
/// prescribes. Returns the bytes the session transmitted.
pub fn feed(
    session: &mut Session,
    now: Instant,
    mut input: &[u8],
    data_buffer: usize,
    log: &mut Log,
    on_event: &mut dyn FnMut(&mut Session, Event),
) -> Vec<u8> {
    let mut data = vec![0u8; data_buffer];
    let mut sent = drain_transmit(session);
    loop {
        let received = session.handle_input(now, input, &mut data);
        assert!(received.consumed <= input.len());
        input = &input[received.consumed..];
        log.data(&data[..received.data_len]);
        while let Some(event) = session.poll_event() {
            log.event(event);
            on_event(session, event);
        }
        sent.extend(drain_transmit(session));
        if input.is_empty() {
            return sent;
        }
        assert!(
            received.consumed > 0 || received.data_len > 0,
            "no progress with everything drained"
        );
    }
}

pub fn drain_transmit(session: &mut Session) -> Vec<u8> {
    let mut out = [0u8; TRANSMIT_QUEUE_CAPACITY];
    let n = session.poll_transmit(&mut out);
    out[..n].to_vec()
}

pub fn drain_events(session: &mut Session) -> Vec<Event> {
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
    pub client: Session,
    pub server: Session,
    pub client_log: Log,
    pub server_log: Log,
    pub port: FakePort,
    /// The server application answers requests (turn off to test timeouts).
    pub answer_requests: bool,
    pub now: Instant,
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

    pub fn with(client: Config, server: Config) -> Self {
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
        for _ in 0..100 {
            self.encode_outgoing();
            if self.to_server.is_empty() && self.to_client.is_empty() {
                return;
            }
            self.flights += 1;
            let wire = std::mem::take(&mut self.to_server);
            let (port, answer) = (&mut self.port, self.answer_requests);
            let sent = feed(
                &mut self.server,
                self.now,
                &wire,
                4096,
                &mut self.server_log,
                &mut |server, event| {
                    if let (Event::Request(request), true) = (event, answer) {
                        server
                            .respond(port.apply(request))
                            .expect("room for the answer");
                    }
                },
            );
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
        for (session, log) in [
            (&mut self.client, &mut self.client_log),
            (&mut self.server, &mut self.server_log),
        ] {
            if session.poll_timeout().is_some_and(|due| due <= self.now) {
                session.handle_timeout(self.now);
                for event in drain_events(session) {
                    log.event(event);
                }
            }
        }
        let sent = drain_transmit(&mut self.client);
        self.to_server.extend(&sent);
        self.wire_to_server.extend(&sent);
        let sent = drain_transmit(&mut self.server);
        self.to_client.extend(&sent);
        self.wire_to_client.extend(&sent);
        self.drive();
    }

    /// Client events since the last call.
    pub fn take_client_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.client_log.events)
    }

    pub fn take_server_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.server_log.events)
    }
}

fn encode(session: &mut Session, outgoing: &mut Vec<u8>, wire: &mut Vec<u8>, record: &mut Vec<u8>) {
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
