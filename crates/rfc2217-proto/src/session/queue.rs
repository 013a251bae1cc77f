//! The outbound command queue: one FIFO of whole Telnet commands, each
//! marked as something that must go out even while the peer has suspended
//! us, or something that is held back then.
//!
//! RFC 2217's FLOWCONTROL-SUSPEND stops our data and the commands we
//! initiate (requests, notifications, Telnet commands). Answers to the
//! peer's requests, negotiation and flow control itself must still go, or a
//! peer that suspends us and keeps asking would wait for us forever. So:
//!
//! * not suspended, everything leaves in the order it was queued;
//! * suspended, what was queued before the SUSPEND arrived leaves first (as
//!   far as the peer knows it was already on its way), then the commands
//!   that must go, while held ones wait for the RESUME.
//!
//! The order is fixed when a command is queued, never when the caller
//! drains: a command that must go, queued while suspended, is placed before
//! the held commands queued since the SUSPEND. So the bytes sent are the
//! same whenever the caller drains, even if a RESUME arrives in between
//! (the session's split invariance rests on this).
//!
//! The mark lives in the first byte of each queued command, where the wire
//! has its `IAC`; draining writes the `IAC` back. A caller's buffer may end
//! inside a command: the rest goes out first at the next drain, so two
//! commands are never interleaved.

use crate::encode::{command_len_after_first, escape_data, escaped_len};
use crate::telnet::{IAC, SB, SE};

/// Whether a command may go out while the peer has suspended us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Urgency {
    /// Negotiation, flow control, answers to the peer.
    Must,
    /// What this end initiates: waits for the peer's RESUME.
    Held,
}

/// Stands in the queue for the `IAC` that starts a held command.
const HELD: u8 = 0;

#[derive(Clone, Debug)]
pub(crate) struct CommandQueue<const N: usize> {
    bytes: [u8; N],
    len: u16,
    /// Bytes at the front queued before the peer suspended us.
    in_flight: u16,
    /// Bytes of the front command still to send after a drain cut it short.
    partial: u16,
    /// The peer has suspended us: held commands wait.
    suspended: bool,
}

impl<const N: usize> Default for CommandQueue<N> {
    fn default() -> Self {
        CommandQueue {
            bytes: [0; N],
            len: 0,
            in_flight: 0,
            partial: 0,
            suspended: false,
        }
    }
}

impl<const N: usize> CommandQueue<N> {
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn free(&self) -> usize {
        N - self.len()
    }

    /// The peer has suspended us.
    pub(crate) fn is_suspended(&self) -> bool {
        self.suspended
    }

    /// Queues a command given as its bytes (starting with `IAC`), or
    /// returns false if it does not fit; then nothing is queued.
    pub(crate) fn push(&mut self, command: &[u8], urgency: Urgency) -> bool {
        if command.len() > self.free() {
            return false;
        }
        let start = self.len();
        self.bytes[start..start + command.len()].copy_from_slice(command);
        self.place(start, command.len(), urgency);
        true
    }

    /// Queues `IAC SB option <parts, IAC doubled> IAC SE`, or returns false
    /// (queueing nothing) if it does not fit.
    pub(crate) fn push_subnegotiation(
        &mut self,
        option: u8,
        parts: &[&[u8]],
        urgency: Urgency,
    ) -> bool {
        let len = 5 + parts.iter().map(|part| escaped_len(part)).sum::<usize>();
        if len > self.free() {
            return false;
        }
        let start = self.len();
        self.bytes[start..start + 3].copy_from_slice(&[IAC, SB, option]);
        let mut end = start + 3;
        for part in parts {
            let (_, written) = escape_data(part, &mut self.bytes[end..], None);
            end += written;
        }
        self.bytes[end..end + 2].copy_from_slice(&[IAC, SE]);
        self.place(start, end + 2 - start, urgency);
        true
    }

    /// The command of `len` bytes just written at the end of the queue
    /// (`start`) takes its place: marked, and, if it must go while we are
    /// suspended, moved before the held commands queued since the SUSPEND.
    fn place(&mut self, start: usize, len: usize, urgency: Urgency) {
        if urgency == Urgency::Held {
            self.bytes[start] = HELD;
        }
        if urgency == Urgency::Must && self.suspended {
            let at = self.first_held();
            self.bytes[at..start + len].rotate_right(len);
        }
        self.set_len(start + len);
    }

