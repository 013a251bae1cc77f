//! Each server on one end of a pty pair (its file descriptor waited on),
//! the test playing the equipment on the other end: data
//! both ways byte-exact, and settings answered with what the pty really
//! uses. (The far end going away is in `server_device_errors.rs`.)
#![cfg(unix)]

use std::io::{Read, Write};
use std::thread;

use rfc2217_device::PtyPair;
use rfc2217_proto::{ClientEvent, Command, Control, DataSize, ModemState, Parity, StopSize};
use rfc2217_server::ServerConfig;
use rfc2217_testkit::{on_both_servers, random_bytes, ServerKind, TestClient, PATIENCE};
use serialport::SerialPort;

fn data_flows_both_ways_byte_exact(kind: ServerKind) {
    let pty = PtyPair::new().unwrap();
    let server = kind.start(ServerConfig::new(pty.spec()));
    let mut client = TestClient::ready(server.local_addr());

    // Equipment to client: the far end writes, the client reads.
    let to_client = random_bytes(256 * 1024, 21);
    let mut far_writer = pty.far_end.try_clone_native().unwrap();
    let expected = to_client.clone();
    let writer = thread::spawn(move || far_writer.write_all(&to_client));
    let got = client.take_data(expected.len());
    writer.join().unwrap().unwrap();
    assert!(got == expected, "device to client differs");

    // Client to equipment: the client sends, the far end reads.
    let to_device = random_bytes(256 * 1024, 22);
    let mut far_reader = pty.far_end.try_clone_native().unwrap();
    far_reader.set_timeout(PATIENCE).unwrap();
    let len = to_device.len();
    let reader = thread::spawn(move || {
        let mut got = vec![0u8; len];
        far_reader.read_exact(&mut got).map(|()| got)
    });
    client.send(&to_device);
    let got = reader.join().unwrap().unwrap();
    assert!(got == to_device, "client to device differs");
}

fn settings_are_answered_with_what_the_pty_uses(kind: ServerKind) {
    let pty = PtyPair::new().unwrap();
    let server = kind.start(ServerConfig::new(pty.spec()));
    let mut client = TestClient::ready(server.local_addr());
    assert_eq!(
        client.ask(Command::SetBaudRate(0)),
        Command::SetBaudRate(9600)
    );
    for rate in [115_200, 1234] {
        let set = Command::SetBaudRate(rate);
        assert_eq!(client.ask(set), set);
        assert_eq!(client.ask(Command::SetBaudRate(0)), set);
    }
    // A pty forces 8 data bits and no parity; other settings are stored.
    let id = client.request(Command::SetDataSize(DataSize::Seven));
    assert_eq!(client.reply(id), Command::SetDataSize(DataSize::Eight));
    let id = client.request(Command::SetParity(Parity::Even));
    assert_eq!(client.reply(id), Command::SetParity(Parity::None));
    for set in [
        Command::SetStopSize(StopSize::Two),
        Command::SetControl(Control::HardwareFlowControl),
        // No modem lines: DTR is remembered, the inputs read as off.
        Command::SetControl(Control::DtrOn),
    ] {
        assert_eq!(client.ask(set), set);
    }
    assert_eq!(
        client.ask(Command::SetControl(Control::QueryDtr)),
        Command::SetControl(Control::DtrOn)
    );
    assert!(client
        .events
        .iter()
        .all(|e| !matches!(e, ClientEvent::ModemState(s) if *s != ModemState::EMPTY)));
}

fn a_far_end_that_does_not_read_suspends_the_client_until_it_does(kind: ServerKind) {
    let pty = PtyPair::new().unwrap();
    let server = kind.start(ServerConfig::new(pty.spec()));
    let mut client = TestClient::ready(server.local_addr());
    // More than the pty holds: the server's writes to it stop, and it asks
    // us to stop sending.
    let payload = random_bytes(1 << 20, 23);
    let mut rest = &payload[..];
    let mut out = vec![0u8; 16 * 1024];
    client.wait_until("the server to suspend us", |c| {
        if c.events.contains(&ClientEvent::Suspended) {
            return true;
        }
        let take = rest.len().min(4096);
        let encoded = c.session.encode_data(&rest[..take], &mut out);
        rest = &rest[encoded.consumed..];
        c.stream.write_all(&out[..encoded.written]).unwrap();
        false
    });
    // The far end reads it all: the server is resumed by the pty's
    // readiness, and nothing is lost.
    let mut far_reader = pty.far_end.try_clone_native().unwrap();
    far_reader.set_timeout(PATIENCE).unwrap();
    let len = payload.len();
    let reader = thread::spawn(move || {
        let mut got = vec![0u8; len];
        far_reader.read_exact(&mut got).map(|()| got)
    });
    client.take_event("the server to resume us", |e| *e == ClientEvent::Resumed);
    client.send(rest);
    let got = reader.join().unwrap().unwrap();
    assert!(got == payload, "client to device differs");
    if let Some(stats) = server.mio_stats() {
        let peak = stats.peak_buffered_bytes;
        assert!(peak <= 256 * 1024, "the server held {peak} bytes");
    }
}

on_both_servers!(
    data_flows_both_ways_byte_exact,
    settings_are_answered_with_what_the_pty_uses,
    a_far_end_that_does_not_read_suspends_the_client_until_it_does,
);
