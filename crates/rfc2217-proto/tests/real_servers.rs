//! What real servers send (captured bytes from `shared/peers/NOTES.md`),
//! fed to our client, and what real clients send, fed to our server.

mod common;

use common::{com_port, drain_transmit, feed, Log};
use rfc2217_proto::{
    Client, ClientEvent, Command, Config, Control, Instant, ModemState, ReplyStatus, RequestId,
    Role, ServerEvent, Session, Side, Signature, TelnetOption, Unavailable, Violation,
};

const NOW: Instant = Instant::ZERO;
const IAC: u8 = 255;
const WILL: u8 = 251;
const WONT: u8 = 252;
const DO: u8 = 253;
const DONT: u8 = 254;

/// A client that has sent its opening negotiation.
fn client() -> Session<Client> {
    let mut session = Session::new(Config::client(), NOW);
    let _ = drain_transmit(&mut session);
    session
}

/// A client whose server has agreed to COM-PORT-OPTION (`DO COM-PORT`).
fn agreed_client() -> Session<Client> {
    let mut session = client();
    let (_, events) = run(&mut session, &[IAC, DO, 44]);
    assert!(events.contains(&ClientEvent::ComPortActive));
    session
}

fn run<R: Role>(session: &mut Session<R>, input: &[u8]) -> (Vec<u8>, Vec<R::Event>) {
    let mut log = Log::default();
    let sent = feed(session, NOW, input, 64, &mut log, &mut |_, _| {});
    (sent, log.events)
}

fn reply_statuses(events: &[ClientEvent]) -> Vec<ReplyStatus> {
    events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Reply { status, .. } => Some(*status),
            _ => None,
        })
        .collect()
}

#[test]
fn ser2net_opening_is_agreed_without_loops() {
    let mut client = client();
    // WILL SGA, DO SGA, WILL ECHO, DONT ECHO, DO BINARY, WILL BINARY, DO COM-PORT
    let opening = [
        IAC, WILL, 3, IAC, DO, 3, IAC, WILL, 1, IAC, DONT, 1, IAC, DO, 0, IAC, WILL, 0, IAC, DO, 44,
    ];
    let (sent, events) = run(&mut client, &opening);
    // Only the ECHO offer needs an answer: everything else answers our own offers.
    assert_eq!(sent, [IAC, DO, 1]);
    assert!(events.contains(&ClientEvent::ComPortActive));
    assert!(client.is_ready_for_data());
    // ser2net repeats DO SGA after our WILL SGA: not answered again.
    let (sent, events) = run(&mut client, &[IAC, DO, 3]);
    assert!(sent.is_empty() && events.is_empty());
}

#[test]
fn ser2net_refusing_the_client_side_of_com_port_is_not_an_error_when_the_server_side_is_on() {
    let mut client = client();
    let (_, events) = run(&mut client, &[IAC, DONT, 44]);
    assert!(events.contains(&ClientEvent::ComPortUnavailable(Unavailable::Refused)));
    let (_, events) = run(&mut client, &[IAC, WILL, 44]);
    assert!(events.contains(&ClientEvent::ComPortActive));
    assert!(client.is_com_port_active());
}

#[test]
fn sredird_eight_byte_baud_ack_confirms_the_request() {
    let mut client = agreed_client();
    client.request(NOW, Command::SetBaudRate(115_200)).unwrap();
    let (_, events) = run(
        &mut client,
        &com_port(&[101, 0x00, 0x01, 0xC2, 0x00, 0, 0, 0, 0]),
    );
    assert_eq!(reply_statuses(&events), [ReplyStatus::Confirmed]);
}

#[test]
fn cisco_one_byte_baud_index_is_understood() {
    let mut client = agreed_client();
    client.request(NOW, Command::SetBaudRate(115_200)).unwrap();
    let (_, events) = run(&mut client, &com_port(&[101, 0x0E]));
    assert_eq!(reply_statuses(&events), [ReplyStatus::Confirmed]);
}

