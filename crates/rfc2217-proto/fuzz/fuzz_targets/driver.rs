//! The `peer_input` driver: arbitrary bytes from the peer, fed to a client
//! (`Session<Client>`) and to an access server (`Session<Server>`) through
//! the documented run loop, with the invariants that must hold for any
//! input checked on the way.
//!
//! This file is shared, not copied: the fuzz target includes it with
//! `#[path = "driver.rs"] mod driver;` and the replay test
//! (`tests/fuzz_corpus.rs`) with
//! `#[path = "../fuzz/fuzz_targets/driver.rs"] mod driver;`. It uses only
//! the public API of `rfc2217_proto` and `std`.
//!
//! One [`Run`] is generic over the role; what differs between the roles
//! (the application's own steps and the rules on each role's events) is
//! the private trait [`Steps`].
//!
//! # Input layout
//!
//! The first [`HEADER_LEN`] bytes set up the run (missing bytes read as 0);
//! the rest is what the peer sends.
//!
//! | byte | meaning |
//! |------|---------|
//! | 0 | data buffer size: `0..=63` gives [`DATA_BUFFERS`]`[byte % 6]` (1, 2, 3, 7, 16 or 64 bytes), else 1024 |
//! | 1 | transmit buffer size: `0..=31` gives `1..=32` bytes, else [`TRANSMIT_QUEUE_CAPACITY`] |
//! | 2-4 | read sizes, used in turn (0 is an empty read); all three 0: one read per segment |
//! | 5 | segment length in bytes; 0: the whole input is one segment |
//! | 6 | clock step per segment in units of 100 ms; 255: about 35,000 years |
//! | 7 | [flags](flags) choosing what the application does |
//!
//! `handle_input` takes its data buffer as an array (`&mut [u8; N]`), so
//! each size is its own monomorphised copy of the read loop
//! ([`Run::feed`] picks it with a `match`).
//!
//! The peer bytes are cut into segments. Within a segment time stands
//! still; after each one the clock advances, due timeouts are handled and
//! the application acts (requests, modem lines, flow control, data to
//! send), as the flags say. Each role runs twice: once as the header asks
//! and once as a reference with one read per segment and large buffers.
//! Both runs must deliver the same data and events in the same order, end
//! every segment in the same state and transmit the same bytes.
//!
//! # Invariants checked
//!
//! * No panic.
//! * `consumed <= input.len()`, `data_len <= N` (the data array),
//!   `poll_transmit` and `encode_data` write no more than their buffer.
//! * Progress: with events and transmit queue drained (and every request
//!   of a server's peer answered), `handle_input` with input left consumes
//!   something; `encode_data` gets on whenever the session is ready for
//!   data.
//! * One drain of the transmit queue hands out at most
//!   [`TRANSMIT_QUEUE_CAPACITY`] bytes, and a buffer that large empties it.
//! * Data delivered never exceeds the input; what `encode_data` writes
//!   decodes to what it took (IAC doubled; in NVT mode a bare CR as CR NUL,
//!   CR LF as it is).
//! * Handling a due timeout leaves nothing due; an early call does nothing.
//! * `com_port()` and `is_com_port_active()` agree.
//! * Requests (client): `request` returns an id exactly when the kind's
//!   ack policy is not [`AckPolicy::None`] (`barrier` always does); ids are
//!   not reused while waiting; `TooManyPendingRequests` comes exactly when
//!   [`PENDING_REQUEST_CAPACITY`] requests wait; `pending_requests` always
//!   equals the driver's own count of requests still waiting.
//! * Replies (client): every `Reply`, `Signature` answer or `Timeout`
//!   names a request that was waiting (a `Late` answer: one that timed
//!   out), at most once, of the same kind; an answer naming no request is
//!   `Unsolicited`, and one naming a request is not; a SIGNATURE answer
//!   comes as a `Signature` event, never as a `Reply`.
//! * Signatures: every signature event (`ClientEvent::Signature`,
//!   `ServerEvent::Signature`) carries at most [`SIGNATURE_CAPACITY`]
//!   bytes; the last one is part of the end-of-segment state.
//! * An access server can answer every request with `respond`, inside its
//!   event loop (before the transmit queue is drained).
//! * Everything the session transmits is well-formed: a session of the
//!   other role reading it reports no peer violation (but
//!   `ComPortNotAgreed`, which depends on negotiation it does not see; see
//!   [`is_malformed`]).
//! * Split invariance, as above, the transmitted bytes of both roles
//!   included. The session queues its own answers as it decodes, and a
//!   server reads no further input while a request is unanswered, so with
//!   requests answered inside the event loop (as [`Run::drain`] does) the
//!   answers leave in request order whatever the split; the application's
//!   own calls happen at segment boundaries in both runs.
//!
//! What the type system now enforces is no longer checked here: calls for
//! the other role (a server's `request`, a client's `respond`, ...) do not
//! compile, where they used to fail with `WrongRole`; and a client's events
//! have no `Request` variant, a server's no `Reply` or `Timeout`.

