//! A device that vanishes under a client, or cannot be opened: the client
//! is closed with a logged reason, nothing panics, and the server keeps
//! accepting and opens the device again for the next client.

use std::io;
use std::sync::{Arc, Mutex};

use log::{Level, LevelFilter, Log, Metadata, Record};
use rfc2217_device::{Device, DeviceOpener, Loopback};
use rfc2217_proto::Command;
use rfc2217_server::ServerConfig;
use rfc2217_testkit::{on_both_servers, read_refusal, ServerKind, TestClient};

/// Every log line of this test binary, to check the reasons given.
static LOG: Mutex<Vec<(Level, String)>> = Mutex::new(Vec::new());

struct Capture;

impl Log for Capture {
    fn enabled(&self, _: &Metadata) -> bool {
        true
    }
    fn log(&self, record: &Record) {
        let line = format!("{}", record.args());
        LOG.lock().unwrap().push((record.level(), line));
    }
    fn flush(&self) {}
}

fn capture_logs() {
    static CAPTURE: Capture = Capture;
    if log::set_logger(&CAPTURE).is_ok() {
        log::set_max_level(LevelFilter::Debug);
    }
}

fn logged(level: Level, needle: &str) -> bool {
    let log = LOG.lock().unwrap();
    log.iter()
        .any(|(l, line)| *l == level && line.contains(needle))
}

/// The loopbacks an opener handed out, oldest first.
type Opened = Arc<Mutex<Vec<Loopback>>>;

/// An opener that hands out fresh loopbacks and keeps a handle on each.
fn loopbacks() -> (Opened, impl DeviceOpener) {
    let opened = Opened::default();
    let list = Arc::clone(&opened);
    let open = move || {
        let device = Loopback::new();
        list.lock().unwrap().push(device.clone());
        Ok(Box::new(device) as Box<dyn Device>)
    };
    (opened, open)
}

fn an_unplugged_device_closes_the_client_and_the_next_one_gets_a_fresh_device(kind: ServerKind) {
    capture_logs();
    let (opened, open) = loopbacks();
    let server = kind.start(ServerConfig::new(open));
    let mut client = TestClient::ready(server.local_addr());
    client.send(b"before");
    assert_eq!(client.take_data(6), b"before");
    // Nothing is sent: the modem poll finds the device gone.
    opened.lock().unwrap()[0].unplug();
    client.wait_closed();
    assert!(logged(Level::Error, "failed while"), "{:?}", LOG.lock());
    let reason = "disconnected: device error";
    assert!(logged(Level::Info, reason), "{:?}", LOG.lock());

    let mut next = TestClient::ready(server.local_addr());
    assert_eq!(
        next.ask(Command::SetBaudRate(0)),
        Command::SetBaudRate(9600)
    );
    next.send(b"after");
    assert_eq!(next.take_data(5), b"after");
    assert_eq!(opened.lock().unwrap().len(), 2, "not reopened");
}

fn a_device_that_cannot_be_opened_is_reported_and_tried_again(kind: ServerKind) {
    capture_logs();
    let available = Arc::new(Mutex::new(false));
    let switch = Arc::clone(&available);
    let server = kind.start(ServerConfig::new(move || {
        if *switch.lock().unwrap() {
            Ok(Box::new(Loopback::new()) as Box<dyn Device>)
        } else {
            Err(io::Error::new(io::ErrorKind::NotFound, "unplugged adapter"))
        }
    }));
    let refusal = read_refusal(server.local_addr());
    assert_eq!(refusal, "device unavailable: unplugged adapter\r\n");
    assert!(logged(Level::Warn, "unplugged adapter"));
    *available.lock().unwrap() = true;
    let mut client = TestClient::ready(server.local_addr());
    client.send(b"x");
    assert_eq!(client.take_data(1), b"x");
}

#[cfg(unix)]
fn a_pty_whose_far_end_closes_closes_the_client(kind: ServerKind) {
    // The only pty scenario in this binary (run once per server, each
    // with its pair made before either is dropped): a pty number freed
    // here cannot be taken by another pair and opened by mistake.
    capture_logs();
    let pty = rfc2217_device::PtyPair::new().unwrap();
    let server = kind.start(ServerConfig::new(pty.spec()));
    let mut client = TestClient::ready(server.local_addr());
    drop(pty);
    client.wait_closed();
    // The pty is gone: the next client is told so, and the server goes on.
    for _ in 0..2 {
        let refusal = read_refusal(server.local_addr());
        assert!(refusal.starts_with("device unavailable"), "{refusal:?}");
    }
    server.shutdown().unwrap();
}

on_both_servers!(
    an_unplugged_device_closes_the_client_and_the_next_one_gets_a_fresh_device,
    a_device_that_cannot_be_opened_is_reported_and_tried_again,
    a_pty_whose_far_end_closes_closes_the_client,
);
