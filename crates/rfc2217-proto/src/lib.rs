//! Telnet Com Port Control (RFC 2217) as a sans-IO state machine, for both
//! the client and the access server.
//!
//! The crate is deterministic and does no I/O: bytes from the wire and the
//! current time go in, events, outbound bytes and the next deadline come
//! out. It is `no_std`, allocates nothing, has no dependencies and no
//! `unsafe`, and no input from a peer can make it panic or grow.
//!
//! # The run loop
//!
//! Every driver (threads, `mio`, an embedded main loop) follows one rule:
//! **after each input or command, drain every output before the next one**:
//! events, then the transmit queue, then the next timeout. Here a client and
//! an access server run against each other over in-memory "sockets"; a real
//! driver reads and writes a `TcpStream` in the same places.
//!
//! ```
//! use rfc2217_proto::{
//!     ClientEvent, Command, Config, Instant, Role, ServerEvent, Session, TRANSMIT_QUEUE_CAPACITY,
//! };
//!
//! /// One turn of the loop: feed `wire` (bytes from the peer) to `session`,
//! /// deliver its data to `sink`, hand each event to `on_event`, then send
//! /// queued commands and as much of `outgoing` as the session takes.
//! fn turn<R: Role>(
//!     session: &mut Session<R>,
//!     now: Instant,
//!     mut wire: &[u8],
//!     sink: &mut Vec<u8>,
//!     outgoing: &mut &[u8],
//!     send: &mut Vec<u8>,
//!     on_event: &mut dyn FnMut(&mut Session<R>, R::Event),
//! ) {
//!     let mut data = [0u8; 1024];
//!     let mut out = [0u8; TRANSMIT_QUEUE_CAPACITY];
//!     loop {
//!         let received = session.handle_input(now, wire, &mut data);
//!         wire = &wire[received.consumed..];
//!         sink.extend_from_slice(&data[..received.data_len]);
//!         while let Some(event) = session.poll_event() {
//!             on_event(session, event);
//!         }
//!         let n = session.poll_transmit(&mut out);
//!         send.extend_from_slice(&out[..n]);
//!         if wire.is_empty() {
//!             break;
//!         }
//!     }
//!     let encoded = session.encode_data(outgoing, &mut out);
//!     *outgoing = &outgoing[encoded.consumed..];
//!     send.extend_from_slice(&out[..encoded.written]);
//!     if session.poll_timeout().is_some_and(|deadline| deadline <= now) {
//!         session.handle_timeout(now);
//!     }
//! }
//!
//! let now = Instant::ZERO;
//! let mut client = Session::new(Config::client(), now);
//! let mut server = Session::new(Config::server(), now);
//!
//! // The client pipelines its request; the server's application applies it
//! // and answers with the value in use, inside its event loop.
//! let id = client.request(now, Command::SetBaudRate(115_200)).unwrap();
//! let (mut to_server, mut to_client) = (Vec::new(), Vec::new());
//! let (mut device, mut screen) = (Vec::new(), Vec::new());
//! let mut typed: &[u8] = b"AT\r\xff"; // 0xFF is escaped on the wire
//! let mut confirmed = false;
//! for _ in 0..4 {
//!     let wire = std::mem::take(&mut to_client);
//!     turn(&mut client, now, &wire, &mut screen, &mut typed, &mut to_server, &mut |_, event| {
//!         if let ClientEvent::Reply { id: done, .. } = event {
//!             confirmed |= done == id;
//!         }
//!     });
//!     let wire = std::mem::take(&mut to_server);
//!     turn(&mut server, now, &wire, &mut device, &mut &[][..], &mut to_client, &mut |server, event| {
//!         if let ServerEvent::Request(Command::SetBaudRate(rate)) = event {
//!             // ... apply `rate` to the serial port, then:
//!             server.respond(Command::SetBaudRate(rate)).unwrap();
//!         }
//!     });
//! }
//! assert!(confirmed && client.is_com_port_active());
//! assert_eq!(device, b"AT\r\xff");
//! ```
//!
//! # A type per role
//!
//! `Session<Client>` and `Session<Server>` share one engine; each role's
//! calls exist only on its type, so a client cannot answer a request by
//! mistake:
//!
//! ```compile_fail
//! use rfc2217_proto::{Command, Config, Instant, Session};
//! let mut client = Session::new(Config::client(), Instant::ZERO);
//! client.respond(Command::SetBaudRate(9600)); // only `Session<Server>` has it
//! ```
//!
//! # Invariants
//!
//! * **Split invariance**: feeding the input in any split into reads gives
//!   the same data, events and transmitted bytes as one read, for an
//!   application that answers a server's requests inside its event loop (a
//!   server session reads no further input until it has, so answers leave
//!   in request order).
//! * **Bounded memory**: [`Session`] has a fixed size (see the benchmark);
//!   when a queue is full the session stops consuming input instead of
//!   growing, and the caller's next drain lets it go on. No byte is dropped.
//! * **No panics** on any peer input: malformed input becomes a
//!   `PeerViolation` event ([`Violation`]) and the session carries on.
//! * **No clock**: time is passed in as [`Instant`].
//!
//! # Layers
//!
//! Telnet framing (decoding and escaping), RFC 1143 option negotiation, the
//! RFC 2217 codec ([`Command`] and its typed values), and the [`Session`]
//! that ties them together with request matching, timers and flow control;
//! its role parameter ([`Client`] or [`Server`]) holds what only that role
//! needs.

#![no_std]
#![forbid(unsafe_code)]
// Peer input must never panic: no unwrap, expect or panic in the library.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod comport;
mod decode;
mod encode;
mod error;
mod event;
mod negotiation;
mod scan;
mod session;
mod signature;
mod telnet;
mod time;

pub use comport::{
    Command, CommandKind, Control, ControlGroup, DataSize, LineState, ModemState, Parity, Purge,
    StopSize, COM_PORT_OPTION, SERVER_OFFSET,
};
pub use decode::SUBNEGOTIATION_CAPACITY;
pub use error::Error;
pub use event::{
    ClientEvent, ComPortState, ReplyStatus, RequestId, ServerEvent, Unavailable, Violation,
};
pub use session::{
    AckPolicy, Client, Config, Encoded, Received, Role, Server, Session, PENDING_REQUEST_CAPACITY,
    TRANSMIT_QUEUE_CAPACITY,
};
pub use signature::{Signature, SIGNATURE_CAPACITY};
pub use telnet::{Side, TelnetCommand, TelnetOption};
pub use time::Instant;
