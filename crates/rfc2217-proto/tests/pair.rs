//! A client and an access server against each other in memory, with a
//! virtual clock: every command, timeouts, suspend/resume, purge and
//! notifications.

mod common;

use core::time::Duration;

use common::Pair;
use rfc2217_proto::{
    AckPolicy, ClientEvent, ComPortState, Command, CommandKind, Config, Control, DataSize,
    LineState, ModemState, Parity, Purge, ReplyStatus, RequestId, Role, ServerEvent, Session, Side,
    StopSize, TelnetCommand, TelnetOption, Unavailable,
};

fn replies(events: &[ClientEvent]) -> Vec<(Option<RequestId>, Command, ReplyStatus)> {
    events
        .iter()
        .filter_map(|event| match *event {
            ClientEvent::Reply {
                id, reply, status, ..
            } => Some((id, reply, status)),
            _ => None,
        })
        .collect()
}

/// COM-PORT and BINARY both ways are agreed, and data may flow.
fn assert_open<R: Role>(session: &Session<R>) {
    assert!(session.is_com_port_active());
    assert_eq!(session.com_port(), ComPortState::Active);
    assert!(session.is_ready_for_data());
    assert!(session.is_option_enabled(TelnetOption::Binary, Side::Local));
    assert!(session.is_option_enabled(TelnetOption::Binary, Side::Remote));
}

/// The text of the last signature among `events`.
fn last_signature(events: &[ClientEvent]) -> Option<Vec<u8>> {
    events.iter().rev().find_map(|event| match event {
        ClientEvent::Signature { signature, .. } => Some(signature.as_bytes().to_vec()),
        _ => None,
    })
}

#[test]
fn opening_negotiates_binary_both_ways_and_com_port() {
    let mut pair = Pair::new();
    pair.drive();
    assert_open(&pair.client);
    assert_open(&pair.server);
    assert!(pair.client_log.events.contains(&ClientEvent::ComPortActive));
    assert!(pair.server_log.events.contains(&ServerEvent::ComPortActive));
    // The server offers ECHO; the client accepts it but never echoes itself.
    assert!(pair
        .client
        .is_option_enabled(TelnetOption::Echo, Side::Remote));
    assert!(!pair
        .client
        .is_option_enabled(TelnetOption::Echo, Side::Local));
}

#[test]
fn the_whole_opening_configuration_costs_one_round_trip() {
    let mut pair = Pair::new();
    let now = pair.now;
    let requests = [
        Command::SetBaudRate(115_200),
        Command::SetDataSize(DataSize::Seven),
        Command::SetParity(Parity::Even),
        Command::SetStopSize(StopSize::Two),
        Command::SetControl(Control::HardwareFlowControl),
        Command::SetControl(Control::DtrOn),
        Command::SetControl(Control::RtsOn),
        Command::SetLineStateMask(LineState::BREAK_DETECT),
        Command::SetModemStateMask(ModemState::CTS | ModemState::DSR),
    ];
    for request in requests {
        pair.client.request(now, request).unwrap();
    }
    pair.client.request(now, Command::Signature).unwrap();
    // One batch: every request leaves in a single transmit, without waiting.
    let mut batch = [0u8; rfc2217_proto::TRANSMIT_QUEUE_CAPACITY];
    let n = pair.client.poll_transmit(&mut batch);
    assert_eq!(
        batch[..n]
            .windows(3)
            .filter(|w| *w == [255, 250, 44])
            .count(),
        10
    );
    assert_eq!(pair.client.poll_transmit(&mut batch), 0);
    pair.client_outgoing.clear();
    // Put the batch back on the wire and let the pair run.
    let mut fresh = Pair::new();
    for request in requests {
        fresh.client.request(now, request).unwrap();
    }
    fresh.client.request(now, Command::Signature).unwrap();
    fresh.drive();
    // Client -> server, server -> client: one round trip answered everything.
    assert_eq!(fresh.flights, 2, "one round trip");
    assert_eq!(fresh.client.pending_requests(), 0);
    let got = replies(&fresh.client_log.events);
    // 7 awaited requests all confirmed (and the signature, below); the
    // masks (not awaited by default) are acknowledged too and reported as
    // unsolicited.
    let confirmed = got
        .iter()
        .filter(|(_, _, s)| *s == ReplyStatus::Confirmed)
        .count();
    assert_eq!(confirmed, 7, "{got:?}");
    assert_eq!(got.iter().filter(|(id, _, _)| id.is_none()).count(), 2);
    let port = &fresh.port;
    assert_eq!(port.baud, 115_200);
    assert_eq!(
        (port.data_size, port.parity, port.stop_size),
        (DataSize::Seven, Parity::Even, StopSize::Two)
    );
    assert_eq!(port.outbound_flow, Control::HardwareFlowControl);
    assert!(port.dtr && port.rts);
    assert_eq!(fresh.server.line_state_mask(), LineState::BREAK_DETECT);
    assert_eq!(
        fresh.server.modem_state_mask(),
        ModemState::CTS | ModemState::DSR
    );
    assert_eq!(
        last_signature(&fresh.client_log.events).as_deref(),
        Some(concat!("rfc2217-proto ", env!("CARGO_PKG_VERSION")).as_bytes())
    );
}

