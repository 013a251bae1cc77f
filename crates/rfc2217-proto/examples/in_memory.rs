//! A client and an access server talking RFC 2217 to each other in memory:
//! the client opens a port with one pipelined batch, sends data through it
//! and reads the device's answer, and the server applies every request to a
//! simulated serial port. Everything on the wire is printed.
//!
//! Run: `cargo run -p rfc2217-proto --example in_memory`

use rfc2217_proto::{
    ClientEvent, Command, Config, Control, DataSize, Instant, ModemState, Parity, Role,
    ServerEvent, Session, StopSize, TRANSMIT_QUEUE_CAPACITY,
};

/// The access server's serial port: settings, control lines and a device
/// that answers "OK" to every line it receives.
#[derive(Default)]
struct SimulatedPort {
    baud: u32,
    data_size: u8,
    parity: u8,
    stop_size: u8,
    control: [u8; 5],
    line: Vec<u8>,
    output: Vec<u8>,
}

impl SimulatedPort {
    /// Applies a request and returns the value in use.
    fn apply(&mut self, request: Command) -> Command {
        match request {
            Command::SetBaudRate(0) => Command::SetBaudRate(self.baud),
            Command::SetBaudRate(rate) => {
                self.baud = rate;
                request
            }
            Command::SetDataSize(DataSize::Query) => {
                Command::SetDataSize(DataSize::from_byte(self.data_size))
            }
            Command::SetDataSize(size) => {
                self.data_size = size.to_byte();
                request
            }
            Command::SetParity(Parity::Query) => Command::SetParity(Parity::from_byte(self.parity)),
            Command::SetParity(parity) => {
                self.parity = parity.to_byte();
                request
            }
            Command::SetStopSize(StopSize::Query) => {
                Command::SetStopSize(StopSize::from_byte(self.stop_size))
            }
            Command::SetStopSize(stop) => {
                self.stop_size = stop.to_byte();
                request
            }
            Command::SetControl(control) => {
                let Some(group) = control.group() else {
                    return request;
                };
                let slot = &mut self.control[group as usize];
                if !control.is_query() {
                    *slot = control.to_byte();
                }
                Command::SetControl(Control::from_byte(*slot))
            }
            other => other,
        }
    }

    /// The device: collects bytes into lines and answers each with "OK".
    fn write(&mut self, data: &[u8]) {
        for &byte in data {
            self.line.push(byte);
            if byte == b'\r' {
                println!(
                    "  device got line {:?}",
                    String::from_utf8_lossy(&self.line)
                );
                self.line.clear();
                self.output.extend_from_slice(b"OK\r\n");
            }
        }
    }
}

/// Feeds bytes from the peer to a session and drains every output (the run
/// loop from the crate docs). Returns the bytes to send back.
fn pump<R: Role>(
    session: &mut Session<R>,
    now: Instant,
    mut wire: &[u8],
    data_out: &mut Vec<u8>,
    on_event: &mut dyn FnMut(&mut Session<R>, R::Event),
) -> Vec<u8> {
    let mut data = [0u8; 256];
    let mut out = [0u8; TRANSMIT_QUEUE_CAPACITY];
    let mut sent = Vec::new();
    loop {
        let received = session.handle_input(now, wire, &mut data);
        wire = &wire[received.consumed..];
        data_out.extend_from_slice(&data[..received.data_len]);
        while let Some(event) = session.poll_event() {
            on_event(session, event);
        }
        let n = session.poll_transmit(&mut out);
        sent.extend_from_slice(&out[..n]);
        if wire.is_empty() {
            return sent;
        }
    }
}

fn show(direction: &str, bytes: &[u8]) {
    if !bytes.is_empty() {
        let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        println!("{direction} {} bytes: {}", bytes.len(), hex.join(" "));
    }
}

fn main() {
    let now = Instant::ZERO;
    let mut client = Session::new(Config::client(), now);
    let server_config = Config::server()
        .with_signature(b"in-memory demo port")
        .expect("short signature");
    let mut server = Session::new(server_config, now);
    let mut port = SimulatedPort {
        baud: 9600,
        data_size: 8,
        parity: 1,
        stop_size: 1,
        ..Default::default()
    };

    // The opening configuration, pipelined: it all leaves in one batch.
    for request in [
        Command::SetBaudRate(115_200),
        Command::SetDataSize(DataSize::Eight),
        Command::SetParity(Parity::None),
        Command::SetStopSize(StopSize::One),
        Command::SetControl(Control::NoFlowControl),
        Command::SetControl(Control::DtrOn),
        Command::SetControl(Control::RtsOn),
        Command::SetModemStateMask(ModemState::ALL),
    ] {
        client
            .request(now, request)
            .expect("room for the opening batch");
    }
    client
        .request(now, Command::Signature)
        .expect("room for the signature request");
    let mut signature = None;

    let mut to_server = Vec::new();
    let mut to_client = Vec::new();
    let mut typed: &[u8] = b"AT\rATI \xff\r";
    let mut screen = Vec::new();
    let mut out = [0u8; 1024];
    for round in 1..=4 {
        println!("-- round {round}");
        // Client: read, then send commands and typed data.
        to_server.extend(pump(
            &mut client,
            now,
            &std::mem::take(&mut to_client),
            &mut screen,
            &mut |_, event| {
                println!("  client event: {event:?}");
                if let ClientEvent::Signature {
                    signature: text, ..
                } = event
                {
                    signature = Some(text);
                }
            },
        ));
        let encoded = client.encode_data(typed, &mut out);
        typed = &typed[encoded.consumed..];
        to_server.extend_from_slice(&out[..encoded.written]);
        show("client -> server", &to_server);

        // Server: read, apply each request as it comes (the session reads
        // on once it is answered), then send the device's output.
        let mut device_input = Vec::new();
        to_client.extend(pump(
            &mut server,
            now,
            &std::mem::take(&mut to_server),
            &mut device_input,
            &mut |server, event| {
                println!("  server event: {event:?}");
                if let ServerEvent::Request(request) = event {
                    let in_use = port.apply(request);
                    println!("  server answers {in_use}");
                    server.respond(in_use).expect("room for the answer");
                }
            },
        ));
        port.write(&device_input);
        let encoded = server.encode_data(&port.output, &mut out);
        port.output.drain(..encoded.consumed);
        to_client.extend_from_slice(&out[..encoded.written]);
        show("server -> client", &to_client);
    }
    println!("-- done");
    println!("client saw: {:?}", String::from_utf8_lossy(&screen));
    let signature = signature.expect("the server sent its signature");
    println!("server signature: {signature}");
    println!(
        "port: {} baud, DTR/RTS {:?}",
        port.baud,
        &port.control[2..4]
    );
    assert_eq!(screen, b"OK\r\nOK\r\n", "the device answered both lines");
}
