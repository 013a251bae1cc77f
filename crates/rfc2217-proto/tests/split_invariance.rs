//! Any split of any input into reads, with any data buffer size, gives the
//! same data, events and answers as one read; and data survives the
//! escape/unescape round trip in binary and NVT mode.

mod common;

use common::{drain_transmit, feed, Log, Pair};
use proptest::prelude::*;
use rfc2217_proto::{Config, Event, Instant, Session};

const NOW: Instant = Instant::ZERO;

/// Pieces real and hostile peers send, so random inputs are rich in the
/// sequences that matter (IAC at every position, subnegotiations, CR NUL).
fn fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..12),
        Just(vec![255]),
        Just(vec![255, 255]),
        Just(vec![13, 0]),
        Just(vec![13]),
        Just(vec![255, 250, 44]),
        Just(vec![255, 240]),
        (0u8..=255).prop_map(|b| vec![255, 250, 44, b]),
        (
            251u8..=254,
            prop_oneof![Just(0u8), Just(1), Just(3), Just(44), any::<u8>()]
        )
            .prop_map(|(verb, option)| vec![255, verb, option]),
        (0u8..=13, proptest::collection::vec(any::<u8>(), 0..6)).prop_map(|(code, value)| {
            let mut bytes = vec![255, 250, 44, code];
            bytes.extend(value);
            bytes.extend([255, 240]);
            bytes
        }),
        (100u8..=113, proptest::collection::vec(any::<u8>(), 0..9)).prop_map(|(code, value)| {
            let mut bytes = vec![255, 250, 44, code];
            bytes.extend(value);
            bytes.extend([255, 240]);
            bytes
        }),
        (241u8..=249).prop_map(|c| vec![255, c]),
    ]
}

/// The Telnet commands in `wire` (all outbound bytes are commands here),
/// sorted.
fn sorted_commands(wire: &[u8]) -> Vec<Vec<u8>> {
    let mut commands = Vec::new();
    let mut rest = wire;
    while !rest.is_empty() {
        let len = match rest {
            [255, 250, ..] => {
                let mut i = 2;
                while !(rest[i] == 255 && rest[i + 1] == 240) {
                    i += if rest[i] == 255 { 2 } else { 1 };
                }
                i + 2
            }
            [255, 251..=254, ..] => 3,
            _ => 2,
        };
        commands.push(rest[..len].to_vec());
        rest = &rest[len..];
    }
    commands.sort();
    commands
}

fn input() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(fragment(), 0..40).prop_map(|parts| parts.concat())
}

/// Feeds `input` in reads cut at `cuts`, with a data buffer of `buffer`
/// bytes; returns the interleaved log and everything transmitted.
fn run(config: Config, input: &[u8], cuts: &[usize], buffer: usize) -> (Log, Vec<u8>) {
    let mut session = Session::new(config, NOW);
    let mut sent = drain_transmit(&mut session);
    let mut log = Log::default();
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    points.push(0);
    points.push(input.len());
    points.sort_unstable();
    for read in points.windows(2) {
        let chunk = &input[read[0]..read[1]];
        sent.extend(feed(
            &mut session,
            NOW,
            chunk,
            buffer,
            &mut log,
            &mut |_, _| {},
        ));
    }
    (log, sent)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_split_gives_the_same_result_as_one_read(
        input in input(),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
        buffer in 1usize..64,
        server in any::<bool>(),
    ) {
        let config = || if server { Config::server() } else { Config::client() };
        // What a peer's FLOWCONTROL-SUSPEND holds back leaves at its RESUME,
        // so the bytes sent can be compared once the suspension is over:
        // end every input by closing any subnegotiation and resuming us.
        let resume = if server { 9 } else { 109 };
        let input = [&input[..], &[255, 240, 255, 250, 44, resume, 255, 240]].concat();
        let whole = run(config(), &input, &[], 4096);
        let split = run(config(), &input, &cuts, buffer);
        prop_assert_eq!(&split.0.sequence, &whole.0.sequence);
        if whole.0.events.contains(&Event::Suspended) {
            // While the peer has suspended us, answers pass our held
            // commands as soon as the caller drains: the order depends on
            // when it did, but the same commands go out, each once.
            prop_assert_eq!(sorted_commands(&split.1), sorted_commands(&whole.1));
        } else {
            prop_assert_eq!(split.1, whole.1);
        }
    }

    #[test]
    fn every_single_split_point_gives_the_same_result(input in input(), server in any::<bool>()) {
        let config = || if server { Config::server() } else { Config::client() };
        let whole = run(config(), &input, &[], 4096);
        for cut in 0..=input.len() {
            let split = run(config(), &input, &[cut], 4096);
            prop_assert_eq!(&split.0.sequence, &whole.0.sequence, "cut at {}", cut);
        }
    }

    #[test]
    fn data_round_trips_through_a_binary_pair(data in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let mut pair = Pair::connected();
        pair.client_outgoing.extend(&data);
        pair.server_outgoing.extend(&data);
        pair.drive();
        prop_assert_eq!(&pair.server_log.data, &data);
        prop_assert_eq!(&pair.client_log.data, &data);
    }

    #[test]
    fn data_round_trips_in_nvt_mode(data in proptest::collection::vec(prop_oneof![Just(13u8), Just(0u8), Just(255u8), any::<u8>()], 0..500)) {
        // A peer that refuses BINARY: the server sends NVT, and a client that
        // never got WILL BINARY reads NVT.
        let mut server = Session::new(Config::server(), NOW);
        let _ = drain_transmit(&mut server);
        let mut log = Log::default();
        let _ = feed(&mut server, NOW, &[255, 254, 0, 255, 252, 0, 255, 252, 44], 16, &mut log, &mut |_, _| {});
        prop_assert!(log.events.contains(&Event::ComPortUnavailable(rfc2217_proto::Unavailable::Refused)));
        let mut wire = vec![0u8; data.len() * 2];
        let encoded = server.encode_data(&data, &mut wire);
        prop_assert_eq!(encoded.consumed, data.len());
        let mut client = Session::new(Config::client(), NOW);
        let mut received = Log::default();
        let _ = feed(&mut client, NOW, &wire[..encoded.written], 7, &mut received, &mut |_, _| {});
        prop_assert_eq!(received.data, data);
    }
}
