//! Byte-exact wire vectors for every RFC 2217 command in both directions,
//! and an encode/decode round trip for every command.

mod common;

use common::{com_port, drain_transmit, feed, Log};
use proptest::prelude::*;
use rfc2217_proto::{
    Client, ClientEvent, Command, CommandKind, Config, Control, DataSize, Instant, LineState,
    ModemState, Parity, Purge, ReplyStatus, Role, Server, ServerEvent, Session, StopSize,
};

const NOW: Instant = Instant::ZERO;

/// A client whose server agreed to COM-PORT-OPTION, with nothing queued.
fn quiet_client(config: Config<Client>) -> Session<Client> {
    agreed(config, &[255, 253, 44])
}

/// A server whose client agreed to COM-PORT-OPTION, with nothing queued.
fn quiet_server(config: Config<Server>) -> Session<Server> {
    agreed(config, &[255, 251, 44])
}

fn agreed<R: Role>(config: Config<R>, agreement: &[u8]) -> Session<R> {
    let mut session = Session::new(config, NOW);
    let _ = feed(
        &mut session,
        NOW,
        agreement,
        64,
        &mut Log::default(),
        &mut |_, _| {},
    );
    assert!(session.is_com_port_active());
    session
}

/// (command, value bytes on the wire without escaping)
fn table() -> Vec<(Command, Vec<u8>)> {
    vec![
        (Command::SetBaudRate(115_200), vec![0x00, 0x01, 0xC2, 0x00]),
        (Command::SetBaudRate(0xFF), vec![0, 0, 0, 0xFF]),
        (Command::SetBaudRate(0), vec![0, 0, 0, 0]),
        (Command::SetDataSize(DataSize::Seven), vec![7]),
        (Command::SetDataSize(DataSize::Query), vec![0]),
        (Command::SetParity(Parity::Even), vec![3]),
        (Command::SetParity(Parity::Space), vec![5]),
        (Command::SetStopSize(StopSize::OnePointFive), vec![3]),
        (Command::SetStopSize(StopSize::Two), vec![2]),
        (Command::SetControl(Control::DtrOn), vec![8]),
        (Command::SetControl(Control::DsrFlowControl), vec![19]),
        (Command::NotifyLineState(LineState(0xFF)), vec![0xFF]),
        (Command::NotifyModemState(ModemState(0x31)), vec![0x31]),
        (Command::FlowControlSuspend, vec![]),
        (Command::FlowControlResume, vec![]),
        (Command::SetLineStateMask(LineState(0xFF)), vec![0xFF]),
        (Command::SetModemStateMask(ModemState(0xFF)), vec![0xFF]),
        (Command::PurgeData(Purge::Both), vec![3]),
    ]
}

fn frame(code: u8, value: &[u8]) -> Vec<u8> {
    let mut payload = vec![code];
    payload.extend_from_slice(value);
    com_port(&payload)
}

#[test]
fn escaping_helper_doubles_iac() {
    assert_eq!(
        frame(1, &[0, 0, 0, 0xFF]),
        [255, 250, 44, 1, 0, 0, 0, 255, 255, 255, 240]
    );
}

#[test]
fn client_requests_are_encoded_byte_exact() {
    for (command, value) in table() {
        let mut client = quiet_client(Config::client());
        let sent = match command {
            Command::FlowControlSuspend => client.suspend_peer().map(|_| ()),
            Command::FlowControlResume => client.resume_peer().map(|_| ()),
            Command::NotifyLineState(_) => client.query_line_state(),
            Command::NotifyModemState(_) => client.query_modem_state(),
            _ => client.request(NOW, command).map(|_| ()),
        };
        sent.unwrap();
        let expected = match command {
            // A client's NOTIFY is a poll: its value is always 0.
            Command::NotifyLineState(_) | Command::NotifyModemState(_) => {
                frame(command.kind().code(), &[0])
            }
            _ => frame(command.kind().code(), &value),
        };
        assert_eq!(drain_transmit(&mut client), expected, "{command:?}");
    }
}

