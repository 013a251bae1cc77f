//! A client and an access server that have finished their opening
//! negotiation, and the data paths measured through the public API.

use std::hint::black_box;

use rfc2217_proto::{
    Client, Config, Instant, Role, Server, Session, Side, TelnetOption, TRANSMIT_QUEUE_CAPACITY,
};

const NOW: Instant = Instant::ZERO;

/// A client and a server driven against each other in memory until BINARY
/// is agreed both ways and both take data.
pub(crate) fn negotiated() -> (Session<Client>, Session<Server>) {
    let mut client = Session::new(Config::client(), NOW);
    let mut server = Session::new(Config::server(), NOW);
    for _ in 0..16 {
        let moved = deliver(&mut client, &mut server) | deliver(&mut server, &mut client);
        if !moved {
            break;
        }
    }
    assert_binary(&client);
    assert_binary(&server);
    (client, server)
}

fn assert_binary<R: Role>(session: &Session<R>) {
    for side in [Side::Local, Side::Remote] {
        assert!(session.is_option_enabled(TelnetOption::Binary, side));
    }
    assert!(session.is_ready_for_data());
}

/// Moves everything `from` has queued into `to`; true if anything moved.
fn deliver<F: Role, T: Role>(from: &mut Session<F>, to: &mut Session<T>) -> bool {
    let mut wire = [0u8; TRANSMIT_QUEUE_CAPACITY];
    let n = from.poll_transmit(&mut wire);
    let mut rest = &wire[..n];
    let mut data = [0u8; 64];
    while !rest.is_empty() {
        let received = to.handle_input(NOW, rest, &mut data);
        assert_eq!(received.data_len, 0, "no data is sent while negotiating");
        rest = &rest[received.consumed..];
        while to.poll_event().is_some() {}
    }
    n > 0
}

/// Encodes all of `payload` into `out` with `session.encode_data`, calling
/// again until it is consumed, as a driver does. Returns the bytes written.
pub(crate) fn encode(session: &mut Session<Client>, payload: &[u8], out: &mut [u8]) -> usize {
    let mut data = payload;
    let mut written = 0;
    while !data.is_empty() {
        let encoded = session.encode_data(black_box(data), &mut out[written..]);
        assert!(encoded.consumed > 0, "the output buffer is large enough");
        data = &data[encoded.consumed..];
        written += encoded.written;
    }
    written
}

/// Decodes all of `wire` into `data` with one `session.handle_input`: data
/// holds no token (an escaped 0xFF is data), so one call takes it all, as
/// a driver's first call does with a full buffer. Returns the data bytes
/// delivered.
pub(crate) fn decode<const N: usize>(
    session: &mut Session<Server>,
    wire: &[u8],
    data: &mut [u8; N],
) -> usize {
    let received = session.handle_input(NOW, black_box(wire), data);
    assert_eq!(received.consumed, wire.len(), "one call decodes the data");
    received.data_len
}
