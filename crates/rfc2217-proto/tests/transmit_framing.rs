//! Outbound framing survives any caller buffer size: with random transmit
//! buffers of 1 to 40 bytes, suspensions, resumptions, requests and data,
//! no command is ever cut in two by another, and all data arrives once.

mod common;

use proptest::prelude::*;
use rfc2217_proto::{
    Client, ClientEvent, Command, Config, Instant, Role, Server, ServerEvent, Session,
};

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
struct End<R: Role> {
    session: Session<R>,
    outgoing: Vec<u8>,
    received: Vec<u8>,
    /// The peer violations reported.
    violations: Vec<R::Event>,
    unsent: Vec<u8>,
    buffer: usize,
    /// The application: answers a server's requests; true for a violation.
    on_event: fn(&mut Session<R>, R::Event) -> bool,
}

fn client_event(_: &mut Session<Client>, event: ClientEvent) -> bool {
    matches!(event, ClientEvent::PeerViolation(_))
}

fn server_event(server: &mut Session<Server>, event: ServerEvent) -> bool {
    if let ServerEvent::Request(request) = event {
        let _ = server.respond(request);
    }
    matches!(event, ServerEvent::PeerViolation(_))
}

impl<R: Role> End<R> {
    fn new(config: Config<R>, on_event: fn(&mut Session<R>, R::Event) -> bool) -> End<R> {
        End {
            session: Session::new(config, NOW),
            outgoing: Vec::new(),
            received: Vec::new(),
            violations: Vec::new(),
            unsent: Vec::new(),
            buffer: 7,
            on_event,
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
                if (self.on_event)(&mut self.session, event) {
                    self.violations.push(event);
                }
            }
            if received.consumed == 0 {
                let sent = self.transmit();
                self.unsent = sent;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn no_command_is_ever_cut_by_another(actions in proptest::collection::vec(action(), 0..80)) {
        let mut client = End::new(Config::client(), client_event);
        let mut server = End::new(Config::server(), server_event);
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
        prop_assert!(client.violations.is_empty(), "client saw {:?}", client.violations);
        prop_assert!(server.violations.is_empty(), "server saw {:?}", server.violations);
        prop_assert_eq!(server.received, sent_by_client);
        prop_assert_eq!(client.received, sent_by_server);
    }
}