#[test]
fn settings_are_answered_with_the_value_in_use() {
    let mut pair = Pair::connected();
    pair.port.max_baud = 115_200;
    let now = pair.now;
    let too_fast = pair
        .client
        .request(now, Command::SetBaudRate(921_600))
        .unwrap()
        .unwrap();
    let query = pair
        .client
        .request(now, Command::SetBaudRate(0))
        .unwrap()
        .unwrap();
    let unknown_parity = pair
        .client
        .request(now, Command::SetParity(Parity::Unknown(9)))
        .unwrap()
        .unwrap();
    pair.drive();
    let got = replies(&pair.take_client_events());
    assert_eq!(
        got,
        [
            (
                Some(too_fast),
                Command::SetBaudRate(9600),
                ReplyStatus::Rejected
            ),
            (
                Some(query),
                Command::SetBaudRate(9600),
                ReplyStatus::Confirmed
            ),
            (
                Some(unknown_parity),
                Command::SetParity(Parity::None),
                ReplyStatus::Rejected
            ),
        ]
    );
}

#[test]
fn every_setting_can_be_set_and_queried() {
    let mut pair = Pair::connected();
    let now = pair.now;
    let cases = [
        (
            Command::SetBaudRate(57_600),
            Command::SetBaudRate(0),
            Command::SetBaudRate(57_600),
        ),
        (
            Command::SetDataSize(DataSize::Five),
            Command::SetDataSize(DataSize::Query),
            Command::SetDataSize(DataSize::Five),
        ),
        (
            Command::SetParity(Parity::Mark),
            Command::SetParity(Parity::Query),
            Command::SetParity(Parity::Mark),
        ),
        (
            Command::SetStopSize(StopSize::OnePointFive),
            Command::SetStopSize(StopSize::Query),
            Command::SetStopSize(StopSize::OnePointFive),
        ),
    ];
    for (set, query, expected) in cases {
        pair.client.request(now, set).unwrap();
        pair.client.request(now, query).unwrap();
        pair.drive();
        let got = replies(&pair.take_client_events());
        assert_eq!(got.len(), 2);
        assert!(
            got.iter()
                .all(|(_, reply, status)| *reply == expected && *status == ReplyStatus::Confirmed),
            "{got:?}"
        );
    }
}

