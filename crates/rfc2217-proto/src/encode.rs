//! Telnet framing, outbound: escaping data and queueing commands.

use crate::scan::{copy_until_iac, copy_until_iac_or_cr, iac_run};
use crate::telnet::{CR, DONT, IAC, LF, NUL, SB, SE, WILL};

/// Escapes `data` into `out`: every 0xFF is doubled. In NVT mode (we do
/// not transmit BINARY) `nvt` is given and a bare CR becomes CR NUL (RFC
/// 854; CR LF stays as it is). A CR at the end of `data` owes its NUL until
/// the next byte shows whether it is an LF: `nvt` holds that debt between
/// calls. An escape sequence is never split. Returns (consumed, written).
pub(crate) fn escape_data(
    data: &[u8],
    out: &mut [u8],
    mut nvt: Option<&mut bool>,
) -> (usize, usize) {
    let mut i = 0;
    let mut o = 0;
    if let Some(nul_owed) = nvt.as_deref_mut() {
        if *nul_owed && !data.is_empty() {
            if data[0] != LF {
                let Some(slot) = out.first_mut() else {
                    return (0, 0);
                };
                *slot = NUL;
                o = 1;
            }
            *nul_owed = false;
        }
    }
    loop {
        // Plain bytes, up to the next special one or the end of either buffer.
        let rest = &data[i..];
        let n = if nvt.is_some() {
            copy_until_iac_or_cr(rest, &mut out[o..])
        } else {
            copy_until_iac(rest, &mut out[o..])
        };
        i += n;
        o += n;
        // A run of 0xFF (all-0xFF data) is escaped a run at a time, as far
        // as whole pairs fit.
        let rest = &data[i..];
        let room = (out.len() - o) / 2;
        let iacs = iac_run(&rest[..rest.len().min(room)]);
        if iacs > 0 {
            out[o..o + 2 * iacs].fill(IAC);
            i += iacs;
            o += 2 * iacs;
            continue;
        }
        let (Some(&CR), Some(nul_owed)) = (rest.first(), nvt.as_deref_mut()) else {
            return (i, o); // done, or no room for a whole escape sequence
        };
        // A CR: alone before an LF, with its NUL otherwise.
        let escaped: &[u8] = match rest.get(1) {
            Some(&LF) | None => &[CR],
            Some(_) => &[CR, NUL],
        };
        let Some(slot) = out.get_mut(o..o + escaped.len()) else {
            return (i, o);
        };
        slot.copy_from_slice(escaped);
        *nul_owed = rest.len() == 1;
        i += 1;
        o += escaped.len();
    }
}

/// The wire length of `bytes` with every 0xFF doubled.
pub(crate) fn escaped_len(bytes: &[u8]) -> usize {
    bytes.len() + bytes.iter().filter(|&&b| b == IAC).count()
}

/// The length of the Telnet command at the front of `bytes`: `IAC x`,
/// `IAC verb option` or `IAC SB ... IAC SE`. Its first byte is not looked
/// at: an outbound queue keeps a mark there in place of the `IAC`.
pub(crate) fn command_len_after_first(bytes: &[u8]) -> usize {
    match bytes {
        [] => 0,
        [_, SB, ..] => {
            let mut i = 2;
            while let Some(&byte) = bytes.get(i) {
                match (byte, bytes.get(i + 1)) {
                    (IAC, Some(&SE)) => return i + 2,
                    (IAC, _) => i += 2,
                    _ => i += 1,
                }
            }
            bytes.len()
        }
        [_, WILL..=DONT, ..] => 3.min(bytes.len()),
        _ => 2.min(bytes.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escape(data: &[u8], nvt: bool, room: usize) -> ([u8; 64], usize, usize) {
        let mut out = [0u8; 64];
        let mut nul_owed = false;
        let (used, written) = escape_data(data, &mut out[..room], nvt.then_some(&mut nul_owed));
        (out, used, written)
    }

    #[test]
    fn doubles_every_iac() {
        let (out, used, n) = escape(&[1, IAC, 2, IAC, IAC], false, 64);
        assert_eq!(
            (used, &out[..n]),
            (5, &[1, IAC, IAC, 2, IAC, IAC, IAC, IAC][..])
        );
    }

    #[test]
    fn nvt_mode_sends_a_bare_cr_as_cr_nul_and_binary_mode_does_not() {
        let (out, _, n) = escape(b"a\r\nb\rc\r\r\0", true, 64);
        assert_eq!(&out[..n], b"a\r\nb\r\0c\r\0\r\0\0");
        let (out, _, n) = escape(b"a\r\nb\rc", false, 64);
        assert_eq!(&out[..n], b"a\r\nb\rc");
    }

    #[test]
    fn a_cr_at_the_end_owes_its_nul_until_the_next_byte() {
        let mut out = [0u8; 8];
        let mut owed = false;
        assert_eq!(escape_data(b"x\r", &mut out, Some(&mut owed)), (2, 2));
        assert!(owed);
        // An LF next: no NUL.
        assert_eq!(escape_data(b"\n", &mut out, Some(&mut owed)), (1, 1));
        assert_eq!(&out[..1], b"\n");
        assert_eq!(escape_data(b"\r", &mut out, Some(&mut owed)), (1, 1));
        // Anything else next: the NUL first.
        assert_eq!(escape_data(b"y", &mut out, Some(&mut owed)), (1, 2));
        assert_eq!(&out[..2], b"\0y");
        assert!(!owed);
        // No room for the owed NUL: nothing is taken.
        owed = true;
        assert_eq!(escape_data(b"z", &mut [], Some(&mut owed)), (0, 0));
        assert!(owed);
    }

    #[test]
    fn never_splits_an_escape_and_resumes_where_it_stopped() {
        let data = [1, IAC, 2];
        let (out, used, n) = escape(&data, false, 2);
        assert_eq!((used, &out[..n]), (1, &[1][..]));
        let (out, used, n) = escape(&data[1..], false, 2);
        assert_eq!((used, &out[..n]), (1, &[IAC, IAC][..]));
        let (_, used, n) = escape(&data, false, 0);
        assert_eq!((used, n), (0, 0));
    }

    #[test]
    fn command_lengths_are_read_from_the_queue() {
        assert_eq!(command_len_after_first(&[]), 0);
        assert_eq!(command_len_after_first(&[IAC, 243, IAC, 241]), 2);
        assert_eq!(command_len_after_first(&[0, WILL, 44, IAC]), 3);
        // IAC IAC inside the payload is not the end.
        let sb = [IAC, SB, 44, 1, IAC, IAC, SE, IAC, SE, IAC, 241];
        assert_eq!(command_len_after_first(&sb), 9);
    }
}
