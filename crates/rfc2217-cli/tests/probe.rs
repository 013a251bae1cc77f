//! `rfc2217 probe`: against `serve` on loop://, a server that leaves its
//! queries unanswered, one that does not speak RFC 2217, and nothing.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;

use common::{run, Serve};
use rfc2217_proto::{Config, Instant, ServerEvent, Session, TRANSMIT_QUEUE_CAPACITY};
use serde_json::Value;

fn json(stdout: &[u8]) -> Value {
    serde_json::from_slice(stdout).expect("probe --json prints JSON")
}

#[test]
fn reports_the_loopback_in_json() {
    let serve = Serve::loopback();
    let probe = run(&["probe", "--json", serve.url()], b"");
    assert!(probe.status.success(), "{}", probe.stderr);
    let report = json(&probe.stdout);
    assert_eq!(report["url"], serve.url());
    assert_eq!(
        report["telnet_options"],
        serde_json::json!([
            "BINARY (both ways)",
            "ECHO (server does)",
            "SUPPRESS-GO-AHEAD (both ways)",
            "COM-PORT-OPTION (we do)"
        ])
    );
    assert!(report["signature"]
        .as_str()
        .unwrap()
        .starts_with("rfc2217-mio "));
    assert_eq!(report["baud"], 9600);
    assert_eq!(report["data_bits"], "8");
    assert_eq!(report["parity"], "none");
    assert_eq!(report["stop_bits"], "1");
    assert_eq!(report["flow_control"], "none");
    // Probing changes nothing: DTR and RTS stay as the server left them
    // (off), so the loopback's DSR, CD and CTS are off too.
    assert_eq!(report["dtr"], "off");
    assert_eq!(report["rts"], "off");
    assert_eq!(report["break"], "off");
    assert_eq!(report["modem_lines"], serde_json::json!([]));
    assert_eq!(report["line_state"], "none reported");
    assert!(report["open_ms"].as_f64().unwrap() > 0.0);
    assert!(report["round_trip_ms"].as_f64().is_some());
}

#[test]
fn prints_the_same_fields_as_text() {
    let serve = Serve::loopback();
    let probe = run(&["probe", serve.url()], b"");
    assert!(probe.status.success(), "{}", probe.stderr);
    let text = probe.stdout();
    for line in [
        "telnet options  BINARY (both ways) ECHO (server does)",
        "baud            9600",
        "parity          none",
        "modem lines     none",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
}

/// Serves one client as an RFC 2217 server that carries out every setting
/// but answers no query (the core answers the signature and the modem
/// lines itself). The session reads no further input until each request
/// is answered, so a query is answered too, but that answer is dropped
/// instead of sent: what went before it is sent first.
fn answer_no_queries(listener: TcpListener) {
    let (mut socket, _) = listener.accept().unwrap();
    let mut session = Session::new(Config::server(), Instant::ZERO);
    let (mut input, mut data) = ([0u8; 4096], [0u8; 4096]);
    let mut out = [0u8; TRANSMIT_QUEUE_CAPACITY];
    while let Ok(n @ 1..) = socket.read(&mut input) {
        let mut wire = &input[..n];
        loop {
            let received = session.handle_input(Instant::ZERO, wire, &mut data);
            wire = &wire[received.consumed..];
            while let Some(event) = session.poll_event() {
                if let ServerEvent::Request(request) = event {
                    if !request.is_query() {
                        session.respond(request).unwrap();
                        continue;
                    }
                    let n = session.poll_transmit(&mut out);
                    if socket.write_all(&out[..n]).is_err() {
                        return;
                    }
                    session.respond(request).unwrap();
                    let _unsent = session.poll_transmit(&mut out);
                }
            }
            let n = session.poll_transmit(&mut out);
            if socket.write_all(&out[..n]).is_err() {
                return;
            }
            if wire.is_empty() {
                break;
            }
        }
    }
}

#[test]
fn unanswered_queries_say_so_and_still_exit_0() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("rfc2217://{}?timeout=0.5", listener.local_addr().unwrap());
    let server = thread::spawn(move || answer_no_queries(listener));
    let probe = run(&["probe", "--json", &url], b"");
    assert!(probe.status.success(), "{}", probe.stderr);
    let report = json(&probe.stdout);
    for field in ["baud", "parity", "dtr", "break", "round_trip_ms"] {
        assert_eq!(report[field], "unanswered", "{field}");
    }
    server.join().unwrap();
}

#[test]
fn a_server_without_rfc_2217_is_one_line_and_fails() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("rfc2217://{}?timeout=0.5", listener.local_addr().unwrap());
    let server = thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        socket.write_all(b"login: ").unwrap();
        let _ = socket.read(&mut [0; 1024]);
        socket
    });
    let probe = run(&["probe", &url], b"");
    assert!(!probe.status.success());
    assert_eq!(
        probe.stderr,
        "rfc2217: server did not agree to COM-PORT-OPTION (RFC 2217) within 0.5 s\n"
    );
    drop(server.join());
}

#[test]
fn an_unreachable_host_is_one_line_and_fails() {
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let probe = run(&["probe", &format!("rfc2217://{closed}")], b"");
    assert!(!probe.status.success());
    assert!(
        probe
            .stderr
            .starts_with(&format!("rfc2217: cannot connect to {closed}: ")),
        "{}",
        probe.stderr
    );
    assert_eq!(probe.stderr.lines().count(), 1);
}

#[test]
fn a_bad_url_is_one_line_and_fails() {
    let probe = run(&["probe", "rfc2217://127.0.0.1"], b"");
    assert!(!probe.status.success());
    assert_eq!(
        probe.stderr,
        "rfc2217: the URL has no port (expected rfc2217://HOST:PORT[?OPTION[&OPTION...]])\n"
    );
}