#[test]
fn every_set_control_value_reaches_the_port_and_is_confirmed() {
    let mut pair = Pair::connected();
    let now = pair.now;
    for byte in 0..=19u8 {
        let control = Control::from_byte(byte);
        let id = pair
            .client
            .request(now, Command::SetControl(control))
            .unwrap()
            .unwrap();
        pair.drive();
        let got = replies(&pair.take_client_events());
        assert_eq!(got.len(), 1, "value {byte}");
        assert_eq!(
            (got[0].0, got[0].2),
            (Some(id), ReplyStatus::Confirmed),
            "value {byte}: {got:?}"
        );
        let Command::SetControl(answer) = got[0].1 else {
            panic!()
        };
        assert_eq!(answer.group(), control.group());
        if !control.is_query() {
            assert_eq!(answer, control);
        }
    }
    let port = &pair.port;
    assert_eq!((port.break_on, port.dtr, port.rts), (false, false, false));
    assert_eq!(port.outbound_flow, Control::DsrFlowControl);
    assert_eq!(port.inbound_flow, Control::DtrFlowControl);
}

#[test]
fn purge_requests_reach_the_application() {
    let mut pair = Pair::connected();
    let now = pair.now;
    for purge in [Purge::Receive, Purge::Transmit, Purge::Both] {
        pair.client.request(now, Command::PurgeData(purge)).unwrap();
    }
    pair.drive();
    assert_eq!(
        pair.port.purges,
        [Purge::Receive, Purge::Transmit, Purge::Both]
    );
    let got = replies(&pair.take_client_events());
    assert!(got
        .iter()
        .all(|(id, _, status)| id.is_some() && *status == ReplyStatus::Confirmed));
    assert_eq!(got.len(), 3);
}

#[test]
fn unanswered_requests_time_out_at_their_deadline_and_not_before() {
    let mut pair = Pair::with(
        Config::client().with_request_timeout(Duration::from_millis(500)),
        Config::server(),
    );
    pair.drive();
    pair.answer_requests = false;
    pair.clear_logs();
    let now = pair.now;
    let id = pair
        .client
        .request(now, Command::SetBaudRate(300))
        .unwrap()
        .unwrap();
    pair.drive();
    assert_eq!(
        pair.client.poll_timeout(),
        Some(now + Duration::from_millis(500))
    );
    pair.advance(Duration::from_millis(499));
    assert!(pair.take_client_events().is_empty());
    pair.advance(Duration::from_millis(1));
    assert_eq!(
        pair.take_client_events(),
        [ClientEvent::Timeout {
            id,
            request: Command::SetBaudRate(300)
        }]
    );
    assert_eq!(pair.client.poll_timeout(), None);
    // The server did get the request: its application just never answered.
    assert_eq!(
        pair.take_server_events(),
        [ServerEvent::Request(Command::SetBaudRate(300))]
    );
    // A late answer names its request, and is not credited to a newer one.
    let newer = pair
        .client
        .request(pair.now, Command::SetBaudRate(600))
        .unwrap()
        .unwrap();
    pair.drive();
    pair.take_server_events();
    pair.server.respond(Command::SetBaudRate(300)).unwrap();
    pair.server.respond(Command::SetBaudRate(600)).unwrap();
    pair.advance(Duration::ZERO);
    assert_eq!(
        replies(&pair.take_client_events()),
        [
            (Some(id), Command::SetBaudRate(300), ReplyStatus::Late),
            (
                Some(newer),
                Command::SetBaudRate(600),
                ReplyStatus::Confirmed
            ),
        ]
    );
}

#[test]
fn requests_with_no_ack_policy_are_not_awaited() {
    let config = Config::client().with_ack_policy(CommandKind::SetControl, AckPolicy::None);
    let mut pair = Pair::with(config, Config::server());
    pair.drive();
    let now = pair.now;
    pair.client
        .request(now, Command::SetControl(Control::DtrOn))
        .unwrap();
    assert_eq!(pair.client.pending_requests(), 0);
    assert_eq!(pair.client.poll_timeout(), None);
    pair.drive();
    assert!(pair.port.dtr);
}

