//! Backpressure both ways, with the server's buffered bytes measured: a
//! device that stops taking data stops and suspends the client until it
//! drains, and a client that reads slowly stops the device from being
//! read while 100 MiB flow, without the server holding more than a few
//! chunks.

mod server_common;

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rfc2217_blocking::{Device, DeviceReader, Loopback};
use rfc2217_client::Settings;
use rfc2217_mio::PortConfig;
use rfc2217_proto::{ClientEvent, Command, LineState, ModemState, Purge};
use server_common::{random_bytes, start, TestClient};

/// What the server may hold for one connection: a few 16 KiB chunks on
/// the way in and out. A server that read without bound would hold
/// megabytes in these tests.
const BUFFER_BOUND: usize = 256 * 1024;

/// A loopback whose read side is shut while the gate is: a device that
/// stopped sending what it was given.
struct Gated {
    inner: Loopback,
    open: Arc<AtomicBool>,
}

impl Device for Gated {
    fn name(&self) -> String {
        "gated loop".into()
    }
    fn reader(&self) -> io::Result<Box<dyn DeviceReader>> {
        Ok(Box::new(Gated {
            inner: self.inner.clone(),
            open: Arc::clone(&self.open),
        }))
    }
    fn write(&mut self, data: &[u8], timeout: Duration) -> io::Result<usize> {
        self.inner.write(data, timeout)
    }
    fn apply(&mut self, request: Command) -> io::Result<Command> {
        self.inner.apply(request)
    }
    fn purge(&mut self, purge: Purge) -> io::Result<()> {
        self.inner.purge(purge)
    }
    fn send_break(&mut self, duration: Duration) -> io::Result<()> {
        self.inner.send_break(duration)
    }
    fn restore(&mut self, defaults: &Settings) -> io::Result<()> {
        self.inner.restore(defaults)
    }
}

impl DeviceReader for Gated {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        if !self.open.load(Ordering::Acquire) {
            return Ok(0);
        }
        self.inner.read(buf, timeout)
    }
    fn modem_lines(&mut self) -> io::Result<ModemState> {
        self.inner.modem_lines()
    }
    fn line_state(&mut self) -> io::Result<LineState> {
        self.inner.line_state()
    }
}

/// A port for a loop:// device of `capacity` bytes whose read side stays
/// shut until the returned flag is set; the loopback, to look into.
fn gated_port(capacity: usize) -> (PortConfig, Loopback, Arc<AtomicBool>) {
    let loopback = Loopback::with_capacity(capacity);
    let open = Arc::new(AtomicBool::new(false));
    let (device_loop, device_open) = (loopback.clone(), Arc::clone(&open));
    let config = PortConfig::in_process(move || {
        Ok(Box::new(Gated {
            inner: device_loop.clone(),
            open: Arc::clone(&device_open),
        }) as Box<dyn Device>)
    });
    (config, loopback, open)
}

#[test]
fn a_device_that_stops_taking_data_suspends_the_client_until_it_drains() {
    let (config, loopback, open) = gated_port(4096);
    let server = start(config);
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
    assert_eq!(loopback.buffered(), 4096);
    // Once the device drains, the server resumes us and nothing is lost.
    open.store(true, Ordering::Release);
    client.take_event("the server to resume us", |e| *e == ClientEvent::Resumed);
    client.send(rest);
    let echo = client.take_data(payload.len());
    assert!(echo == payload, "the echo differs");
    let peak = server.stats().peak_buffered_bytes;
    assert!(peak <= BUFFER_BOUND, "the server held {peak} bytes");
}

/// The payload's byte at `offset`: never 0xFF, so the wire form is the
/// data itself once BINARY is agreed.
fn pattern(offset: usize) -> u8 {
    (offset % 251) as u8
}

#[test]
fn a_slow_reader_keeps_the_server_buffers_bounded_while_100_mib_flow() {
    const TOTAL: usize = 100 << 20;
    const PAUSE_EVERY: usize = 32 << 20;
    let server = start(PortConfig::loopback());
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
    let stats = server.stats();
    assert!(
        stats.peak_buffered_bytes <= BUFFER_BOUND,
        "the server held {} bytes",
        stats.peak_buffered_bytes
    );
    assert!(stats.peak_buffered_bytes > 0, "nothing was ever held");
}

#[test]
fn data_waiting_for_a_stalled_device_is_no_idleness() {
    let (config, _, open) = gated_port(4096);
    let idle = Duration::from_millis(200);
    let server = start(config.with_idle_timeout(Some(idle)));
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
    open.store(true, Ordering::Release);
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
#[test]
fn a_request_behind_data_for_a_stalled_device_is_answered_once_it_drains() {
    let (config, loopback, open) = gated_port(4096);
    let server = start(config);
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
    assert_eq!(loopback.buffered(), 4096);
    open.store(true, Ordering::Release);
    assert_eq!(client.reply(set_id), set);
    assert_eq!(client.reply(query_id), set);
    let echo = client.take_data(before.len() + after.len());
    assert!(echo == [before, after].concat(), "the echo differs");
    client.take_event("the server to resume us", |e| *e == ClientEvent::Resumed);
}
