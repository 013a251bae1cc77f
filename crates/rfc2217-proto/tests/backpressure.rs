//! Bounded memory: a peer that floods the session makes it stop consuming
//! input until the caller drains, and nothing is lost.

mod common;

use common::{com_port, drain_transmit};
use rfc2217_proto::{Command, Config, Instant, Server, ServerEvent, Session, SIGNATURE_CAPACITY};

const NOW: Instant = Instant::ZERO;

/// A server whose client agreed to COM-PORT-OPTION, with nothing queued.
fn server(config: Config<Server>) -> Session<Server> {
    let mut session = Session::new(config, NOW);
    let received = session.handle_input(NOW, &[0xFF, 251, 44], &mut [0u8; 1]);
    assert_eq!(received.consumed, 3);
    while session.poll_event().is_some() {}
    let _ = drain_transmit(&mut session);
    session
}

#[test]
fn an_unanswered_request_stops_the_input_and_nothing_is_lost() {
    let mut server = server(Config::server());
    let flood: Vec<u8> = (0..1000u32)
        .flat_map(|rate| com_port(&[1, 0, 0, (rate >> 8) as u8, rate as u8]))
        .collect();
    let mut data = [0u8; 64];
    let first = server.handle_input(NOW, &flood, &mut data);
    let one_request = com_port(&[1, 0, 0, 0, 0]).len();
    assert_eq!(
        first.consumed, one_request,
        "decoding stops after the first request"
    );
    // A caller that neither drains nor answers makes no further progress...
    let again = server.handle_input(NOW, &flood[first.consumed..], &mut data);
    assert_eq!(again.consumed, 0);
    let mut requests: Vec<ServerEvent> = std::iter::from_fn(|| server.poll_event()).collect();
    let stuck = server.handle_input(NOW, &flood[first.consumed..], &mut data);
    assert_eq!(stuck.consumed, 0, "drained but not answered");
    // ...and one that answers gets every request, in order.
    let mut rest = &flood[first.consumed..];
    loop {
        server.respond(Command::SetBaudRate(9600)).unwrap();
        let _ = drain_transmit(&mut server);
        if rest.is_empty() {
            break;
        }
        let step = server.handle_input(NOW, rest, &mut data);
        rest = &rest[step.consumed..];
        requests.extend(std::iter::from_fn(|| server.poll_event()));
    }
    let expected: Vec<ServerEvent> = (0..1000u32)
        .map(|rate| ServerEvent::Request(Command::SetBaudRate(rate)))
        .collect();
    assert_eq!(requests, expected);
}

#[test]
fn undrained_answers_stop_the_input_and_every_answer_is_sent() {
    // The largest possible answer: a signature of 64 bytes of 0xFF.
    let signature = [0xFF; SIGNATURE_CAPACITY];
    let mut server = server(Config::server().with_signature(&signature).unwrap());
    let flood: Vec<u8> = (0..200).flat_map(|_| com_port(&[0])).collect();
    let mut data = [0u8; 64];
    let first = server.handle_input(NOW, &flood, &mut data);
    assert!(
        first.consumed < flood.len(),
        "the outbox must fill and stop decoding"
    );
    assert_eq!(
        server
            .handle_input(NOW, &flood[first.consumed..], &mut data)
            .consumed,
        0
    );
    let mut sent = drain_transmit(&mut server);
    let mut rest = &flood[first.consumed..];
    while !rest.is_empty() {
        let step = server.handle_input(NOW, rest, &mut data);
        assert!(step.consumed > 0);
        rest = &rest[step.consumed..];
        sent.extend(drain_transmit(&mut server));
    }
    let mut answer = vec![100];
    answer.extend_from_slice(&signature);
    let one = com_port(&answer);
    assert_eq!(sent.len(), 200 * one.len());
    assert!(sent.chunks(one.len()).all(|chunk| chunk == one.as_slice()));
}

#[test]
fn a_full_data_buffer_stops_the_input_without_dropping_data() {
    let mut client = Session::new(Config::client(), NOW);
    let payload: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    let mut wire = Vec::new();
    for &b in &payload {
        wire.push(b);
        if b == 0xFF {
            wire.push(0xFF);
        }
    }
    // The peer is not in BINARY yet, so NVT rules apply; the payload never
    // has a NUL after a CR, so every byte must come through.
    let mut got = Vec::new();
    let mut data = [0u8; 7];
    let mut rest = wire.as_slice();
    while !rest.is_empty() {
        let step = client.handle_input(NOW, rest, &mut data);
        assert!(step.data_len <= data.len());
        got.extend_from_slice(&data[..step.data_len]);
        rest = &rest[step.consumed..];
    }
    assert_eq!(got, payload);
}

#[test]
fn requests_keep_room_for_their_answers_whatever_follows_them() {
    // Eight requests, then a flood of refused options: the refusals may not
    // take the room the application needs to answer the requests.
    let mut server = server(Config::server());
    let mut input: Vec<u8> = (0..8u8)
        .flat_map(|i| com_port(&[1, 0, 0, 0x25, i]))
        .collect();
    input.extend((0..200).flat_map(|_| [0xFF, 253, 99]));
    let mut data = [0u8; 64];
    let mut rest = input.as_slice();
    let mut answered = 0;
    while !rest.is_empty() {
        let step = server.handle_input(NOW, rest, &mut data);
        rest = &rest[step.consumed..];
        while let Some(event) = server.poll_event() {
            if let ServerEvent::Request(request) = event {
                server
                    .respond(request)
                    .expect("room was kept for the answer");
                answered += 1;
            }
        }
        let _ = drain_transmit(&mut server);
    }
    assert_eq!(answered, 8);
}

#[test]
fn a_suspended_server_keeps_reading_however_often_com_port_comes_back() {
    // COM-PORT switched off and on again and again while the client keeps
    // the server suspended: the server must still read the RESUME.
    let mut server = server(Config::server());
    let mut input = vec![0xFF, 251, 44];
    input.extend(com_port(&[8]));
    for _ in 0..60 {
        input.extend([0xFF, 252, 44, 0xFF, 251, 44]);
    }
    input.extend(com_port(&[9]));
    input.extend(b"hi");
    let mut data = [0u8; 64];
    let mut got = Vec::new();
    let mut rest = input.as_slice();
    while !rest.is_empty() {
        let step = server.handle_input(NOW, rest, &mut data);
        assert!(
            step.consumed > 0 || step.data_len > 0,
            "the session stopped reading"
        );
        rest = &rest[step.consumed..];
        got.extend_from_slice(&data[..step.data_len]);
        while server.poll_event().is_some() {}
        let _ = drain_transmit(&mut server);
    }
    assert_eq!(got, b"hi");
    assert!(!server.is_suspended_by_peer());
}