#[test]
fn a_barrier_completes_after_everything_sent_before_it() {
    let mut pair = Pair::connected();
    let now = pair.now;
    pair.client_outgoing.extend_from_slice(b"hello \xff world");
    let set = pair
        .client
        .request(now, Command::SetBaudRate(19_200))
        .unwrap()
        .unwrap();
    let barrier = pair.client.barrier(now).unwrap();
    pair.drive();
    let got = replies(&pair.take_client_events());
    assert_eq!(got[0].0, Some(set));
    assert_eq!(
        got[1],
        (
            Some(barrier),
            Command::SetBaudRate(19_200),
            ReplyStatus::Confirmed
        )
    );
    assert_eq!(pair.server_log.data, b"hello \xff world");
}

#[test]
fn data_is_byte_exact_both_ways_including_iac_cr_and_nul() {
    let mut pair = Pair::connected();
    let payload: Vec<u8> = (0..=255u8)
        .chain([255, 255, 13, 0, 13, 10, 13, 255, 240])
        .collect();
    pair.client_outgoing.extend(&payload);
    pair.server_outgoing.extend(&payload);
    pair.drive();
    assert_eq!(pair.server_log.data, payload);
    assert_eq!(pair.client_log.data, payload);
}

#[test]
fn signatures_travel_both_ways() {
    let server = Config::server()
        .with_signature(b"lab-bench-3 \xff ttyUSB0")
        .unwrap();
    let mut pair = Pair::with(Config::client(), server);
    pair.drive();
    let now = pair.now;
    let id = pair.client.request(now, Command::Signature).unwrap();
    pair.client.send_signature(b"probe \xff 1").unwrap();
    pair.drive();
    let got = pair.client_log.events.iter().find_map(|event| match event {
        ClientEvent::Signature {
            id,
            signature,
            status,
        } => Some((*id, signature.as_bytes().to_vec(), *status)),
        _ => None,
    });
    let expected = b"lab-bench-3 \xff ttyUSB0".to_vec();
    assert_eq!(got, Some((id, expected, ReplyStatus::Confirmed)));
    let received = pair.server_log.events.iter().find_map(|event| match event {
        ServerEvent::Signature(signature) => Some(signature.as_bytes().to_vec()),
        _ => None,
    });
    assert_eq!(received.as_deref(), Some(&b"probe \xff 1"[..]));
}

#[test]
fn suspend_holds_back_data_and_commands_until_resume() {
    let mut pair = Pair::with(
        Config::client().with_request_timeout(Duration::from_secs(1)),
        Config::server(),
    );
    pair.drive();
    pair.clear_logs();
    // The server suspends the client.
    pair.server.suspend_peer().unwrap();
    pair.advance(Duration::ZERO);
    assert_eq!(pair.take_client_events(), [ClientEvent::Suspended]);
    assert!(pair.client.is_suspended_by_peer() && !pair.client.is_ready_for_data());
    let now = pair.now;
    pair.client_outgoing.extend_from_slice(b"held");
    let id = pair
        .client
        .request(now, Command::SetBaudRate(2400))
        .unwrap()
        .unwrap();
    pair.drive();
    assert!(pair.server_log.data.is_empty());
    assert!(
        pair.take_server_events().is_empty(),
        "no command crosses while suspended"
    );
    // Waiting longer than the request timeout is no timeout: nothing was sent.
    assert_eq!(pair.client.poll_timeout(), None);
    pair.advance(Duration::from_secs(5));
    assert!(pair.take_client_events().is_empty());
    // Resume: the held request and data go out, with a fresh deadline.
    pair.server.resume_peer().unwrap();
    pair.advance(Duration::ZERO);
    assert_eq!(pair.server_log.data, b"held");
    let events = pair.take_client_events();
    assert_eq!(events[0], ClientEvent::Resumed);
    assert_eq!(
        replies(&events),
        [(Some(id), Command::SetBaudRate(2400), ReplyStatus::Confirmed)]
    );
}

