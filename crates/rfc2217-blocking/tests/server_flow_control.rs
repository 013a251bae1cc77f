//! The server suspends a client whose data the device cannot take, and
//! resumes it once the device drains: a loopback whose read side the test
//! holds shut plays a device that stopped taking data.

mod server_common;

use std::io;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use rfc2217_blocking::{Device, DeviceReader, Loopback, ServerConfig};
use rfc2217_client::Settings;
use rfc2217_proto::{ClientEvent, Command, LineState, ModemState, Purge};
use server_common::{random_bytes, start, TestClient};

/// A gate the test opens and shuts.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn set_open(&self, open: bool) {
        *self.0 .0.lock().unwrap() = open;
        self.0 .1.notify_all();
    }

    /// Waits at most `timeout` for the gate to be open.
    fn wait_open(&self, timeout: Duration) -> bool {
        let guard = self.0 .0.lock().unwrap();
        let (guard, _) = self
            .0
             .1
            .wait_timeout_while(guard, timeout, |open| !*open)
            .unwrap();
        *guard
    }
}

/// A loopback whose reader reads only while the gate is open.
struct Gated {
    inner: Loopback,
    gate: Gate,
}

impl Device for Gated {
    fn name(&self) -> String {
        "gated loop".into()
    }
    fn reader(&self) -> io::Result<Box<dyn DeviceReader>> {
        Ok(Box::new(GatedReader {
            inner: self.inner.reader()?,
            gate: self.gate.clone(),
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

struct GatedReader {
    inner: Box<dyn DeviceReader>,
    gate: Gate,
}

impl DeviceReader for GatedReader {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        if !self.gate.wait_open(timeout) {
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

#[test]
fn a_device_that_stops_taking_data_suspends_the_client_until_it_drains() {
    let loopback = Loopback::with_capacity(4096);
    let gate = Gate::default();
    let (device_loop, device_gate) = (loopback.clone(), gate.clone());
    let server = start(ServerConfig::new(move || {
        Ok(Box::new(Gated {
            inner: device_loop.clone(),
            gate: device_gate.clone(),
        }) as Box<dyn Device>)
    }));
    let mut client = TestClient::ready(server.local_addr());
    // With the read side shut, the loopback fills and the server's write
    // to it stalls: the server asks us to stop sending.
    let payload = random_bytes(64 * 1024, 9);
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
    assert!(loopback.buffered() > 0);
    // Once the device drains, the server resumes us and nothing is lost.
    gate.set_open(true);
    client.take_event("the server to resume us", |e| *e == ClientEvent::Resumed);
    client.send(rest);
    let echo = client.take_data(payload.len());
    assert!(echo == payload, "the echo differs");
}
