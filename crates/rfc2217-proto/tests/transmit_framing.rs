//! Outbound framing survives any caller buffer size: with random transmit
//! buffers of 1 to 40 bytes, suspensions, resumptions, requests and data,
//! no command is ever cut in two by another, and all data arrives once.

mod common;

use proptest::prelude::*;
use rfc2217_proto::{Command, Config, Event, Instant, Session};

const NOW: Instant = Instant::ZERO;

#[derive(Clone, Debug)]
enum Action {
    ClientRequest(u32),
    ClientData(Vec<u8>),
    ServerData(Vec<u8>),
    ClientSuspends,
    ClientResumes,
    ServerSuspends,
    ServerResumes,
    /// Move bytes one way with transmit buffers of this size.
    ToServer(usize),
    ToClient(usize),
}

fn action() -> impl Strategy<Value = Action> {
    let data = || proptest::collection::vec(prop_oneof![Just(0xFFu8), any::<u8>()], 1..30);
    prop_oneof![
        any::<u32>().prop_map(Action::ClientRequest),
        data().prop_map(Action::ClientData),
        data().prop_map(Action::ServerData),
        Just(Action::ClientSuspends),
        Just(Action::ClientResumes),
        Just(Action::ServerSuspends),
        Just(Action::ServerResumes),
        (1usize..40).prop_map(Action::ToServer),
        (1usize..40).prop_map(Action::ToClient),
    ]
}

/// One end: its session, data waiting to be encoded, what it received,
/// and bytes it transmitted that the wire has not taken yet.
struct End {
    session: Session,
    outgoing: Vec<u8>,
    received: Vec<u8>,
    events: Vec<Event>,
    unsent: Vec<u8>,
    buffer: usize,
}

impl End {
    fn new(config: Config) -> End {
        End {
            session: Session::new(config, NOW),
            outgoing: Vec::new(),
            received: Vec::new(),
            events: Vec::new(),
            unsent: Vec::new(),
            buffer: 7,
        }
    }

    /// Transmits through a buffer of `self.buffer` bytes, repeatedly, until
    /// the session has nothing more to give now.
    fn transmit(&mut self) -> Vec<u8> {
        let mut out = vec![0u8; self.buffer];
        loop {
            let encoded = self.session.encode_data(&self.outgoing, &mut out);
            self.outgoing.drain(..encoded.consumed);
            self.unsent.extend_from_slice(&out[..encoded.written]);
            if encoded.written == 0 {
                return std::mem::take(&mut self.unsent);
            }
        }
    }

    /// The run loop's input half; answers wait for `transmit`, except when
    /// the session needs room to go on.
    fn receive(&mut self, mut wire: &[u8]) {
        let mut data = [0u8; 16];
        while !wire.is_empty() {
            let received = self.session.handle_input(NOW, wire, &mut data);
            wire = &wire[received.consumed..];
            self.received.extend_from_slice(&data[..received.data_len]);
            while let Some(event) = self.session.poll_event() {
                if let Event::Request(request) = event {
                    let _ = self.session.respond(request);
                }
                self.events.push(event);
            }
            if received.consumed == 0 {
                let sent = self.transmit();
                self.unsent = sent;
            }
        }
    }
}

fn violations(events: &[Event]) -> Vec<&Event> {
    events
        .iter()
        .filter(|e| matches!(e, Event::PeerViolation(_)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn no_command_is_ever_cut_by_another(actions in proptest::collection::vec(action(), 0..80)) {
        let mut client = End::new(Config::client());
        let mut server = End::new(Config::server());
        let (mut to_client, mut to_server) = (Vec::new(), Vec::new());
        let mut sent_by_client = Vec::new();
        let mut sent_by_server = Vec::new();
        for action in actions {
            match action {
                Action::ClientRequest(rate) => {
                    let _ = client.session.request(NOW, Command::SetBaudRate(rate));
                }
                Action::ClientData(data) => {
                    sent_by_client.extend(&data);
                    client.outgoing.extend(data);
                }
                Action::ServerData(data) => {
                    sent_by_server.extend(&data);
                    server.outgoing.extend(data);
                }
                Action::ClientSuspends => { let _ = client.session.suspend_peer(); }
                Action::ClientResumes => { let _ = client.session.resume_peer(); }
                Action::ServerSuspends => { let _ = server.session.suspend_peer(); }
                Action::ServerResumes => { let _ = server.session.resume_peer(); }
                Action::ToServer(size) => {
                    client.buffer = size;
                    to_server.extend(client.transmit());
                    server.receive(&std::mem::take(&mut to_server));
                }
                Action::ToClient(size) => {
                    server.buffer = size;
                    to_client.extend(server.transmit());
                    client.receive(&std::mem::take(&mut to_client));
                }
            }
        }
        // Both ends resume each other and the wires run dry.
        let _ = client.session.resume_peer();
        let _ = server.session.resume_peer();
        client.buffer = 7;
        server.buffer = 7;
        for _ in 0..20 {
            let wire = client.transmit();
            server.receive(&wire);
            let wire = server.transmit();
            client.receive(&wire);
        }
        prop_assert!(violations(&client.events).is_empty(), "client saw {:?}", violations(&client.events));
        prop_assert!(violations(&server.events).is_empty(), "server saw {:?}", violations(&server.events));
        prop_assert_eq!(server.received, sent_by_client);
        prop_assert_eq!(client.received, sent_by_server);
    }
}