#[test]
fn a_suspended_server_still_answers_requests_so_nothing_deadlocks() {
    let mut pair = Pair::connected();
    pair.client.suspend_peer().unwrap();
    pair.drive();
    assert_eq!(pair.take_server_events(), [ServerEvent::Suspended]);
    assert!(!pair.server.is_ready_for_data());
    // The client keeps configuring while the server may not send data.
    let now = pair.now;
    for rate in [1200, 2400, 4800, 9600, 19_200, 38_400, 57_600, 115_200] {
        pair.client
            .request(now, Command::SetBaudRate(rate))
            .unwrap();
        pair.client
            .request(now, Command::SetControl(Control::QueryDtr))
            .unwrap();
        pair.drive();
    }
    pair.server_outgoing.extend_from_slice(b"device output");
    pair.server.handle_modem_lines(ModemState::CTS).unwrap();
    pair.drive();
    assert!(pair.client_log.data.is_empty());
    assert_eq!(pair.client.pending_requests(), 0);
    assert!(!pair
        .client_log
        .events
        .iter()
        .any(|e| matches!(e, ClientEvent::ModemState(_))));
    pair.client.resume_peer().unwrap();
    pair.drive();
    assert_eq!(pair.client_log.data, b"device output");
    assert!(pair.client_log.events.contains(&ClientEvent::ModemState(
        ModemState::CTS | ModemState::CTS_CHANGED
    )));
}

#[test]
fn modem_changes_are_notified_once_each_with_delta_bits_under_the_mask() {
    let mut pair = Pair::connected();
    pair.server
        .handle_modem_lines(ModemState::CTS | ModemState::DSR)
        .unwrap();
    pair.server
        .handle_modem_lines(ModemState::CTS | ModemState::DSR)
        .unwrap(); // no change
    pair.server
        .handle_modem_lines(ModemState::DSR | ModemState::RI)
        .unwrap();
    pair.server.handle_modem_lines(ModemState::DSR).unwrap();
    pair.advance(Duration::ZERO);
    assert_eq!(
        pair.take_client_events(),
        [
            ClientEvent::ModemState(ModemState(0x30 | 0x01 | 0x02)),
            ClientEvent::ModemState(ModemState(0x20 | 0x40 | 0x01)),
            ClientEvent::ModemState(ModemState(0x20 | 0x04)),
        ]
    );
    // With a mask of CD only, a CTS change sends nothing; a CD change sends
    // the masked bits (CD level only: the mask holds no delta bit).
    let now = pair.now;
    pair.client
        .request(now, Command::SetModemStateMask(ModemState::CD))
        .unwrap();
    pair.drive();
    pair.take_client_events();
    pair.server
        .handle_modem_lines(ModemState::DSR | ModemState::CTS)
        .unwrap();
    pair.server
        .handle_modem_lines(ModemState::DSR | ModemState::CTS | ModemState::CD)
        .unwrap();
    pair.advance(Duration::ZERO);
    assert_eq!(
        pair.take_client_events(),
        [ClientEvent::ModemState(ModemState::CD)]
    );
}

#[test]
fn line_state_is_notified_under_the_mask_and_answers_polls() {
    let mut pair = Pair::connected();
    // Default mask 0: nothing is sent.
    pair.server
        .handle_line_state(LineState::FRAMING_ERROR)
        .unwrap();
    pair.advance(Duration::ZERO);
    assert!(pair.take_client_events().is_empty());
    let now = pair.now;
    pair.client
        .request(
            now,
            Command::SetLineStateMask(LineState::BREAK_DETECT | LineState::FRAMING_ERROR),
        )
        .unwrap();
    pair.drive();
    assert_eq!(
        replies(&pair.take_client_events()),
        [(
            None,
            Command::SetLineStateMask(LineState(0x18)),
            ReplyStatus::Unsolicited
        )]
    );
    pair.server
        .handle_line_state(LineState::BREAK_DETECT | LineState::DATA_READY)
        .unwrap();
    pair.client.query_line_state().unwrap();
    pair.client.query_modem_state().unwrap();
    pair.advance(Duration::ZERO);
    // The break is an event: reported once, not again in the poll's answer.
    // The framing error happened while masked out and is not reported late.
    assert_eq!(
        pair.take_client_events(),
        [
            ClientEvent::LineState(LineState::BREAK_DETECT),
            ClientEvent::LineState(LineState::EMPTY),
            ClientEvent::ModemState(ModemState::EMPTY),
        ]
    );
}