#[test]
fn signature_request_and_signature_text_are_encoded_byte_exact() {
    let mut client = quiet_client(Config::client());
    client.request(NOW, Command::Signature).unwrap();
    client.send_signature(b"a\xffb").unwrap();
    let mut expected = com_port(&[0]);
    expected.extend(com_port(&[0, b'a', 0xFF, b'b']));
    assert_eq!(drain_transmit(&mut client), expected);

    // The server answers an empty SIGNATURE, and the telnetcpcd form with no
    // command byte at all, with its own.
    let mut server = quiet_server(Config::server().with_signature(b"s\xff").unwrap());
    let mut log = Log::default();
    let mut request = com_port(&[0]);
    request.extend(com_port(&[]));
    let answer = feed(&mut server, NOW, &request, 64, &mut log, &mut |_, _| {});
    let mut expected = com_port(&[100, b's', 0xFF]);
    expected.extend(com_port(&[100, b's', 0xFF]));
    assert_eq!(answer, expected);
    assert!(log.events.is_empty());
}

#[test]
fn server_answers_are_encoded_byte_exact() {
    for (command, value) in table() {
        let mut server = quiet_server(Config::server());
        server.respond(command).unwrap();
        assert_eq!(
            drain_transmit(&mut server),
            frame(command.kind().code() + 100, &value),
            "{command:?}"
        );
    }
}

#[test]
fn client_requests_are_decoded_by_the_server() {
    for (command, value) in table() {
        let mut server = quiet_server(Config::server());
        let mut log = Log::default();
        let answer = feed(
            &mut server,
            NOW,
            &frame(command.kind().code(), &value),
            64,
            &mut log,
            &mut |_, _| {},
        );
        match command {
            Command::SetBaudRate(_)
            | Command::SetDataSize(_)
            | Command::SetParity(_)
            | Command::SetStopSize(_)
            | Command::SetControl(_)
            | Command::PurgeData(_) => {
                assert_eq!(log.events, [ServerEvent::Request(command)]);
                assert!(answer.is_empty(), "the application answers these");
            }
            Command::FlowControlSuspend => assert_eq!(log.events, [ServerEvent::Suspended]),
            Command::FlowControlResume => assert!(log.events.is_empty(), "not suspended"),
            // Polls are answered with the current state under the mask.
            Command::NotifyLineState(_) => assert_eq!(answer, frame(106, &[0])),
            Command::NotifyModemState(_) => assert_eq!(answer, frame(107, &[0])),
            // Masks are stored and acknowledged with the value.
            Command::SetLineStateMask(mask) => {
                assert_eq!(server.line_state_mask(), mask);
                assert_eq!(answer, frame(110, &value));
            }
            Command::SetModemStateMask(mask) => {
                assert_eq!(server.modem_state_mask(), mask);
                assert_eq!(answer, frame(111, &value));
            }
            Command::Signature => unreachable!(),
        }
    }
}

#[test]
fn server_answers_are_decoded_by_the_client() {
    for (command, value) in table() {
        let mut client = quiet_client(Config::client());
        let mut log = Log::default();
        let _ = feed(
            &mut client,
            NOW,
            &frame(command.kind().code() + 100, &value),
            64,
            &mut log,
            &mut |_, _| {},
        );
        let expected = match command {
            Command::NotifyLineState(state) => ClientEvent::LineState(state),
            Command::NotifyModemState(state) => ClientEvent::ModemState(state),
            Command::FlowControlSuspend => ClientEvent::Suspended,
            Command::FlowControlResume => {
                assert!(log.events.is_empty());
                continue;
            }
            _ => ClientEvent::Reply {
                id: None,
                reply: command,
                status: ReplyStatus::Unsolicited,
            },
        };
        assert_eq!(log.events, [expected], "{command:?}");
    }
}

