//! The client against scripted servers: what it does when a server refuses,
//! stays silent, answers wrongly, suspends us, or is not there at all. The
//! errors must name the problem.

mod client_common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use client_common::{agree, fake_server, run_session, url};
use rfc2217_blocking::{Error, OpenOptions, OpenOptionsExt};
use rfc2217_proto::{Command, Config, Control, DataSize, ModemState};
use serialport::SerialPort;

const SHORT: Duration = Duration::from_millis(300);

fn open_short(addr: std::net::SocketAddr) -> Result<rfc2217_blocking::RemotePort, Error> {
    OpenOptions::new(addr.to_string())
        .answer_timeout(SHORT)
        .open()
}

#[test]
fn nobody_listening_is_a_connect_error_naming_the_address() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let error = open_short(addr).unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("cannot connect to {addr}")),
        "{message}"
    );
}

#[test]
fn a_silent_server_never_agrees_to_com_port() {
    let (addr, server) = fake_server(|mut stream| {
        let mut sink = [0u8; 1024];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    });
    let started = Instant::now();
    let error = open_short(addr).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "bounded by the answer timeout"
    );
    assert_eq!(
        error.to_string(),
        "server did not agree to COM-PORT-OPTION (RFC 2217) within 0.3 s"
    );
    drop(server);
}

#[test]
fn a_server_refusing_com_port_is_named() {
    let (addr, _server) = fake_server(|mut stream| {
        // Refuse our WILL COM-PORT and offer nothing.
        let _ = stream.write_all(&[255, 254, 44]);
        let mut sink = [0u8; 1024];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    });
    let started = Instant::now();
    let error = open_short(addr).unwrap_err();
    assert_eq!(
        error.to_string(),
        "server does not support COM-PORT-OPTION (RFC 2217)"
    );
    assert!(started.elapsed() < SHORT, "a refusal needs no timeout");
}

#[test]
fn an_unanswered_request_names_the_command() {
    let (addr, _server) = fake_server(|stream| {
        // Speaks RFC 2217 but its application never answers.
        run_session(stream, Config::server(), |_, _| {}, |_, _| {});
    });
    let error = open_short(addr).unwrap_err();
    assert_eq!(
        error.to_string(),
        "no answer to SET-BAUDRATE 9600 within 0.3 s"
    );
}

#[test]
fn a_rejected_setting_names_the_value_in_use() {
    let (addr, _server) = fake_server(|stream| {
        // A pty-like device: always 8 data bits.
        run_session(
            stream,
            Config::server(),
            |session, request| match request {
                Command::SetDataSize(_) => session
                    .respond(Command::SetDataSize(DataSize::Eight))
                    .unwrap(),
                other => agree(session, other),
            },
            |_, _| {},
        );
    });
    let mut port = open_short(addr).unwrap();
    let error = port.set_data_bits(serialport::DataBits::Seven).unwrap_err();
    assert_eq!(
        error.description,
        "server rejected SET-DATASIZE 7 (in use: SET-DATASIZE 8)"
    );
}

#[test]
fn sredird_style_control_answers_are_tolerated_and_ign_set_control_skips_them() {
    let (addr, _server) = fake_server(|stream| {
        run_session(
            stream,
            Config::server(),
            |session, request| match request {
                // sredird answers DTR/RTS changes with `105 1`.
                Command::SetControl(_) => session
                    .respond(Command::SetControl(Control::NoFlowControl))
                    .unwrap(),
                other => agree(session, other),
            },
            |_, _| {},
        );
    });
    let port = open_short(addr).unwrap();
    port.set_dtr_rts(false, false).unwrap();

    let (addr, _server) = fake_server(|stream| {
        // ser2net on a pty: no answer at all to DTR/RTS changes.
        run_session(
            stream,
            Config::server(),
            |session, request| {
                if !matches!(request, Command::SetControl(_)) {
                    agree(session, request);
                }
            },
            |_, _| {},
        );
    });
    let url = format!("{}?ign_set_control&timeout=0.3", url(addr));
    let port = OpenOptions::from_url(&url).unwrap().open().unwrap();
    port.set_dtr_rts(true, true).unwrap();
}

#[test]
fn set_dtr_rts_puts_both_changes_in_one_segment() {
    let (addr, server) = fake_server(|stream| {
        let received = run_session(stream, Config::server(), agree, |_, _| {});
        let dtr = [255, 250, 44, 5, 9, 255, 240];
        let rts = [255, 250, 44, 5, 12, 255, 240];
        let both: Vec<u8> = [&dtr[..], &rts[..]].concat();
        // Some read held both changes together.
        let mut offset = 0;
        let together = received.reads.iter().any(|&n| {
            let read = &received.raw[offset..offset + n];
            offset += n;
            read.windows(both.len()).any(|w| w == both.as_slice())
        });
        assert!(together, "DTR and RTS arrived apart: {:?}", received.reads);
    });
    let port = open_short(addr).unwrap();
    port.set_dtr_rts(false, false).unwrap();
    drop(port);
    server.join().unwrap();
}

#[test]
fn poll_modem_asks_the_server_when_the_cached_state_is_stale() {
    let (addr, server) = fake_server(|stream| {
        let mut lines_set = false;
        let received = run_session(stream, Config::server(), agree, |session, _| {
            if !lines_set && session.is_com_port_active() {
                lines_set = session
                    .handle_modem_lines(ModemState::CTS | ModemState::RI)
                    .is_ok();
            }
        });
        let polls = received
            .raw
            .windows(4)
            .filter(|w| *w == [255, 250, 44, 7])
            .count();
        assert!(polls >= 2, "the client polled {polls} times");
    });
    let port = OpenOptions::new(addr.to_string())
        .answer_timeout(SHORT)
        .poll_modem(Some(Duration::ZERO))
        .open()
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    for _ in 0..2 {
        let state = port.modem_state().unwrap();
        assert!(
            state.contains(ModemState::CTS | ModemState::RI),
            "{state:?}"
        );
    }
    drop(port);
    server.join().unwrap();
}

#[test]
fn writes_wait_while_the_server_suspends_us_and_time_out() {
    let (addr, server) = fake_server(|stream| {
        let mut rounds = 0;
        let received = run_session(stream, Config::server(), agree, |session, _| {
            rounds += 1;
            if session.is_com_port_active() && rounds == 5 {
                session.suspend_peer().unwrap();
            }
            if rounds == 40 {
                session.resume_peer().unwrap();
            }
        });
        assert_eq!(received.data, b"after resume");
    });
    let mut port = OpenOptions::new(addr.to_string())
        .answer_timeout(SHORT)
        .write_timeout(Some(Duration::from_millis(200)))
        .open()
        .unwrap();
    std::thread::sleep(Duration::from_millis(150)); // the SUSPEND arrives
    let error = port.write(b"during suspension").unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
    assert!(error.to_string().contains("FLOWCONTROL-SUSPEND"), "{error}");
    port.set_write_timeout(Some(Duration::from_secs(3)));
    let started = Instant::now();
    port.write_all(b"after resume").unwrap();
    assert!(
        started.elapsed() > Duration::from_millis(100),
        "waited for the RESUME"
    );
    port.flush().unwrap();
    drop(port);
    server.join().unwrap();
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
                std::thread::sleep(Duration::from_secs(2));
            }
        });
        let _ = received_tx.send(received.data);
    });
    let mut port = OpenOptions::new(addr.to_string())
        .answer_timeout(SHORT)
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
