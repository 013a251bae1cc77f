//! Clients coming and going: a second client refused or taking over, the
//! device restored between clients, idle clients closed, bad input that
//! leaves the server healthy, devices that do not disturb each other, and
//! shutting the server down; against each server.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use rfc2217_client::Settings;
use rfc2217_proto::{ClientEvent, Command, Control, DataSize, ModemState};
use rfc2217_server::{SecondClient, ServerConfig, BUSY_MESSAGE};
use rfc2217_testkit::{
    on_both_servers, random_bytes, read_refusal, ServerKind, TestClient, PATIENCE,
};

/// A new client finds the port healthy: it negotiates, gets answers, and
/// its data (and only its data) echoes back. (It tries again while the
/// server has not yet seen the client before it go.)
fn assert_healthy(addr: SocketAddr) {
    let mut client = TestClient::ready_once_free(addr);
    assert_eq!(
        client.ask(Command::SetBaudRate(0)),
        Command::SetBaudRate(9600)
    );
    client.send(b"ping\xff");
    assert_eq!(client.take_data(5), b"ping\xff");
    let barrier = client.session.barrier(client.now()).unwrap();
    client.transmit();
    client.reply(barrier);
    client.pump();
    assert!(client.data.is_empty(), "stale data: {:?}", client.data);
}

fn a_second_client_is_refused_and_the_first_keeps_the_port(kind: ServerKind) {
    let server = kind.start(ServerConfig::loopback());
    let mut first = TestClient::ready(server.local_addr());
    assert_eq!(read_refusal(server.local_addr()), BUSY_MESSAGE);
    assert_eq!(
        first.ask(Command::SetBaudRate(0)),
        Command::SetBaudRate(9600)
    );
    first.send(b"still mine");
    assert_eq!(first.take_data(10), b"still mine");
    if let Some(stats) = server.mio_stats() {
        assert_eq!((stats.accepted, stats.refused), (2, 1));
    }
}