use std::time::Duration;

use rfc2217_proto::{
    AckPolicy, Client, ClientEvent, ComPortState, Command, CommandKind, Config, Control, DataSize,
    Error, Instant, LineState, ModemState, Parity, Purge, ReplyStatus, RequestId, Role, Server,
    ServerEvent, Session, Side, Signature, StopSize, TelnetCommand, TelnetOption, Violation,
    PENDING_REQUEST_CAPACITY, SIGNATURE_CAPACITY, TRANSMIT_QUEUE_CAPACITY,
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

/// The data buffer sizes header byte 0 chooses from (`byte % 6` for bytes
/// `0..=63`); each is a monomorphised copy of the read loop.
const DATA_BUFFERS: [usize; 6] = [1, 2, 3, 7, 16, 64];
/// The data buffer of header bytes 64 and up, of the reference run and of
/// the mirror.
const LARGE_DATA_BUFFER: usize = 1024;
const IAC: u8 = 0xFF;
const CR: u8 = b'\r';
const NUL: u8 = 0;
const LF: u8 = b'\n';

/// Runs `input` (header and peer bytes) through both roles and checks every
/// invariant; panics on the first one broken.
pub(crate) fn run(input: &[u8]) {
    let (params, peer) = Params::parse(input);
    check::<Client>(params, peer);
    check::<Server>(params, peer);
}

/// Runs the peer's bytes through a session of role `R` as the header asks
/// and as the reference; the two must agree.
fn check<R: Steps>(params: Params, peer: &[u8]) {
    let role = R::NAME;
    let (fuzzed, fuzzed_sent) = Run::<R>::new(params, true).feed(peer);
    let (reference, reference_sent) = Run::<R>::new(params.reference(), false).feed(peer);
    if let Some(at) = first_difference(&fuzzed, &reference) {
        let context = |trace: &[Item<R::Event>]| -> Vec<Item<R::Event>> {
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
            "split invariance broken for the {role} at trace item {at} \
             (left: {params:?}, right: one read per segment)"
        );
        assert_eq!(
            fuzzed.len(),
            reference.len(),
            "split invariance broken for the {role}: traces differ in length"
        );
    }
    // What a session transmits: its opening negotiation, the application's
    // calls (at segment boundaries in both runs) and the answers to the
    // peer's input, queued as it is decoded. A server reads nothing more
    // while a request is unanswered and `drain` answers inside the event
    // loop, so its answers too leave in request order, whatever the split.
    if fuzzed_sent != reference_sent {
        let at = fuzzed_sent
            .iter()
            .zip(&reference_sent)
            .take_while(|(a, b)| a == b)
            .count();
        let context = |sent: &[u8]| {
            sent.iter()
                .skip(at.saturating_sub(8))
                .take(24)
                .copied()
                .collect::<Vec<u8>>()
        };
        assert_eq!(
            context(&fuzzed_sent),
            context(&reference_sent),
            "the {role}'s transmitted bytes depend on the split: they differ from byte {at} \
             (shown from byte {}; {} bytes sent in all vs {}; \
             left: {params:?}, right: one read per segment)",
            at.saturating_sub(8),
            fuzzed_sent.len(),
            reference_sent.len()
        );
        // Equal context but different bytes cannot be: the context starts
        // before the first difference. A length difference past it can.
        assert_eq!(
            fuzzed_sent.len(),
            reference_sent.len(),
            "the {role}'s transmitted bytes depend on the split from byte {at}"
        );
    }
}

fn first_difference<E: PartialEq>(a: &[Item<E>], b: &[Item<E>]) -> Option<usize> {
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
                n @ 0..=63 => DATA_BUFFERS[usize::from(n) % DATA_BUFFERS.len()],
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

    fn config<R: Steps>(self) -> Config<R> {
        let config = R::default_config();
        if !self.has(flags::LONG_SIGNATURE) {
            return config;
        }
        let signature = [IAC; SIGNATURE_CAPACITY];
        // A valid signature: `with_signature` cannot fail.
        let config = config.clone().with_signature(&signature).unwrap_or(config);
        R::with_request_timeout(config, Duration::from_millis(500))
            .with_negotiation_timeout(Duration::from_millis(700))
    }
}

/// What a run of a session with events `E` saw, in order; two runs of the
/// same input must agree.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Item<E> {
    /// One byte of data delivered by `handle_input`.
    Data(u8),
    Event(E),
    /// The outcome of an application call: a request id (`None` for a
    /// request not awaited and for calls that return none) or an error.
    Call(&'static str, Result<Option<u16>, Error>),
    /// The state at the end of a segment.
    Segment(Snapshot),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Snapshot {
    com_port: ComPortState,
    options: [[bool; 2]; 4],
    ready_for_data: bool,
    suspended_by_peer: bool,
    /// The last signature the peer sent, as its events told.
    peer_signature: Option<Signature>,
    role: RoleState,
    timeout: Option<Instant>,
}

/// The state only one role has.
#[derive(Clone, Debug, PartialEq, Eq)]
enum RoleState {
    Client {
        pending_requests: usize,
    },
    Server {
        line_state_mask: LineState,
        modem_state_mask: ModemState,
    },
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

/// What differs between the roles: the application's own steps, the role
/// rules on events and the state only the role has.
trait Steps: Role<Event: Eq> {
    /// The other role: the mirror that reads what this one sends.
    type Peer: Steps;
    /// The role, for messages.
    const NAME: &'static str;

    /// The role's default config.
    fn default_config() -> Config<Self>;
    /// `config` with the request timeout `timeout`, if the role sends
    /// requests.
    fn with_request_timeout(config: Config<Self>, timeout: Duration) -> Config<Self>;
    /// What the application does right after connecting.
    fn opening(run: &mut Run<Self>);
    /// What the application does between segments, besides what both
    /// roles do (flow control, Telnet commands, data).
    fn between_segments(run: &mut Run<Self>, index: usize, segment: &[u8]);
    /// Checks an event against the role's rules and acts on it as the
    /// application does (a server answers requests at once).
    fn handle_event(run: &mut Run<Self>, event: Self::Event);
    /// Checks made whenever the outputs have been drained.
    fn check_drained(run: &Run<Self>);
    /// The state only this role has.
    fn role_state(session: &Session<Self>) -> RoleState;
    /// The mirror's application: it expects nothing malformed and answers
    /// requests.
    fn mirror_event(session: &mut Session<Self>, event: Self::Event);
}

/// A request of ours waiting for its reply.
#[derive(Clone, Copy, Debug)]
struct Waiting {
    id: RequestId,
    command: Command,
}

/// One session of one role driven over the whole input.
struct Run<R: Steps> {
    session: Session<R>,
    config: Config<R>,
    params: Params,
    now: Instant,
    transmit: Vec<u8>,
    trace: Vec<Item<R::Event>>,
    delivered: usize,
    /// (client) Requests waiting for an answer, by the driver's own count.
    waiting: Vec<Waiting>,
    /// (client) Requests that timed out: a late answer may still name one,
    /// once.
    timed_out: Vec<Waiting>,
    /// The last signature a signature event carried.
    peer_signature: Option<Signature>,
    /// A session of the other role reading everything this one sends
    /// (in the fuzzed run only: the reference run sends the same).
    mirror: Option<Mirror<R::Peer>>,
    /// Everything this session transmitted.
    sent: Vec<u8>,
    /// The data sent with `encode_data`, to check its escaping.
    encoded: EncodedStream,
}

impl<R: Steps> Run<R> {
    fn new(params: Params, with_mirror: bool) -> Run<R> {
        let config = params.config::<R>();
        let mut run = Run {
            session: Session::new(config.clone(), Instant::ZERO),
            config,
            params,
            now: Instant::ZERO,
            transmit: vec![0; params.transmit_len],
            trace: Vec::new(),
            delivered: 0,
            waiting: Vec::new(),
            timed_out: Vec::new(),
            peer_signature: None,
            mirror: with_mirror.then(Mirror::new),
            sent: Vec::new(),
            encoded: EncodedStream::default(),
        };
        run.drain();
        R::opening(&mut run);
        run.drain();
        run
    }

    /// Feeds the peer's bytes segment by segment with the data buffer the
    /// header chose; returns the trace and the bytes transmitted.
    fn feed(self, peer: &[u8]) -> (Vec<Item<R::Event>>, Vec<u8>) {
        match self.params.data_len {
            1 => self.feed_with::<1>(peer),
            2 => self.feed_with::<2>(peer),
            3 => self.feed_with::<3>(peer),
            7 => self.feed_with::<7>(peer),
            16 => self.feed_with::<16>(peer),
            64 => self.feed_with::<64>(peer),
            len => {
                assert_eq!(len, LARGE_DATA_BUFFER, "no data buffer of {len} bytes");
                self.feed_with::<LARGE_DATA_BUFFER>(peer)
            }
        }
    }

    fn feed_with<const N: usize>(mut self, peer: &[u8]) -> (Vec<Item<R::Event>>, Vec<u8>) {
        let mut data = [0u8; N];
        let segment_len = match self.params.segment_len {
            0 => peer.len().max(1),
            n => n,
        };
        let mut segments = peer.chunks(segment_len).peekable();
        if segments.peek().is_none() {
            self.segment(0, &[], &mut data);
        }
        for (index, segment) in segments.enumerate() {
            self.segment(index, segment, &mut data);
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

    fn segment<const N: usize>(&mut self, index: usize, segment: &[u8], data: &mut [u8; N]) {
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
            self.read(read, data);
            if rest.is_empty() {
                break;
            }
        }
        self.between_segments(index, segment);
    }

    /// One read from the socket, fed until it is used up.
    fn read<const N: usize>(&mut self, mut wire: &[u8], data: &mut [u8; N]) {
        loop {
            let received = self.session.handle_input(self.now, wire, data);
            assert!(
                received.consumed <= wire.len(),
                "consumed {} of {} input bytes",
                received.consumed,
                wire.len()
            );
            assert!(
                received.data_len <= N,
                "wrote {} data bytes into a buffer of {N}",
                received.data_len,
            );
            if wire.is_empty() {
                assert_eq!(received.data_len, 0, "data from an empty read");
            } else {
                assert!(
                    received.consumed > 0,
                    "no progress: the {}'s handle_input took nothing of {} bytes ({:02x?}) \
                     with events and transmit queue drained and {N} bytes of room for data",
                    R::NAME,
                    wire.len(),
                    &wire[..wire.len().min(16)],
                );
            }
            self.delivered += received.data_len;
            self.trace.extend(
                data[..received.data_len]
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

    /// Drains all events (the role acting on each: a server answers
    /// requests), then the transmit queue.
    fn drain(&mut self) {
        while let Some(event) = self.session.poll_event() {
            self.trace.push(Item::Event(event));
            R::handle_event(self, event);
        }
        self.drain_transmit();
        R::check_drained(self);
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

    /// Records the outcome of a call that returns no id.
    fn call(&mut self, call: &'static str, result: Result<(), Error>) {
        self.trace.push(Item::Call(call, result.map(|()| None)));
    }

    /// Records a signature from a signature event; it must fit.
    fn record_signature(&mut self, signature: Signature, event: &R::Event) {
        assert!(
            signature.as_bytes().len() <= SIGNATURE_CAPACITY,
            "{event:?} carries {} bytes of signature, more than {SIGNATURE_CAPACITY}",
            signature.as_bytes().len()
        );
        self.peer_signature = Some(signature);
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

        R::between_segments(self, index, segment);
        let params = self.params;
        if params.has(flags::FLOW_CONTROL) {
            if index % 2 == 0 {
                let result = self.session.suspend_peer();
                self.call("suspend_peer", result);
            } else {
                let result = self.session.resume_peer();
                self.call("resume_peer", result);
            }
        }
        if params.has(flags::TELNET_COMMAND) {
            let result = self.session.send_telnet_command(TelnetCommand::Break);
            self.call("send_telnet_command", result);
            let option = OPTIONS[index % OPTIONS.len()];
            let side = [Side::Local, Side::Remote][index / OPTIONS.len() % 2];
            let result = self.session.negotiate(option, side, index % 3 != 0);
            self.call("negotiate", result);
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
        let com_port = session.com_port();
        assert_eq!(
            session.is_com_port_active(),
            com_port == ComPortState::Active,
            "is_com_port_active() disagrees with com_port() = {com_port:?}"
        );
        Snapshot {
            com_port,
            options,
            ready_for_data: session.is_ready_for_data(),
            suspended_by_peer: session.is_suspended_by_peer(),
            peer_signature: self.peer_signature,
            role: R::role_state(session),
            timeout: session.poll_timeout(),
        }
    }
}

impl Steps for Client {
    type Peer = Server;
    const NAME: &'static str = "client";

    fn default_config() -> Config<Client> {
        Config::client()
    }

    fn with_request_timeout(config: Config<Client>, timeout: Duration) -> Config<Client> {
        config.with_request_timeout(timeout)
    }

    fn opening(run: &mut Run<Client>) {
        if run.params.has(flags::OPENING_REQUESTS) {
            for command in &CLIENT_REQUESTS[..8] {
                run.request(*command);
            }
            run.barrier();
        }
        if run.params.has(flags::SIGNATURE) {
            let result = run.session.send_signature(b"fuzz \xff\r\0 client");
            run.call("send_signature", result);
            run.request(Command::Signature);
        }
    }

    fn between_segments(run: &mut Run<Client>, index: usize, _segment: &[u8]) {
        if !run.params.has(flags::REQUESTS) {
            return;
        }
        run.request(CLIENT_REQUESTS[index % CLIENT_REQUESTS.len()]);
        if index % 4 == 3 {
            run.barrier();
        }
        if index % 5 == 4 {
            let result = run.session.query_modem_state();
            run.call("query_modem_state", result);
            let result = run.session.query_line_state();
            run.call("query_line_state", result);
        }
    }

    fn handle_event(run: &mut Run<Client>, event: ClientEvent) {
        match event {
            ClientEvent::Reply { id, reply, status } => {
                assert_ne!(
                    reply.kind(),
                    CommandKind::Signature,
                    "a SIGNATURE answer must come as a Signature event, not {event:?}"
                );
                if let Some(waiting) = run.take_answered(id, status, &event) {
                    assert_eq!(
                        reply.kind(),
                        waiting.command.kind(),
                        "{event:?} answers {waiting:?}"
                    );
                }
            }
            ClientEvent::Signature {
                id,
                signature,
                status,
            } => {
                run.record_signature(signature, &event);
                if let Some(waiting) = run.take_answered(id, status, &event) {
                    assert_eq!(
                        waiting.command,
                        Command::Signature,
                        "{event:?} answers {waiting:?}"
                    );
                }
            }
            ClientEvent::Timeout { id, request } => {
                let waiting = take(&mut run.waiting, id, &event);
                assert_eq!(request, waiting.command, "{event:?} for {waiting:?}");
                run.timed_out.push(waiting);
            }
            _ => {}
        }
    }

    fn check_drained(run: &Run<Client>) {
        run.check_pending();
    }

    fn role_state(session: &Session<Client>) -> RoleState {
        RoleState::Client {
            pending_requests: session.pending_requests(),
        }
    }

    fn mirror_event(_session: &mut Session<Client>, event: ClientEvent) {
        if let ClientEvent::PeerViolation(violation) = event {
            assert!(
                !is_malformed(violation),
                "the server transmitted something malformed: its peer reports {event:?}"
            );
        }
    }
}

impl Run<Client> {
    fn request(&mut self, command: Command) {
        let policy = self.config.ack_policy(command.kind());
        let result = self.session.request(self.now, command);
        self.track("request", result, command, policy);
    }

    fn barrier(&mut self) {
        let result = self.session.barrier(self.now);
        self.track(
            "barrier",
            result.map(Some),
            Command::SetBaudRate(0),
            AckPolicy::Lenient,
        );
    }

    /// Checks the outcome of a request sent under `policy` and counts it
    /// as waiting if it returned an id.
    fn track(
        &mut self,
        call: &'static str,
        result: Result<Option<RequestId>, Error>,
        command: Command,
        policy: AckPolicy,
    ) {
        match result {
            Ok(id) => {
                assert_eq!(
                    id.is_some(),
                    policy != AckPolicy::None,
                    "{call}({command}) returned {id:?} under ack policy {policy:?}"
                );
                if let Some(id) = id {
                    assert!(
                        self.waiting.iter().all(|waiting| waiting.id != id),
                        "{call}({command}) reused {id:?}"
                    );
                    self.waiting.push(Waiting { id, command });
                }
            }
            Err(Error::TooManyPendingRequests) => assert!(
                policy != AckPolicy::None && self.waiting.len() == PENDING_REQUEST_CAPACITY,
                "{call}({command}) under ack policy {policy:?}: TooManyPendingRequests \
                 with {} requests waiting",
                self.waiting.len()
            ),
            Err(_) => {}
        }
        self.trace
            .push(Item::Call(call, result.map(|id| id.map(|id| id.0))));
        self.check_pending();
    }

    /// The request an answer names, taken off its list (a `Late` answer's
    /// off the timed-out ones); an answer naming none must be unsolicited.
    fn take_answered(
        &mut self,
        id: Option<RequestId>,
        status: ReplyStatus,
        event: &ClientEvent,
    ) -> Option<Waiting> {
        let Some(id) = id else {
            assert_eq!(status, ReplyStatus::Unsolicited, "{event:?}");
            return None;
        };
        assert_ne!(status, ReplyStatus::Unsolicited, "{event:?}");
        let requests = if status == ReplyStatus::Late {
            &mut self.timed_out
        } else {
            &mut self.waiting
        };
        Some(take(requests, id, event))
    }

    fn check_pending(&self) {
        assert_eq!(
            self.session.pending_requests(),
            self.waiting.len(),
            "pending_requests disagrees with the requests still waiting: {:?}",
            self.waiting
        );
    }
}

impl Steps for Server {
    type Peer = Client;
    const NAME: &'static str = "server";

    fn default_config() -> Config<Server> {
        Config::server()
    }

    fn with_request_timeout(config: Config<Server>, _timeout: Duration) -> Config<Server> {
        config // a server sends no requests
    }

    fn opening(_run: &mut Run<Server>) {}

    fn between_segments(run: &mut Run<Server>, index: usize, segment: &[u8]) {
        if !run.params.has(flags::DEVICE) {
            return;
        }
        let byte = u8::try_from(index % 256).unwrap_or_default();
        let lines = ModemState(byte.wrapping_mul(0x5B) ^ segment.first().copied().unwrap_or(0));
        let result = run.session.handle_modem_lines(lines);
        run.call("handle_modem_lines", result);
        let state = LineState(byte.wrapping_mul(0x3D));
        let result = run.session.handle_line_state(state);
        run.call("handle_line_state", result);
    }

    fn handle_event(run: &mut Run<Server>, event: ServerEvent) {
        match event {
            ServerEvent::Request(command) => run.respond(command),
            ServerEvent::Signature(signature) => run.record_signature(signature, &event),
            _ => {}
        }
    }

    fn check_drained(_run: &Run<Server>) {}

    fn role_state(session: &Session<Server>) -> RoleState {
        RoleState::Server {
            line_state_mask: session.line_state_mask(),
            modem_state_mask: session.modem_state_mask(),
        }
    }

    fn mirror_event(session: &mut Session<Server>, event: ServerEvent) {
        if let ServerEvent::PeerViolation(violation) = event {
            assert!(
                !is_malformed(violation),
                "the client transmitted something malformed: its peer reports {event:?}"
            );
        }
        if let ServerEvent::Request(command) = event {
            assert_eq!(session.respond(command), Ok(()), "mirror respond");
        }
    }
}

impl Run<Server> {
    /// Answers a request at once, as the run loop does: before the
    /// transmit queue is drained. Nothing the peer sends may make this fail.
    fn respond(&mut self, command: Command) {
        let result = self.session.respond(command);
        assert_eq!(
            result,
            Ok(()),
            "respond({command}) failed in the run loop (events drained before transmit)"
        );
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

/// A well-behaved session of role `R` reading what a run of the other role
/// transmits; it must find nothing to complain about.
struct Mirror<R: Steps> {
    session: Session<R>,
    data: [u8; LARGE_DATA_BUFFER],
    transmit: Vec<u8>,
}

impl<R: Steps> Mirror<R> {
    fn new() -> Mirror<R> {
        Mirror {
            session: Session::new(R::default_config(), Instant::ZERO),
            data: [0; LARGE_DATA_BUFFER],
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
                R::mirror_event(&mut self.session, event);
            }
            while self.session.poll_transmit(&mut self.transmit) > 0 {}
        }
    }
}

/// Whether a violation the mirror reports means the fuzzed session sent
/// something malformed. `ComPortNotAgreed` does not: whether COM-PORT is
/// agreed depends on the fuzzed peer's negotiation too, which the mirror
/// never sees (a peer's `DO` after our `WONT` re-enables our side without a
/// word to the mirror). That no com-port command is queued once the option
/// is refused is the session's own check (`Error::ComPortRefused`), tested
/// in `tests/peer_mistakes.rs`.
fn is_malformed(violation: Violation) -> bool {
    !matches!(violation, Violation::ComPortNotAgreed(_))
}

/// Removes the request `id` from `requests`; it must be there.
fn take(requests: &mut Vec<Waiting>, id: RequestId, event: &ClientEvent) -> Waiting {
    let at = requests.iter().position(|request| request.id == id);
    assert!(
        at.is_some(),
        "{event:?} names no such request (among {requests:?})"
    );
    requests.remove(at.unwrap_or_default())
}
