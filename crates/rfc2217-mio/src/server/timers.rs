//! Deadlines of the event loop: modem polls, breaks, negotiation and idle
//! timeouts, refusals that linger, accepts to retry.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use mio::Token;

/// Deadlines in a heap, earliest first, each naming the token whose owner
/// is due and the owner's serial (see `Slab`): an owner gone before its
/// deadline is not mistaken for the one that took its token.
///
/// Nothing is ever removed early: an owner whose deadline moved keeps its
/// old entry, and when that fires the owner finds nothing due (or
/// ignores it). So scheduling is one push, and an owner only pushes when
/// it needs to wake earlier than it already will.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, Token, u64)>>,
}

impl Timers {
    pub(crate) fn schedule(&mut self, at: Instant, token: Token, serial: u64) {
        self.heap.push(Reverse((at, token, serial)));
    }

    /// The earliest deadline, if any.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Takes one deadline that has passed at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, Token, u64)> {
        if self.next()? > now {
            return None;
        }
        self.heap.pop().map(|Reverse(entry)| entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn deadlines_come_out_earliest_first_and_only_when_due() {
        let start = Instant::now();
        let mut timers = Timers::default();
        timers.schedule(start + Duration::from_secs(2), Token(2), 0);
        timers.schedule(start + Duration::from_secs(1), Token(1), 0);
        assert_eq!(timers.next(), Some(start + Duration::from_secs(1)));
        assert_eq!(timers.pop_due(start), None);
        let later = start + Duration::from_secs(5);
        assert_eq!(timers.pop_due(later).map(|(_, t, _)| t), Some(Token(1)));
        assert_eq!(timers.pop_due(later).map(|(_, t, _)| t), Some(Token(2)));
        assert_eq!(timers.pop_due(later), None);
        assert_eq!(timers.next(), None);
    }
}