/// A refused client is read from only until the refusal's deadline, all
/// told: one that keeps sending (more often than any one read would wait)
/// is closed all the same.
fn a_refused_client_that_keeps_sending_is_closed_at_the_linger_deadline(kind: ServerKind) {
    use std::io::Read;
    let server = kind.start(ServerConfig::loopback());
    let _first = TestClient::ready(server.local_addr());
    let mut refused = TcpStream::connect(server.local_addr()).unwrap();
    refused.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut line = String::new();
    refused.read_to_string(&mut line).unwrap();
    assert_eq!(line, BUSY_MESSAGE, "the line, then the end of it");
    // A byte every 20 ms, until the server, which reads and drops them,
    // closes the connection: writing then fails (reset, broken pipe).
    let patience = Instant::now() + PATIENCE;
    while refused.write_all(b".").is_ok() {
        assert!(Instant::now() < patience, "still open after {PATIENCE:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kick_old_hands_the_port_to_the_newcomer_with_the_defaults(kind: ServerKind) {
    let config = ServerConfig::loopback().with_second_client(SecondClient::KickOld);
    let server = kind.start(config);
    let mut first = TestClient::ready(server.local_addr());
    first.ask(Command::SetBaudRate(115_200));
    let mut second = TestClient::ready(server.local_addr());
    first.wait_closed();
    assert_eq!(
        second.ask(Command::SetBaudRate(0)),
        Command::SetBaudRate(9600)
    );
    second.send(b"mine now");
    assert_eq!(second.take_data(8), b"mine now");
}

/// A client that comes back right after it left is served, not refused
/// as a second client: the server sees the old one hang up (no grace
/// wait; `examples/reconnect.rs` measures how fast).
fn a_client_that_reconnects_at_once_is_served_every_time(kind: ServerKind) {
    let server = kind.start(ServerConfig::loopback());
    for round in 0..10 {
        let mut client = TestClient::ready(server.local_addr());
        let set = Command::SetBaudRate(1200 * (round + 1));
        assert_eq!(client.ask(set), set, "{kind}, round {round}");
    }
    if let Some(stats) = server.mio_stats() {
        assert_eq!(stats.refused, 0);
    }
}

fn the_next_client_finds_the_defaults_and_the_lines_down(kind: ServerKind) {
    let defaults = Settings {
        baud_rate: 19_200,
        ..Settings::default()
    };
    let server = kind.start(ServerConfig::loopback().with_defaults(defaults));
    let mut first = TestClient::ready(server.local_addr());
    assert_eq!(
        first.ask(Command::SetBaudRate(0)),
        Command::SetBaudRate(19_200)
    );
    first.ask(Command::SetBaudRate(57_600));
    first.ask(Command::SetDataSize(DataSize::Seven));
    first.ask(Command::SetControl(Control::DtrOn));
    first.ask(Command::SetControl(Control::RtsOn));
    first.take_event(
        "CTS, DSR and CD up",
        |e| matches!(e, ClientEvent::ModemState(s) if s.contains(ModemState::CTS | ModemState::DSR)),
    );
    drop(first);

    // Connecting at once works: the server looks whether the old client
    // left before it judges the newcomer.
    let mut next = TestClient::ready(server.local_addr());
    for (query, expected) in [
        (Command::SetBaudRate(0), Command::SetBaudRate(19_200)),
        (
            Command::SetDataSize(DataSize::Query),
            Command::SetDataSize(DataSize::Eight),
        ),
        (
            Command::SetControl(Control::QueryDtr),
            Command::SetControl(Control::DtrOff),
        ),
        (
            Command::SetControl(Control::QueryRts),
            Command::SetControl(Control::RtsOff),
        ),
    ] {
        assert_eq!(next.ask(query), expected);
    }
    next.session.query_modem_state().unwrap();
    next.transmit();
    next.take_event("the modem lines", |e| {
        *e == ClientEvent::ModemState(ModemState::EMPTY)
    });
}

fn clients_from_addresses_not_allowed_are_closed_at_once(kind: ServerKind) {
    use std::io::Read;
    let closed = kind.start(ServerConfig::loopback().with_client_filter(|ip| !ip.is_loopback()));
    let mut stream = TcpStream::connect(closed.local_addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buffer = [0u8; 64];
    assert_eq!(
        stream.read(&mut buffer).unwrap(),
        0,
        "closed without a word"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while closed.mio_stats().is_some_and(|stats| stats.refused == 0) {
        assert!(Instant::now() < deadline, "the refusal was not counted");
        std::thread::sleep(Duration::from_millis(5));
    }
    let open = kind.start(ServerConfig::loopback().with_client_filter(|ip| ip.is_loopback()));
    assert_healthy(open.local_addr());
}

fn an_idle_client_is_closed_and_a_busy_one_is_not(kind: ServerKind) {
    let idle = Duration::from_millis(300);
    let config = ServerConfig::loopback().with_idle_timeout(Some(idle));
    let server = kind.start_many(vec![config.clone(), config]);
    let addrs = server.local_addrs();
    let mut quiet = TestClient::ready(addrs[0]);
    let mut chatty = TestClient::ready(addrs[1]);
    let started = Instant::now();
    quiet.wait_until("the idle client to be closed", |c| {
        chatty.send(b".");
        chatty.pump();
        c.closed
    });
    assert!(started.elapsed() >= idle - Duration::from_millis(50));
    assert!(!chatty.closed, "a client that talks was closed");
    assert_healthy(addrs[0]);
}

fn devices_served_at_once_are_independent(kind: ServerKind) {
    let configs = vec![ServerConfig::loopback(); 3];
    let server = kind.start_many(configs);
    let addrs = server.local_addrs();
    let mut clients: Vec<_> = addrs.iter().map(|&a| TestClient::ready(a)).collect();
    for (n, client) in clients.iter_mut().enumerate() {
        let rate = 1200 * (n as u32 + 1);
        assert_eq!(
            client.ask(Command::SetBaudRate(rate)),
            Command::SetBaudRate(rate)
        );
    }
    for (n, client) in clients.iter_mut().enumerate() {
        let rate = 1200 * (n as u32 + 1);
        client.send(format!("port {n}").as_bytes());
        assert_eq!(client.take_data(6), format!("port {n}").as_bytes());
        assert_eq!(
            client.ask(Command::SetBaudRate(0)),
            Command::SetBaudRate(rate)
        );
    }
    if let Some(stats) = server.mio_stats() {
        assert_eq!(stats.connections, 3);
    }
}

fn garbage_leaves_the_server_healthy(kind: ServerKind) {
    let server = kind.start(ServerConfig::loopback());
    let mut garbage = random_bytes(64 * 1024, 77);
    // Telnet constructs gone wrong, among the noise.
    garbage.extend_from_slice(b"\xff\xf0\xff\x01\xff\xfa\x2c\x01\x00\xff\xfa\x2c\x63\xff\xf0");
    garbage
        .extend_from_slice(b"\xff\xfa\x2c\x05\xff\xfb\x2c\xff\xfa\x18\x00\xff\xf0\xff\xfa\xff\xf0");
    garbage.extend_from_slice(&[0xFF; 33]);
    let mut stream = TcpStream::connect(server.local_addr()).unwrap();
    let _ = stream.write_all(&garbage);
    drop(stream);
    assert_healthy(server.local_addr());
}

fn a_client_gone_in_the_middle_of_a_subnegotiation_leaves_the_server_healthy(kind: ServerKind) {
    let server = kind.start(ServerConfig::loopback());
    let mut client = TestClient::ready(server.local_addr());
    // SET-BAUDRATE cut after two value bytes, and the connection with it.
    client
        .stream
        .write_all(b"\xff\xfa\x2c\x01\x00\x01")
        .unwrap();
    drop(client);
    assert_healthy(server.local_addr());
}

fn a_client_gone_in_the_middle_of_a_flood_leaves_the_server_healthy(kind: ServerKind) {
    let server = kind.start(ServerConfig::loopback());
    let mut client = TestClient::ready(server.local_addr());
    // Much more than the loopback holds, never reading the echo, cut in
    // the middle of an escaped 0xFF.
    let mut wire = Vec::new();
    for byte in random_bytes(256 * 1024, 8) {
        wire.push(byte);
        if byte == 0xFF {
            wire.push(0xFF);
        }
    }
    wire.push(0xFF);
    let mut writer = client.stream.try_clone().unwrap();
    let flood = std::thread::spawn(move || writer.write_all(&wire));
    client.wait_until("some echo", |c| !c.data.is_empty());
    client.stream.shutdown(std::net::Shutdown::Both).unwrap();
    drop(client);
    let _ = flood.join().unwrap();
    assert_healthy(server.local_addr());
}

fn shutting_the_server_down_closes_its_clients_and_listeners(kind: ServerKind) {
    let server = kind.start_many(vec![ServerConfig::loopback(); 2]);
    let addrs = server.local_addrs();
    let mut clients: Vec<_> = addrs.iter().map(|&a| TestClient::ready(a)).collect();
    server.shutdown().unwrap();
    for client in &mut clients {
        client.wait_closed();
    }
    for addr in addrs {
        assert!(TcpStream::connect(addr).is_err(), "{addr} still listens");
    }
}

on_both_servers!(
    a_client_that_reconnects_at_once_is_served_every_time,
    a_second_client_is_refused_and_the_first_keeps_the_port,
    a_refused_client_that_keeps_sending_is_closed_at_the_linger_deadline,
    kick_old_hands_the_port_to_the_newcomer_with_the_defaults,
    the_next_client_finds_the_defaults_and_the_lines_down,
    clients_from_addresses_not_allowed_are_closed_at_once,
    an_idle_client_is_closed_and_a_busy_one_is_not,
    devices_served_at_once_are_independent,
    garbage_leaves_the_server_healthy,
    a_client_gone_in_the_middle_of_a_subnegotiation_leaves_the_server_healthy,
    a_client_gone_in_the_middle_of_a_flood_leaves_the_server_healthy,
    shutting_the_server_down_closes_its_clients_and_listeners,
);
