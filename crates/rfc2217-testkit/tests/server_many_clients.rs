//! Many clients at once: 128 devices, each with a client connected at the
//! same time, each echoing its own 0xFF-rich data byte-exact, and each
//! device's settings its own; the mio server on one thread, the thread
//! server with a thread per client.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rfc2217_proto::Command;
use rfc2217_server::ServerConfig;
use rfc2217_testkit::{on_both_servers, random_bytes, ServerKind, TestClient, PATIENCE};

const CLIENTS: usize = 128;

/// Waits until `done` holds; panics after [`PATIENCE`].
fn wait_for(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

fn clients_of_many_devices_at_once_each_get_their_own_data_back(kind: ServerKind) {
    let server = kind.start_many(vec![ServerConfig::loopback(); CLIENTS]);
    let connected = Arc::new(AtomicUsize::new(0));
    let go = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = server
        .local_addrs()
        .into_iter()
        .enumerate()
        .map(|(n, addr)| {
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
    if let Some(stats) = server.mio_stats() {
        assert_eq!(stats.connections, CLIENTS);
    }
    go.store(true, Ordering::Release);
    for client in clients {
        client.join().unwrap();
    }
    if let Some(stats) = server.mio_stats() {
        assert_eq!(stats.refused, 0);
    }
}

on_both_servers!(clients_of_many_devices_at_once_each_get_their_own_data_back,);
