//! Option negotiation from hostile peers ends with a bounded number of
//! replies: never more than one per message, and never a loop.

mod common;

use common::{drain_transmit, feed, Log};
use proptest::prelude::*;
use rfc2217_proto::{Client, Config, Instant, Role, Server, Session, Side, TelnetOption};

const NOW: Instant = Instant::ZERO;
const IAC: u8 = 255;

fn negotiation() -> impl Strategy<Value = [u8; 3]> {
    (
        251u8..=254,
        prop_oneof![Just(0u8), Just(1), Just(3), Just(44), any::<u8>()],
    )
        .prop_map(|(verb, option)| [IAC, verb, option])
}

/// Counts the negotiations in `bytes`, skipping subnegotiations (the
/// server's first modem-state notification when COM-PORT comes up).
fn count_negotiations(bytes: &[u8]) -> usize {
    let mut count = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i..] {
            [IAC, 250, ..] => {
                let end = bytes[i..]
                    .windows(2)
                    .position(|w| w == [IAC, 240])
                    .expect("IAC SE");
                i += end + 2;
            }
            [IAC, 251..=254, _, ..] => {
                count += 1;
                i += 3;
            }
            _ => panic!("unexpected bytes {:?}", &bytes[i..]),
        }
    }
    count
}

/// Feeds each message of `sequence` to a new session: at most one reply each.
fn at_most_one_reply<R: Role>(
    config: Config<R>,
    sequence: &[[u8; 3]],
) -> Result<(), TestCaseError> {
    let mut session = Session::new(config, NOW);
    let _ = drain_transmit(&mut session);
    for message in sequence {
        let mut log = Log::default();
        let sent = feed(&mut session, NOW, message, 16, &mut log, &mut |_, _| {});
        prop_assert!(
            count_negotiations(&sent) <= 1,
            "{:?} produced {:?}",
            message,
            sent
        );
    }
    Ok(())
}

fn exchange(
    client: &mut Session<Client>,
    server: &mut Session<Server>,
    c: &mut Vec<u8>,
    s: &mut Vec<u8>,
) {
    let from_client = feed(client, NOW, c, 16, &mut Log::default(), &mut |_, _| {});
    let from_server = feed(server, NOW, s, 16, &mut Log::default(), &mut |_, _| {});
    *c = from_server;
    *s = from_client;
}

proptest! {
    #[test]
    fn at_most_one_reply_per_message(
        sequence in proptest::collection::vec(negotiation(), 0..200),
        server in any::<bool>(),
    ) {
        if server {
            at_most_one_reply(Config::server(), &sequence)?;
        } else {
            at_most_one_reply(Config::client(), &sequence)?;
        }
    }

    /// A client and a server that keep changing their minds (random option
    /// requests on both sides, between exchanges) always go quiet within a
    /// few exchanges once they stop: RFC 1143's promise of no loops.
    #[test]
    fn two_sessions_converge_whatever_they_request(
        requests in proptest::collection::vec((any::<bool>(), 0usize..4, any::<bool>(), any::<bool>(), any::<bool>()), 0..40),
    ) {
        let mut client = Session::new(Config::client(), NOW);
        let mut server = Session::new(Config::server(), NOW);
        let mut client_inbox = drain_transmit(&mut server);
        let mut server_inbox = drain_transmit(&mut client);
        for (on_server, option, local, enable, deliver) in requests {
            let option = TelnetOption::ALL[option];
            let side = if local { Side::Local } else { Side::Remote };
            if on_server {
                if server.negotiate(option, side, enable).is_ok() {
                    client_inbox.extend(drain_transmit(&mut server));
                }
            } else if client.negotiate(option, side, enable).is_ok() {
                server_inbox.extend(drain_transmit(&mut client));
            }
            if deliver {
                exchange(&mut client, &mut server, &mut client_inbox, &mut server_inbox);
            }
        }
        let mut rounds = 0;
        while !(client_inbox.is_empty() && server_inbox.is_empty()) {
            rounds += 1;
            prop_assert!(rounds <= 6, "still negotiating after {} rounds", rounds);
            exchange(&mut client, &mut server, &mut client_inbox, &mut server_inbox);
        }
        // Both ends agree on the outcome of every option.
        for option in TelnetOption::ALL {
            prop_assert_eq!(client.is_option_enabled(option, Side::Local), server.is_option_enabled(option, Side::Remote));
            prop_assert_eq!(client.is_option_enabled(option, Side::Remote), server.is_option_enabled(option, Side::Local));
        }
    }
}