#[test]
fn sredird_105_1_answer_to_dtr_and_rts_is_tolerated_by_default() {
    let mut client = agreed_client();
    let dtr = client
        .request(NOW, Command::SetControl(Control::DtrOn))
        .unwrap()
        .unwrap();
    let rts = client
        .request(NOW, Command::SetControl(Control::RtsOn))
        .unwrap()
        .unwrap();
    let mut input = com_port(&[105, 1]);
    input.extend(com_port(&[105, 1]));
    let (_, events) = run(&mut client, &input);
    let ids: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Reply {
                id: Some(id),
                status: ReplyStatus::Tolerated,
                ..
            } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(ids, [dtr, rts]);
    assert_eq!(client.pending_requests(), 0);
}

#[test]
fn sredird_modem_state_triplets_from_uninitialised_memory_are_just_notifications() {
    let mut client = agreed_client();
    let mut input = Vec::new();
    for value in [0x66, 0x06, 0x00] {
        input.extend(com_port(&[107, value]));
    }
    let (sent, events) = run(&mut client, &input);
    assert!(sent.is_empty());
    assert_eq!(
        events,
        [
            ClientEvent::ModemState(ModemState(0x66)),
            ClientEvent::ModemState(ModemState(0x06)),
            ClientEvent::ModemState(ModemState(0))
        ]
    );
}

#[test]
fn ser2net_answers_masks_with_notifications_which_are_reported_as_such() {
    let mut client = agreed_client();
    client
        .request(
            NOW,
            Command::SetLineStateMask(rfc2217_proto::LineState(0x10)),
        )
        .unwrap();
    let (_, events) = run(&mut client, &com_port(&[106, 0]));
    assert_eq!(
        events,
        [ClientEvent::LineState(rfc2217_proto::LineState(0))]
    );
}

#[test]
fn unsolicited_replies_are_tolerated_and_reported() {
    let mut client = agreed_client();
    let (_, events) = run(&mut client, &com_port(&[102, 8]));
    assert_eq!(reply_statuses(&events), [ReplyStatus::Unsolicited]);
}

#[test]
fn a_server_that_asks_for_our_signature_gets_it() {
    let mut client = Session::new(Config::client().with_signature(b"me").unwrap(), NOW);
    let _ = drain_transmit(&mut client);
    let _ = run(&mut client, &[IAC, DO, 44]);
    let (sent, _) = run(&mut client, &com_port(&[100]));
    assert_eq!(sent, com_port(&[0, b'm', b'e']));
}

#[test]
fn pyserial_client_opening_is_served() {
    // pyserial 3.5 sends: DO ECHO, WILL SGA, DO SGA, DO COM-PORT, WILL COM-PORT
    let mut server = Session::new(Config::server(), NOW);
    let _ = drain_transmit(&mut server);
    let input = [
        IAC, DO, 1, IAC, WILL, 3, IAC, DO, 3, IAC, DO, 44, IAC, WILL, 44,
    ];
    let (sent, events) = run(&mut server, &input);
    assert!(events.contains(&ServerEvent::ComPortActive));
    // Agrees to what it had not offered (SGA from the client, COM-PORT our
    // side), sends the first modem-state notification, and nothing else.
    let mut expected = vec![IAC, DO, 3, IAC, WILL, 44];
    expected.extend(com_port(&[107, 0]));
    assert_eq!(sent, expected);
    // pyserial's poll_modem: NOTIFY-MODEMSTATE with no value is answered.
    let (sent, _) = run(&mut server, &com_port(&[7]));
    assert_eq!(sent, com_port(&[107, 0]));
}