#[test]
fn line_state_levels_are_notified_when_they_change_either_way() {
    let mut pair = Pair::connected();
    let now = pair.now;
    let mask = LineState::DATA_READY | LineState::OVERRUN_ERROR;
    pair.client
        .request(now, Command::SetLineStateMask(mask))
        .unwrap();
    pair.drive();
    pair.take_client_events();
    for state in [
        LineState::DATA_READY,
        LineState::DATA_READY, // no change: nothing sent
        LineState::DATA_READY | LineState::OVERRUN_ERROR,
        LineState::DATA_READY, // the level is unchanged, the error was reported
        LineState::EMPTY,
    ] {
        pair.server.handle_line_state(state).unwrap();
    }
    pair.advance(Duration::ZERO);
    assert_eq!(
        pair.take_client_events(),
        [
            ClientEvent::LineState(LineState::DATA_READY),
            ClientEvent::LineState(LineState::DATA_READY | LineState::OVERRUN_ERROR),
            ClientEvent::LineState(LineState::EMPTY),
        ]
    );
}

#[test]
fn a_client_break_is_an_event_for_the_server_application_not_data() {
    let mut pair = Pair::connected();
    pair.client_outgoing.extend_from_slice(b"ab");
    pair.drive();
    pair.client
        .send_telnet_command(TelnetCommand::Break)
        .unwrap();
    pair.client_outgoing.extend_from_slice(b"cd");
    pair.drive();
    assert_eq!(pair.server_log.data, b"abcd");
    assert_eq!(
        pair.server_log.sequence,
        [
            common::Item::Data(b"ab".to_vec()),
            common::Item::Event(ServerEvent::TelnetCommand(TelnetCommand::Break)),
            common::Item::Data(b"cd".to_vec()),
        ]
    );
}

#[test]
fn a_server_learns_when_a_client_will_never_speak_rfc_2217() {
    let mut server = rfc2217_proto::Session::new(Config::server(), rfc2217_proto::Instant::ZERO);
    let deadline = server.poll_timeout().unwrap();
    assert_eq!(deadline, rfc2217_proto::Instant::from_millis(4000));
    server.handle_timeout(rfc2217_proto::Instant::from_millis(3999));
    assert_eq!(server.poll_event(), None);
    server.handle_timeout(deadline);
    assert_eq!(
        server.poll_event(),
        Some(ServerEvent::ComPortUnavailable(Unavailable::TimedOut))
    );
    assert_eq!(server.poll_timeout(), None);
    // After the deadline data flows in whatever mode was agreed (NVT here).
    assert!(server.is_ready_for_data());
}

#[test]
fn too_many_pending_requests_is_an_error_and_queues_nothing() {
    let mut pair = Pair::connected();
    let now = pair.now;
    let mut accepted = 0;
    let error = loop {
        match pair.client.request(now, Command::SetBaudRate(300)) {
            Ok(_) => accepted += 1,
            Err(error) => break error,
        }
    };
    assert_eq!(error, rfc2217_proto::Error::TooManyPendingRequests);
    assert_eq!(accepted, rfc2217_proto::PENDING_REQUEST_CAPACITY);
    pair.drive();
    assert_eq!(pair.take_server_events().len(), accepted);
}