    /// The peer suspended us (`true`) or resumed us. At a SUSPEND, what is
    /// queued counts as in flight.
    pub(crate) fn set_suspended(&mut self, suspended: bool) {
        self.suspended = suspended;
        self.in_flight = if suspended { self.len } else { 0 };
    }

    /// Moves queued bytes into `out` by the rules in the module docs;
    /// returns how many.
    pub(crate) fn drain(&mut self, out: &mut [u8]) -> usize {
        let mut written = 0;
        if self.partial > 0 {
            let n = self.take_front(out, usize::from(self.partial), false);
            self.partial -= n as u16; // n <= partial
            written = n;
            if self.partial > 0 {
                return written;
            }
        }
        while written < out.len() && !self.is_empty() {
            if self.suspended && self.in_flight == 0 && self.bytes[0] == HELD {
                break; // held commands wait for the RESUME
            }
            let len = self.command_len_at(0);
            let n = self.take_front(&mut out[written..], len, true);
            written += n;
            if n < len {
                self.partial = (len - n) as u16; // a command fits in the queue
                break;
            }
        }
        written
    }

    /// Copies up to `len` front bytes into `out` (restoring the `IAC` of a
    /// command's first byte if `starts_command`) and removes them.
    fn take_front(&mut self, out: &mut [u8], len: usize, starts_command: bool) -> usize {
        let n = len.min(out.len()).min(self.len());
        out[..n].copy_from_slice(&self.bytes[..n]);
        if starts_command && n > 0 {
            out[0] = IAC;
        }
        let total = self.len();
        self.bytes.copy_within(n..total, 0);
        self.set_len(total - n);
        self.in_flight = self.in_flight.saturating_sub(n as u16);
        n
    }

    /// Removes the held subnegotiations of `option` not yet on their way:
    /// all of them, but those in flight at a SUSPEND and one cut short. The
    /// option was switched off, and RFC 855 allows subnegotiation only of an
    /// agreed option; while suspended they would even leave after the
    /// refusal, which must-go commands overtake them with.
    pub(crate) fn drop_held_subnegotiations(&mut self, option: u8) {
        let mut at = self.first_held();
        while at < self.len() {
            let len = self.command_len_at(at);
            let held_sb =
                self.bytes[at] == HELD && self.bytes.get(at + 1..at + 3) == Some(&[SB, option]);
            if held_sb {
                let total = self.len();
                self.bytes.copy_within(at + len..total, at);
                self.set_len(total - len);
            } else {
                at += len;
            }
        }
    }

    /// Where the first held command after those in flight and the one cut
    /// short starts (the end of the queue if none): while suspended,
    /// commands that must go are placed before it.
    fn first_held(&self) -> usize {
        // Past what was in flight and past a command cut short: both go first.
        let mut at = usize::from(self.in_flight.max(self.partial));
        while at < self.len() && self.bytes[at] != HELD {
            at += self.command_len_at(at);
        }
        at.min(self.len())
    }

    /// The length of the (whole) command starting at `at`.
    fn command_len_at(&self, at: usize) -> usize {
        let command = &self.bytes[at..self.len()];
        command_len_after_first(command).max(1)
    }

    fn len(&self) -> usize {
        usize::from(self.len)
    }

