//! Backpressure both ways, against each server (the mio server's buffered
//! bytes measured): a
//! device that stops taking data stops and suspends the client until it
//! drains, and a client that reads slowly stops the device from being
//! read while 100 MiB flow, without the server holding more than a few
//! chunks.

use std::io::{self, Write};
use std::thread;
use std::time::{Duration, Instant};

use rfc2217_proto::{ClientEvent, Command};
use rfc2217_server::ServerConfig;
use rfc2217_testkit::{on_both_servers, random_bytes, ServerKind, Stallable, TestClient};

/// What the server may hold for one connection: a few 16 KiB chunks on
/// the way in and out. A server that read without bound would hold
/// megabytes in these tests.
const BUFFER_BOUND: usize = 256 * 1024;

/// A config for a stallable loopback of `capacity` bytes whose read side
/// is shut (a device that stopped sending what it was given) until the
/// test opens it.
fn gated_device(capacity: usize) -> (ServerConfig, Stallable) {
    let device = Stallable::new(capacity);
    device.stall_reads(true);
    (ServerConfig::new(device.opener()), device)
}

fn a_device_that_stops_taking_data_suspends_the_client_until_it_drains(kind: ServerKind) {
    let (config, device) = gated_device(4096);
    let server = kind.start(config);
    let mut client = TestClient::ready(server.local_addr());
    // With the read side shut the loopback fills, the server stops reading
    // us, and after a while asks us to stop sending.
    let payload = random_bytes(256 * 1024, 9);
    let mut rest = &payload[..];
    let mut out = vec![0u8; 16 * 1024];
    client.wait_until("the server to suspend us", |c| {
        if c.events.contains(&ClientEvent::Suspended) {
            return true;
        }
        let take = rest.len().min(1024);
        let encoded = c.session.encode_data(&rest[..take], &mut out);
        rest = &rest[encoded.consumed..];
        io::Write::write_all(&mut c.stream, &out[..encoded.written]).unwrap();
        false
    });
    assert!(!client.session.is_ready_for_data());
    assert_eq!(device.buffered(), 4096);
    // Once the device drains, the server resumes us and nothing is lost.
    device.stall_reads(false);
    client.take_event("the server to resume us", |e| *e == ClientEvent::Resumed);
    client.send(rest);
    let echo = client.take_data(payload.len());
    assert!(echo == payload, "the echo differs");
    if let Some(stats) = server.mio_stats() {
        let peak = stats.peak_buffered_bytes;
        assert!(peak <= BUFFER_BOUND, "the server held {peak} bytes");
    }
}

/// The payload's byte at `offset`: never 0xFF, so the wire form is the
/// data itself once BINARY is agreed.
fn pattern(offset: usize) -> u8 {
    (offset % 251) as u8
}

fn a_slow_reader_keeps_the_server_buffers_bounded_while_100_mib_flow(kind: ServerKind) {
    const TOTAL: usize = 100 << 20;
    const PAUSE_EVERY: usize = 32 << 20;
    let server = kind.start(ServerConfig::loopback());
    let mut client = TestClient::ready(server.local_addr());
    let mut writer = client.stream.try_clone().unwrap();
    let write = thread::spawn(move || {
        // A whole number of pattern periods per write.
        let chunk: Vec<u8> = (0..251 * 256).map(pattern).collect();
        let mut sent = 0;
        while sent < TOTAL {
            let n = chunk.len().min(TOTAL - sent);
            writer.write_all(&chunk[..n])?;
            sent += n;
        }
        io::Result::Ok(())
    });
    // The reader stops now and then, long enough for everything between
    // the writer and it to fill up: the kernel's socket buffers (megabytes
    // on loopback), the server's queues, the device.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut received = 0;
    let mut paused_at = 0;
    while received < TOTAL {
        assert!(Instant::now() < deadline, "only {received} bytes came");
        if received >= paused_at {
            thread::sleep(Duration::from_secs(1));
            paused_at += PAUSE_EVERY;
        }
        client.pump();
        for (i, &byte) in client.data.iter().enumerate() {
            assert_eq!(byte, pattern(received + i), "at byte {}", received + i);
        }
        received += client.data.len();
        client.data.clear();
    }
    write.join().unwrap().unwrap();
    assert_eq!(received, TOTAL);
    if let Some(stats) = server.mio_stats() {
        assert!(
            stats.peak_buffered_bytes <= BUFFER_BOUND,
            "the server held {} bytes",
            stats.peak_buffered_bytes
        );
        assert!(stats.peak_buffered_bytes > 0, "nothing was ever held");
    }
}

