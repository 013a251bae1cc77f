//! The client against our server on `loop://`: every setting, control
//! line, query, modem line, break, purge, and 1 MiB of 0xFF-rich data both
//! ways, byte-exact.

mod client_common;

use std::io::{Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use client_common::{loopback_server, payload, url};
use rfc2217_blocking::{OpenOptions, OpenOptionsExt, RemotePort};
use rfc2217_proto::{Command, Control, Purge};
use serialport::{ClearBuffer, DataBits, FlowControl, Parity, SerialPort, StopBits};

/// Waits until `condition` holds, for at most 3 s.
fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn opens_from_a_url_and_reports_the_settings_in_use() {
    let server = loopback_server();
    let port = RemotePort::open(&url(server.local_addr())).unwrap();
    let state = port.state();
    assert_eq!(state.baud_rate, Some(9600));
    assert_eq!((state.dtr, state.rts), (Some(true), Some(true)));
    // The signature is asked for at open but not awaited (some servers never
    // answer it), so it may come a moment later.
    assert!(eventually(|| port
        .server_signature()
        .is_some_and(|s| !s.is_empty())));
}

#[test]
fn every_setting_through_the_serialport_trait() {
    let server = loopback_server();
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

#[test]
fn every_set_control_value_is_answered() {
    let server = loopback_server();
    let port = RemotePort::open(&url(server.local_addr())).unwrap();
    for byte in 0..=19u8 {
        let control = Control::from_byte(byte);
        let answer = port.request(Command::SetControl(control)).unwrap();
        let Command::SetControl(in_use) = answer else {
            panic!("{answer:?}")
        };
        assert_eq!(in_use.group(), control.group(), "value {byte}");
    }
}

#[test]
fn modem_lines_follow_the_loopback_wiring() {
    let server = loopback_server();
    let mut port = RemotePort::open(&url(server.local_addr())).unwrap();
    // loop://: RTS drives CTS, DTR drives DSR and CD.
    port.set_dtr_rts(true, false).unwrap();
    assert!(eventually(
        || port.read_data_set_ready().unwrap() && !port.read_clear_to_send().unwrap()
    ));
    assert!(port.read_carrier_detect().unwrap());
    port.set_dtr_rts(false, true).unwrap();
    assert!(eventually(
        || port.read_clear_to_send().unwrap() && !port.read_data_set_ready().unwrap()
    ));
    assert!(!port.read_carrier_detect().unwrap() && !port.read_ring_indicator().unwrap());
    // Through the trait, one line at a time.
    port.write_request_to_send(false).unwrap();
    port.write_data_terminal_ready(true).unwrap();
    assert!(eventually(
        || !port.read_clear_to_send().unwrap() && port.read_data_set_ready().unwrap()
    ));
}

#[test]
fn break_purge_and_flush() {
    let server = loopback_server();
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
    // The loopback has echoed it by the time the barrier returns.
    assert!(eventually(|| RemotePort::bytes_to_read(&port) == 18));
    port.clear(ClearBuffer::Input).unwrap();
    assert_eq!(RemotePort::bytes_to_read(&port), 0);
}

#[test]
fn one_mebibyte_of_0xff_rich_data_both_ways_byte_exact() {
    let server = loopback_server();
    let port = RemotePort::open(&url(server.local_addr())).unwrap();
    let data = payload(1 << 20, 7);
    let mut writer = port.try_clone();
    let sent = data.clone();
    let writing = thread::spawn(move || {
        for chunk in sent.chunks(4096) {
            writer.write_all(chunk).unwrap();
        }
        writer.flush().unwrap();
    });
    let mut reader = port.try_clone();
    reader.set_read_timeout(Some(Duration::from_secs(10)));
    let mut echoed = Vec::with_capacity(data.len());
    let mut buffer = [0u8; 8192];
    while echoed.len() < data.len() {
        let n = reader.read(&mut buffer).unwrap();
        assert!(n > 0, "the server closed after {} bytes", echoed.len());
        echoed.extend_from_slice(&buffer[..n]);
    }
    writing.join().unwrap();
    assert_eq!(echoed.len(), data.len());
    assert!(echoed == data, "the echo differs from what was sent");
}

#[test]
fn reads_time_out_and_see_the_end_of_stream() {
    let server = loopback_server();
    let mut port = OpenOptions::from_url(&url(server.local_addr()))
        .unwrap()
        .read_timeout(Some(Duration::from_millis(100)))
        .open()
        .unwrap();
    let mut buffer = [0u8; 16];
    let error = port.read(&mut buffer).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
    server.shutdown().unwrap();
    let mut ended = false;
    assert!(eventually(|| {
        ended = matches!(port.read(&mut buffer), Ok(0));
        ended
    }));
    assert!(
        port.write(b"x").is_err(),
        "writing to a closed port is an error"
    );
}

#[test]
fn keep_settings_opens_without_touching_the_port() {
    // A server whose device starts at 38400: a kept-settings open leaves it so.
    let defaults = rfc2217_client::Settings {
        baud_rate: 38_400,
        ..rfc2217_client::Settings::default()
    };
    let config = rfc2217_blocking::ServerConfig::loopback().with_defaults(defaults);
    let server = rfc2217_blocking::Server::bind("127.0.0.1:0", config)
        .and_then(rfc2217_blocking::Server::spawn)
        .unwrap();
    let port = OpenOptions::from_url(&url(server.local_addr()))
        .unwrap()
        .keep_settings()
        .open()
        .unwrap();
    assert_eq!(
        port.request(Command::SetBaudRate(0)).unwrap(),
        Command::SetBaudRate(38_400)
    );
    assert_eq!(port.state().dtr, None, "DTR was not set at open");
    use rfc2217_proto::{Side, TelnetOption};
    assert!(port.is_option_enabled(TelnetOption::Binary, Side::Local));
    assert!(port.is_option_enabled(TelnetOption::ComPort, Side::Local));
}
