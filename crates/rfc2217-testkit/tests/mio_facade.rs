//! The facade's waits that report instead of panicking, which the
//! conformance suite relies on: a peer that never answers becomes a
//! failed cell, not a stopped suite.

use std::io::Read;
use std::time::{Duration, Instant};

use rfc2217_mio::{Error, OpenOptions, PortEvent};
use rfc2217_proto::Command;
use rfc2217_server::ServerConfig;
use rfc2217_testkit::fake_server::{agree, fake_server, run_session};
use rfc2217_testkit::mio_facade::Driver;
use rfc2217_testkit::{ServerKind, PATIENCE};

/// Shorter than the port's own answer timeout ([`PATIENCE`]), so that the
/// facade's patience is what ends the wait.
const SHORT: Duration = Duration::from_millis(300);

#[test]
fn open_within_reports_a_port_that_never_opens() {
    let (addr, _server) = fake_server(|mut stream| {
        // Silent: read everything, answer nothing.
        let mut sink = [0u8; 1024];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    });
    let options = OpenOptions::new(addr.to_string()).answer_timeout(PATIENCE);
    let started = Instant::now();
    let result = Driver::open_within(options, SHORT);
    assert!(started.elapsed() < PATIENCE, "{:?}", started.elapsed());
    match result {
        Err(Error::Io(error)) => assert_eq!(error.kind(), std::io::ErrorKind::TimedOut),
        Err(other) => panic!("expected a timeout, got {other}"),
        Ok(_) => panic!("the port opened"),
    }
}

#[test]
fn answer_within_reports_a_request_never_answered() {
    let ignored = Command::SetBaudRate(4800);
    let (addr, _server) = fake_server(move |stream| {
        let config = rfc2217_proto::Config::server();
        let on_request = |session: &mut _, request| {
            if request != ignored {
                agree(session, request);
            }
        };
        run_session(stream, config, on_request, |_, _| {});
    });
    let options = OpenOptions::new(addr.to_string()).answer_timeout(PATIENCE);
    let mut driver = Driver::open(options).expect("the port opens");
    let id = driver.port.request(ignored).expect("queued");
    driver.collect();
    let started = Instant::now();
    let answer = driver.answer_within(id, SHORT);
    assert!(answer.is_none(), "{answer:?}");
    assert!(started.elapsed() >= SHORT, "{:?}", started.elapsed());
}

#[test]
fn closed_gives_the_reason_the_connection_ended() {
    let server = ServerKind::Thread.start(ServerConfig::loopback());
    let mut driver = Driver::open(OpenOptions::new(server.local_addr().to_string())).unwrap();
    assert!(driver.closed().is_none(), "open");
    server.shutdown().expect("the server stops");
    assert!(driver.within(PATIENCE, |driver| driver.port.is_closed()));
    match driver.closed() {
        Some(Error::Closed(reason)) => assert!(!reason.is_empty()),
        other => panic!("expected the end, got {other:?}"),
    }
}

#[test]
fn idle_turns_the_loop_for_the_whole_duration() {
    let server = ServerKind::Mio.start(ServerConfig::loopback());
    let mut driver = Driver::connect(OpenOptions::new(server.local_addr().to_string()));
    let started = Instant::now();
    driver.idle(SHORT);
    assert!(started.elapsed() >= SHORT, "{:?}", started.elapsed());
    // The port went on by itself meanwhile: it opened.
    assert!(driver.port.is_open());
    assert!(driver.inbox.iter().any(|e| matches!(e, PortEvent::Opened)));
}