fn data_waiting_for_a_stalled_device_is_no_idleness(kind: ServerKind) {
    let (config, device) = gated_device(4096);
    let idle = Duration::from_millis(200);
    let server = kind.start(config.with_idle_timeout(Some(idle)));
    let mut client = TestClient::ready(server.local_addr());
    let payload = random_bytes(64 * 1024, 5);
    // The whole payload at once, escaped: more than the device and the
    // server hold.
    let mut wire = Vec::new();
    for &byte in &payload {
        wire.push(byte);
        if byte == 0xFF {
            wire.push(0xFF);
        }
    }
    client.stream.write_all(&wire).unwrap();
    // Three idle timeouts pass with our data stuck before the device.
    let stuck = Instant::now() + 3 * idle;
    client.wait_until("three idle timeouts", |c| {
        Instant::now() >= stuck || c.closed
    });
    assert!(!client.closed, "closed while its data waited");
    device.stall_reads(false);
    assert!(
        client.take_data(payload.len()) == payload,
        "the echo differs"
    );
    // Silence once everything was taken is idleness.
    client.wait_closed();
}

/// A request decoded behind data the device has not taken yet waits with
/// it (the session reads nothing more meanwhile); once the device drains it
/// is carried out and answered, and the input after it is read on.
fn a_request_behind_data_for_a_stalled_device_is_answered_once_it_drains(kind: ServerKind) {
    let (config, device) = gated_device(4096);
    let server = kind.start(config);
    let mut client = TestClient::ready(server.local_addr());
    let before = random_bytes(8 * 1024, 11);
    let after = random_bytes(8 * 1024, 12);
    // Data, a request, more data and a query in one write: the server
    // decodes the request while most of the data before it waits for the
    // device.
    let mut out = vec![0u8; 64 * 1024];
    let mut wire = Vec::new();
    let encoded = client.session.encode_data(&before, &mut out);
    assert_eq!(encoded.consumed, before.len());
    wire.extend_from_slice(&out[..encoded.written]);
    let now = client.now();
    let set = Command::SetBaudRate(19_200);
    let set_id = client.session.request(now, set).unwrap().unwrap();
    let encoded = client.session.encode_data(&after, &mut out);
    assert_eq!(encoded.consumed, after.len());
    wire.extend_from_slice(&out[..encoded.written]);
    let query_id = client.session.request(now, Command::SetBaudRate(0));
    let query_id = query_id.unwrap().unwrap();
    let n = client.session.poll_transmit(&mut out);
    wire.extend_from_slice(&out[..n]);
    client.stream.write_all(&wire).unwrap();
    // The device stalls with our data in front of the request.
    client.take_event("the server to suspend us", |e| *e == ClientEvent::Suspended);
    assert_eq!(device.buffered(), 4096);
    device.stall_reads(false);
    assert_eq!(client.reply(set_id), set);
    assert_eq!(client.reply(query_id), set);
    let echo = client.take_data(before.len() + after.len());
    assert!(echo == [before, after].concat(), "the echo differs");
    client.take_event("the server to resume us", |e| *e == ClientEvent::Resumed);
}

on_both_servers!(
    a_device_that_stops_taking_data_suspends_the_client_until_it_drains,
    a_slow_reader_keeps_the_server_buffers_bounded_while_100_mib_flow,
    data_waiting_for_a_stalled_device_is_no_idleness,
    a_request_behind_data_for_a_stalled_device_is_answered_once_it_drains,
);
