//! The mio client against scripted servers: what it reports when a server
//! refuses, stays silent, answers wrongly, suspends us, vanishes, or is not
//! there at all. The errors are the blocking client's, word for word.

mod client_common;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use client_common::{agree, fake_server, run_session, url, Driver};
use rfc2217_mio::{Error, OpenOptions, PortEvent};
use rfc2217_proto::{Command, Config, Control, DataSize, ModemState};

const SHORT: Duration = Duration::from_millis(300);

fn short(addr: SocketAddr) -> OpenOptions {
    OpenOptions::new(addr.to_string()).answer_timeout(SHORT)
}

/// Opens and returns the error message of an open that must fail.
fn open_failure(options: OpenOptions) -> String {
    match Driver::open(options) {
        Ok(_) => panic!("the port opened"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn nobody_listening_is_a_connect_error_naming_the_address() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let message = open_failure(short(addr));
    assert!(
        message.starts_with(&format!("cannot connect to {addr}")),
        "{message}"
    );
}

#[test]
fn a_silent_server_never_agrees_to_com_port() {
    let (addr, _server) = fake_server(|mut stream| {
        let mut sink = [0u8; 1024];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    });
    let started = Instant::now();
    let message = open_failure(short(addr));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "bounded by the timeout"
    );
    assert_eq!(
        message,
        "server did not agree to COM-PORT-OPTION (RFC 2217) within 0.3 s"
    );
}

#[test]
fn a_server_refusing_com_port_is_named_at_once() {
    let (addr, _server) = fake_server(|mut stream| {
        // Refuse our WILL COM-PORT and offer nothing.
        let _ = stream.write_all(&[255, 254, 44]);
        let mut sink = [0u8; 1024];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    });
    let started = Instant::now();
    let mut driver = Driver::connect(short(addr));
    let event = driver.wait_for("the failure", |e| matches!(e, PortEvent::OpenFailed(_)));
    let PortEvent::OpenFailed(error) = event else {
        unreachable!()
    };
    assert_eq!(
        error.to_string(),
        "server does not support COM-PORT-OPTION (RFC 2217)"
    );
    assert!(started.elapsed() < SHORT, "a refusal needs no timeout");
    driver.wait_for("the end", |e| matches!(e, PortEvent::Closed(_)));
    assert!(driver.inbox.is_empty(), "{:?}", driver.inbox);
}

#[test]
fn an_unanswered_opening_request_names_the_command() {
    let (addr, _server) = fake_server(|stream| {
        // Speaks RFC 2217 but its application never answers.
        run_session(stream, Config::server(), |_, _| {}, |_, _| {});
    });
    assert_eq!(
        open_failure(short(addr)),
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
    let mut driver = Driver::open(short(addr)).unwrap();
    let error = driver
        .request(Command::SetDataSize(DataSize::Seven))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "server rejected SET-DATASIZE 7 (in use: SET-DATASIZE 8)"
    );
    // Asking what is in use is no rejection.
    let in_use = driver.request(Command::SetDataSize(DataSize::Query));
    assert_eq!(in_use.unwrap(), Command::SetDataSize(DataSize::Eight));
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
    let mut driver = Driver::open(short(addr)).unwrap();
    for id in driver.port.set_dtr_rts(false, false).unwrap() {
        driver.answer(id).unwrap();
    }

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
    let options = OpenOptions::from_url(&format!("{}?ign_set_control&timeout=0.3", url(addr)));
    let mut driver = Driver::open(options.unwrap()).unwrap();
    // Not awaited: answered with the request itself, at once.
    let [dtr, rts] = driver.port.set_dtr_rts(true, true).unwrap();
    assert_eq!(
        driver.answer(dtr).unwrap(),
        Command::SetControl(Control::DtrOn)
    );
    assert_eq!(
        driver.answer(rts).unwrap(),
        Command::SetControl(Control::RtsOn)
    );
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
    let mut driver = Driver::open(short(addr)).unwrap();
    for id in driver.port.set_dtr_rts(false, false).unwrap() {
        driver.answer(id).unwrap();
    }
    drop(driver);
    server.join().unwrap();
}

#[test]
fn poll_modem_asks_the_server_on_a_timer() {
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
    let options = short(addr).poll_modem(Some(Duration::from_millis(50)));
    let mut driver = Driver::open(options).unwrap();
    // The first answer may come before the server's lines are up.
    let up = ModemState::CTS | ModemState::RI;
    let event = driver.wait_for(
        "the modem lines",
        |e| matches!(e, PortEvent::ModemState(lines) if lines.contains(up)),
    );
    let PortEvent::ModemState(lines) = event else {
        unreachable!()
    };
    assert_eq!(driver.port.modem_state(), Some(lines));
    // The poll is on the port's timer: turning the loop is enough.
    let until = Instant::now() + Duration::from_millis(300);
    driver.until("a few polls", |_| Instant::now() > until);
    drop(driver);
    server.join().unwrap();
}

#[test]
fn writes_wait_while_the_server_suspends_us() {
    let (addr, server) = fake_server(|stream| {
        let mut rounds = 0;
        let received = run_session(stream, Config::server(), agree, |session, _| {
            rounds += 1;
            if session.is_com_port_active() && rounds == 5 {
                session.suspend_peer().unwrap();
            }
            if rounds == 30 {
                session.resume_peer().unwrap();
            }
        });
        assert_eq!(received.data, b"after resume");
    });
    let mut driver = Driver::open(short(addr)).unwrap();
    driver.wait_for("the suspension", |e| matches!(e, PortEvent::Suspended));
    assert!(driver.port.is_suspended_by_server());
    let error = driver.port.write(b"during suspension").unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::WouldBlock);
    // A request waits too, and its timer only runs once it is sent.
    let id = driver.port.request(Command::SetBaudRate(19_200)).unwrap();
    driver.wait_for("the resumption", |e| matches!(e, PortEvent::Resumed));
    assert_eq!(driver.answer(id).unwrap(), Command::SetBaudRate(19_200));
    driver.write_all(b"after resume", &mut Vec::new());
    driver.barrier().unwrap();
    drop(driver);
    server.join().unwrap();
}

#[test]
fn a_vanishing_server_fails_the_waiting_requests_then_closes() {
    let (addr, _server) = fake_server(|stream| {
        // Answers everything but queries, and leaves after a while.
        let mut rounds = 0;
        run_session(
            stream,
            Config::server(),
            |session, request| {
                if request != Command::SetBaudRate(0) {
                    agree(session, request);
                }
            },
            |_, stream| {
                rounds += 1;
                if rounds == 20 {
                    let _ = stream.shutdown(std::net::Shutdown::Both);
                }
            },
        );
    });
    let options = OpenOptions::new(addr.to_string()).answer_timeout(Duration::from_secs(5));
    let mut driver = Driver::open(options).unwrap();
    let id = driver.port.request(Command::SetBaudRate(0)).unwrap();
    let error = driver.answer(id).unwrap_err();
    assert!(matches!(error, Error::Closed(_)), "{error}");
    let closed = driver.wait_for("the end", |e| matches!(e, PortEvent::Closed(_)));
    assert!(
        matches!(&closed, PortEvent::Closed(reason) if reason == "the server closed the connection"),
        "{closed:?}"
    );
}
