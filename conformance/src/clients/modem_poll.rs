//! Whether a `poll_modem` client's poll was answered, told alike for both
//! clients.
//!
//! Both clients ask once the cached modem state is older than
//! [`POLL_MAX_AGE`]: the core on its own timer, a read at the latest. A
//! state recorded after the cached one went stale can only be a poll's
//! answer; a server that ignores polls leaves the cached state in place.
//! The state's time is watched, not the clock: a timer poll answered
//! before the read is as good an answer as the read's own.

use std::time::Instant;

use super::{POLL_ANSWER_TIMEOUT, POLL_MAX_AGE};

/// The watch over one client's modem state, from a moment after its open.
pub(super) struct PollWatch {
    /// The cached state is stale from here; a state recorded later answers
    /// a poll.
    stale_from: Instant,
    /// By then every poll has had its answer timeout: the latest goes out
    /// [`POLL_MAX_AGE`] after the open (which was before the watch).
    deadline: Instant,
}

impl PollWatch {
    /// Watching from `now`, the cached state recorded at `cached` (none:
    /// stale at once, any state that comes answers a poll).
    pub(super) fn new(cached: Option<Instant>, now: Instant) -> PollWatch {
        PollWatch {
            stale_from: cached.map_or(now, |at| at + POLL_MAX_AGE),
            deadline: now + POLL_MAX_AGE + POLL_ANSWER_TIMEOUT,
        }
    }

    /// A state recorded at `recorded` answered a poll.
    pub(super) fn is_answered(&self, recorded: Option<Instant>) -> bool {
        recorded.is_some_and(|at| at > self.stale_from)
    }

    /// When to stop waiting for an answer.
    pub(super) fn deadline(&self) -> Instant {
        self.deadline
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn only_a_state_recorded_after_the_cached_one_went_stale_answers_a_poll() {
        let now = Instant::now();
        let cached = now - Duration::from_millis(20);
        let watch = PollWatch::new(Some(cached), now);
        assert!(!watch.is_answered(Some(cached)));
        assert!(!watch.is_answered(None));
        // A notification before the state went stale was not asked for.
        assert!(!watch.is_answered(Some(cached + POLL_MAX_AGE)));
        // The timer's poll, answered before any read: an answer.
        assert!(watch.is_answered(Some(cached + POLL_MAX_AGE + Duration::from_millis(1))));
        assert!(watch.deadline() >= cached + POLL_MAX_AGE + POLL_ANSWER_TIMEOUT);
    }

    #[test]
    fn with_nothing_cached_any_state_that_comes_answers_a_poll() {
        let now = Instant::now();
        let watch = PollWatch::new(None, now);
        assert!(!watch.is_answered(None));
        assert!(watch.is_answered(Some(now + Duration::from_millis(1))));
    }
}
