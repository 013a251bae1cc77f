//! The mio client against the blocking crate's loopback server: what is
//! particular to a non-blocking port (its interest, its bounded receive
//! buffer, the end of the connection, several ports on one poll). The
//! matrix covers every setting and data both ways.

mod client_common;

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use client_common::{loopback_server, random_bytes, url, Driver, PATIENCE};
use mio::{Events, Interest, Poll, Token};
use rfc2217_mio::{Error, OpenOptions, OpenOptionsExt, PortEvent, RemotePort};
use rfc2217_proto::{Command, Side, TelnetOption};

#[test]
fn opens_from_a_url_and_reports_the_settings_in_use() {
    let server = loopback_server();
    let options = OpenOptions::from_url(&url(server.local_addr())).unwrap();
    let mut driver = Driver::connect(options);
    // Nothing is taken before the port is open.
    assert_eq!(
        driver.port.write(b"early").unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    driver.wait_for("the open", |event| matches!(event, PortEvent::Opened));
    assert!(driver.port.is_open());
    let state = driver.port.state();
    assert_eq!(state.baud_rate, Some(9600));
    assert_eq!((state.dtr, state.rts), (Some(true), Some(true)));
    driver.until("the signature", |d| d.port.server_signature().is_some());
    let answer = driver.request(Command::SetBaudRate(115_200)).unwrap();
    assert_eq!(answer, Command::SetBaudRate(115_200));
    let mut echo = Vec::new();
    driver.write_all(b"AT\r\xff\x00", &mut echo);
    driver.read_to(&mut echo, 5);
    assert_eq!(echo, b"AT\r\xff\x00");
}

#[test]
fn keep_settings_opens_without_touching_the_port() {
    let server = loopback_server();
    let options = OpenOptions::new(server.local_addr().to_string()).keep_settings();
    let mut driver = Driver::open(options).unwrap();
    // Nothing was set, so nothing is known until asked.
    let state = driver.port.state();
    assert_eq!((state.baud_rate, state.dtr, state.rts), (None, None, None));
    assert!(driver
        .port
        .is_option_enabled(TelnetOption::Binary, Side::Local));
    assert!(driver
        .port
        .is_option_enabled(TelnetOption::ComPort, Side::Local));
    let in_use = driver.request(Command::SetBaudRate(0)).unwrap();
    assert!(matches!(in_use, Command::SetBaudRate(rate) if rate != 0));
}

#[test]
fn interest_follows_the_state_and_a_full_receive_buffer_stops_reading() {
    let server = loopback_server();
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
fn the_end_of_the_connection_is_an_event_and_reads_see_the_data_first() {
    let server = loopback_server();
    let mut driver = Driver::open(OpenOptions::new(server.local_addr().to_string())).unwrap();
    let mut echo = Vec::new();
    driver.write_all(b"last words", &mut echo);
    driver.until("the echo", |d| d.port.bytes_to_read() == 10);
    server.shutdown().unwrap();
    let event = driver.wait_for("the end", |e| matches!(e, PortEvent::Closed(_)));
    let PortEvent::Closed(reason) = event else {
        unreachable!()
    };
    assert!(!reason.is_empty());
    assert!(driver.port.is_closed() && !driver.port.is_open());
    assert_eq!(driver.port.interest(), None);
    assert_eq!(driver.port.poll_timeout(), None);
    driver.read_available(&mut echo);
    assert_eq!(echo, b"last words");
    let mut buffer = [0u8; 4];
    assert_eq!(driver.port.read(&mut buffer).unwrap(), 0);
    let error = driver.port.write(b"x").unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
    assert!(
        error.to_string().starts_with("connection closed"),
        "{error}"
    );
    let refused = driver.port.request(Command::SetBaudRate(0)).unwrap_err();
    assert!(matches!(refused, Error::Closed(_)), "{refused}");
}

#[test]
fn several_ports_share_one_poll_and_one_timeout() {
    let servers: Vec<_> = (0..3).map(|_| loopback_server()).collect();
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
