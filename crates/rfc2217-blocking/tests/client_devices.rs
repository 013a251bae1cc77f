//! The client against our server on devices: a pty pair (data and baud;
//! ptys have no modem lines and force 8N), and a device that stops taking
//! data, so the server has to suspend the client.

mod client_common;

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use client_common::{loopback_server, payload, url};
use rfc2217_blocking::{
    open_port, Device, DeviceReader, Loopback, OpenOptions, OpenOptionsExt, PtyPair, Server,
    ServerConfig,
};
use rfc2217_client::Settings;
use rfc2217_proto::{Command, Purge};
use serialport::{DataBits, SerialPort};

/// Reads exactly `len` bytes from `source`, giving up after 30 s.
fn read_exactly(source: &mut dyn Read, len: usize) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut got = Vec::with_capacity(len);
    let mut buffer = [0u8; 8192];
    while got.len() < len {
        assert!(
            Instant::now() < deadline,
            "only {} of {len} bytes arrived",
            got.len()
        );
        match source.read(&mut buffer[..(len - got.len()).min(8192)]) {
            Ok(0) => panic!("end of stream after {} of {len} bytes", got.len()),
            Ok(n) => got.extend_from_slice(&buffer[..n]),
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => {}
            Err(error) => panic!("{error}"),
        }
    }
    got
}

#[test]
fn a_pty_pair_carries_a_mebibyte_each_way_byte_exact() {
    let mut pty = PtyPair::new().unwrap();
    let server = Server::bind("127.0.0.1:0", ServerConfig::new(pty.spec()))
        .and_then(Server::spawn)
        .unwrap();
    let mut port = OpenOptions::new(server.local_addr().to_string())
        .baud_rate(115_200)
        .read_timeout(Some(Duration::from_secs(1)))
        .open()
        .unwrap();
    // Baud rates are stored by a pty, even odd ones; data size is not.
    for baud in [1234, 115_200] {
        port.set_baud_rate(baud).unwrap();
        assert_eq!(SerialPort::baud_rate(&port).unwrap(), baud);
    }
    let error = port.set_data_bits(DataBits::Seven).unwrap_err();
    assert_eq!(
        error.description,
        "server rejected SET-DATASIZE 7 (in use: SET-DATASIZE 8)"
    );

    pty.far_end.set_timeout(Duration::from_millis(200)).unwrap();
    let to_device = payload(1 << 20, 11);
    let mut writer = port.try_clone();
    let sent = to_device.clone();
    let writing = thread::spawn(move || {
        writer.write_all(&sent).unwrap();
        writer.flush().unwrap();
    });
    assert!(
        read_exactly(&mut pty.far_end, to_device.len()) == to_device,
        "client -> device differs"
    );
    writing.join().unwrap();

    let from_device = payload(1 << 20, 12);
    let mut far_end = pty.far_end.try_clone_native().unwrap();
    let sent = from_device.clone();
    let writing = thread::spawn(move || far_end.write_all(&sent).unwrap());
    assert!(
        read_exactly(&mut port, from_device.len()) == from_device,
        "device -> client differs"
    );
    writing.join().unwrap();
}

#[test]
fn open_port_gives_the_same_trait_for_a_remote_port() {
    let server = loopback_server();
    let mut port = open_port(&url(server.local_addr()), 57_600).unwrap();
    assert_eq!(port.baud_rate().unwrap(), 57_600);
    port.set_timeout(Duration::from_secs(2)).unwrap();
    port.write_all(b"\xff\x00\r\n").unwrap();
    let mut echo = [0u8; 4];
    port.read_exact(&mut echo).unwrap();
    assert_eq!(&echo, b"\xff\x00\r\n");
    let error = open_port("rfc2217://127.0.0.1:1?bogus", 9600).unwrap_err();
    assert!(
        error.description.contains("unknown option `bogus`"),
        "{}",
        error.description
    );
}

/// A loopback that stops taking data while `stalled` is set, as a device
/// whose output is blocked by flow control.
struct Stallable {
    inner: Loopback,
    stalled: Arc<AtomicBool>,
}

impl Device for Stallable {
    fn name(&self) -> String {
        "stallable loop".into()
    }
    fn reader(&self) -> io::Result<Box<dyn DeviceReader>> {
        self.inner.reader()
    }
    fn write(&mut self, data: &[u8], timeout: Duration) -> io::Result<usize> {
        if self.stalled.load(Ordering::SeqCst) {
            thread::sleep(timeout);
            return Ok(0);
        }
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

#[test]
fn a_device_that_stops_taking_data_suspends_the_client_and_nothing_is_lost() {
    let stalled = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&stalled);
    let opener = move || {
        let device = Stallable {
            inner: Loopback::new(),
            stalled: Arc::clone(&flag),
        };
        Ok(Box::new(device) as Box<dyn Device>)
    };
    let server = Server::bind("127.0.0.1:0", ServerConfig::new(opener))
        .and_then(Server::spawn)
        .unwrap();
    let mut port = OpenOptions::new(server.local_addr().to_string())
        .read_timeout(Some(Duration::from_secs(1)))
        .write_timeout(Some(Duration::from_millis(300)))
        .open()
        .unwrap();
    // The device takes nothing: the server suspends us, and a write with a
    // timeout gives up instead of hanging.
    port.write_all(b"first").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !port.is_suspended_by_server() {
        assert!(
            Instant::now() < deadline,
            "the server never suspended the client"
        );
        thread::sleep(Duration::from_millis(5));
    }
    let error = port.write(b"held").unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
    // The device drains: the server resumes us and everything arrives once.
    stalled.store(false, Ordering::SeqCst);
    port.set_write_timeout(Some(Duration::from_secs(10)));
    let data = payload(64 * 1024, 13);
    port.write_all(&data).unwrap();
    let echo = read_exactly(&mut port, 5 + data.len());
    assert_eq!(&echo[..5], b"first");
    assert!(echo[5..] == data[..], "the echo differs");
    assert!(!port.is_suspended_by_server());
}
