//! Telnet framing, inbound: splits the byte stream into data runs and
//! commands (RFC 854, 855).
//!
//! The decoder is a push parser whose whole state lives between calls, so
//! feeding the stream in any split gives the same data and tokens as one
//! read. It copies data runs into the caller's buffer and stops at every
//! token, so the session can act on it before decoding goes on.

use crate::event::Violation;
use crate::scan::{copy_until_iac, copy_until_iac_or_cr, find_iac, iac_run};
use crate::telnet::{Verb, CR, IAC, NUL, SB, SE};

/// Bytes of subnegotiation payload held (option byte excluded): a command
/// byte and a signature of [`SIGNATURE_CAPACITY`](crate::SIGNATURE_CAPACITY)
/// bytes. The longest other RFC 2217 payload is 9 bytes (sredird's 8-byte
/// baud). A longer payload is cut to this size and reported.
pub const SUBNEGOTIATION_CAPACITY: usize = 65;

/// Something other than data, found in the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Token {
    /// `IAC` followed by a two-byte command code (241..=249).
    Command(u8),
    /// `IAC WILL|WONT|DO|DONT option`.
    Negotiation(Verb, u8),
    /// A complete `IAC SB option ... IAC SE`; its payload is [`Decoder::payload`].
    Subnegotiation(u8),
    /// A subnegotiation longer than the buffer: the payload holds its start.
    TruncatedSubnegotiation(u8),
    /// The peer broke the framing rules; decoding goes on.
    Violation(Violation),
}

/// What one call to [`Decoder::decode`] did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Decoded {
    /// Input bytes used up.
    pub(crate) consumed: usize,
    /// Data bytes written to the output.
    pub(crate) written: usize,
    /// The token that stopped decoding, if any.
    pub(crate) token: Option<Token>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Data,
    Iac,
    Verb(Verb),
    SubnegotiationOption,
    Subnegotiation,
    SubnegotiationIac,
    /// The payload outgrew the buffer: skip to its end, then report.
    Overflow,
    OverflowIac,
}

/// The inbound framing state machine.
#[derive(Clone, Debug)]
pub(crate) struct Decoder {
    state: State,
    /// The sender does not transmit in BINARY: a NUL after CR is padding.
    nvt: bool,
    /// The last data byte was a CR (NVT mode only).
    after_cr: bool,
    option: u8,
    len: u8,
    payload: [u8; SUBNEGOTIATION_CAPACITY],
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            state: State::Data,
            nvt: true,
            after_cr: false,
            option: 0,
            len: 0,
            payload: [0; SUBNEGOTIATION_CAPACITY],
        }
    }
}

impl Decoder {
    /// Follow the NVT end-of-line rule (the peer is not sending BINARY) or not.
    pub(crate) fn set_nvt(&mut self, nvt: bool) {
        self.nvt = nvt;
        self.after_cr &= nvt;
    }

