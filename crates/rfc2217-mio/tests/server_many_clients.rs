//! Many clients at once on one server thread: 128 ports, each with a
//! client connected at the same time, each echoing its own 0xFF-rich data
//! byte-exact, and each port's settings its own.

mod server_common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rfc2217_mio::PortConfig;
use rfc2217_proto::Command;
use server_common::{random_bytes, start_ports, TestClient, PATIENCE};

const CLIENTS: usize = 128;

/// Waits until `done` holds; panics after [`PATIENCE`].
fn wait_for(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn clients_on_many_ports_at_once_each_get_their_own_data_back() {
    let server = start_ports(vec![PortConfig::loopback(); CLIENTS]);
    let handle = server.handle();
    let connected = Arc::new(AtomicUsize::new(0));
    let go = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = server
        .local_addrs()
        .iter()
        .enumerate()
        .map(|(n, &addr)| {
            let (connected, go) = (Arc::clone(&connected), Arc::clone(&go));
            thread::spawn(move || {
                let mut client = TestClient::ready(addr);
                connected.fetch_add(1, Ordering::AcqRel);
                wait_for("the others", || go.load(Ordering::Acquire));
                let set = Command::SetBaudRate(300 * (n as u32 + 1));
                assert_eq!(client.ask(set), set, "client {n}");
                let payload = random_bytes(32 * 1024, n as u64 + 1);
                client.send(&payload);
                let echo = client.take_data(payload.len());
                assert!(echo == payload, "client {n}: the echo differs");
                assert_eq!(client.ask(Command::SetBaudRate(0)), set, "client {n}");
            })
        })
        .collect();
    wait_for("every client to negotiate", || {
        connected.load(Ordering::Acquire) == CLIENTS
    });
    assert_eq!(handle.stats().connections, CLIENTS);
    go.store(true, Ordering::Release);
    for client in clients {
        client.join().unwrap();
    }
    assert_eq!(handle.stats().refused, 0);
}