#[test]
fn a_plain_telnet_client_refusing_everything_is_reported_and_gets_nvt() {
    let mut server = Session::new(Config::server(), NOW);
    let _ = drain_transmit(&mut server);
    let refusals = [
        IAC, DONT, 0, IAC, WONT, 0, IAC, DONT, 3, IAC, DONT, 1, IAC, WONT, 44,
    ];
    let (sent, events) = run(&mut server, &refusals);
    assert!(sent.is_empty(), "refusals of our offers are not answered");
    assert!(events.contains(&ServerEvent::ComPortUnavailable(Unavailable::Refused)));
    assert!(!server.is_option_enabled(TelnetOption::Binary, Side::Local));
    // Data now follows the NVT rules both ways.
    let mut out = [0u8; 16];
    let encoded = server.encode_data(b"a\rb", &mut out);
    assert_eq!(&out[..encoded.written], b"a\r\0b");
    let mut log = Log::default();
    let _ = feed(
        &mut server,
        NOW,
        b"x\r\0y\r\n",
        16,
        &mut log,
        &mut |_, _| {},
    );
    assert_eq!(log.data, b"x\ry\r\n");
}

#[test]
fn sredird_style_bad_input_is_reported_and_the_stream_stays_in_sync() {
    let mut client = agreed_client();
    let mut input = b"a".to_vec();
    input.extend([IAC, 241, b'b']); // NOP (sredird would swallow the 'b')
    input.extend([IAC, 250, 5, 1, IAC, 240, b'c']); // SB for another option
    input.extend([IAC, 250, 44, IAC, 240, b'd']); // empty SB 44 to a client: a signature request
    input.extend([IAC, 240, b'e']); // stray SE
    input.extend([IAC, 7, b'f']); // undefined command
    let (_, events) = {
        let mut log = Log::default();
        let sent = feed(&mut client, NOW, &input, 64, &mut log, &mut |_, _| {});
        assert_eq!(log.data, b"abcdef");
        (sent, log.events)
    };
    assert_eq!(
        events,
        [
            ClientEvent::TelnetCommand(rfc2217_proto::TelnetCommand::Nop),
            ClientEvent::PeerViolation(Violation::UnexpectedSubnegotiation { option: 5 }),
            ClientEvent::PeerViolation(Violation::StraySubnegotiationEnd),
            ClientEvent::PeerViolation(Violation::UnknownCommand(7)),
        ]
    );
}

/// The one event in `events`, a signature: its id, text and status.
fn only_signature(events: &[ClientEvent]) -> (Option<RequestId>, Signature, ReplyStatus) {
    match events {
        [ClientEvent::Signature {
            id,
            signature,
            status,
        }] => (*id, *signature, *status),
        other => panic!("not one signature: {other:?}"),
    }
}

#[test]
fn a_signature_of_any_length_reaches_the_application_marked_if_cut() {
    let mut client = agreed_client();
    let id = client.request(NOW, Command::Signature).unwrap();
    let full = [b's'; rfc2217_proto::SIGNATURE_CAPACITY];
    let (_, events) = run(&mut client, &com_port(&[&[100][..], &full].concat()));
    let (got, signature, status) = only_signature(&events);
    assert_eq!((got, status), (id, ReplyStatus::Confirmed));
    assert_eq!(
        (signature.as_bytes(), signature.is_truncated()),
        (&full[..], false)
    );
    // sredird names the device: "SRedird 2.2.1 /dev/serial/by-id/usb-FTDI_...".
    // RFC 2217 sets no limit, so a long one is no violation: it is cut.
    let id = client.request(NOW, Command::Signature).unwrap();
    let long = b"SRedird 2.2.1 /dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0";
    let (_, events) = run(&mut client, &com_port(&[&[100][..], long].concat()));
    let (got, signature, status) = only_signature(&events);
    assert_eq!((got, status), (id, ReplyStatus::Confirmed));
    assert_eq!(
        signature.as_bytes(),
        &long[..rfc2217_proto::SIGNATURE_CAPACITY]
    );
    assert!(signature.is_truncated());
}
