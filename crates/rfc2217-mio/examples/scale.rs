//! Scale harness for the mio server: many concurrent client sessions on
//! loopback against `loop://` devices, then the server's resident memory
//! per session and the aggregate echo throughput.
//!
//! ```sh
//! cargo run --release -p rfc2217-mio --example scale -- --sessions 1000
//! ```
//!
//! Options: `--sessions N` (default 1000), `--bytes B` echoed per session
//! (default 262144), `--ff-percent P` more 0xFF bytes in the payload than
//! the one in 256 of random bytes (default 0), `--poll-ms MS` modem poll
//! interval of the server's devices (default 1000).
//!
//! The server runs in a child process (this program with `--serve`), so
//! its resident memory is its own: one `loop://` device per session (a device
//! serves one client at a time), all on one thread. The parent raises its
//! file-descriptor limit to the hard limit, as does the child, and caps the
//! session count to what the limit allows (the server needs a listener and
//! a connection per session). The parent then opens every session at once
//! from one mio thread (each a core client `Session`, negotiated until data
//! flows), reads the child's RSS, echoes `B` bytes per session with at
//! most 16 KiB in flight per session, checks every byte, and reads the RSS
//! again. Everything is on 127.0.0.1; every wait
//! is bounded.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use rfc2217_mio::{Server, ServerConfig};
use rfc2217_proto::{
    self as proto, Client as ClientRole, Config, Session, TRANSMIT_QUEUE_CAPACITY,
};

/// Payload bytes a session has sent and not yet seen echoed, at most.
const WINDOW: usize = 16 * 1024;
/// Bytes read or encoded at once.
const CHUNK: usize = 16 * 1024;
/// File descriptors kept for everything but sessions.
const SPARE_FDS: u64 = 64;
/// How long each phase may take.
const PHASE_LIMIT: Duration = Duration::from_secs(300);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |flag: &str, default: u64| -> Result<u64, Box<dyn std::error::Error>> {
        match args.iter().position(|a| a == flag) {
            Some(at) => Ok(args.get(at + 1).ok_or("missing value")?.parse()?),
            None => Ok(default),
        }
    };
    let poll_ms = number("--poll-ms", 1000)?;
    if args.iter().any(|a| a == "--serve") {
        return serve(number("--serve", 0)? as usize, poll_ms);
    }
    let limit = raise_fd_limit();
    let wanted = number("--sessions", 1000)?;
    let sessions = wanted.min(limit.saturating_sub(SPARE_FDS) / 2) as usize;
    if sessions < wanted as usize {
        println!("sessions: {wanted} asked, {sessions} fit in the file-descriptor limit {limit}");
    }
    let bytes = number("--bytes", 256 * 1024)? as usize;
    let ff_percent = number("--ff-percent", 0)?.min(100) as u32;
    run(sessions, bytes, ff_percent, poll_ms)
}

/// Raises the soft limit on open files to the hard one; returns the limit.
#[cfg(unix)]
fn raise_fd_limit() -> u64 {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return 1024;
    };
    if setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        hard
    } else {
        soft
    }
}

#[cfg(not(unix))]
fn raise_fd_limit() -> u64 {
    512
}

/// The child: a server with `devices` loop:// devices; prints their addresses,
/// serves until its stdin closes, then prints its counters.
fn serve(devices: usize, poll_ms: u64) -> Result<(), Box<dyn std::error::Error>> {
    raise_fd_limit();
    let config = ServerConfig::loopback().with_modem_poll_interval(Duration::from_millis(poll_ms));
    let mut server = Server::new()?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    for _ in 0..devices {
        writeln!(out, "{}", server.add_device("127.0.0.1:0", config.clone())?)?;
    }
    writeln!(out, "ready")?;
    out.flush()?;
    let running = server.spawn()?;
    // The parent closes our stdin when it is done (or dies).
    io::copy(&mut io::stdin(), &mut io::sink())?;
    let stats = running.stats();
    running.shutdown()?;
    writeln!(out, "server stats: {stats:?}")?;
    Ok(())
}

