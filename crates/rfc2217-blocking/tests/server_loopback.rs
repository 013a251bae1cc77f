//! The server on `loop://`, driven by a client session over TCP: the opening
//! batch, every setting and SET-CONTROL value, modem notifications from the
//! loopback wiring, purge, BRK, suspend/resume both ways, and bulk data.

mod server_common;

use rfc2217_blocking::ServerConfig;
use rfc2217_client::{opening_requests, Settings, LINE_STATE_MASK};
use rfc2217_proto::{
    ClientEvent, Command, Control, ControlGroup, DataSize, LineState, ModemState, Parity, Purge,
    ReplyStatus, StopSize, TelnetCommand,
};
use serialport::{DataBits, FlowControl, StopBits};
use server_common::{random_bytes, start, TestClient};

#[test]
fn the_opening_batch_is_answered_in_one_go() {
    let server = start(
        ServerConfig::loopback()
            .with_signature(b"bench port 7")
            .unwrap(),
    );
    let mut client = TestClient::ready(server.local_addr());
    let settings = Settings {
        baud_rate: 115_200,
        data_bits: DataBits::Seven,
        parity: serialport::Parity::Even,
        stop_bits: StopBits::Two,
        flow_control: FlowControl::Hardware,
    };
    let requests = opening_requests(&settings, true, true);
    let now = client.now();
    let mut ids = Vec::new();
    for request in &requests {
        ids.push((*request, client.session.request(now, *request).unwrap()));
    }
    let signature = client
        .session
        .request(now, Command::Signature)
        .unwrap()
        .expect("the signature is awaited");
    client.transmit();
    for (request, id) in ids {
        if matches!(
            request,
            Command::SetLineStateMask(_) | Command::SetModemStateMask(_)
        ) {
            // Masks are not awaited by default; their answers come as
            // unsolicited replies.
            assert_eq!(id, None, "{request} is not awaited");
            client.take_event(
                "the mask's answer",
                |e| matches!(e, ClientEvent::Reply { id: None, reply, .. } if *reply == request),
            );
        } else {
            let id = id.unwrap_or_else(|| panic!("{request} is awaited"));
            assert_eq!(client.reply(id), request);
        }
    }
    let text = client.signature(signature);
    assert_eq!(text.as_bytes(), b"bench port 7");
    assert!(!text.is_truncated());
}

#[test]
fn every_setting_is_set_and_queried() {
    let server = start(ServerConfig::loopback());
    let mut client = TestClient::ready(server.local_addr());
    assert_eq!(
        client.ask(Command::SetBaudRate(0)),
        Command::SetBaudRate(9600)
    );
    for rate in [300, 115_200, 1234, 255, 0xFFFF_FFFF] {
        assert_eq!(
            client.ask(Command::SetBaudRate(rate)),
            Command::SetBaudRate(rate)
        );
        assert_eq!(
            client.ask(Command::SetBaudRate(0)),
            Command::SetBaudRate(rate)
        );
    }
    for size in 5..=8 {
        let set = Command::SetDataSize(DataSize::from_byte(size));
        assert_eq!(client.ask(set), set);
        assert_eq!(client.ask(Command::SetDataSize(DataSize::Query)), set);
    }
    for parity in 1..=5 {
        let set = Command::SetParity(Parity::from_byte(parity));
        assert_eq!(client.ask(set), set);
        assert_eq!(client.ask(Command::SetParity(Parity::Query)), set);
    }
    for stop in 1..=3 {
        let set = Command::SetStopSize(StopSize::from_byte(stop));
        assert_eq!(client.ask(set), set);
        assert_eq!(client.ask(Command::SetStopSize(StopSize::Query)), set);
    }
    // Values the RFC does not define change nothing: the answer is the
    // value in use.
    let id = client.request(Command::SetDataSize(DataSize::Unknown(9)));
    assert_eq!(client.reply(id), Command::SetDataSize(DataSize::Eight));
    let id = client.request(Command::SetParity(Parity::Unknown(9)));
    assert_eq!(client.reply(id), Command::SetParity(Parity::Space));
}

#[test]
fn every_set_control_value_is_answered_with_the_state_in_use() {
    let server = start(ServerConfig::loopback());
    let mut client = TestClient::ready(server.local_addr());
    // The loopback starts at the defaults: no flow control, lines off.
    let mut model = [
        (ControlGroup::OutboundFlow, Control::NoFlowControl),
        (ControlGroup::Break, Control::BreakOff),
        (ControlGroup::Dtr, Control::DtrOff),
        (ControlGroup::Rts, Control::RtsOff),
        (ControlGroup::InboundFlow, Control::NoInboundFlowControl),
    ];
    for value in 0..=19u8 {
        let control = Control::from_byte(value);
        let group = control.group().unwrap();
        let slot = model.iter_mut().find(|(g, _)| *g == group).unwrap();
        if !control.is_query() {
            slot.1 = control;
        }
        let expected = Command::SetControl(slot.1);
        assert_eq!(
            client.ask(Command::SetControl(control)),
            expected,
            "SET-CONTROL {value}"
        );
    }
}