    /// The payload of the last [`Token::Subnegotiation`], IAC IAC undone.
    pub(crate) fn payload(&self) -> &[u8] {
        self.payload.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Decodes `input` into `out` until a token is found, the input is used
    /// up, or the next data byte has no room in `out`.
    pub(crate) fn decode(&mut self, input: &[u8], out: &mut [u8]) -> Decoded {
        let mut i = 0;
        let mut o = 0;
        while let Some(&byte) = input.get(i) {
            match self.state {
                State::Data => {
                    let (used, wrote) = self.data_run(&input[i..], &mut out[o..]);
                    i += used;
                    o += wrote;
                    match input.get(i) {
                        Some(&IAC) => {
                            self.state = State::Iac;
                            i += 1;
                        }
                        Some(_) => break, // `out` is full
                        None => {}
                    }
                }
                State::Iac => match byte {
                    IAC => {
                        let Some(slot) = out.get_mut(o) else { break };
                        *slot = IAC;
                        o += 1;
                        i += 1;
                        self.after_cr = false;
                        self.state = State::Data;
                    }
                    SB => {
                        i += 1;
                        self.state = State::SubnegotiationOption;
                    }
                    _ => {
                        i += 1;
                        if let Some(verb) = Verb::from_byte(byte) {
                            self.state = State::Verb(verb);
                        } else {
                            self.state = State::Data;
                            let token = match byte {
                                241..=249 => Token::Command(byte),
                                SE => Token::Violation(Violation::StraySubnegotiationEnd),
                                _ => Token::Violation(Violation::UnknownCommand(byte)),
                            };
                            return Decoded::token(i, o, token);
                        }
                    }
                },
                State::Verb(verb) => {
                    self.state = State::Data;
                    return Decoded::token(i + 1, o, Token::Negotiation(verb, byte));
                }
                State::SubnegotiationOption => {
                    i += 1;
                    if byte == IAC {
                        // No option: the IAC starts a command.
                        self.state = State::Iac;
                        let missing = Violation::MissingSubnegotiationOption;
                        return Decoded::token(i, o, Token::Violation(missing));
                    }
                    self.option = byte;
                    self.len = 0;
                    self.state = State::Subnegotiation;
                }
                State::Subnegotiation => {
                    let rest = &input[i..];
                    let run = find_iac(rest).unwrap_or(rest.len());
                    if !self.append(&rest[..run]) {
                        self.state = State::Overflow;
                    } else if run < rest.len() {
                        self.state = State::SubnegotiationIac;
                        i += 1;
                    }
                    i += run;
                }
                State::SubnegotiationIac | State::OverflowIac => {
                    let overflowed = self.state == State::OverflowIac;
                    match byte {
                        SE => {
                            self.state = State::Data;
                            let token = if overflowed {
                                Token::TruncatedSubnegotiation(self.option)
                            } else {
                                Token::Subnegotiation(self.option)
                            };
                            return Decoded::token(i + 1, o, token);
                        }
                        IAC if overflowed => self.state = State::Overflow,
                        IAC if self.append(&[IAC]) => self.state = State::Subnegotiation,
                        IAC => self.state = State::Overflow,
                        _ if overflowed => self.state = State::Overflow,
                        _ => {
                            // `IAC x` inside a subnegotiation: an undoubled
                            // IAC. Only `IAC SE` ends a subnegotiation, so
                            // both bytes stay payload and nothing in it can
                            // reach the data.
                            self.state = if self.append(&[IAC, byte]) {
                                State::Subnegotiation
                            } else {
                                State::Overflow
                            };
                            let option = self.option;
                            return Decoded::token(
                                i + 1,
                                o,
                                Token::Violation(Violation::UnescapedIac { option }),
                            );
                        }
                    }
                    i += 1;
                }
                State::Overflow => {
                    let rest = &input[i..];
                    match find_iac(rest) {
                        Some(at) => {
                            i += at + 1;
                            self.state = State::OverflowIac;
                        }
                        None => i = input.len(),
                    }
                }
            }
        }
        Decoded {
            consumed: i,
            written: o,
            token: None,
        }
    }

    /// Copies the data at the start of `input` into `out`, stopping at an
    /// IAC that starts a command, at the end of the input, or when `out` is
    /// full. Returns (consumed, written).
    fn data_run(&mut self, input: &[u8], out: &mut [u8]) -> (usize, usize) {
        if self.nvt {
            return self.nvt_data_run(input, out);
        }
        let mut i = 0;
        let mut o = 0;
        loop {
            // Stops before an IAC, at the end of the input or of `out`.
            let n = copy_until_iac(&input[i..], &mut out[o..]);
            i += n;
            o += n;
            // Escaped 0xFF bytes are taken here a run of pairs at a time
            // instead of going through the state machine once per byte.
            // Nothing taken: a command, the end of the input or a full `out`.
            let (used, wrote) = iac_pairs(&input[i..], &mut out[o..]);
            if used == 0 {
                return (i, o);
            }
            i += used;
            o += wrote;
        }
    }

    /// NVT mode: as [`Self::data_run`], but drops the NUL the sender puts
    /// after a CR (RFC 854: "CR NUL" is a bare carriage return).
    fn nvt_data_run(&mut self, input: &[u8], out: &mut [u8]) -> (usize, usize) {
        let mut i = 0;
        let mut o = 0;
        loop {
            if self.after_cr {
                match input.get(i) {
                    None => return (i, o), // the next read decides
                    Some(&NUL) => i += 1,
                    Some(_) => {}
                }
                self.after_cr = false;
            }
            let n = copy_until_iac_or_cr(&input[i..], &mut out[o..]);
            i += n;
            o += n;
            match (input.get(i), out.get_mut(o)) {
                (Some(&CR), Some(slot)) => {
                    *slot = CR;
                    i += 1;
                    o += 1;
                    self.after_cr = true;
                }
                _ => return (i, o), // IAC next, input used up, or out full
            }
        }
    }

    /// Appends to the payload as much as fits; false if not all of it did.
    fn append(&mut self, bytes: &[u8]) -> bool {
        let start = usize::from(self.len);
        let end = (start + bytes.len()).min(SUBNEGOTIATION_CAPACITY);
        self.payload[start..end].copy_from_slice(&bytes[..end - start]);
        // `end` fits in u8: the capacity is below 256.
        self.len = end as u8;
        end - start == bytes.len()
    }
}

/// Copies each `IAC IAC` pair at the start of `input` as one 0xFF, as
/// many as `out` has room for. An odd IAC at the end of the run starts a
/// command (or waits for the next read) and is left alone.
fn iac_pairs(input: &[u8], out: &mut [u8]) -> (usize, usize) {
    // Only look as far as `out` can take, so a long run of 0xFF decoded
    // into a small buffer is not scanned again on every call.
    let reach = input.len().min(out.len().saturating_mul(2));
    let pairs = iac_run(&input[..reach]) / 2;
    out[..pairs].fill(IAC);
    (pairs * 2, pairs)
}

impl Decoded {
    fn token(consumed: usize, written: usize, token: Token) -> Self {
        Decoded {
            consumed,
            written,
            token: Some(token),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Up to 16 tokens, each with the first 8 bytes of its payload.
    type Tokens = [(Option<Token>, [u8; 8]); 16];

    /// Decodes everything, returning (data, length, tokens with payloads).
    fn decode_all(decoder: &mut Decoder, input: &[u8]) -> ([u8; 512], usize, Tokens) {
        let mut data = [0u8; 512];
        let mut written = 0;
        let mut tokens = [(None, [0u8; 8]); 16];
        let mut n = 0;
        let mut rest = input;
        while !rest.is_empty() {
            let step = decoder.decode(rest, &mut data[written..]);
            rest = &rest[step.consumed..];
            written += step.written;
            if let Some(token) = step.token {
                let mut payload = [0u8; 8];
                if let Token::Subnegotiation(_) = token {
                    let p = decoder.payload();
                    payload[..p.len().min(8)].copy_from_slice(&p[..p.len().min(8)]);
                }
                tokens[n] = (Some(token), payload);
                n += 1;
            } else if step.consumed == 0 {
                break;
            }
        }
        (data, written, tokens)
    }

    fn binary() -> Decoder {
        let mut decoder = Decoder::default();
        decoder.set_nvt(false);
        decoder
    }

    #[test]
    fn doubled_iac_is_one_data_byte() {
        let (data, n, tokens) = decode_all(&mut binary(), &[1, IAC, IAC, 2, IAC, IAC, IAC, IAC]);
        assert_eq!(&data[..n], &[1, IAC, 2, IAC, IAC]);
        assert_eq!(tokens[0].0, None);
    }

    #[test]
    fn commands_negotiations_and_subnegotiations_are_tokens() {
        let input = [
            b'a', IAC, 241, b'b', IAC, 251, 44, IAC, SB, 44, 1, 0, 0, IAC, IAC, 0, IAC, SE, b'c',
        ];
        let (data, n, tokens) = decode_all(&mut binary(), &input);
        assert_eq!(&data[..n], b"abc");
        assert_eq!(tokens[0].0, Some(Token::Command(241)));
        assert_eq!(tokens[1].0, Some(Token::Negotiation(Verb::Will, 44)));
        assert_eq!(
            tokens[2],
            (Some(Token::Subnegotiation(44)), [1, 0, 0, IAC, 0, 0, 0, 0])
        );
    }

    #[test]
    fn stray_se_and_unknown_commands_are_violations_not_data() {
        let (data, n, tokens) = decode_all(&mut binary(), &[IAC, SE, b'x', IAC, 17, b'y']);
        assert_eq!(&data[..n], b"xy");
        assert_eq!(
            tokens[0].0,
            Some(Token::Violation(Violation::StraySubnegotiationEnd))
        );
        assert_eq!(
            tokens[1].0,
            Some(Token::Violation(Violation::UnknownCommand(17)))
        );
    }

    #[test]
    fn an_undoubled_iac_inside_a_subnegotiation_is_payload_never_data() {
        let input = [
            IAC, SB, 44, 0, b's', IAC, b'x', b'y', IAC, 251, 0, IAC, SE, b'z',
        ];
        let mut decoder = binary();
        let (data, n, tokens) = decode_all(&mut decoder, &input);
        assert_eq!(&data[..n], b"z");
        let unescaped = Token::Violation(Violation::UnescapedIac { option: 44 });
        assert_eq!(tokens[0].0, Some(unescaped));
        assert_eq!(tokens[1].0, Some(unescaped));
        assert_eq!(tokens[2].0, Some(Token::Subnegotiation(44)));
        assert_eq!(decoder.payload(), &[0, b's', IAC, b'x', b'y', IAC, 251, 0]);
    }

    #[test]
    fn an_overlong_subnegotiation_is_cut_to_the_buffer_and_reported() {
        let mut input = [7u8; SUBNEGOTIATION_CAPACITY + 20];
        input[..3].copy_from_slice(&[IAC, SB, 44]);
        input[30] = IAC;
        input[31] = IAC; // an escaped 0xFF while overflowing
        let end = input.len();
        input[end - 3..].copy_from_slice(&[IAC, SE, b'k']);
        let mut decoder = binary();
        let (data, n, tokens) = decode_all(&mut decoder, &input);
        assert_eq!(&data[..n], b"k");
        assert_eq!(tokens[0].0, Some(Token::TruncatedSubnegotiation(44)));
        assert_eq!(decoder.payload().len(), SUBNEGOTIATION_CAPACITY);
        // Payload byte k is input byte k + 3; the escaped pair is one 0xFF.
        assert_eq!(decoder.payload()[26..29], [7, IAC, 7]);
    }

    #[test]
    fn a_subnegotiation_without_an_option_resynchronises_on_the_command() {
        let input = [IAC, SB, IAC, SE, b'h', b'i', IAC, 241, b'!'];
        let (data, n, tokens) = decode_all(&mut binary(), &input);
        assert_eq!(&data[..n], b"hi!");
        assert_eq!(
            tokens[0].0,
            Some(Token::Violation(Violation::MissingSubnegotiationOption))
        );
        assert_eq!(
            tokens[1].0,
            Some(Token::Violation(Violation::StraySubnegotiationEnd))
        );
        assert_eq!(tokens[2].0, Some(Token::Command(241)));
    }

    #[test]
    fn a_payload_of_exactly_the_capacity_fits() {
        let mut input = [9u8; SUBNEGOTIATION_CAPACITY + 5];
        input[..3].copy_from_slice(&[IAC, SB, 44]);
        let end = input.len();
        input[end - 2..].copy_from_slice(&[IAC, SE]);
        let mut decoder = binary();
        let (_, _, tokens) = decode_all(&mut decoder, &input);
        assert_eq!(tokens[0].0, Some(Token::Subnegotiation(44)));
        assert_eq!(decoder.payload().len(), SUBNEGOTIATION_CAPACITY);
    }

    #[test]
    fn nvt_mode_drops_the_nul_after_cr_even_across_reads() {
        let mut decoder = Decoder::default();
        let (data, n, _) = decode_all(&mut decoder, b"a\r\0b\r\nc\r");
        assert_eq!(&data[..n], b"a\rb\r\nc\r");
        let (data, n, _) = decode_all(&mut decoder, b"\0d\0");
        assert_eq!(&data[..n], b"d\0");
    }

    #[test]
    fn binary_mode_keeps_every_nul() {
        let (data, n, _) = decode_all(&mut binary(), b"a\r\0b");
        assert_eq!(&data[..n], b"a\r\0b");
    }

    #[test]
    fn a_full_output_stops_decoding_without_losing_bytes() {
        let mut decoder = binary();
        let input = [1, 2, IAC, IAC, 3, IAC, IAC];
        let mut out = [0u8; 1];
        let mut data = [0u8; 8];
        let mut got = 0;
        let mut rest = &input[..];
        while !rest.is_empty() {
            let step = decoder.decode(rest, &mut out);
            rest = &rest[step.consumed..];
            data[got..got + step.written].copy_from_slice(&out[..step.written]);
            got += step.written;
        }
        assert_eq!(&data[..got], &[1, 2, IAC, 3, IAC]);
    }
}
