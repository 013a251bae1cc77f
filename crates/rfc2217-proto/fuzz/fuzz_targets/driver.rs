//! The `peer_input` driver: arbitrary bytes from the peer, fed to a client
//! and to an access server through the documented run loop, with the
//! invariants that must hold for any input checked on the way.
//!
//! This file is shared, not copied: the fuzz target includes it with
//! `#[path = "driver.rs"] mod driver;` and the replay test
//! (`tests/fuzz_corpus.rs`) with
//! `#[path = "../fuzz/fuzz_targets/driver.rs"] mod driver;`. It uses only
//! the public API of `rfc2217_proto` and `std`.
//!
//! # Input layout
//!
//! The first [`HEADER_LEN`] bytes set up the run (missing bytes read as 0);
//! the rest is what the peer sends.
//!
//! | byte | meaning |
//! |------|---------|
//! | 0 | data buffer size: `0..=63` gives `1..=64` bytes, else 1024 |
//! | 1 | transmit buffer size: `0..=31` gives `1..=32` bytes, else [`TRANSMIT_QUEUE_CAPACITY`] |
//! | 2-4 | read sizes, used in turn (0 is an empty read); all three 0: one read per segment |
//! | 5 | segment length in bytes; 0: the whole input is one segment |
//! | 6 | clock step per segment in units of 100 ms; 255: about 35,000 years |
//! | 7 | [flags](flags) choosing what the application does |
//!
//! The peer bytes are cut into segments. Within a segment time stands
//! still; after each one the clock advances, due timeouts are handled and
//! the application acts (requests, modem lines, flow control, data to
//! send), as the flags say. Each role runs twice: once as the header asks
//! and once as a reference with one read per segment and large buffers.
//! Both runs must deliver the same data and events in the same order and
//! end every segment in the same state.
//!
//! # Invariants checked
//!
//! * No panic.
//! * `consumed <= input.len()`, `data_len <= data.len()`,
//!   `poll_transmit` and `encode_data` write no more than their buffer.
//! * Progress: with events and transmit queue drained, `handle_input`
//!   with input left and room for data consumes something; `encode_data`
//!   gets on whenever the session is ready for data.
//! * One drain of the transmit queue hands out at most
//!   [`TRANSMIT_QUEUE_CAPACITY`] bytes, and a buffer that large empties it.
//! * Data delivered never exceeds the input; what `encode_data` writes
//!   decodes to what it took (IAC doubled; in NVT mode a bare CR as CR NUL,
//!   CR LF as it is).
//! * Handling a due timeout leaves nothing due; an early call does nothing.
//! * Role rules: a client sees no requests, a server no replies or
//!   timeouts; every reply or timeout names a request that was waiting, at
//!   most once; `pending_requests` counts exactly those still waiting; an
//!   access server can answer every request with `respond`.
//! * Calls for the other role fail with `WrongRole`.
//! * Everything the session transmits is well-formed: a session of the
//!   other role reading it reports no peer violation.
//! * Split invariance, as above.

use std::time::Duration;

use rfc2217_proto::{
    AckPolicy, Command, CommandKind, Config, Control, DataSize, Error, Event, Instant, LineState,
    ModemState, Parity, Purge, ReplyStatus, RequestId, Role, Session, Side, StopSize,
    TelnetCommand, TelnetOption, SIGNATURE_CAPACITY, TRANSMIT_QUEUE_CAPACITY,
};

/// Bytes of set-up at the start of the input.
pub(crate) const HEADER_LEN: usize = 8;

/// Bits of header byte 7: what the application does.
pub(crate) mod flags {
    /// Client: pipelines a batch of requests and a barrier at the start.
    pub(crate) const OPENING_REQUESTS: u8 = 0x01;
    /// Client: a request after every segment, and barriers and polls.
    pub(crate) const REQUESTS: u8 = 0x02;
    /// Server: new modem lines and line state after every segment.
    pub(crate) const DEVICE: u8 = 0x04;
    /// Both: suspend and resume the peer after alternate segments.
    pub(crate) const FLOW_CONTROL: u8 = 0x08;
    /// Both: echo every segment back with `encode_data`.
    pub(crate) const ENCODE: u8 = 0x10;
    /// Both: a signature of all 0xFF (the longest on the wire) and short
    /// timeouts.
    pub(crate) const LONG_SIGNATURE: u8 = 0x20;
    /// Client: sends its signature and asks for the server's at the start.
    pub(crate) const SIGNATURE: u8 = 0x40;
    /// Both: a BREAK Telnet command and a change of option after every
    /// segment.
    pub(crate) const TELNET_COMMAND: u8 = 0x80;
}

