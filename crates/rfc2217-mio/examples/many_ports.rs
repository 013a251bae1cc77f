//! Several remote ports driven from one `mio` loop on one thread: each is
//! opened at its own baud rate, raises DTR, writes a line and reads back
//! what comes; modem line changes are printed as the servers report them.
//!
//! ```text
//! cargo run -p rfc2217-mio --example many_ports -- rfc2217://lab-1:2217 rfc2217://lab-2:2217?timeout=5
//! ```
//!
//! Without URLs it serves three `loop://` devices itself (the mio server, on
//! a thread of its own) and uses those, so every line comes back.

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use mio::{Events, Poll, Token};
use rfc2217_mio::{OpenOptions, OpenOptionsExt, PortEvent, RemotePort, Server, ServerConfig};

/// How long the example waits for every line to come back.
const RUN_TIME: Duration = Duration::from_secs(10);

/// One port and what it has to do.
struct Job {
    port: RemotePort,
    line: Vec<u8>,
    written: usize,
    received: Vec<u8>,
}

impl Job {
    /// The port's line came back, or the port is gone.
    fn is_done(&self) -> bool {
        self.port.is_closed() || self.received.len() >= self.line.len()
    }

    /// What the loop does for the port on each turn, after handing it its
    /// events and the time: drain its events, then move data.
    fn turn(&mut self) -> std::io::Result<()> {
        let name = self.port.name().to_owned();
        while let Some(event) = self.port.poll_event() {
            match event {
                PortEvent::Opened => {
                    println!("{name}: open at {:?} baud", self.port.state().baud_rate);
                    // A failure here is reported as the answer's error.
                    let _ = self.port.set_dtr_rts(true, false);
                }
                PortEvent::OpenFailed(error) => println!("{name}: cannot open: {error}"),
                PortEvent::Answer {
                    result: Err(error), ..
                } => println!("{name}: {error}"),
                PortEvent::Answer { .. } => {}
                PortEvent::ModemState(lines) => println!("{name}: modem lines {lines}"),
                PortEvent::LineState(state) => println!("{name}: line state {state}"),
                PortEvent::Suspended | PortEvent::Resumed => println!("{name}: {event:?}"),
                PortEvent::Closed(reason) => println!("{name}: closed: {reason}"),
            }
        }
        if !self.port.is_open() {
            return Ok(());
        }
        match self.port.write(&self.line[self.written..]) {
            Ok(n) => self.written += n,
            Err(error) if error.kind() == ErrorKind::WouldBlock => {}
            Err(error) => return Err(error),
        }
        let mut buffer = [0u8; 1024];
        loop {
            match self.port.read(&mut buffer) {
                Ok(0) => return Ok(()),
                Ok(n) => self.received.extend_from_slice(&buffer[..n]),
                Err(error) if error.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(error) => return Err(error),
            }
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    env_logger::init();
    let mut urls: Vec<String> = std::env::args().skip(1).collect();
    let _server = if urls.is_empty() {
        let mut server = Server::new()?;
        for _ in 0..3 {
            let addr = server.add_device("127.0.0.1:0", ServerConfig::loopback())?;
            urls.push(format!("rfc2217://{addr}"));
        }
        Some(server.spawn()?)
    } else {
        None
    };

    // Every port gets the token of its place in `jobs`; a program's own
    // sockets would take tokens after them.
    let mut poll = Poll::new()?;
    let mut jobs = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let baud_rate = 9600 << i.min(4);
        let mut port = OpenOptions::from_url(url)?.baud_rate(baud_rate).connect()?;
        port.register(poll.registry(), Token(i))?;
        let line = format!("hello from port {i}\r\n").into_bytes();
        jobs.push(Job {
            port,
            line,
            written: 0,
            received: Vec::new(),
        });
    }

    let deadline = Instant::now() + RUN_TIME;
    let mut events = Events::with_capacity(64);
    while !jobs.iter().all(Job::is_done) && Instant::now() < deadline {
        // Sleep until a socket is ready or the earliest port deadline.
        let now = Instant::now();
        let wake = jobs
            .iter()
            .filter_map(|job| job.port.poll_timeout())
            .fold(deadline, Instant::min);
        poll.poll(&mut events, Some(wake.saturating_duration_since(now)))?;
        for event in &events {
            jobs[event.token().0].port.handle_event(event);
        }
        let now = Instant::now();
        for job in &mut jobs {
            job.port.handle_timeout(now);
            job.turn()?;
            // The port's interest follows what it just did.
            job.port.reregister(poll.registry())?;
        }
    }

    for job in &mut jobs {
        let received = String::from_utf8_lossy(&job.received);
        println!("{}: received {received:?}", job.port.name());
        job.port.deregister(poll.registry())?;
    }
    Ok(())
}
