//! What a peer gets wrong is reported in its own words and handled in a
//! defined way; what a peer does right but unusually (a long signature,
//! two signatures at once) reaches the application whole.

mod common;

use common::{answering, com_port, drain_transmit, feed, FakePort, Log};
use rfc2217_proto::{
    Client, ClientEvent, Command, CommandKind, Config, Error, Instant, ReplyStatus, Server,
    ServerEvent, Session, Side, TelnetOption, Violation, SIGNATURE_CAPACITY,
};

const NOW: Instant = Instant::ZERO;
const IAC: u8 = 255;
const WILL: u8 = 251;
const WONT: u8 = 252;
const DO: u8 = 253;

/// A server that has sent its opening negotiation; `agreed`: and whose
/// client agreed to COM-PORT-OPTION.
fn server(agreed: bool) -> Session<Server> {
    let mut server = Session::new(Config::server(), NOW);
    if agreed {
        let _ = feed(
            &mut server,
            NOW,
            &[IAC, WILL, 44],
            64,
            &mut Log::default(),
            &mut |_, _| {},
        );
    }
    let _ = drain_transmit(&mut server);
    server
}

/// Feeds `input` to `server`, whose application answers every request.
fn serve(server: &mut Session<Server>, input: &[u8]) -> (Vec<u8>, Log<ServerEvent>) {
    let mut log = Log::default();
    let mut port = FakePort::default();
    let sent = feed(server, NOW, input, 64, &mut log, &mut answering(&mut port));
    (sent, log)
}

fn agreed_client() -> Session<Client> {
    let mut client = Session::new(Config::client(), NOW);
    let _ = feed(
        &mut client,
        NOW,
        &[IAC, DO, 44],
        64,
        &mut Log::default(),
        &mut |_, _| {},
    );
    let _ = drain_transmit(&mut client);
    client
}

#[test]
fn a_com_port_request_before_agreement_is_reported_and_still_served() {
    let mut server = server(false);
    let (sent, log) = serve(&mut server, &com_port(&[1, 0, 0, 0x25, 0x80]));
    assert_eq!(
        log.events,
        [
            ServerEvent::PeerViolation(Violation::ComPortNotAgreed(CommandKind::SetBaudRate)),
            ServerEvent::Request(Command::SetBaudRate(9600)),
        ]
    );
    assert_eq!(sent, com_port(&[101, 0, 0, 0x25, 0x80]));
}

#[test]
fn a_com_port_request_after_the_client_refused_the_option_is_reported_and_ignored() {
    let mut server = server(false);
    let mut input = vec![IAC, WONT, 44];
    input.extend(com_port(&[1, 0, 0, 0x25, 0x80]));
    let (sent, log) = serve(&mut server, &input);
    assert!(sent.is_empty(), "{sent:?}");
    assert_eq!(
        log.events[1..],
        [ServerEvent::PeerViolation(Violation::ComPortNotAgreed(
            CommandKind::SetBaudRate
        ))]
    );
}

#[test]
fn a_client_sending_will_com_port_and_its_requests_in_one_burst_is_served_cleanly() {
    let mut server = server(false);
    let mut burst = vec![IAC, WILL, 44];
    burst.extend(com_port(&[1, 0, 0, 0x25, 0x80]));
    burst.extend(com_port(&[5, 8]));
    let (sent, log) = serve(&mut server, &burst);
    let violations = log
        .events
        .iter()
        .filter(|event| matches!(event, ServerEvent::PeerViolation(_)));
    assert_eq!(violations.count(), 0, "{:?}", log.events);
    assert!(sent.ends_with(&[com_port(&[101, 0, 0, 0x25, 0x80]), com_port(&[105, 8])].concat()));
}

#[test]
fn a_baud_request_of_six_bytes_is_malformed_and_answered_with_the_rate_in_use() {
    let mut server = server(true);
    let (sent, log) = serve(&mut server, &com_port(&[1, 0, 0, 0, 0, 0x25, 0x80]));
    assert_eq!(
        log.events,
        [
            ServerEvent::PeerViolation(Violation::MalformedComPortCommand(
                CommandKind::SetBaudRate
            )),
            ServerEvent::Request(Command::SetBaudRate(0)),
        ]
    );
    // FakePort runs at 9600: the answer is the rate in use, not 0.
    assert_eq!(sent, com_port(&[101, 0, 0, 0x25, 0x80]));
}

