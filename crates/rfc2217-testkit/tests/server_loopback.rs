//! Each server on `loop://`, driven by a client session over TCP: the
//! opening batch and signature, every setting and SET-CONTROL value with
//! its query, modem notifications from the loopback wiring under the mask,
//! purge, BRK, suspend/resume both ways, and a mebibyte of 0xFF-rich data.

use rfc2217_client::{OpenOptions, Settings, LINE_STATE_MASK};
use rfc2217_proto::{
    ClientEvent, Command, Control, ControlGroup, DataSize, LineState, ModemState, Parity, Purge,
    ReplyStatus, StopSize, TelnetCommand,
};
use rfc2217_server::ServerConfig;
use rfc2217_testkit::{on_both_servers, random_bytes, ServerKind, TestClient};
use serialport::{DataBits, FlowControl, StopBits};

fn the_opening_batch_and_the_signature_are_answered_in_one_go(kind: ServerKind) {
    let config = ServerConfig::loopback()
        .with_signature(b"bench port 7")
        .unwrap();
    let server = kind.start(config);
    let mut client = TestClient::ready(server.local_addr());
    let settings = Settings {
        baud_rate: 115_200,
        data_bits: DataBits::Seven,
        parity: serialport::Parity::Even,
        stop_bits: StopBits::Two,
        flow_control: FlowControl::Hardware,
    };
    let options = OpenOptions::new(server.local_addr().to_string())
        .settings(settings)
        .dtr_rts(true, true);
    let now = client.now();
    let mut awaited = Vec::new();
    let mut masks = Vec::new();
    let mut signature = None;
    for request in options.opening_requests() {
        let id = client.session.request(now, request).unwrap();
        match (request, id) {
            (Command::Signature, Some(id)) => signature = Some(id),
            // Masks are not awaited by default: their answers come as
            // unsolicited replies.
            (Command::SetLineStateMask(_) | Command::SetModemStateMask(_), None) => {
                masks.push(request)
            }
            (_, Some(id)) => awaited.push((request, id)),
            other => panic!("an awaited request without an id: {other:?}"),
        }
    }
    let signature = signature.expect("the signature is asked for, and awaited");
    client.transmit();
    for (request, id) in awaited {
        assert_eq!(client.reply(id), request);
    }
    for mask in masks {
        client.take_event(
            "the mask's answer",
            |e| matches!(e, ClientEvent::Reply { id: None, reply, .. } if *reply == mask),
        );
    }
    let text = client.signature(signature);
    assert_eq!(text.as_bytes(), b"bench port 7");
    assert!(!text.is_truncated());
}

fn the_default_signature_names_the_crate_and_the_device(kind: ServerKind) {
    let server = kind.start(ServerConfig::loopback());
    let mut client = TestClient::ready(server.local_addr());
    let id = client.session.request(client.now(), Command::Signature);
    let id = id.unwrap().expect("the signature is awaited");
    client.transmit();
    let text = client.signature(id);
    let signature = String::from_utf8_lossy(text.as_bytes()).into_owned();
    assert!(
        signature.starts_with(kind.signature_prefix()) && signature.ends_with(" loop://"),
        "{kind}: {signature:?}"
    );
}

fn every_setting_is_set_and_queried(kind: ServerKind) {
    let server = kind.start(ServerConfig::loopback());
    let mut client = TestClient::ready(server.local_addr());
    let query = Command::SetBaudRate(0);
    assert_eq!(client.ask(query), Command::SetBaudRate(9600));
    let mut cases: Vec<(Command, Command)> = [300, 115_200, 1234, 255, 0xFFFF_FFFF]
        .into_iter()
        .map(|rate| (Command::SetBaudRate(rate), query))
        .collect();
    let size_query = Command::SetDataSize(DataSize::Query);
    cases.extend((5..=8).map(|n| (Command::SetDataSize(DataSize::from_byte(n)), size_query)));
    let parity_query = Command::SetParity(Parity::Query);
    cases.extend((1..=5).map(|n| (Command::SetParity(Parity::from_byte(n)), parity_query)));
    let stop_query = Command::SetStopSize(StopSize::Query);
    cases.extend((1..=3).map(|n| (Command::SetStopSize(StopSize::from_byte(n)), stop_query)));
    for (set, query) in cases {
        assert_eq!(client.ask(set), set, "{set:?}");
        assert_eq!(client.ask(query), set, "{query:?} after {set:?}");
    }
    // Values the RFC does not define change nothing: the answer is the
    // value in use (the strict policy reports it as rejected).
    let id = client.request(Command::SetDataSize(DataSize::Unknown(9)));
    assert_eq!(client.reply(id), Command::SetDataSize(DataSize::Eight));
    let id = client.request(Command::SetParity(Parity::Unknown(9)));
    assert_eq!(client.reply(id), Command::SetParity(Parity::Space));
}

fn every_set_control_value_is_answered_with_the_state_in_use(kind: ServerKind) {
    let server = kind.start(ServerConfig::loopback());
    let mut client = TestClient::ready(server.local_addr());
    // The loopback starts at the defaults: no flow control, lines off.
    let mut in_use = [
        (ControlGroup::OutboundFlow, Control::NoFlowControl),
        (ControlGroup::Break, Control::BreakOff),
        (ControlGroup::Dtr, Control::DtrOff),
        (ControlGroup::Rts, Control::RtsOff),
        (ControlGroup::InboundFlow, Control::NoInboundFlowControl),
    ];
    for value in 0..=19u8 {
        let control = Control::from_byte(value);
        let group = control.group().unwrap();
        let slot = in_use.iter_mut().find(|(g, _)| *g == group).unwrap();
        if !control.is_query() {
            slot.1 = control;
        }
        let answer = client.ask(Command::SetControl(control));
        assert_eq!(answer, Command::SetControl(slot.1), "SET-CONTROL {value}");
    }
}

