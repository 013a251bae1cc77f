//! What only the thread client has: the `serialport::SerialPort` trait
//! (settings, modem lines, break and clear through it, and `open_port` for
//! a local or a remote port), read and write timeouts.

use std::io::{Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use rfc2217_blocking::{open_port, OpenOptions, OpenOptionsExt, RemotePort};
use rfc2217_device::PtyPair;
use rfc2217_proto::{Config, Purge};
use rfc2217_server::ServerConfig;
use rfc2217_testkit::fake_server::{agree, fake_server, run_session};
use rfc2217_testkit::ServerKind;
use rfc2217_testkit::PATIENCE;
use rfc2217_testkit::{random_bytes, url};
use serialport::{ClearBuffer, DataBits, FlowControl, Parity, SerialPort, StopBits};

/// Waits until `condition` holds, for at most [`PATIENCE`].
fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn every_setting_through_the_serialport_trait() {
    for kind in [ServerKind::Thread, ServerKind::Mio] {
        let server = kind.start(ServerConfig::loopback());
        let mut port = RemotePort::open(&url(server.local_addr())).unwrap();
        for baud in [300, 115_200, 1_234, 0xFF_FFFF] {
            port.set_baud_rate(baud).unwrap();
            assert_eq!(SerialPort::baud_rate(&port).unwrap(), baud);
        }
        for bits in [
            DataBits::Five,
            DataBits::Six,
            DataBits::Seven,
            DataBits::Eight,
        ] {
            port.set_data_bits(bits).unwrap();
            assert_eq!(port.data_bits().unwrap(), bits);
        }
        for parity in [Parity::Odd, Parity::Even, Parity::None] {
            port.set_parity(parity).unwrap();
            assert_eq!(port.parity().unwrap(), parity);
        }
        for stop in [StopBits::Two, StopBits::One] {
            port.set_stop_bits(stop).unwrap();
            assert_eq!(port.stop_bits().unwrap(), stop);
        }
        for flow in [
            FlowControl::Software,
            FlowControl::Hardware,
            FlowControl::None,
        ] {
            port.set_flow_control(flow).unwrap();
            assert_eq!(port.flow_control().unwrap(), flow);
        }
    }
}

#[test]
fn modem_lines_through_the_serialport_trait() {
    let server = ServerKind::Thread.start(ServerConfig::loopback());
    let mut port = RemotePort::open(&url(server.local_addr())).unwrap();
    // loop://: RTS drives CTS, DTR drives DSR and CD.
    port.set_dtr_rts(true, false).unwrap();
    eventually("DSR without CTS", || {
        port.read_data_set_ready().unwrap() && !port.read_clear_to_send().unwrap()
    });
    assert!(port.read_carrier_detect().unwrap());
    port.set_dtr_rts(false, true).unwrap();
    eventually("CTS without DSR", || {
        port.read_clear_to_send().unwrap() && !port.read_data_set_ready().unwrap()
    });
    assert!(!port.read_carrier_detect().unwrap() && !port.read_ring_indicator().unwrap());
    // Through the trait, one line at a time.
    port.write_request_to_send(false).unwrap();
    port.write_data_terminal_ready(true).unwrap();
    eventually("DSR without CTS again", || {
        !port.read_clear_to_send().unwrap() && port.read_data_set_ready().unwrap()
    });
}

#[test]
fn break_clear_and_flush_through_the_serialport_trait() {
    let server = ServerKind::Thread.start(ServerConfig::loopback());
    let mut port = RemotePort::open(&url(server.local_addr())).unwrap();
    port.send_break(Duration::from_millis(30)).unwrap();
    port.set_break().unwrap();
    assert_eq!(port.state().break_on, Some(true));
    port.clear_break().unwrap();
    assert_eq!(port.state().break_on, Some(false));
    for purge in [ClearBuffer::Input, ClearBuffer::Output, ClearBuffer::All] {
        port.clear(purge).unwrap();
    }
    port.purge(Purge::Both).unwrap();
    port.write_all(b"before the barrier").unwrap();
    port.flush().unwrap();
    eventually("the echo", || RemotePort::bytes_to_read(&port) == 18);
    port.clear(ClearBuffer::Input).unwrap();
    assert_eq!(RemotePort::bytes_to_read(&port), 0);
}

#[test]
fn open_port_gives_the_same_trait_for_a_remote_port() {
    let server = ServerKind::Thread.start(ServerConfig::loopback());
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

#[test]
fn reads_time_out() {
    let server = ServerKind::Thread.start(ServerConfig::loopback());
    let mut port = OpenOptions::from_url(&url(server.local_addr()))
        .unwrap()
        .read_timeout(Some(Duration::from_millis(100)))
        .open()
        .unwrap();
    let mut buffer = [0u8; 16];
    let started = Instant::now();
    let error = port.read(&mut buffer).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
    assert!(started.elapsed() >= Duration::from_millis(100));
}

#[test]
fn a_write_timeout_leaves_the_port_open_and_loses_nothing() {
    let (received_tx, received_rx) = std::sync::mpsc::channel();
    let (addr, server) = fake_server(move |stream| {
        let mut stalled = false;
        let received = run_session(stream, Config::server(), agree, |session, _| {
            // Once open, stop reading for a while: TCP fills up.
            if session.is_com_port_active() && !stalled {
                stalled = true;
                thread::sleep(Duration::from_secs(2));
            }
        });
        let _ = received_tx.send(received.data);
    });
    let mut port = OpenOptions::new(addr.to_string())
        .answer_timeout(Duration::from_millis(300))
        .write_timeout(Some(Duration::from_millis(100)))
        .open()
        .unwrap();
    // Loopback TCP buffers grow to megabytes: send far more than they hold.
    let data: Vec<u8> = (0..32 << 20).map(|i: u32| (i % 251) as u8).collect();
    let mut sent = 0;
    let timed_out = loop {
        match port.write(&data[sent..]) {
            Ok(n) => sent += n,
            Err(error) => break error,
        }
        assert!(
            sent < data.len(),
            "32 MiB went into a server that does not read"
        );
    };
    assert_eq!(
        timed_out.kind(),
        std::io::ErrorKind::TimedOut,
        "{timed_out}"
    );
    // Still open: the rest goes once the server reads again.
    port.set_write_timeout(Some(Duration::from_secs(20)));
    port.write_all(&data[sent..]).unwrap();
    port.flush().unwrap();
    drop(port);
    server.join().unwrap();
    let received = received_rx.recv().unwrap();
    assert_eq!(received.len(), data.len());
    assert!(received == data, "every byte exactly once, in order");
}

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
    let server = ServerKind::Thread.start(ServerConfig::new(pty.spec()));
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
    let to_device = random_bytes(1 << 20, 11);
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

    let from_device = random_bytes(1 << 20, 12);
    let mut far_end = pty.far_end.try_clone_native().unwrap();
    let sent = from_device.clone();
    let writing = thread::spawn(move || far_end.write_all(&sent).unwrap());
    assert!(
        read_exactly(&mut port, from_device.len()) == from_device,
        "device -> client differs"
    );
    writing.join().unwrap();
}