#[test]
fn modem_lines_follow_the_loopback_wiring_under_the_mask() {
    let server = start(ServerConfig::loopback());
    let mut client = TestClient::ready(server.local_addr());
    // The first notification, when COM-PORT became active: all lines off.
    client.take_event("the first notification", |e| {
        *e == ClientEvent::ModemState(ModemState::EMPTY)
    });
    client.ask(Command::SetControl(Control::RtsOn));
    let cts = ModemState::CTS | ModemState::CTS_CHANGED;
    client.take_event("CTS up", |e| *e == ClientEvent::ModemState(cts));
    client.ask(Command::SetControl(Control::DtrOn));
    let dsr_cd = ModemState::CTS
        | ModemState::DSR
        | ModemState::CD
        | ModemState::DSR_CHANGED
        | ModemState::CD_CHANGED;
    client.take_event("DSR and CD up", |e| *e == ClientEvent::ModemState(dsr_cd));

    // Only CTS under the mask: dropping DTR is not reported, dropping RTS
    // is, with nothing but CTS's bits.
    let mask = ModemState::CTS | ModemState::CTS_CHANGED;
    client.send_request(Command::SetModemStateMask(mask));
    client.ask(Command::SetControl(Control::DtrOff));
    client.ask(Command::SetControl(Control::RtsOff));
    client.wait_until("a notification", |c| {
        c.events
            .iter()
            .any(|e| matches!(e, ClientEvent::ModemState(_)))
    });
    let notifications: Vec<_> = client
        .events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::ModemState(state) => Some(*state),
            _ => None,
        })
        .collect();
    assert_eq!(notifications, [ModemState::CTS_CHANGED]);
    // A poll is answered with the lines under the mask.
    client.events.clear();
    client.session.query_modem_state().unwrap();
    client.transmit();
    client.take_event("the poll's answer", |e| {
        *e == ClientEvent::ModemState(ModemState::EMPTY)
    });
}

#[test]
fn purge_empties_what_the_client_was_not_sent_yet() {
    let server = start(ServerConfig::loopback());
    let mut client = TestClient::ready(server.local_addr());
    for purge in [Purge::Receive, Purge::Transmit, Purge::Both] {
        assert_eq!(
            client.ask(Command::PurgeData(purge)),
            Command::PurgeData(purge)
        );
    }
    // Stale data waits in the server while we hold it back; the purge of
    // the receive buffer drops it, so only what follows arrives.
    client.session.suspend_peer().unwrap();
    client.transmit();
    client.send(&random_bytes(20_000, 3));
    let barrier = client.session.barrier(client.now()).unwrap();
    client.transmit();
    client.reply(barrier);
    assert_eq!(
        client.ask(Command::PurgeData(Purge::Receive)),
        Command::PurgeData(Purge::Receive)
    );
    client.session.resume_peer().unwrap();
    client.transmit();
    client.send(b"fresh");
    assert_eq!(client.take_data(5), b"fresh");
    let barrier = client.session.barrier(client.now()).unwrap();
    client.transmit();
    client.reply(barrier);
    client.pump();
    assert!(
        client.data.is_empty(),
        "stale data: {} bytes",
        client.data.len()
    );
}

#[test]
fn a_suspended_server_holds_data_and_resumes_without_loss() {
    let server = start(ServerConfig::loopback());
    let mut client = TestClient::ready(server.local_addr());
    client.session.suspend_peer().unwrap();
    client.transmit();
    let payload = random_bytes(96 * 1024, 11);
    client.send(&payload);
    // Answers still come while data is held back.
    let id = client.request(Command::SetBaudRate(0));
    assert_eq!(client.reply(id), Command::SetBaudRate(9600));
    for _ in 0..20 {
        client.pump();
    }
    assert!(client.data.is_empty(), "data came while suspended");
    client.session.resume_peer().unwrap();
    client.transmit();
    assert!(client.take_data(payload.len()) == payload);
}

#[test]
fn a_client_break_is_a_break_on_the_device() {
    let server = start(ServerConfig::loopback());
    let mut client = TestClient::ready(server.local_addr());
    client.send_request(Command::SetLineStateMask(LINE_STATE_MASK));
    client
        .session
        .send_telnet_command(TelnetCommand::Break)
        .unwrap();
    client.transmit();
    client.take_event("break detected", |e| {
        *e == ClientEvent::LineState(LineState::BREAK_DETECT)
    });
    assert_eq!(
        client.ask(Command::SetControl(Control::BreakOn)),
        Command::SetControl(Control::BreakOn)
    );
    client.take_event("break detected again", |e| {
        *e == ClientEvent::LineState(LineState::BREAK_DETECT)
    });
    assert_eq!(
        client.ask(Command::SetControl(Control::BreakOff)),
        Command::SetControl(Control::BreakOff)
    );
}

#[test]
fn a_mebibyte_of_iac_rich_data_echoes_byte_exact() {
    let server = start(ServerConfig::loopback());
    let mut client = TestClient::ready(server.local_addr());
    let payload = random_bytes(1 << 20, 42);
    const WINDOW: usize = 64 * 1024;
    let mut sent = 0;
    let mut echoed = Vec::with_capacity(payload.len());
    client.wait_until("the whole echo", |c| {
        echoed.append(&mut c.data);
        let in_flight = sent - echoed.len();
        if sent < payload.len() && in_flight < WINDOW {
            let end = payload.len().min(sent + (WINDOW - in_flight).min(8192));
            c.send(&payload[sent..end]);
            sent = end;
        }
        echoed.len() >= payload.len()
    });
    assert_eq!(echoed.len(), payload.len());
    assert!(echoed == payload, "the echo differs");
    // Nothing was rejected along the way.
    assert!(!client.events.iter().any(|e| matches!(
        e,
        ClientEvent::Reply {
            status: ReplyStatus::Rejected,
            ..
        } | ClientEvent::PeerViolation(_)
    )));
}
