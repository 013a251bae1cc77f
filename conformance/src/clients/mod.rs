//! Our clients against live servers: the blocking client and the mio
//! client, each against ser2net, sredird and pyserial's PortManager, each
//! server serving a pty whose far end plays the equipment.
//!
//! Every scenario ([`scenarios`]) is written once, against [`Client`], and
//! run with both clients. A scenario passes when what it asked for can be
//! seen where it matters: settings in the pty's termios, data byte-exact
//! at the other end. A client error fails it with the error's text,
//! verbatim.
//!
//! One server per pairing; its scenarios share one client connection
//! ([`leg`]), which is opened again after a scenario failed (it may have
//! left the connection broken or clogged). Every wait is bounded: by the
//! clients' answer timeouts, their read and write timeouts, and
//! [`device::STALL`] for transfers that stop making progress.

mod blocking_client;
mod leg;
mod mio_client;
mod modem_poll;
mod scenarios;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rfc2217_client::Error;
use rfc2217_proto::{Command, Purge};

use crate::device;
use crate::peers::{RunningServer, Server, StartError};
use crate::verdict::{Cell, Outcome, Part, LIVE_SCENARIOS};
use blocking_client::BlockingClient;
use leg::Leg;
use mio_client::MioClient;

/// The baud rate every client opens with.
const BAUD: u32 = 115_200;
/// `poll_modem`'s maximum age of the cached modem state.
const POLL_MAX_AGE: Duration = Duration::from_millis(200);
/// How long the `poll_modem` client waits for answers (a poll that is
/// never answered costs this much).
const POLL_ANSWER_TIMEOUT: Duration = Duration::from_secs(1);

/// Our blocking and mio clients against each live server; one Cell per
/// (scenario, client/server).
pub(crate) fn run() -> Vec<Cell> {
    let mut cells = Vec::new();
    for server in Server::ALL {
        cells.extend(run_leg::<BlockingClient>(server));
        cells.extend(run_leg::<MioClient>(server));
    }
    cells
}

/// Every scenario for client `C` against a fresh `server`.
fn run_leg<C: Client>(server: Server) -> Vec<Cell> {
    let peer = format!("{}/{}", C::NAME, server.name());
    let every = |outcome: Outcome| {
        LIVE_SCENARIOS
            .iter()
            .map(|scenario| Cell::new(Part::Live, scenario, &peer, outcome.clone()))
            .collect()
    };
    let running = match RunningServer::start(server) {
        Ok(running) => running,
        Err(error @ StartError::Missing(_)) => return every(Outcome::Missing(error.to_string())),
        Err(error @ StartError::Failed(_)) => return every(Outcome::Fail(error.to_string())),
    };
    let mut leg = match Leg::<C>::new(&running) {
        Ok(leg) => leg,
        Err(error) => return every(Outcome::Fail(error)),
    };
    let mut cells = Vec::new();
    for (scenario, body) in scenarios::all::<C>() {
        let result = body(&mut leg);
        if result.is_err() {
            // It may have left the connection broken or clogged.
            leg.client = None;
        }
        leg.drain_far_end(scenario.starts_with("data-"));
        let mut cell = Cell::new(Part::Live, scenario, &peer, Outcome::from_result(result));
        (cell.observations, cell.timings) = leg.take_notes();
        cells.push(cell);
    }
    // The client leaves before the server stops.
    drop(leg);
    drop(running);
    cells
}

/// How a client is opened.
#[derive(Clone, Copy, Debug, Default)]
struct Open {
    /// Leave the port's settings, DTR and RTS as they are (only the masks
    /// and the signature request go out): for a server the default open
    /// fails on, so that the other scenarios can still run.
    keep_settings: bool,
    /// Ask for the modem lines when the cached state is older than
    /// [`POLL_MAX_AGE`], answers awaited [`POLL_ANSWER_TIMEOUT`].
    poll_modem: bool,
}

/// What a scenario needs of a client. Every call returns within the
/// client's timeouts; errors are our clients' own texts.
trait Client: Sized {
    /// The client's half of a cell's peer, e.g. `blocking-client`.
    const NAME: &'static str;

    /// Opens the port at `address` at [`BAUD`] 8N1 with DTR and RTS on
    /// (unless `how` says otherwise) and waits until it is open.
    fn open(address: SocketAddr, how: Open) -> Result<Self, Error>;

    /// Sends a request and returns the value the server says is in use.
    fn request(&mut self, command: Command) -> Result<Command, String>;

    /// Empties the server's buffers (and, for receive, ours).
    fn purge(&mut self, purge: Purge) -> Result<(), String>;

    /// CTS, DSR, RI and CD, as a program reads them.
    fn modem_lines(&mut self) -> Result<[bool; 4], String>;

    /// With `poll_modem`: reads the modem lines as a program would until
    /// a state recorded after the cached one went stale came (the answer
    /// to the client's poll, made by its timer or by the read), or every
    /// poll has had its answer timeout; whether one came.
    fn polled_modem_state(&mut self) -> Result<bool, String>;

    /// The server's signature, waiting up to `wait` for it.
    fn signature(&mut self, wait: Duration) -> Result<Option<Vec<u8>>, String>;

    /// Writes all of `data`; fails if the port takes nothing for
    /// [`device::STALL`].
    fn write(&mut self, data: &[u8]) -> Result<(), String>;

    /// Reads until `len` bytes came or nothing came for [`device::STALL`];
    /// returns what came and, if it ended early for a reason other than
    /// the stall, why.
    fn read(&mut self, len: usize) -> (Vec<u8>, Option<String>);
}

/// What one read gave the loop of [`read_until_stalled`].
enum Chunk {
    /// This many bytes, now at the start of the buffer.
    Bytes(usize),
    /// Nothing yet: try again.
    Nothing,
    /// The end, and why.
    End(String),
}

/// The read loop both clients share: calls `read_some` until `len` bytes
/// came or nothing came for [`device::STALL`]; returns what came and why
/// it ended early, if it did for another reason than the stall.
fn read_until_stalled(
    len: usize,
    mut read_some: impl FnMut(&mut [u8]) -> Chunk,
) -> (Vec<u8>, Option<String>) {
    let mut received = Vec::with_capacity(len);
    let mut buffer = vec![0; 64 * 1024];
    let mut last_progress = Instant::now();
    while received.len() < len && last_progress.elapsed() < device::STALL {
        let want = buffer.len().min(len - received.len());
        match read_some(&mut buffer[..want]) {
            Chunk::Bytes(n) => {
                received.extend_from_slice(&buffer[..n]);
                last_progress = Instant::now();
            }
            Chunk::Nothing => {}
            Chunk::End(reason) => return (received, Some(reason)),
        }
    }
    (received, None)
}
