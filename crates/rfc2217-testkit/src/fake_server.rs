//! Scripted fake servers built from the core's server session, for what a
//! real server will not do on demand: refuse, stay silent, answer wrongly,
//! suspend the client, vanish.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rfc2217_proto::{
    self as proto, Command, Config, Instant, ServerEvent, Session, TRANSMIT_QUEUE_CAPACITY,
};

/// A one-connection TCP server running `script` on the accepted socket.
pub fn fake_server(
    script: impl FnOnce(TcpStream) + Send + 'static,
) -> (SocketAddr, JoinHandle<()>) {
    let _ = env_logger::builder().is_test(true).try_init();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let handle = thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            script(stream);
        }
    });
    (addr, handle)
}

/// What the client sent to a scripted server.
#[derive(Debug, Default)]
pub struct Received {
    /// The data, unescaped.
    pub data: Vec<u8>,
    /// Every byte as it came off the socket.
    pub raw: Vec<u8>,
    /// The size of each read, to see what arrived together.
    pub reads: Vec<usize>,
}

/// Runs a server-role session on `stream` until the client leaves (or a
/// bounded number of 20 ms rounds), calling `on_request` for each request
/// and `each_round` after each read.
///
/// A request `on_request` does not answer stops the session reading (it
/// reads no further input until the answer): from then on the server is
/// silent, and what the client sends is only recorded.
pub fn run_session(
    mut stream: TcpStream,
    config: Config<proto::Server>,
    mut on_request: impl FnMut(&mut Session<proto::Server>, Command),
    mut each_round: impl FnMut(&mut Session<proto::Server>, &mut TcpStream),
) -> Received {
    let mut session = Session::new(config, Instant::ZERO);
    let mut out = [0u8; TRANSMIT_QUEUE_CAPACITY];
    let mut input = [0u8; 65536];
    let mut data = [0u8; 4096];
    let mut received = Received::default();
    // Input the session has not taken yet.
    let mut backlog = Vec::new();
    stream
        .set_read_timeout(Some(Duration::from_millis(20)))
        .ok();
    for _ in 0..1000 {
        let n = session.poll_transmit(&mut out);
        if stream.write_all(&out[..n]).is_err() {
            break;
        }
        let read = match stream.read(&mut input) {
            Ok(0) => break,
            Ok(n) => n,
            Err(_) => 0,
        };
        if read > 0 {
            received.raw.extend_from_slice(&input[..read]);
            received.reads.push(read);
            backlog.extend_from_slice(&input[..read]);
        }
        let mut rest = &backlog[..];
        loop {
            let step = session.handle_input(Instant::ZERO, rest, &mut data);
            received.data.extend_from_slice(&data[..step.data_len]);
            rest = &rest[step.consumed..];
            while let Some(event) = session.poll_event() {
                if let ServerEvent::Request(request) = event {
                    on_request(&mut session, request);
                }
            }
            let n = session.poll_transmit(&mut out);
            if stream.write_all(&out[..n]).is_err() {
                return received;
            }
            // Nothing taken: a request waits for its answer.
            if rest.is_empty() || step.consumed == 0 {
                break;
            }
        }
        let taken = backlog.len() - rest.len();
        backlog.drain(..taken);
        each_round(&mut session, &mut stream);
    }
    received
}

/// Answers every request with the value asked for.
pub fn agree(session: &mut Session<proto::Server>, request: Command) {
    session.respond(request).expect("room for the answer");
}
