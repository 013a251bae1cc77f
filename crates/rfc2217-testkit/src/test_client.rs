//! A test client built from the core's client `Session` over a
//! `TcpStream`, running the documented loop (after each input, drain all
//! events, then transmit). Every wait is bounded: a test fails with a
//! message instead of hanging.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::PATIENCE;
use rfc2217_proto::{
    Client, ClientEvent, Command, Config, Instant, RequestId, Session, Signature,
    TRANSMIT_QUEUE_CAPACITY,
};
use rfc2217_server::BUSY_MESSAGE;

/// A client session over a socket.
pub struct TestClient {
    /// The connection, with a short read timeout (see [`pump`](Self::pump)).
    pub stream: TcpStream,
    /// The client's session.
    pub session: Session<Client>,
    epoch: std::time::Instant,
    /// Data received and not yet taken.
    pub data: Vec<u8>,
    /// Events received and not yet taken.
    pub events: Vec<ClientEvent>,
    /// The server closed the connection (or reset it).
    pub closed: bool,
}

impl TestClient {
    /// Connects and sends the opening negotiation.
    pub fn connect(addr: SocketAddr) -> TestClient {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_millis(5)))
            .unwrap();
        stream.set_nodelay(true).unwrap();
        let config = Config::client().with_request_timeout(PATIENCE);
        let mut client = TestClient {
            stream,
            session: Session::new(config, Instant::ZERO),
            epoch: std::time::Instant::now(),
            data: Vec::new(),
            events: Vec::new(),
            closed: false,
        };
        client.transmit();
        client
    }

    /// Connects and waits until COM-PORT-OPTION is agreed and data flows.
    pub fn ready(addr: SocketAddr) -> TestClient {
        let mut client = TestClient::connect(addr);
        client.wait_until("COM-PORT active and ready for data", |c| {
            c.session.is_com_port_active() && c.session.is_ready_for_data()
        });
        client
    }

    /// As [`ready`](Self::ready), but a refusal because the device is busy
    /// is tried again (within [`PATIENCE`]): for a newcomer right after a
    /// client that left without the server having seen it go yet (its
    /// close may still wait behind input the server has not read).
    pub fn ready_once_free(addr: SocketAddr) -> TestClient {
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            let mut client = TestClient::connect(addr);
            client.wait_until("COM-PORT active, or a refusal", |c| {
                (c.session.is_com_port_active() && c.session.is_ready_for_data()) || c.closed
            });
            let refused = client.closed && client.data.starts_with(BUSY_MESSAGE.as_bytes());
            if !refused {
                return client;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the device stayed busy for {PATIENCE:?}"
            );
        }
    }

    /// The session's clock: time since the connection began.
    pub fn now(&self) -> Instant {
        Instant::from_micros(self.epoch.elapsed().as_micros() as u64)
    }

    /// Sends what the session has queued.
    pub fn transmit(&mut self) {
        let mut out = [0u8; TRANSMIT_QUEUE_CAPACITY];
        loop {
            let n = self.session.poll_transmit(&mut out);
            if n == 0 {
                break;
            }
            if self.stream.write_all(&out[..n]).is_err() {
                self.closed = true;
                break;
            }
        }
    }

    /// One read from the socket (waiting at most a few milliseconds), fed
    /// through the session; then timers and the transmit queue.
    pub fn pump(&mut self) {
        let mut wire = [0u8; 16 * 1024];
        let n = if self.closed {
            0
        } else {
            match self.stream.read(&mut wire) {
                Ok(0) => {
                    self.closed = true;
                    0
                }
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    0
                }
                Err(_) => {
                    self.closed = true;
                    0
                }
            }
        };
        let mut input = &wire[..n];
        let mut buf = [0u8; 16 * 1024];
        loop {
            let now = self.now();
            let received = self.session.handle_input(now, input, &mut buf);
            input = &input[received.consumed..];
            self.data.extend_from_slice(&buf[..received.data_len]);
            while let Some(event) = self.session.poll_event() {
                self.events.push(event);
            }
            self.transmit();
            if input.is_empty() {
                break;
            }
        }
        let now = self.now();
        if self.session.poll_timeout().is_some_and(|at| at <= now) {
            self.session.handle_timeout(now);
            while let Some(event) = self.session.poll_event() {
                self.events.push(event);
            }
            self.transmit();
        }
    }

    /// Pumps until `done` holds; panics after [`PATIENCE`].
    pub fn wait_until(&mut self, what: &str, mut done: impl FnMut(&mut TestClient) -> bool) {
        let deadline = std::time::Instant::now() + PATIENCE;
        while !done(self) {
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for {what}; events so far: {:?}",
                self.events
            );
            self.pump();
        }
    }

    /// Sends a request; its id if its answer is awaited (by the default
    /// ack policies: not for the masks).
    pub fn send_request(&mut self, command: Command) -> Option<RequestId> {
        let id = self.session.request(self.now(), command).expect("request");
        self.transmit();
        id
    }

    /// Sends a request whose answer is awaited.
    pub fn request(&mut self, command: Command) -> RequestId {
        self.send_request(command)
            .unwrap_or_else(|| panic!("{command} is not awaited"))
    }

    /// Waits for the reply to request `id` and returns the value in it.
    pub fn reply(&mut self, id: RequestId) -> Command {
        match self.take_event("a reply", |e| match e {
            ClientEvent::Reply { id: Some(got), .. } => *got == id,
            ClientEvent::Timeout { id: got, .. } => *got == id,
            _ => false,
        }) {
            ClientEvent::Reply { reply, .. } => reply,
            other => panic!("no reply to {id:?}: {other:?}"),
        }
    }

    /// Waits for the answer to the SIGNATURE request `id` and returns the
    /// server's signature.
    pub fn signature(&mut self, id: RequestId) -> Signature {
        match self.take_event("the signature", |e| match e {
            ClientEvent::Signature { id: Some(got), .. } => *got == id,
            ClientEvent::Timeout { id: got, .. } => *got == id,
            _ => false,
        }) {
            ClientEvent::Signature { signature, .. } => signature,
            other => panic!("no signature for {id:?}: {other:?}"),
        }
    }

    /// Sends a request and waits for its reply.
    pub fn ask(&mut self, command: Command) -> Command {
        let id = self.request(command);
        self.reply(id)
    }

    /// Takes the first event that `matches`, waiting for it.
    pub fn take_event(
        &mut self,
        what: &str,
        matches: impl Fn(&ClientEvent) -> bool,
    ) -> ClientEvent {
        let mut found = None;
        self.wait_until(what, |c| {
            if let Some(at) = c.events.iter().position(&matches) {
                found = Some(c.events.remove(at));
            }
            found.is_some()
        });
        found.unwrap()
    }

    /// Sends all of `data`, escaped, waiting while the session holds data
    /// back (and reading meanwhile).
    pub fn send(&mut self, mut data: &[u8]) {
        let mut out = [0u8; 32 * 1024];
        let deadline = std::time::Instant::now() + PATIENCE;
        while !data.is_empty() {
            let encoded = self.session.encode_data(data, &mut out);
            data = &data[encoded.consumed..];
            if encoded.written > 0 {
                self.stream
                    .write_all(&out[..encoded.written])
                    .expect("send data");
            }
            if encoded.consumed == 0 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the session held data back too long"
                );
                self.pump();
            }
        }
    }

    /// Waits for `n` bytes of data and takes them.
    pub fn take_data(&mut self, n: usize) -> Vec<u8> {
        self.wait_until(&format!("{n} bytes of data"), |c| c.data.len() >= n);
        self.data.drain(..n).collect()
    }

    /// Waits until the server closes the connection.
    pub fn wait_closed(&mut self) {
        self.wait_until("the server to close the connection", |c| c.closed);
    }
}

/// Reads a refused connection to its end: the server's line.
pub fn read_refusal(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut text = Vec::new();
    let _ = stream.read_to_end(&mut text);
    String::from_utf8_lossy(&text).into_owned()
}