const LARGE_DATA_BUFFER: usize = 1024;
const IAC: u8 = 0xFF;
const CR: u8 = b'\r';
const NUL: u8 = 0;
const LF: u8 = b'\n';

/// Runs `input` (header and peer bytes) through both roles and checks every
/// invariant; panics on the first one broken.
pub(crate) fn run(input: &[u8]) {
    let (params, peer) = Params::parse(input);
    for role in [Role::Client, Role::Server] {
        let (fuzzed, fuzzed_sent) = Run::new(role, params, true).feed(peer);
        let (reference, reference_sent) = Run::new(role, params.reference(), false).feed(peer);
        if let Some(at) = first_difference(&fuzzed, &reference) {
            let context = |trace: &[Item]| -> Vec<Item> {
                trace
                    .iter()
                    .skip(at.saturating_sub(3))
                    .take(8)
                    .cloned()
                    .collect()
            };
            assert_eq!(
                context(&fuzzed),
                context(&reference),
                "split invariance broken for the {role:?} at trace item {at} \
                 (left: {params:?}, right: one read per segment)"
            );
            assert_eq!(
                fuzzed.len(),
                reference.len(),
                "split invariance broken for the {role:?}: traces differ in length"
            );
        }
        // A server's answers to requests go out when the application gives
        // them, which depends on the split; a client here answers nothing
        // itself, so all it sends must be independent of the split.
        if role == Role::Client && fuzzed_sent != reference_sent {
            let at = fuzzed_sent
                .iter()
                .zip(&reference_sent)
                .take_while(|(a, b)| a == b)
                .count();
            let context = |sent: &[u8]| sent.get(at.saturating_sub(8)..).unwrap_or(&[]).to_vec();
            assert_eq!(
                context(&fuzzed_sent),
                context(&reference_sent),
                "the client's transmitted bytes depend on the split from byte {at} \
                 (left: {params:?}, right: one read per segment)"
            );
        }
    }
}

fn first_difference(a: &[Item], b: &[Item]) -> Option<usize> {
    let common = a.iter().zip(b).position(|(x, y)| x != y);
    common.or((a.len() != b.len()).then(|| a.len().min(b.len())))
}

/// The set-up read from the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Params {
    data_len: usize,
    transmit_len: usize,
    reads: [u8; 3],
    segment_len: usize,
    clock_step: Duration,
    flags: u8,
}

impl Params {
    fn parse(input: &[u8]) -> (Params, &[u8]) {
        let mut header = [0u8; HEADER_LEN];
        let (head, peer) = input.split_at(input.len().min(HEADER_LEN));
        header[..head.len()].copy_from_slice(head);
        let params = Params {
            data_len: match header[0] {
                n @ 0..=63 => usize::from(n) + 1,
                _ => LARGE_DATA_BUFFER,
            },
            transmit_len: match header[1] {
                n @ 0..=31 => usize::from(n) + 1,
                _ => TRANSMIT_QUEUE_CAPACITY,
            },
            reads: [header[2], header[3], header[4]],
            segment_len: usize::from(header[5]),
            clock_step: match header[6] {
                255 => Duration::from_secs(1 << 40),
                n => Duration::from_millis(100 * u64::from(n)),
            },
            flags: header[7],
        };
        (params, peer)
    }

    /// The same run with one read per segment and buffers that never limit.
    fn reference(self) -> Params {
        Params {
            data_len: LARGE_DATA_BUFFER,
            transmit_len: TRANSMIT_QUEUE_CAPACITY,
            reads: [0; 3],
            ..self
        }
    }