    fn set_len(&mut self, len: usize) {
        // At most N, and every queue is far below 64 KiB.
        self.len = len as u16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telnet::{DO, WILL, WONT};

    type Queue = CommandQueue<64>;

    /// Everything `queue` gives through buffers of `room` bytes.
    fn drain_all(queue: &mut Queue, room: usize) -> ([u8; 64], usize) {
        let mut wire = [0u8; 64];
        let mut len = 0;
        loop {
            let end = (len + room).min(wire.len());
            let n = queue.drain(&mut wire[len..end]);
            if n == 0 {
                return (wire, len);
            }
            len += n;
        }
    }

    #[test]
    fn everything_leaves_in_order_when_not_suspended() {
        let mut queue = Queue::default();
        assert!(queue.push(&[IAC, WILL, 0], Urgency::Must));
        assert!(queue.push(&[IAC, 243], Urgency::Held));
        assert!(queue.push_subnegotiation(44, &[&[1], &[0, 0, 0, IAC]], Urgency::Held));
        let (wire, len) = drain_all(&mut queue, 1);
        let expected = [
            IAC, WILL, 0, IAC, 243, IAC, SB, 44, 1, 0, 0, 0, IAC, IAC, IAC, SE,
        ];
        assert_eq!(wire[..len], expected);
        assert!(queue.is_empty());
    }

    #[test]
    fn while_suspended_only_urgent_commands_pass_in_their_order() {
        let mut queue = Queue::default();
        assert!(queue.push(&[IAC, 243], Urgency::Held));
        queue.set_suspended(true); // the BRK was queued before the SUSPEND: it goes
        assert!(queue.push_subnegotiation(44, &[&[1], &[0, 0, 0, 1]], Urgency::Held));
        assert!(queue.push(&[IAC, WONT, 1], Urgency::Must));
        assert!(queue.push(&[IAC, DO, 3], Urgency::Must));
        let (wire, len) = drain_all(&mut queue, 2);
        assert_eq!(wire[..len], [IAC, 243, IAC, WONT, 1, IAC, DO, 3]);
        // At RESUME the held request goes, whole.
        queue.set_suspended(false);
        let (wire, len) = drain_all(&mut queue, 3);
        assert_eq!(wire[..len], [IAC, SB, 44, 1, 0, 0, 0, 1, IAC, SE]);
    }

    #[test]
    fn what_leaves_does_not_depend_on_when_the_caller_drains() {
        // A BRK held during a suspension, then an answer, then the RESUME:
        // drained before or after the RESUME, the answer goes first.
        let queued = |queue: &mut Queue| {
            queue.set_suspended(true);
            assert!(queue.push(&[IAC, 243], Urgency::Held));
            assert!(queue.push(&[IAC, WONT, 1], Urgency::Must));
        };
        let mut early = Queue::default();
        queued(&mut early);
        let (first, n) = drain_all(&mut early, 64);
        early.set_suspended(false);
        let (rest, m) = drain_all(&mut early, 64);
        let mut late = Queue::default();
        queued(&mut late);
        late.set_suspended(false);
        let (all, k) = drain_all(&mut late, 64);
        assert_eq!([&first[..n], &rest[..m]].concat(), &all[..k]);
        assert_eq!(all[..k], [IAC, WONT, 1, IAC, 243]);
    }

    #[test]
    fn a_command_cut_short_is_finished_first_whatever_comes_next() {
        let mut queue = Queue::default();
        assert!(queue.push_subnegotiation(44, &[&[100], b"sig"], Urgency::Must));
        let mut out = [0u8; 4];
        assert_eq!(queue.drain(&mut out), 4);
        queue.set_suspended(true);
        assert!(queue.push(&[IAC, WONT, 1], Urgency::Must));
        let (rest, len) = drain_all(&mut queue, 1);
        assert_eq!(rest[..len], [b's', b'i', b'g', IAC, SE, IAC, WONT, 1]);
    }

    #[test]
    fn held_subnegotiations_of_a_switched_off_option_are_dropped() {
        let mut queue = Queue::default();
        assert!(queue.push_subnegotiation(44, &[&[7, 0]], Urgency::Held));
        queue.set_suspended(true); // the first one is in flight: it goes
        assert!(queue.push_subnegotiation(44, &[&[7, 1]], Urgency::Held));
        assert!(queue.push(&[IAC, 243], Urgency::Held));
        assert!(queue.push(&[IAC, WONT, 44], Urgency::Must));
        queue.drop_held_subnegotiations(44);
        queue.set_suspended(false);
        let (wire, len) = drain_all(&mut queue, 64);
        assert_eq!(
            wire[..len],
            [IAC, SB, 44, 7, 0, IAC, SE, IAC, WONT, 44, IAC, 243]
        );
    }

    #[test]
    fn pushes_that_do_not_fit_queue_nothing() {
        let mut queue = CommandQueue::<8>::default();
        assert!(queue.push(&[IAC, WILL, 0], Urgency::Must));
        assert!(!queue.push_subnegotiation(44, &[&[1, 2]], Urgency::Held));
        assert!(!queue.push(&[IAC, 1, 2, 3, 4, 5], Urgency::Held));
        assert_eq!(queue.free(), 5);
    }
}