#[test]
fn commands_in_the_wrong_direction_or_unknown_are_violations() {
    use rfc2217_proto::Violation;
    let mut client = quiet_client(Config::client());
    let mut log = Log::default();
    let mut input = frame(1, &[0, 0, 0, 1]);
    input.extend(frame(13, &[]));
    input.extend(frame(113, &[]));
    input.extend(frame(102, &[]));
    let _ = feed(&mut client, NOW, &input, 64, &mut log, &mut |_, _| {});
    assert_eq!(
        log.events,
        [
            ClientEvent::PeerViolation(Violation::WrongDirection(1)),
            ClientEvent::PeerViolation(Violation::UnknownComPortCommand(13)),
            ClientEvent::PeerViolation(Violation::UnknownComPortCommand(113)),
            ClientEvent::PeerViolation(Violation::MalformedComPortCommand(
                CommandKind::SetDataSize
            )),
        ]
    );
    let mut server = quiet_server(Config::server());
    let mut log = Log::default();
    let _ = feed(
        &mut server,
        NOW,
        &frame(101, &[0, 0, 0, 1]),
        64,
        &mut log,
        &mut |_, _| {},
    );
    assert_eq!(
        log.events,
        [ServerEvent::PeerViolation(Violation::WrongDirection(101))]
    );
}

/// Requests the server's application answers.
fn settable_command() -> impl Strategy<Value = Command> {
    let byte = any::<u8>();
    prop_oneof![
        any::<u32>().prop_map(Command::SetBaudRate),
        byte.prop_map(|b| Command::SetDataSize(DataSize::from_byte(b))),
        byte.prop_map(|b| Command::SetParity(Parity::from_byte(b))),
        byte.prop_map(|b| Command::SetStopSize(StopSize::from_byte(b))),
        byte.prop_map(|b| Command::SetControl(Control::from_byte(b))),
        byte.prop_map(|b| Command::PurgeData(Purge::from_byte(b))),
    ]
}

fn any_command() -> impl Strategy<Value = Command> {
    let byte = any::<u8>();
    prop_oneof![
        settable_command(),
        byte.prop_map(|b| Command::NotifyLineState(LineState(b))),
        byte.prop_map(|b| Command::NotifyModemState(ModemState(b))),
        Just(Command::FlowControlSuspend),
        Just(Command::FlowControlResume),
        byte.prop_map(|b| Command::SetLineStateMask(LineState(b))),
        byte.prop_map(|b| Command::SetModemStateMask(ModemState(b))),
    ]
}

proptest! {
    /// Whatever a server sends, the client decodes as the same command.
    #[test]
    fn server_to_client_round_trip(command in any_command()) {
        let mut server = quiet_server(Config::server());
        server.respond(command).unwrap();
        let wire = drain_transmit(&mut server);
        let mut client = quiet_client(Config::client());
        let mut log = Log::default();
        let _ = feed(&mut client, NOW, &wire, 16, &mut log, &mut |_, _| {});
        let decoded = match log.events.as_slice() {
            [ClientEvent::Reply { reply, .. }] => Some(*reply),
            [ClientEvent::LineState(state)] => Some(Command::NotifyLineState(*state)),
            [ClientEvent::ModemState(state)] => Some(Command::NotifyModemState(*state)),
            [ClientEvent::Suspended] => Some(Command::FlowControlSuspend),
            [] => Some(Command::FlowControlResume), // resume while not suspended
            _ => None,
        };
        prop_assert_eq!(decoded, Some(command));
    }

    /// Every request a client sends reaches the server's application intact.
    #[test]
    fn client_to_server_round_trip(command in settable_command()) {
        let mut client = quiet_client(Config::client());
        client.request(NOW, command).unwrap();
        let wire = drain_transmit(&mut client);
        let mut server = quiet_server(Config::server());
        let mut log = Log::default();
        let _ = feed(&mut server, NOW, &wire, 16, &mut log, &mut |_, _| {});
        prop_assert_eq!(log.events, vec![ServerEvent::Request(command)]);
    }
}