fn run(
    sessions: usize,
    bytes: usize,
    ff_percent: u32,
    poll_ms: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    println!("starting a server with {sessions} loop:// devices (modem poll {poll_ms} ms)");
    let mut child = Command::new(std::env::current_exe()?)
        .args([
            "--serve",
            &sessions.to_string(),
            "--poll-ms",
            &poll_ms.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let addrs = read_addrs(&mut lines)?;
    let idle_rss = rss_kib(&child)?;
    println!("server RSS with {sessions} devices and no client: {idle_rss} KiB");

    let mut clients = Clients::connect(&addrs)?;
    let started = Instant::now();
    clients.drive("every session to negotiate", |c| c.all_ready())?;
    let connected_rss = rss_kib(&child)?;
    println!(
        "{sessions} sessions negotiated in {:.2} s; server RSS {connected_rss} KiB, {:.1} KiB per session",
        started.elapsed().as_secs_f64(),
        per_session(connected_rss, idle_rss, sessions),
    );

    clients.bytes = bytes;
    clients.payload = Payload::new(ff_percent);
    let started = Instant::now();
    clients.drive("every echo", |c| c.all_echoed())?;
    let elapsed = started.elapsed().as_secs_f64();
    let total = (sessions * bytes) as f64 / (1024.0 * 1024.0);
    let echoed_rss = rss_kib(&child)?;
    println!(
        "echoed {total:.0} MiB ({bytes} bytes per session, {ff_percent}% extra 0xFF, byte-exact) in {elapsed:.2} s: {:.1} MiB/s aggregate",
        total / elapsed
    );
    println!(
        "server RSS after the echo: {echoed_rss} KiB, {:.1} KiB per session",
        per_session(echoed_rss, idle_rss, sessions)
    );
    // The server reports its counters with every session still connected,
    // then closes them as it shuts down.
    finish(child, lines)?;
    drop(clients);
    Ok(())
}

fn read_addrs(
    lines: &mut BufReader<ChildStdout>,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error>> {
    let mut addrs = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Err("the server ended before it was ready".into());
        }
        match line.trim() {
            "ready" => return Ok(addrs),
            addr => addrs.push(addr.parse()?),
        }
    }
}

/// Closes the child's stdin, waits for it and prints what it said last.
fn finish(
    mut child: Child,
    mut lines: BufReader<ChildStdout>,
) -> Result<(), Box<dyn std::error::Error>> {
    drop(child.stdin.take());
    let mut rest = String::new();
    lines.read_to_string(&mut rest)?;
    print!("{rest}");
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("the server exited with {status}").into());
    }
    Ok(())
}

/// The resident memory of `child`, from /proc.
fn rss_kib(child: &Child) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()))?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"));
    let kib = line.and_then(|l| l.split_whitespace().nth(1)?.parse().ok());
    kib.ok_or_else(|| io::Error::other("no VmRSS"))
}

fn per_session(rss: u64, baseline: u64, sessions: usize) -> f64 {
    rss.saturating_sub(baseline) as f64 / sessions.max(1) as f64
}

/// What the sessions echo: a block of random bytes repeated, each session
/// starting at its own place in it, so that making and checking data are
/// copies and comparisons rather than work per byte.
struct Payload {
    /// [`PERIOD`] bytes, then the first [`CHUNK`] again, so that any
    /// chunk starting in the period is one slice.
    block: Vec<u8>,
}

const PERIOD: usize = 64 * 1024 - 1;

impl Payload {
    /// Random bytes (one in 256 is 0xFF) with `ff_percent` percent more
    /// 0xFF.
    fn new(ff_percent: u32) -> Payload {
        let extra_ff = ff_percent * 65536 / 100;
        let byte = |i: usize| {
            let x = (i as u32).wrapping_mul(0x9E37_79B1).rotate_left(7) ^ 0x5bd1_e995;
            let x = x.wrapping_mul(0x85EB_CA6B);
            if x & 0xFFFF < extra_ff {
                0xFF
            } else {
                (x >> 24) as u8
            }
        };
        let mut block: Vec<u8> = (0..PERIOD).map(byte).collect();
        block.extend_from_within(..CHUNK);
        Payload { block }
    }

    /// Session `n`'s `len` bytes (at most [`CHUNK`]) from `offset`.
    fn at(&self, n: usize, offset: usize, len: usize) -> &[u8] {
        let start = (offset + n * 4099) % PERIOD;
        &self.block[start..start + len]
    }
}

/// One client session over a non-blocking socket.
struct Client {
    stream: TcpStream,
    session: Session<ClientRole>,
    /// Wire bytes the socket did not take yet.
    out: Vec<u8>,
    sent: usize,
    echoed: usize,
}

/// Every session, driven from one `mio::Poll`.
struct Clients {
    poll: Poll,
    clients: Vec<Client>,
    epoch: Instant,
    /// Bytes each session echoes (0 while only negotiating).
    bytes: usize,
    payload: Payload,
}

