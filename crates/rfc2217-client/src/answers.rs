//! [`Answers`]: the answers a transport keeps for the callers that wait
//! for them by id.

use std::collections::HashMap;

use rfc2217_proto::{Command, RequestId};

use crate::Error;

/// The answers ([`PortEvent::Answer`](crate::PortEvent::Answer)) a
/// transport holds between the event and the caller waiting for it.
///
/// Only answers someone awaits are kept: the id is recorded when the
/// request is queued ([`expect`](Self::expect)), and leaves when its
/// answer is taken or its waiter gives up ([`forget`](Self::forget)).
/// Any other answer (a request nobody waits for, one that came after its
/// waiter gave up) is dropped, so nothing piles up, and a request that
/// gets a reused id (they wrap after 65,536) never finds a stale answer.
#[derive(Debug, Default)]
pub struct Answers {
    /// The awaited ids, and the answer once it came.
    awaited: HashMap<RequestId, Option<Result<Command, Error>>>,
}

impl Answers {
    /// No answer awaited.
    pub fn new() -> Self {
        Self::default()
    }

    /// Someone waits for the answer to `id`: keep it when it comes. Call it
    /// before the events the request made are offered.
    pub fn expect(&mut self, id: RequestId) {
        self.awaited.insert(id, None);
    }

    /// The answer to `id` came: kept if awaited, dropped otherwise.
    pub fn offer(&mut self, id: RequestId, result: Result<Command, Error>) {
        if let Some(slot) = self.awaited.get_mut(&id) {
            *slot = Some(result);
        }
    }

    /// The answer to `id`, once it came; the id is no longer awaited then.
    pub fn take(&mut self, id: RequestId) -> Option<Result<Command, Error>> {
        let result = self.awaited.get_mut(&id)?.take()?;
        self.awaited.remove(&id);
        Some(result)
    }

    /// Nobody waits for `id` any more (its waiter gave up): its answer, if
    /// it came or comes, is dropped.
    pub fn forget(&mut self, id: RequestId) {
        self.awaited.remove(&id);
    }

    /// No id is awaited.
    pub fn is_empty(&self) -> bool {
        self.awaited.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BAUD: Command = Command::SetBaudRate(9600);

    #[test]
    fn answers_nobody_awaits_are_dropped() {
        let mut answers = Answers::new();
        answers.offer(RequestId(1), Ok(BAUD));
        assert!(answers.is_empty());
        assert_eq!(answers.take(RequestId(1)).map(|r| r.ok()), None);
    }

    #[test]
    fn an_awaited_answer_is_kept_until_taken_once() {
        let mut answers = Answers::new();
        answers.expect(RequestId(7));
        assert!(answers.take(RequestId(7)).is_none(), "not come yet");
        answers.offer(RequestId(7), Ok(BAUD));
        assert_eq!(answers.take(RequestId(7)).map(|r| r.ok()), Some(Some(BAUD)));
        assert!(answers.is_empty());
        answers.offer(RequestId(7), Ok(BAUD));
        assert!(
            answers.is_empty(),
            "a second answer to a taken id is dropped"
        );
    }

    #[test]
    fn an_answer_after_its_waiter_gave_up_is_not_handed_to_a_reused_id() {
        let mut answers = Answers::new();
        answers.expect(RequestId(3));
        answers.forget(RequestId(3));
        answers.offer(RequestId(3), Ok(BAUD));
        assert!(answers.is_empty());
        // The id comes round again for a new request: it waits for its own.
        answers.expect(RequestId(3));
        assert!(answers.take(RequestId(3)).is_none());
        assert!(!answers.is_empty());
    }
}
