//! Telnet framing, outbound: escaping data and queueing commands.

use crate::scan::{copy_until_iac, copy_until_iac_or_cr, iac_run};
use crate::telnet::{CR, IAC, NUL, SB, SE};

/// Escapes `data` into `out`: every 0xFF is doubled and, in NVT mode (we do
/// not transmit BINARY), every CR becomes CR NUL. An escape sequence is
/// never split: it is written whole or not at all. Returns (consumed, written).
pub(crate) fn escape_data(data: &[u8], out: &mut [u8], nvt: bool) -> (usize, usize) {
    let mut i = 0;
    let mut o = 0;
    loop {
        // Plain bytes, up to the next special one or the end of either buffer.
        let rest = &data[i..];
        let n = if nvt {
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
        match (rest.first(), out.get_mut(o..o + 2)) {
            (Some(&CR), Some(pair)) if nvt => {
                pair.copy_from_slice(&[CR, NUL]);
                i += 1;
                o += 2;
            }
            // Done, `out` full, or no room for a whole escape sequence.
            _ => return (i, o),
        }
    }
}

/// The wire length of `bytes` with every 0xFF doubled.
pub(crate) fn escaped_len(bytes: &[u8]) -> usize {
    bytes.len() + bytes.iter().filter(|&&b| b == IAC).count()
}

/// A fixed-capacity FIFO of outbound bytes: commands the session queued for
/// the caller to transmit. Writes are all-or-nothing so a command is never
/// cut in half.
#[derive(Clone, Debug)]
pub(crate) struct Outbox<const N: usize> {
    bytes: [u8; N],
    /// Bytes queued; a `u16` keeps the session small (capacities are far below 64 KiB).
    len: u16,
}

impl<const N: usize> Default for Outbox<N> {
    fn default() -> Self {
        Outbox {
            bytes: [0; N],
            len: 0,
        }
    }
}

/// A queue of outbound bytes, whatever its capacity.
pub(crate) trait Lane {
    /// Bytes that can still be queued.
    fn free(&self) -> usize;
    /// Queues `bytes` verbatim, or returns false if they do not all fit.
    fn push(&mut self, bytes: &[u8]) -> bool;
    /// Queues `IAC SB option <payload, IAC doubled> IAC SE`, or returns
    /// false (queueing nothing) if it does not fit.
    fn push_subnegotiation(&mut self, option: u8, payload: &[&[u8]]) -> bool;
}

impl<const N: usize> Outbox<N> {
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Moves up to `limit` queued bytes, as many as fit, into `out`;
    /// returns how many.
    pub(crate) fn drain_into(&mut self, out: &mut [u8], limit: usize) -> usize {
        let len = self.len();
        let n = len.min(out.len()).min(limit);
        out[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes.copy_within(n..len, 0);
        self.set_len(len - n);
        n
    }

    fn set_len(&mut self, len: usize) {
        // Never above N, and every capacity used is below 64 KiB.
        self.len = len as u16;
    }
}

impl<const N: usize> Lane for Outbox<N> {
    fn free(&self) -> usize {
        N - self.len()
    }

    fn push(&mut self, bytes: &[u8]) -> bool {
        let len = self.len();
        match self.bytes.get_mut(len..len + bytes.len()) {
            Some(slot) => {
                slot.copy_from_slice(bytes);
                self.set_len(len + bytes.len());
                true
            }
            None => false,
        }
    }

    fn push_subnegotiation(&mut self, option: u8, payload: &[&[u8]]) -> bool {
        let len = 5 + payload.iter().map(|part| escaped_len(part)).sum::<usize>();
        if len > self.free() {
            return false;
        }
        let mut ok = self.push(&[IAC, SB, option]);
        for part in payload {
            let len = self.len();
            let (_, written) = escape_data(part, &mut self.bytes[len..], false);
            self.set_len(len + written);
        }
        ok &= self.push(&[IAC, SE]);
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escape(data: &[u8], nvt: bool, room: usize) -> ([u8; 64], usize, usize) {
        let mut out = [0u8; 64];
        let (used, written) = escape_data(data, &mut out[..room], nvt);
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
    fn nvt_mode_sends_cr_as_cr_nul_and_binary_mode_does_not() {
        let (out, _, n) = escape(b"a\r\nb\r", true, 64);
        assert_eq!(&out[..n], b"a\r\0\nb\r\0");
        let (out, _, n) = escape(b"a\r\nb\r", false, 64);
        assert_eq!(&out[..n], b"a\r\nb\r");
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
    fn outbox_writes_are_all_or_nothing() {
        let mut outbox = Outbox::<8>::default();
        assert!(outbox.push(&[1, 2, 3]));
        assert!(!outbox.push(&[0; 6]));
        assert_eq!(outbox.free(), 5);
        assert!(!outbox.push_subnegotiation(44, &[&[IAC]]));
        assert!(outbox.push_subnegotiation(44, &[]));
        assert_eq!(outbox.free(), 0);
    }

    #[test]
    fn outbox_escapes_payload_and_drains_in_order() {
        let mut outbox = Outbox::<16>::default();
        assert!(outbox.push_subnegotiation(44, &[&[1], &[0, 0, 0, IAC]]));
        let mut out = [0u8; 4];
        assert_eq!(outbox.drain_into(&mut out, usize::MAX), 4);
        assert_eq!(out, [IAC, SB, 44, 1]);
        let mut rest = [0u8; 16];
        assert_eq!(outbox.drain_into(&mut rest, 2), 2);
        let n = 2 + outbox.drain_into(&mut rest[2..], usize::MAX);
        assert_eq!(&rest[..n], &[0, 0, 0, IAC, IAC, IAC, SE]);
        assert!(outbox.is_empty());
    }
}