impl Clients {
    fn connect(addrs: &[SocketAddr]) -> io::Result<Clients> {
        let poll = Poll::new()?;
        let config = Config::client().with_negotiation_timeout(PHASE_LIMIT);
        let mut clients = Vec::with_capacity(addrs.len());
        for (n, addr) in addrs.iter().enumerate() {
            let mut stream = TcpStream::connect(*addr)?;
            stream.set_nodelay(true)?;
            let interest = Interest::READABLE | Interest::WRITABLE;
            poll.registry().register(&mut stream, Token(n), interest)?;
            clients.push(Client {
                stream,
                session: Session::new(config.clone(), proto::Instant::ZERO),
                out: Vec::new(),
                sent: 0,
                echoed: 0,
            });
        }
        Ok(Clients {
            poll,
            clients,
            epoch: Instant::now(),
            bytes: 0,
            payload: Payload::new(0),
        })
    }

    fn all_ready(&self) -> bool {
        let ready = |c: &Client| c.session.is_com_port_active() && c.session.is_ready_for_data();
        self.clients.iter().all(ready)
    }

    fn all_echoed(&self) -> bool {
        self.clients.iter().all(|c| c.echoed >= self.bytes)
    }

    /// Runs every session until `done`; fails after [`PHASE_LIMIT`].
    fn drive(&mut self, what: &str, done: impl Fn(&Clients) -> bool) -> io::Result<()> {
        let deadline = Instant::now() + PHASE_LIMIT;
        let mut events = Events::with_capacity(1024);
        let mut buffers = Buffers::default();
        // Every session starts (sends its opening, or its first data).
        for n in 0..self.clients.len() {
            self.turn(n, &mut buffers)?;
        }
        while !done(self) {
            if Instant::now() > deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("waiting for {what}"),
                ));
            }
            self.poll
                .poll(&mut events, Some(Duration::from_millis(100)))?;
            for event in events.iter() {
                self.turn(event.token().0, &mut buffers)?;
            }
        }
        Ok(())
    }

    /// One turn of the core's loop for session `n`: read, decode, check
    /// the echo, send queued commands and more data, write.
    fn turn(&mut self, n: usize, buffers: &mut Buffers) -> io::Result<()> {
        let now = proto::Instant::from_micros(self.epoch.elapsed().as_micros() as u64);
        let (bytes, payload) = (self.bytes, &self.payload);
        let client = &mut self.clients[n];
        loop {
            let got = match client.stream.read(&mut buffers.wire) {
                Ok(0) => return Err(io::Error::other(format!("session {n}: the server closed"))),
                Ok(got) => got,
                Err(e) if not_ready(&e) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let mut input = &buffers.wire[..got];
            while !input.is_empty() {
                let received = client.session.handle_input(now, input, &mut buffers.data);
                input = &input[received.consumed..];
                let echo = &buffers.data[..received.data_len];
                if echo != payload.at(n, client.echoed, echo.len()) {
                    let at = client.echoed;
                    return Err(io::Error::other(format!(
                        "session {n}: the echo from byte {at} differs"
                    )));
                }
                client.echoed += received.data_len;
                while client.session.poll_event().is_some() {}
                let queued = client.session.poll_transmit(&mut buffers.out);
                client.out.extend_from_slice(&buffers.out[..queued]);
            }
        }
        if client.session.poll_timeout().is_some_and(|at| at <= now) {
            client.session.handle_timeout(now);
            while client.session.poll_event().is_some() {}
        }
        // Data goes out in chunks, once half the window came back: topping
        // the window up with every small echo would send tiny segments.
        let in_flight = client.sent - client.echoed.min(client.sent);
        let want = if in_flight <= WINDOW / 2 {
            (bytes - client.sent.min(bytes))
                .min(WINDOW - in_flight)
                .min(CHUNK)
        } else {
            0
        };
        let data = payload.at(n, client.sent, want);
        let encoded = client.session.encode_data(data, &mut buffers.out);
        client.sent += encoded.consumed;
        client
            .out
            .extend_from_slice(&buffers.out[..encoded.written]);
        while !client.out.is_empty() {
            match client.stream.write(&client.out) {
                Ok(written) => drop(client.out.drain(..written)),
                Err(e) if not_ready(&e) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// Buffers the sessions share.
struct Buffers {
    wire: Vec<u8>,
    data: Box<[u8; CHUNK]>,
    out: Vec<u8>,
}

impl Default for Buffers {
    fn default() -> Self {
        Buffers {
            wire: vec![0; CHUNK],
            data: Box::new([0; CHUNK]),
            out: vec![0; 2 * CHUNK + TRANSMIT_QUEUE_CAPACITY],
        }
    }
}

/// A socket that cannot read or write yet: connecting, or nothing to do
/// now. An event comes when it can.
fn not_ready(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::NotConnected
    )
}
