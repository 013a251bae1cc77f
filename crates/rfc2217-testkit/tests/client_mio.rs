//! What only the mio client has: the interest it registers with, events
//! instead of waits, `WouldBlock` before the open, and several ports on one
//! poll.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token};
use rfc2217_mio::{Error, OpenOptions, OpenOptionsExt, PortEvent, RemotePort};
use rfc2217_server::ServerConfig;
use rfc2217_testkit::fake_server::fake_server;
use rfc2217_testkit::mio_facade::Driver;
use rfc2217_testkit::random_bytes;
use rfc2217_testkit::ServerKind;
use rfc2217_testkit::PATIENCE;

#[test]
fn nothing_is_written_before_the_port_is_open() {
    let server = ServerKind::Mio.start(ServerConfig::loopback());
    let mut driver = Driver::connect(OpenOptions::new(server.local_addr().to_string()));
    assert_eq!(
        driver.port.write(b"early").unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    driver.wait_for("the open", |event| matches!(event, PortEvent::Opened));
    assert!(driver.port.is_open());
}

#[test]
fn an_open_failure_is_reported_once_then_closed() {
    let (addr, _server) = fake_server(|mut stream| {
        // Refuse our WILL COM-PORT and offer nothing.
        let _ = stream.write_all(&[255, 254, 44]);
        let mut sink = [0u8; 1024];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    });
    let options = OpenOptions::new(addr.to_string()).answer_timeout(Duration::from_millis(300));
    let mut driver = Driver::connect(options);
    driver.wait_for("the failure", |e| matches!(e, PortEvent::OpenFailed(_)));
    driver.wait_for("the end", |e| matches!(e, PortEvent::Closed(_)));
    assert!(driver.inbox.is_empty(), "{:?}", driver.inbox);
}

#[test]
fn interest_follows_the_state_and_a_full_receive_buffer_stops_reading() {
    let server = ServerKind::Thread.start(ServerConfig::loopback());
    let options = OpenOptions::new(server.local_addr().to_string());
    let mut driver = Driver::connect(options);
    assert_eq!(
        driver.port.interest(),
        Some(Interest::WRITABLE),
        "connecting"
    );
    driver.wait_for("the open", |event| matches!(event, PortEvent::Opened));
    assert_eq!(driver.port.interest(), Some(Interest::READABLE), "idle");
    // Write more than the port holds for us, and read nothing: it stops
    // reading the socket (TCP holds the rest) instead of growing.
    let data = random_bytes(256 * 1024, 3);
    driver.write_all(&data, &mut Vec::new());
    driver.until("a full receive buffer", |d| {
        d.port
            .interest()
            .is_none_or(|interest| !interest.is_readable())
    });
    let held = driver.port.bytes_to_read();
    assert!(held >= 64 * 1024 && held < data.len(), "{held} bytes held");
    // Reading lets it go on, and every byte comes once, in order.
    let mut echo = Vec::new();
    driver.read_to(&mut echo, data.len());
    assert!(echo == data, "the echo differs from what was sent");
    assert_eq!(driver.port.interest(), Some(Interest::READABLE));
}

#[test]
fn the_end_of_the_connection_is_an_event_and_the_port_wants_nothing_more() {
    let server = ServerKind::Thread.start(ServerConfig::loopback());
    let mut driver = Driver::open(OpenOptions::new(server.local_addr().to_string())).unwrap();
    server.shutdown().expect("the server stops");
    let event = driver.wait_for("the end", |e| matches!(e, PortEvent::Closed(_)));
    let PortEvent::Closed(reason) = event else {
        unreachable!()
    };
    assert!(!reason.is_empty());
    assert!(driver.port.is_closed() && !driver.port.is_open());
    assert_eq!(driver.port.interest(), None);
    assert_eq!(driver.port.poll_timeout(), None);
    let error = driver.port.write(b"x").unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
    let refused = driver.port.request(rfc2217_proto::Command::SetBaudRate(0));
    assert!(matches!(refused, Err(Error::Closed(_))), "{refused:?}");
}

#[test]
fn several_ports_share_one_poll_and_one_timeout() {
    let servers: Vec<_> = (0..3)
        .map(|_| ServerKind::Thread.start(ServerConfig::loopback()))
        .collect();
    let mut poll = Poll::new().unwrap();
    let mut ports: Vec<RemotePort> = servers
        .iter()
        .enumerate()
        .map(|(i, server)| {
            let mut port = OpenOptions::new(server.local_addr().to_string())
                .baud_rate(1200 * (i as u32 + 1))
                .connect()
                .unwrap();
            port.register(poll.registry(), Token(i)).unwrap();
            port
        })
        .collect();
    let messages: Vec<Vec<u8>> = (0..3).map(|i| random_bytes(10_000, i)).collect();
    let mut written = [0usize; 3];
    let mut echoes = vec![Vec::new(); 3];
    let mut events = Events::with_capacity(16);
    let deadline = Instant::now() + PATIENCE;
    while echoes
        .iter()
        .zip(&messages)
        .any(|(echo, sent)| echo.len() < sent.len())
    {
        assert!(Instant::now() < deadline, "the echoes did not come");
        // The loop sleeps until a socket is ready or the earliest deadline.
        let now = Instant::now();
        let timeout = ports
            .iter()
            .filter_map(RemotePort::poll_timeout)
            .min()
            .map_or(Duration::from_millis(100), |at| {
                at.saturating_duration_since(now)
            });
        poll.poll(&mut events, Some(timeout)).unwrap();
        for event in events.iter() {
            ports[event.token().0].handle_event(event);
        }
        for (i, port) in ports.iter_mut().enumerate() {
            port.handle_timeout(Instant::now());
            while let Some(event) = port.poll_event() {
                assert!(!matches!(event, PortEvent::OpenFailed(_)), "{event:?}");
            }
            if port.is_open() {
                written[i] += port.write(&messages[i][written[i]..]).unwrap_or(0);
                let mut buffer = [0u8; 4096];
                while let Ok(n @ 1..) = port.read(&mut buffer) {
                    echoes[i].extend_from_slice(&buffer[..n]);
                }
            }
            port.reregister(poll.registry()).unwrap();
        }
    }
    assert!(
        echoes == messages,
        "an echo differs from what its port sent"
    );
    for (i, port) in ports.iter().enumerate() {
        assert_eq!(port.state().baud_rate, Some(1200 * (i as u32 + 1)));
    }
    for port in &mut ports {
        port.deregister(poll.registry()).unwrap();
    }
}
