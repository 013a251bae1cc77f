//! One benchmark case: a payload, its wire form, a negotiated session pair
//! and the buffers, so that every timed operation is a plain method call.

use std::hint::black_box;

use rfc2217_proto::{Client, Server, Session};

use crate::pair;
use crate::payload::{Kind, LEN};

/// Room for the wire form of any 1 MiB payload (all 0xFF doubles it) plus
/// queued commands, of which there are none in steady state.
const OUT_LEN: usize = 2 * LEN + 4096;

/// Everything one data kind needs. The client encodes, the server decodes
/// (the direction of data towards the serial device).
pub(crate) struct Case {
    pub(crate) kind: Kind,
    payload: Vec<u8>,
    wire: Vec<u8>,
    client: Session<Client>,
    server: Session<Server>,
    /// The caller's data buffer for decoding: 1 MiB, so decode writes as
    /// much memory as the copy baseline does.
    data: Box<[u8; LEN]>,
    out: Vec<u8>,
    copy: Vec<u8>,
}

impl Case {
    /// Builds the case and checks that the wire form decodes back to the
    /// payload, so the timed paths are the correct ones.
    pub(crate) fn new(kind: Kind) -> Case {
        let (client, server) = pair::negotiated();
        let payload = kind.payload();
        let mut case = Case {
            kind,
            payload,
            wire: Vec::new(),
            client,
            server,
            data: vec![0; LEN]
                .into_boxed_slice()
                .try_into()
                .expect("LEN bytes"),
            out: vec![0; OUT_LEN],
            copy: vec![0; LEN],
        };
        let written = case.encode();
        case.wire = case.out[..written].to_vec();
        let expected_wire = LEN + case.payload.iter().filter(|&&b| b == 0xFF).count();
        assert_eq!(case.wire.len(), expected_wire);
        assert_eq!(case.decode(), LEN);
        assert!(
            case.data[..] == case.payload[..],
            "decode(encode(payload)) == payload"
        );
        case
    }

    /// Bytes of wire input that [`Self::decode`] reads.
    pub(crate) fn wire_len(&self) -> usize {
        self.wire.len()
    }

    /// The baseline: `copy_from_slice` of the payload into a 1 MiB buffer.
    pub(crate) fn copy(&mut self) -> usize {
        self.copy.copy_from_slice(black_box(&self.payload));
        black_box(&mut self.copy);
        LEN
    }

    /// `encode_data` of the payload; returns the wire bytes written.
    pub(crate) fn encode(&mut self) -> usize {
        let written = pair::encode(&mut self.client, &self.payload, &mut self.out);
        black_box(&mut self.out);
        written
    }

    /// `handle_input` over the wire form; returns the data bytes delivered.
    pub(crate) fn decode(&mut self) -> usize {
        let delivered = pair::decode(&mut self.server, &self.wire, &mut self.data);
        black_box(&mut self.data);
        delivered
    }
}