#[test]
fn a_300_byte_signature_is_cut_and_marked_truncated_not_reported_as_a_violation() {
    let text = [b'x'; 300];
    let mut server = server(true);
    let (_, log) = serve(&mut server, &com_port(&[&[0][..], &text].concat()));
    let [ServerEvent::Signature(signature)] = log.events[..] else {
        panic!("{:?}", log.events);
    };
    assert_eq!(signature.as_bytes(), &text[..SIGNATURE_CAPACITY]);
    assert!(signature.is_truncated());
}

#[test]
fn two_signatures_in_one_read_both_reach_the_application() {
    let mut input = com_port(b"\x00first");
    input.extend(com_port(b"\x00second"));
    let mut server = server(true);
    let (_, log) = serve(&mut server, &input);
    let texts: Vec<&[u8]> = log
        .events
        .iter()
        .map(|event| match event {
            ServerEvent::Signature(signature) => signature.as_bytes(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(texts, [&b"first"[..], b"second"]);
}

#[test]
fn an_undoubled_iac_inside_a_signature_never_reaches_the_device() {
    let mut input = b"a".to_vec();
    input.extend([IAC, 250, 44, 0, b's', IAC, b'x', b'y', IAC, 240]);
    input.extend(b"b");
    let mut server = server(true);
    let (_, log) = serve(&mut server, &input);
    assert_eq!(log.data, b"ab");
    let unescaped = ServerEvent::PeerViolation(Violation::UnescapedIac { option: 44 });
    assert_eq!(log.events[0], unescaped);
    let ServerEvent::Signature(signature) = log.events[1] else {
        panic!("{:?}", log.events);
    };
    assert_eq!(signature.as_bytes(), b"s\xffxy");
}

#[test]
fn a_request_not_awaited_says_so_at_once_and_a_server_ack_of_it_is_unsolicited() {
    let mut client = agreed_client();
    let mask = Command::SetModemStateMask(rfc2217_proto::ModemState::ALL);
    assert_eq!(client.request(NOW, mask), Ok(None));
    assert!(client
        .request(NOW, Command::SetBaudRate(9600))
        .unwrap()
        .is_some());
    let _ = drain_transmit(&mut client);
    // sredird acknowledges masks: reported, but no request is credited.
    let mut log = Log::default();
    let _ = feed(
        &mut client,
        NOW,
        &com_port(&[111, 255]),
        64,
        &mut log,
        &mut |_, _| {},
    );
    assert_eq!(
        log.events,
        [ClientEvent::Reply {
            id: None,
            reply: mask,
            status: ReplyStatus::Unsolicited
        }]
    );
    assert_eq!(client.pending_requests(), 1);
}

#[test]
fn a_full_event_queue_is_queue_pressure_not_a_transmit_error() {
    let mut client = agreed_client();
    let agree = [IAC, DO, 0, IAC, WILL, 0, IAC, DO, 3, IAC, WILL, 3];
    let _ = feed(
        &mut client,
        NOW,
        &agree,
        64,
        &mut Log::default(),
        &mut |_, _| {},
    );
    // Turning an enabled side off is an event at once, and `negotiate`
    // keeps room for two (COM-PORT may change too): after two, it must wait.
    let sides = [
        (TelnetOption::Binary, Side::Local),
        (TelnetOption::Binary, Side::Remote),
    ];
    for (option, side) in sides {
        client.negotiate(option, side, false).unwrap();
    }
    let error = client.negotiate(TelnetOption::SuppressGoAhead, Side::Remote, false);
    assert_eq!(error, Err(Error::EventQueueFull));
    assert!(client.is_option_enabled(TelnetOption::SuppressGoAhead, Side::Remote));
    assert!(error.unwrap_err().is_queue_full());
    while client.poll_event().is_some() {}
    let again = client.negotiate(TelnetOption::SuppressGoAhead, Side::Remote, false);
    assert_eq!(again, Ok(()));
}

#[test]
fn once_com_port_is_switched_off_no_com_port_command_is_sent() {
    let mut client = agreed_client();
    client
        .negotiate(TelnetOption::ComPort, Side::Local, false)
        .unwrap();
    let events: Vec<ClientEvent> = std::iter::from_fn(|| client.poll_event()).collect();
    assert!(events.contains(&ClientEvent::ComPortUnavailable(
        rfc2217_proto::Unavailable::Refused
    )));
    assert!(!client.is_com_port_active());
    assert_eq!(
        client.request(NOW, Command::SetBaudRate(9600)),
        Err(Error::ComPortRefused)
    );
    assert_eq!(client.suspend_peer(), Err(Error::ComPortRefused));
    assert_eq!(drain_transmit(&mut client), [IAC, WONT, 44]);
}
