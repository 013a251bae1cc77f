//! What a peer's bytes show that the session's events do not: how wide its
//! SET-BAUDRATE answers are, and negotiations it repeats.

use std::collections::BTreeSet;

const IAC: u8 = 255;
const SB: u8 = 250;
const SE: u8 = 240;
const COM_PORT: u8 = 44;
/// SET-BAUDRATE, server to client.
const BAUD_ANSWER: u8 = 101;

/// One line per oddity in `bytes` (a peer's whole output).
pub(crate) fn oddities(bytes: &[u8]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut negotiations = BTreeSet::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] != IAC {
            i += 1;
            continue;
        }
        match bytes[i + 1] {
            verb @ 251..=254 if i + 2 < bytes.len() => {
                let option = bytes[i + 2];
                if !negotiations.insert((verb, option)) {
                    found.insert(format!(
                        "repeats {} {}",
                        verb_name(verb),
                        option_name(option)
                    ));
                }
                i += 3;
            }
            SB => {
                let (body, end) = subnegotiation(&bytes[i + 2..]);
                if let [COM_PORT, BAUD_ANSWER, value @ ..] = body.as_slice() {
                    if value.len() != 4 {
                        found.insert(format!(
                            "answers SET-BAUDRATE with a {}-byte value",
                            value.len()
                        ));
                    }
                }
                i += 2 + end;
            }
            _ => i += 2,
        }
    }
    found
}

/// The body of a subnegotiation starting at `bytes` (after `IAC SB`), with
/// `IAC IAC` undone, and how many bytes it took up to and with `IAC SE`.
fn subnegotiation(bytes: &[u8]) -> (Vec<u8>, usize) {
    let mut body = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (IAC, Some(&IAC)) => {
                body.push(IAC);
                i += 2;
            }
            (IAC, Some(&SE)) => return (body, i + 2),
            (IAC, _) => return (body, i),
            (byte, _) => {
                body.push(byte);
                i += 1;
            }
        }
    }
    (body, i)
}

fn verb_name(verb: u8) -> &'static str {
    match verb {
        251 => "WILL",
        252 => "WONT",
        253 => "DO",
        _ => "DONT",
    }
}

fn option_name(option: u8) -> String {
    match option {
        0 => "BINARY".into(),
        1 => "ECHO".into(),
        3 => "SUPPRESS-GO-AHEAD".into(),
        44 => "COM-PORT-OPTION".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_baud_answers_and_repeated_negotiations_are_found() {
        let bytes = [
            &[IAC, 253, 3, b'x', IAC, IAC, 253, 3][..],
            // sredird's 8-byte answer; an escaped 0xFF inside a 4-byte one.
            &[IAC, SB, 44, 101, 0, 1, 0xc2, 0, 0, 0, 0, 0, IAC, SE],
            &[IAC, SB, 44, 101, 0, 0, 0, IAC, IAC, IAC, SE],
            &[IAC, 253, 3],
        ]
        .concat();
        let found: Vec<String> = oddities(&bytes).into_iter().collect();
        assert_eq!(
            found,
            [
                "answers SET-BAUDRATE with a 8-byte value",
                "repeats DO SUPPRESS-GO-AHEAD",
            ]
        );
    }

    #[test]
    fn ordinary_output_has_none() {
        let bytes = [
            IAC, 251, 1, IAC, SB, 44, 101, 0, 0, 0x25, 0x80, IAC, SE, b'a',
        ];
        assert!(oddities(&bytes).is_empty());
        assert!(oddities(&[IAC, SB, 44]).is_empty(), "cut short, no panic");
    }
}
