//! Any split of any input into reads, with any data buffer size, gives the
//! same data, events and transmitted bytes as one read, for an application
//! that answers a server's requests inside its event loop; and data
//! survives the escape/unescape round trip in binary and NVT mode.

mod common;

use common::{answering, drain_transmit, feed, FakePort, Log, Pair, DATA_BUFFERS};
use proptest::prelude::*;
use rfc2217_proto::{
    Client, ClientEvent, Config, Instant, Role, Server, ServerEvent, Session, Unavailable,
};

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

fn input() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(fragment(), 0..40).prop_map(|parts| parts.concat())
}

/// What a session gave its application and the peer.
type Outcome<E> = (Log<E>, Vec<u8>);

/// Feeds `input` in reads cut at `cuts`, with a data buffer of `buffer`
/// bytes, to a session whose application handles each event with
/// `on_event`; returns the interleaved log and everything transmitted.
fn run<R: Role>(
    config: Config<R>,
    input: &[u8],
    cuts: &[usize],
    buffer: usize,
    on_event: &mut dyn FnMut(&mut Session<R>, R::Event),
) -> Outcome<R::Event> {
    let mut session = Session::new(config, NOW);
    let mut sent = drain_transmit(&mut session);
    let mut log = Log::default();
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    points.push(0);
    points.push(input.len());
    points.sort_unstable();
    for read in points.windows(2) {
        let chunk = &input[read[0]..read[1]];
        sent.extend(feed(&mut session, NOW, chunk, buffer, &mut log, on_event));
    }
    (log, sent)
}

/// A client, and a server whose application answers every request at once.
fn client(input: &[u8], cuts: &[usize], buffer: usize) -> Outcome<ClientEvent> {
    run(
        Config::<Client>::client(),
        input,
        cuts,
        buffer,
        &mut |_, _| {},
    )
}

fn server(input: &[u8], cuts: &[usize], buffer: usize) -> Outcome<ServerEvent> {
    let mut port = FakePort::default();
    let mut application = answering(&mut port);
    run(
        Config::<Server>::server(),
        input,
        cuts,
        buffer,
        &mut application,
    )
}

/// A split gave what one read gives: the same data and events in the same
/// order, and the same bytes to the peer.
fn same<E: PartialEq + core::fmt::Debug>(
    split: &Outcome<E>,
    whole: &Outcome<E>,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(&split.0.sequence, &whole.0.sequence);
    prop_assert_eq!(&split.1, &whole.1, "transmitted bytes differ");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_split_gives_the_same_data_events_and_answers_as_one_read(
        input in input(),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
        buffer in proptest::sample::select(&DATA_BUFFERS[..]),
        is_server in any::<bool>(),
    ) {
        if is_server {
            same(&server(&input, &cuts, buffer), &server(&input, &[], 4096))?;
        } else {
            same(&client(&input, &cuts, buffer), &client(&input, &[], 4096))?;
        }
    }

    #[test]
    fn every_single_split_point_gives_the_same_result(input in input(), is_server in any::<bool>()) {
        for cut in 0..=input.len() {
            if is_server {
                same(&server(&input, &[cut], 4096), &server(&input, &[], 4096))?;
            } else {
                same(&client(&input, &[cut], 4096), &client(&input, &[], 4096))?;
            }
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
        prop_assert!(log.events.contains(&ServerEvent::ComPortUnavailable(Unavailable::Refused)));
        let mut wire = vec![0u8; data.len() * 2];
        let encoded = server.encode_data(&data, &mut wire);
        prop_assert_eq!(encoded.consumed, data.len());
        let mut client = Session::new(Config::client(), NOW);
        let mut received = Log::default();
        let _ = feed(&mut client, NOW, &wire[..encoded.written], 7, &mut received, &mut |_, _| {});
        prop_assert_eq!(received.data, data);
    }
}

/// The case the issue found: `WILL COM-PORT`, PURGE-DATA and a modem-state
/// poll in one read and in three reads leave in request order.
#[test]
fn answers_leave_in_request_order_whatever_the_split() {
    let will = [255, 251, 44];
    let purge = [255, 250, 44, 12, 1, 255, 240];
    let poll = [255, 250, 44, 7, 0, 255, 240];
    let input = [&will[..], &purge, &poll].concat();
    let whole = server(&input, &[], 4096);
    let split = server(&input, &[3, 10], 4096);
    assert_eq!(split.1, whole.1);
    // After the negotiation replies and the first modem-state notification:
    // the purge's answer, then the poll's.
    let answers = [
        &[255, 250, 44, 112, 1, 255, 240][..],
        &[255, 250, 44, 107, 0, 255, 240],
    ]
    .concat();
    assert!(whole.1.ends_with(&answers), "{:?}", whole.1);
}