    fn has(self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    fn config(self, role: Role) -> Config {
        let config = match role {
            Role::Client => Config::client(),
            Role::Server => Config::server(),
        };
        if !self.has(flags::LONG_SIGNATURE) {
            return config;
        }
        let signature = [IAC; SIGNATURE_CAPACITY];
        // A valid signature: `with_signature` cannot fail.
        let config = config.clone().with_signature(&signature).unwrap_or(config);
        config
            .with_request_timeout(Duration::from_millis(500))
            .with_negotiation_timeout(Duration::from_millis(700))
    }
}

/// What a run saw, in order; two runs of the same input must agree.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Item {
    /// One byte of data delivered by `handle_input`.
    Data(u8),
    Event(Event),
    /// The outcome of an application call (a request id or an error).
    Call(&'static str, Result<u16, Error>),
    /// The state at the end of a segment.
    Segment(Snapshot),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Snapshot {
    com_port_active: bool,
    options: [[bool; 2]; 4],
    ready_for_data: bool,
    suspended_by_peer: bool,
    peer_signature: Vec<u8>,
    pending_requests: usize,
    line_state_mask: LineState,
    modem_state_mask: ModemState,
    timeout: Option<Instant>,
}

const OPTIONS: [TelnetOption; 4] = [
    TelnetOption::Binary,
    TelnetOption::Echo,
    TelnetOption::SuppressGoAhead,
    TelnetOption::ComPort,
];

/// Requests a client makes: every kind, settings and queries.
const CLIENT_REQUESTS: [Command; 16] = [
    Command::SetBaudRate(115_200),
    Command::SetDataSize(DataSize::Eight),
    Command::SetParity(Parity::None),
    Command::SetStopSize(StopSize::One),
    Command::SetControl(Control::NoFlowControl),
    Command::SetControl(Control::DtrOn),
    Command::SetControl(Control::RtsOn),
    Command::PurgeData(Purge::Both),
    Command::SetLineStateMask(LineState::ALL),
    Command::SetModemStateMask(ModemState::ALL),
    Command::SetBaudRate(0xFFFF_FFFF),
    Command::SetControl(Control::QueryDtr),
    Command::SetDataSize(DataSize::Query),
    Command::Signature,
    Command::NotifyModemState(ModemState::EMPTY),
    Command::SetControl(Control::BreakOn),
];

/// A request of ours waiting for its reply.
#[derive(Clone, Copy, Debug)]
struct Waiting {
    id: RequestId,
    command: Command,
}

/// One session of one role driven over the whole input.
struct Run {
    session: Session,
    config: Config,
    params: Params,
    now: Instant,
    data: Vec<u8>,
    transmit: Vec<u8>,
    trace: Vec<Item>,
    delivered: usize,
    waiting: Vec<Waiting>,
    /// Requests that timed out: a late answer may still name one, once.
    timed_out: Vec<Waiting>,
    /// A session of the other role reading everything this one sends
    /// (in the fuzzed run only: the reference run sends the same).
    mirror: Option<Mirror>,
    /// Everything this session transmitted.
    sent: Vec<u8>,
    /// The data sent with `encode_data`, to check its escaping.
    encoded: EncodedStream,
}

impl Run {
    fn new(role: Role, params: Params, with_mirror: bool) -> Run {
        let config = params.config(role);
        let mut run = Run {
            session: Session::new(config.clone(), Instant::ZERO),
            config,
            params,
            now: Instant::ZERO,
            data: vec![0; params.data_len],
            transmit: vec![0; params.transmit_len],
            trace: Vec::new(),
            delivered: 0,
            waiting: Vec::new(),
            timed_out: Vec::new(),
            mirror: with_mirror.then(|| {
                Mirror::new(match role {
                    Role::Client => Role::Server,
                    Role::Server => Role::Client,
                })
            }),
            sent: Vec::new(),
            encoded: EncodedStream::default(),
        };
        assert_eq!(run.session.role(), role);
        run.drain();
        run.check_wrong_role();
        run.opening();
        run.drain();
        run
    }

    fn role(&self) -> Role {
        self.session.role()
    }

    /// Feeds the peer's bytes segment by segment; returns the trace and
    /// the bytes transmitted.
    fn feed(mut self, peer: &[u8]) -> (Vec<Item>, Vec<u8>) {
        let segment_len = match self.params.segment_len {
            0 => peer.len().max(1),
            n => n,
        };
        let mut segments = peer.chunks(segment_len).peekable();
        if segments.peek().is_none() {
            self.segment(0, &[]);
        }
        for (index, segment) in segments.enumerate() {
            self.segment(index, segment);
        }
        assert!(
            self.delivered <= peer.len(),
            "delivered {} data bytes from {} input bytes",
            self.delivered,
            peer.len()
        );
        self.encoded.check();
        (self.trace, self.sent)
    }

    fn segment(&mut self, index: usize, segment: &[u8]) {
        let mut rest = segment;
        let mut turn = 0;
        let all_zero = self.params.reads == [0; 3];
        loop {
            let len = if all_zero {
                rest.len()
            } else {
                usize::from(self.params.reads[turn % 3])
            };
            turn += 1;
            let (read, tail) = rest.split_at(len.min(rest.len()));
            rest = tail;
            self.read(read);
            if rest.is_empty() {
                break;
            }
        }
        self.between_segments(index, segment);
    }

    /// One read from the socket, fed until it is used up.
    fn read(&mut self, mut wire: &[u8]) {
        loop {
            let received = self.session.handle_input(self.now, wire, &mut self.data);
            assert!(
                received.consumed <= wire.len(),
                "consumed {} of {} input bytes",
                received.consumed,
                wire.len()
            );
            assert!(
                received.data_len <= self.data.len(),
                "wrote {} data bytes into a buffer of {}",
                received.data_len,
                self.data.len()
            );
            if wire.is_empty() {
                assert_eq!(received.data_len, 0, "data from an empty read");
            } else {
                assert!(
                    received.consumed > 0,
                    "no progress: the {:?}'s handle_input took nothing of {} bytes ({:02x?}) \
                     with events and transmit queue drained and {} bytes of room for data",
                    self.role(),
                    wire.len(),
                    &wire[..wire.len().min(16)],
                    self.data.len()
                );
            }
            self.delivered += received.data_len;
            self.trace.extend(
                self.data[..received.data_len]
                    .iter()
                    .map(|&byte| Item::Data(byte)),
            );
            wire = &wire[received.consumed..];
            self.drain();
            if wire.is_empty() {
                break;
            }
        }
    }

    /// Drains all events (answering requests), then the transmit queue.
    fn drain(&mut self) {
        while let Some(event) = self.session.poll_event() {
            self.check_event(event);
            self.trace.push(Item::Event(event));
            if let Event::Request(command) = event {
                self.respond(command);
            }
        }
        self.drain_transmit();
        self.check_pending();
    }

    /// Answers a request at once, as the run loop does: before the
    /// transmit queue is drained. Nothing the peer sends may make this fail.
    fn respond(&mut self, command: Command) {
        let result = self.session.respond(command);
        assert_eq!(
            result,
            Ok(()),
            "respond({command:?}) failed in the run loop (events drained before transmit)"
        );
    }

    fn drain_transmit(&mut self) {
        let mut total = 0;
        loop {
            let n = self.session.poll_transmit(&mut self.transmit);
            assert!(
                n <= self.transmit.len(),
                "poll_transmit wrote {n} bytes into {}",
                self.transmit.len()
            );
            if n == 0 {
                break;
            }
            total += n;
            assert!(
                total <= TRANSMIT_QUEUE_CAPACITY,
                "one drain of the transmit queue gave {total} bytes"
            );
            self.send(n);
            if self.transmit.len() >= TRANSMIT_QUEUE_CAPACITY {
                let again = self.session.poll_transmit(&mut self.transmit);
                assert_eq!(
                    again, 0,
                    "a full-size transmit buffer did not empty the queue"
                );
                break;
            }
        }
    }

    /// Hands the first `len` bytes of the transmit buffer to the network.
    fn send(&mut self, len: usize) {
        let bytes = &self.transmit[..len];
        self.sent.extend_from_slice(bytes);
        if let Some(mirror) = &mut self.mirror {
            mirror.receive(bytes);
        }
    }

    fn check_event(&mut self, event: Event) {
        let server_only = matches!(event, Event::Request(_) | Event::PeerSignature);
        let client_only = matches!(
            event,
            Event::Reply { .. }
                | Event::Timeout { .. }
                | Event::LineState(_)
                | Event::ModemState(_)
        );
        match self.role() {
            Role::Client => assert!(!server_only, "a client got {event:?}"),
            Role::Server => assert!(!client_only, "a server got {event:?}"),
        }
        match event {
            Event::Reply {
                id: Some(id),
                reply,
                status,
            } => {
                assert_ne!(status, ReplyStatus::Unsolicited, "{event:?}");
                let waiting = if status == ReplyStatus::Late {
                    take(&mut self.timed_out, id, &event)
                } else {
                    self.take_waiting(id, &event)
                };
                assert_eq!(
                    reply.kind(),
                    waiting.command.kind(),
                    "{event:?} answers {waiting:?}"
                );
            }
            Event::Reply {
                id: None, status, ..
            } => {
                assert_eq!(status, ReplyStatus::Unsolicited, "{event:?}");
            }
            Event::Timeout { id, request } => {
                let waiting = self.take_waiting(id, &event);
                assert_eq!(request, waiting.command, "{event:?} for {waiting:?}");
                self.timed_out.push(waiting);
            }
            _ => {}
        }
    }

    fn take_waiting(&mut self, id: RequestId, event: &Event) -> Waiting {
        take(&mut self.waiting, id, event)
    }

    fn check_pending(&self) {
        assert_eq!(
            self.session.pending_requests(),
            self.waiting.len(),
            "pending_requests disagrees with the requests still waiting: {:?}",
            self.waiting
        );
    }

    /// Calls that belong to the other role must fail and change nothing.
    fn check_wrong_role(&mut self) {
        let session = &mut self.session;
        let wrong = Err(Error::WrongRole);
        let id = |result: Result<RequestId, Error>| result.map(|_| ());
        match session.role() {
            Role::Client => {
                assert_eq!(session.respond(Command::SetBaudRate(9600)), wrong);
                assert_eq!(session.handle_modem_lines(ModemState::CTS), wrong);
                assert_eq!(session.handle_line_state(LineState::BREAK_DETECT), wrong);
            }
            Role::Server => {
                let now = self.now;
                assert_eq!(id(session.request(now, Command::SetBaudRate(9600))), wrong);
                assert_eq!(id(session.barrier(now)), wrong);
                assert_eq!(id(session.request_signature(now)), wrong);
                assert_eq!(session.send_signature(b"x"), wrong);
                assert_eq!(session.query_modem_state(), wrong);
                assert_eq!(session.query_line_state(), wrong);
            }
        }
    }

    /// What the application does right after connecting.
    fn opening(&mut self) {
        if self.role() != Role::Client {
            return;
        }
        if self.params.has(flags::OPENING_REQUESTS) {
            for command in &CLIENT_REQUESTS[..8] {
                self.request(*command);
            }
            self.barrier();
        }
        if self.params.has(flags::SIGNATURE) {
            let result = self.session.send_signature(b"fuzz \xff\r\0 client");
            self.trace
                .push(Item::Call("send_signature", result.map(|()| 0)));
            let policy = self.config.ack_policy(CommandKind::Signature);
            let result = self.session.request_signature(self.now);
            self.track("request_signature", result, Command::Signature, policy);
        }
    }

    fn request(&mut self, command: Command) {
        let policy = self.config.ack_policy(command.kind());
        let result = self.session.request(self.now, command);
        self.track("request", result, command, policy);
    }

    fn barrier(&mut self) {
        let result = self.session.barrier(self.now);
        self.track(
            "barrier",
            result,
            Command::SetBaudRate(0),
            AckPolicy::Lenient,
        );
    }

    fn track(
        &mut self,
        call: &'static str,
        result: Result<RequestId, Error>,
        command: Command,
        policy: AckPolicy,
    ) {
        if let Ok(id) = result {
            assert!(
                self.waiting.iter().all(|waiting| waiting.id != id),
                "{call} reused {id:?}"
            );
            if policy != AckPolicy::None {
                self.waiting.push(Waiting { id, command });
            }
        }
        self.trace.push(Item::Call(call, result.map(|id| id.0)));
        self.check_pending();
    }

    /// Time passes, timeouts fire, the application acts.
    fn between_segments(&mut self, index: usize, segment: &[u8]) {
        // Early calls do nothing.
        if !self.is_timeout_due() {
            self.session.handle_timeout(self.now);
            let event = self.session.poll_event();
            assert_eq!(event, None, "handle_timeout before the deadline");
        }
        self.now = self.now + self.params.clock_step;
        self.handle_timeouts();

        let params = self.params;
        let byte = u8::try_from(index % 256).unwrap_or_default();
        match self.role() {
            Role::Client if params.has(flags::REQUESTS) => {
                self.request(CLIENT_REQUESTS[index % CLIENT_REQUESTS.len()]);
                if index % 4 == 3 {
                    self.barrier();
                }
                if index % 5 == 4 {
                    let result = self.session.query_modem_state();
                    self.trace
                        .push(Item::Call("query_modem_state", result.map(|()| 0)));
                    let result = self.session.query_line_state();
                    self.trace
                        .push(Item::Call("query_line_state", result.map(|()| 0)));
                }
            }
            Role::Server if params.has(flags::DEVICE) => {
                let lines =
                    ModemState(byte.wrapping_mul(0x5B) ^ segment.first().copied().unwrap_or(0));
                let result = self.session.handle_modem_lines(lines);
                self.trace
                    .push(Item::Call("handle_modem_lines", result.map(|()| 0)));
                let state = LineState(byte.wrapping_mul(0x3D));
                let result = self.session.handle_line_state(state);
                self.trace
                    .push(Item::Call("handle_line_state", result.map(|()| 0)));
            }
            _ => {}
        }
        if params.has(flags::FLOW_CONTROL) {
            let (call, result) = if index % 2 == 0 {
                ("suspend_peer", self.session.suspend_peer())
            } else {
                ("resume_peer", self.session.resume_peer())
            };
            self.trace.push(Item::Call(call, result.map(|()| 0)));
        }
        if params.has(flags::TELNET_COMMAND) {
            let result = self.session.send_telnet_command(TelnetCommand::Break);
            self.trace
                .push(Item::Call("send_telnet_command", result.map(|()| 0)));
            let option = OPTIONS[index % OPTIONS.len()];
            let side = [Side::Local, Side::Remote][index / OPTIONS.len() % 2];
            let result = self.session.negotiate(option, side, index % 3 != 0);
            self.trace.push(Item::Call("negotiate", result.map(|()| 0)));
        }
        self.drain();
        if params.has(flags::ENCODE) {
            self.encode(segment);
        }
        let snapshot = self.snapshot();
        self.trace.push(Item::Segment(snapshot));
    }

    fn is_timeout_due(&self) -> bool {
        matches!(self.session.poll_timeout(), Some(deadline) if deadline <= self.now)
    }

    /// Calls `handle_timeout` while something is due; it must settle.
    fn handle_timeouts(&mut self) {
        for _ in 0..4 {
            match self.session.poll_timeout() {
                Some(deadline) if deadline <= self.now => {
                    self.session.handle_timeout(self.now);
                    self.drain();
                }
                _ => return,
            }
        }
        assert!(
            !self.is_timeout_due(),
            "handle_timeout({:?}) leaves {:?} due",
            self.now,
            self.session.poll_timeout()
        );
    }

    /// Sends `data` with `encode_data` for as long as the session takes it.
    fn encode(&mut self, data: &[u8]) {
        // An escaped byte needs two: a one-byte buffer could never pass it.
        if self.transmit.len() < 2 {
            self.transmit.resize(2, 0);
        }
        let mut rest = data;
        // Each call takes a byte or writes an owed NUL.
        for _ in 0..=2 * data.len() {
            if rest.is_empty() {
                break;
            }
            let ready = self.session.is_ready_for_data();
            let nvt = !self
                .session
                .is_option_enabled(TelnetOption::Binary, Side::Local);
            let encoded = self.session.encode_data(rest, &mut self.transmit);
            assert!(
                encoded.consumed <= rest.len() && encoded.written <= self.transmit.len(),
                "encode_data: {encoded:?} from {} bytes into {}",
                rest.len(),
                self.transmit.len()
            );
            if encoded.consumed == 0 && encoded.written == 0 {
                assert!(
                    !ready,
                    "encode_data took nothing of {} bytes though ready for data",
                    rest.len()
                );
                break;
            }
            // The queue was drained before, so all that is written is data.
            self.encoded.push(
                nvt,
                &rest[..encoded.consumed],
                &self.transmit[..encoded.written],
            );
            self.send(encoded.written);
            rest = &rest[encoded.consumed..];
        }
        assert!(
            rest.is_empty() || !self.session.is_ready_for_data(),
            "encode_data makes no progress"
        );
        self.transmit.truncate(self.params.transmit_len);
        self.drain();
    }

    fn snapshot(&self) -> Snapshot {
        let session = &self.session;
        let options = OPTIONS.map(|option| {
            [Side::Local, Side::Remote].map(|side| session.is_option_enabled(option, side))
        });
        Snapshot {
            com_port_active: session.is_com_port_active(),
            options,
            ready_for_data: session.is_ready_for_data(),
            suspended_by_peer: session.is_suspended_by_peer(),
            peer_signature: session.peer_signature().to_vec(),
            pending_requests: session.pending_requests(),
            line_state_mask: session.line_state_mask(),
            modem_state_mask: session.modem_state_mask(),
            timeout: session.poll_timeout(),
        }
    }
}

/// What `encode_data` took and wrote, checked as a stream: the escaping
/// one call starts may end in the next (a CR at the end of the data owes
/// its NUL until the next byte shows whether it is an LF).
#[derive(Default)]
struct EncodedStream {
    /// NVT mode (true) or BINARY (false) of the stretch being collected.
    nvt: Option<bool>,
    data: Vec<u8>,
    wire: Vec<u8>,
}

impl EncodedStream {
    fn push(&mut self, nvt: bool, data: &[u8], wire: &[u8]) {
        if self.nvt != Some(nvt) {
            self.check();
            self.nvt = Some(nvt);
        }
        self.data.extend_from_slice(data);
        self.wire.extend_from_slice(wire);
    }

    /// The wire bytes of the stretch must decode to its data: IAC IAC is
    /// 0xFF and, in NVT mode, CR NUL is CR, CR LF stays and no other byte
    /// follows a CR (a CR may end the stretch: its NUL was never owed).
    fn check(&mut self) {
        let nvt = self.nvt == Some(true);
        let wire = &self.wire;
        let mut decoded = Vec::with_capacity(wire.len());
        let mut i = 0;
        while let Some(&byte) = wire.get(i) {
            let next = wire.get(i + 1).copied();
            decoded.push(byte);
            i += match byte {
                IAC => {
                    assert_eq!(next, Some(IAC), "encode_data left an IAC undoubled at {i}");
                    2
                }
                CR if nvt => {
                    assert!(
                        matches!(next, None | Some(NUL | LF)),
                        "encode_data sent a bare CR before {next:02x?} in NVT mode at {i}"
                    );
                    if next == Some(NUL) {
                        2
                    } else {
                        1
                    }
                }
                _ => 1,
            };
        }
        assert_eq!(
            decoded, self.data,
            "encode_data escaped wrongly (NVT: {nvt}; wire {wire:02x?})"
        );
        self.data.clear();
        self.wire.clear();
    }
}

/// A well-behaved session of the other role reading what a run transmits;
/// it must find nothing to complain about.
struct Mirror {
    session: Session,
    data: Vec<u8>,
    transmit: Vec<u8>,
}

impl Mirror {
    fn new(role: Role) -> Mirror {
        let config = match role {
            Role::Client => Config::client(),
            Role::Server => Config::server(),
        };
        Mirror {
            session: Session::new(config, Instant::ZERO),
            data: vec![0; LARGE_DATA_BUFFER],
            transmit: vec![0; TRANSMIT_QUEUE_CAPACITY],
        }
    }

    fn receive(&mut self, mut wire: &[u8]) {
        while !wire.is_empty() {
            let received = self
                .session
                .handle_input(Instant::ZERO, wire, &mut self.data);
            assert!(received.consumed > 0, "no progress in the mirror");
            wire = &wire[received.consumed..];
            while let Some(event) = self.session.poll_event() {
                assert!(
                    !matches!(event, Event::PeerViolation(_)),
                    "the session transmitted something malformed: its peer reports {event:?}"
                );
                if let Event::Request(command) = event {
                    assert_eq!(self.session.respond(command), Ok(()), "mirror respond");
                }
            }
            while self.session.poll_transmit(&mut self.transmit) > 0 {}
        }
    }
}

/// Removes the request `id` from `requests`; it must be there.
fn take(requests: &mut Vec<Waiting>, id: RequestId, event: &Event) -> Waiting {
    let at = requests.iter().position(|request| request.id == id);
    assert!(
        at.is_some(),
        "{event:?} names no such request (among {requests:?})"
    );
    requests.remove(at.unwrap_or_default())
}
