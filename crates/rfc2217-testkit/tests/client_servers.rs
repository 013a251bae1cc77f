//! Every client against scripted servers: what it reports when a server
//! refuses, stays silent, answers wrongly, suspends us, vanishes, or is not
//! there at all. The errors name the problem, in the same words for every
//! client.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use rfc2217_client::{Error, OpenOptions};
use rfc2217_proto::{Command, Config, Control, DataSize, ModemState};
use rfc2217_testkit::client::Client;
use rfc2217_testkit::fake_server::{agree, fake_server, run_session};
use rfc2217_testkit::on_every_client;
use rfc2217_testkit::url;
use rfc2217_testkit::PATIENCE;

const SHORT: Duration = Duration::from_millis(300);

fn short(addr: SocketAddr) -> OpenOptions {
    OpenOptions::new(addr.to_string()).answer_timeout(SHORT)
}

/// The error message of an open that must fail.
fn open_failure<C: Client>(options: OpenOptions) -> String {
    match C::open_with(options) {
        Ok(_) => panic!("the port opened"),
        Err(error) => error.to_string(),
    }
}

fn nobody_listening_is_a_connect_error_naming_the_address<C: Client>() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let message = open_failure::<C>(short(addr));
    assert!(
        message.starts_with(&format!("cannot connect to {addr}")),
        "{message}"
    );
}

fn a_silent_server_never_agrees_to_com_port<C: Client>() {
    let (addr, _server) = fake_server(|mut stream| {
        let mut sink = [0u8; 1024];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    });
    let started = Instant::now();
    let message = open_failure::<C>(short(addr));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "bounded by the answer timeout"
    );
    assert_eq!(
        message,
        "server did not agree to COM-PORT-OPTION (RFC 2217) within 0.3 s"
    );
}

fn a_server_refusing_com_port_is_named_at_once<C: Client>() {
    let (addr, _server) = fake_server(|mut stream| {
        // Refuse our WILL COM-PORT and offer nothing.
        let _ = stream.write_all(&[255, 254, 44]);
        let mut sink = [0u8; 1024];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    });
    let started = Instant::now();
    assert_eq!(
        open_failure::<C>(short(addr)),
        "server does not support COM-PORT-OPTION (RFC 2217)"
    );
    assert!(started.elapsed() < SHORT, "a refusal needs no timeout");
}

fn an_unanswered_opening_request_names_the_command<C: Client>() {
    let (addr, _server) = fake_server(|stream| {
        // Speaks RFC 2217 but its application never answers.
        run_session(stream, Config::server(), |_, _| {}, |_, _| {});
    });
    assert_eq!(
        open_failure::<C>(short(addr)),
        "no answer to SET-BAUDRATE 9600 within 0.3 s"
    );
}

fn a_rejected_setting_names_the_value_in_use<C: Client>() {
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
    let mut client = C::open_with(short(addr)).unwrap();
    let error = client
        .request(Command::SetDataSize(DataSize::Seven))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "server rejected SET-DATASIZE 7 (in use: SET-DATASIZE 8)"
    );
    // Asking what is in use is no rejection.
    let in_use = client.request(Command::SetDataSize(DataSize::Query));
    assert_eq!(in_use.unwrap(), Command::SetDataSize(DataSize::Eight));
}

fn sredird_style_control_answers_are_tolerated_and_ign_set_control_skips_them<C: Client>() {
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
    let mut client = C::open_with(short(addr)).unwrap();
    client.set_dtr_rts(false, false).unwrap();

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
    let mut client = C::open_with(options.unwrap()).unwrap();
    client.set_dtr_rts(true, true).unwrap();
    // Not awaited: answered with the request itself, at once.
    let dtr = Command::SetControl(Control::DtrOn);
    assert_eq!(client.request(dtr).unwrap(), dtr);
}

fn set_dtr_rts_puts_both_changes_in_one_segment<C: Client>() {
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
    let mut client = C::open_with(short(addr)).unwrap();
    client.set_dtr_rts(false, false).unwrap();
    drop(client);
    server.join().unwrap();
}

fn poll_modem_asks_the_server_when_the_cached_state_is_stale<C: Client>() {
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
    let mut client = C::open_with(options).unwrap();
    // The first answer may come before the server's lines are up.
    let up = ModemState::CTS | ModemState::RI;
    let deadline = Instant::now() + PATIENCE;
    while !client.modem_state().is_some_and(|lines| lines.contains(up)) {
        assert!(Instant::now() < deadline, "no modem lines");
    }
    // Go on using the port for a while: the cached state goes stale, and
    // is asked for again, several times.
    let until = Instant::now() + Duration::from_millis(300);
    while Instant::now() < until {
        let lines = client.modem_state().expect("the modem lines");
        assert!(lines.contains(up), "{lines:?}");
    }
    drop(client);
    server.join().unwrap();
}

fn writes_wait_while_the_server_suspends_us<C: Client>() {
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
    let mut client = C::open_with(short(addr)).unwrap();
    let deadline = Instant::now() + PATIENCE;
    while !client.is_suspended() {
        assert!(Instant::now() < deadline, "the server never suspended us");
    }
    let error = client.write_once(b"during suspension").unwrap_err();
    assert_eq!(error.kind(), C::HELD_BACK, "{error}");
    if error.kind() == io::ErrorKind::TimedOut {
        assert!(error.to_string().contains("FLOWCONTROL-SUSPEND"), "{error}");
    }
    // A request waits too (its timer only runs once it is sent): it is
    // answered only after the server resumed us.
    let in_use = client.request(Command::SetBaudRate(19_200)).unwrap();
    assert_eq!(in_use, Command::SetBaudRate(19_200));
    assert!(!client.is_suspended(), "answered while still suspended");
    client.write_and_barrier(b"after resume").unwrap();
    drop(client);
    server.join().unwrap();
}

fn a_vanishing_server_fails_the_waiting_requests_then_closes<C: Client>() {
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
    let mut client = C::open_with(options).unwrap();
    let error = client.request(Command::SetBaudRate(0)).unwrap_err();
    assert!(matches!(error, Error::Closed(_)), "{error}");
    assert_eq!(
        error.to_string(),
        "connection closed: the server closed the connection"
    );
    assert!(client.read_to_end().is_empty());
}

on_every_client!(
    nobody_listening_is_a_connect_error_naming_the_address,
    a_silent_server_never_agrees_to_com_port,
    a_server_refusing_com_port_is_named_at_once,
    an_unanswered_opening_request_names_the_command,
    a_rejected_setting_names_the_value_in_use,
    sredird_style_control_answers_are_tolerated_and_ign_set_control_skips_them,
    set_dtr_rts_puts_both_changes_in_one_segment,
    poll_modem_asks_the_server_when_the_cached_state_is_stale,
    writes_wait_while_the_server_suspends_us,
    a_vanishing_server_fails_the_waiting_requests_then_closes,
);