fn modem_notifications(client: &TestClient) -> Vec<ModemState> {
    let states = client.events.iter().filter_map(|e| match e {
        ClientEvent::ModemState(state) => Some(*state),
        _ => None,
    });
    states.collect()
}

fn modem_lines_follow_the_loopback_wiring_under_the_mask(kind: ServerKind) {
    let server = kind.start(ServerConfig::loopback());
    let mut client = TestClient::ready(server.local_addr());
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
    client.wait_until("a notification", |c| !modem_notifications(c).is_empty());
    assert_eq!(modem_notifications(&client), [ModemState::CTS_CHANGED]);
    // A poll is answered with the lines under the mask.
    client.events.clear();
    client.session.query_modem_state().unwrap();
    client.transmit();
    client.take_event("the poll's answer", |e| {
        *e == ClientEvent::ModemState(ModemState::EMPTY)
    });
}

/// Waits until the server has processed everything sent so far, and the
/// data it echoed before has arrived.
fn barrier(client: &mut TestClient) {
    let id = client.session.barrier(client.now()).unwrap();
    client.transmit();
    client.reply(id);
    client.pump();
}

fn purge_drops_what_the_client_was_not_sent_yet(kind: ServerKind) {
    let server = kind.start(ServerConfig::loopback());
    let mut client = TestClient::ready(server.local_addr());
    for purge in [Purge::Receive, Purge::Transmit, Purge::Both] {
        let answer = client.ask(Command::PurgeData(purge));
        assert_eq!(answer, Command::PurgeData(purge));
    }
    // Stale data waits in the server while we hold it back; purging the
    // receive side drops it, so only what follows arrives.
    client.session.suspend_peer().unwrap();
    client.transmit();
    client.send(&random_bytes(20_000, 3));
    barrier(&mut client);
    let purge = Command::PurgeData(Purge::Receive);
    assert_eq!(client.ask(purge), purge);
    client.session.resume_peer().unwrap();
    client.transmit();
    client.send(b"fresh");
    assert_eq!(client.take_data(5), b"fresh");
    barrier(&mut client);
    assert!(client.data.is_empty(), "stale: {} bytes", client.data.len());
}

fn a_suspended_server_holds_its_data_answers_requests_and_resumes_without_loss(kind: ServerKind) {
    let server = kind.start(ServerConfig::loopback());
    let mut client = TestClient::ready(server.local_addr());
    client.session.suspend_peer().unwrap();
    client.transmit();
    let payload = random_bytes(96 * 1024, 11);
    client.send(&payload);
    assert_eq!(
        client.ask(Command::SetBaudRate(0)),
        Command::SetBaudRate(9600)
    );
    for _ in 0..20 {
        client.pump();
    }
    assert!(client.data.is_empty(), "data came while suspended");
    client.session.resume_peer().unwrap();
    client.transmit();
    assert!(client.take_data(payload.len()) == payload);
}

fn a_client_break_is_a_break_on_the_device_and_data_after_it_waits(kind: ServerKind) {
    let server = kind.start(ServerConfig::loopback());
    let mut client = TestClient::ready(server.local_addr());
    client.send_request(Command::SetLineStateMask(LINE_STATE_MASK));
    client
        .session
        .send_telnet_command(TelnetCommand::Break)
        .unwrap();
    client.transmit();
    let sent = std::time::Instant::now();
    client.send(b"after");
    client.take_event("break detected", |e| {
        *e == ClientEvent::LineState(LineState::BREAK_DETECT)
    });
    assert_eq!(client.take_data(5), b"after");
    // The line was held in break for a while before the data went out.
    assert!(sent.elapsed() >= std::time::Duration::from_millis(200));
    for (set, detected) in [(Control::BreakOn, true), (Control::BreakOff, false)] {
        let answer = client.ask(Command::SetControl(set));
        assert_eq!(answer, Command::SetControl(set));
        if detected {
            client.take_event("break detected again", |e| {
                *e == ClientEvent::LineState(LineState::BREAK_DETECT)
            });
        }
    }
}

fn a_mebibyte_of_iac_rich_data_echoes_byte_exact(kind: ServerKind) {
    let server = kind.start(ServerConfig::loopback());
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
    assert!(echoed == payload, "the echo differs");
    let trouble = client.events.iter().find(|e| {
        matches!(
            e,
            ClientEvent::Reply {
                status: ReplyStatus::Rejected,
                ..
            } | ClientEvent::PeerViolation(_)
        )
    });
    assert_eq!(trouble, None);
    if let Some(stats) = server.mio_stats() {
        assert_eq!(stats.connections, 1);
    }
}

on_both_servers!(
    the_opening_batch_and_the_signature_are_answered_in_one_go,
    the_default_signature_names_the_crate_and_the_device,
    every_setting_is_set_and_queried,
    every_set_control_value_is_answered_with_the_state_in_use,
    modem_lines_follow_the_loopback_wiring_under_the_mask,
    purge_drops_what_the_client_was_not_sent_yet,
    a_suspended_server_holds_its_data_answers_requests_and_resumes_without_loss,
    a_client_break_is_a_break_on_the_device_and_data_after_it_waits,
    a_mebibyte_of_iac_rich_data_echoes_byte_exact,
);
