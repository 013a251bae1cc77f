//! Client requests waiting for their replies, matched per command in FIFO order.

use crate::comport::{Command, DataSize, Parity, StopSize};
use crate::event::{ReplyStatus, RequestId};
use crate::session::config::AckPolicy;
use crate::time::Instant;

/// One request waiting for a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Request {
    pub(crate) id: RequestId,
    pub(crate) command: Command,
    pub(crate) policy: AckPolicy,
    pub(crate) deadline: Instant,
}

impl Request {
    /// How `reply` compares with this request under its ack policy.
    pub(crate) fn status(&self, reply: &Command) -> ReplyStatus {
        if answers(&self.command, reply) {
            ReplyStatus::Confirmed
        } else if self.policy == AckPolicy::Strict {
            ReplyStatus::Rejected
        } else {
            ReplyStatus::Tolerated
        }
    }
}

/// True if `reply` is what `request` asked for: the same value, or for a
/// query any real value of the same setting.
fn answers(request: &Command, reply: &Command) -> bool {
    match (*request, *reply) {
        (Command::SetBaudRate(0), Command::SetBaudRate(rate)) => rate != 0,
        (Command::SetDataSize(DataSize::Query), Command::SetDataSize(size)) => {
            size != DataSize::Query
        }
        (Command::SetParity(Parity::Query), Command::SetParity(parity)) => parity != Parity::Query,
        (Command::SetStopSize(StopSize::Query), Command::SetStopSize(stop)) => {
            stop != StopSize::Query
        }
        (Command::SetControl(query), Command::SetControl(state)) if query.is_query() => {
            state.group() == query.group() && !state.is_query()
        }
        (Command::Signature, Command::Signature) => true,
        _ => request == reply,
    }
}

/// The table of waiting requests, oldest first.
#[derive(Clone, Debug)]
pub(crate) struct Pending<const N: usize> {
    requests: [Option<Request>; N],
    len: u8,
}

impl<const N: usize> Default for Pending<N> {
    fn default() -> Self {
        Pending {
            requests: [None; N],
            len: 0,
        }
    }
}

impl<const N: usize> Pending<N> {
    pub(crate) fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len() == N
    }

    pub(crate) fn push(&mut self, request: Request) -> bool {
        let len = self.len();
        match self.requests.get_mut(len) {
            Some(slot) => {
                *slot = Some(request);
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// Removes and returns the oldest request `reply` answers: of the same
    /// command and, for SET-CONTROL, preferably of the same control group
    /// (so the DTR answer goes to the DTR request even if a flow-control
    /// request is older).
    pub(crate) fn take_reply(&mut self, reply: &Command) -> Option<Request> {
        let kind = reply.kind();
        let same_group = match *reply {
            Command::SetControl(control) => control.group().and_then(|group| {
                self.position(|request| {
                    matches!(request.command, Command::SetControl(asked) if asked.group() == Some(group))
                })
            }),
            _ => None,
        };
        let index =
            same_group.or_else(|| self.position(|request| request.command.kind() == kind))?;
        self.remove(index)
    }

    /// Removes and returns the oldest request whose deadline has passed.
    pub(crate) fn take_expired(&mut self, now: Instant) -> Option<Request> {
        let index = self.position(|request| request.deadline <= now)?;
        self.remove(index)
    }

    pub(crate) fn earliest_deadline(&self) -> Option<Instant> {
        self.iter().map(|request| request.deadline).min()
    }

    /// Gives every waiting request a new deadline (after the peer resumed us).
    pub(crate) fn reset_deadlines(&mut self, deadline: Instant) {
        for request in self.requests.iter_mut().flatten() {
            request.deadline = deadline;
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Request> {
        self.requests[..self.len()].iter().flatten()
    }

    fn position(&self, matches: impl Fn(&Request) -> bool) -> Option<usize> {
        self.iter().position(matches)
    }

    fn remove(&mut self, index: usize) -> Option<Request> {
        let request = self.requests.get_mut(index)?.take()?;
        let len = self.len();
        self.requests[index..len].rotate_left(1);
        self.len -= 1;
        Some(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comport::Control;

    fn request(id: u16, command: Command, deadline_ms: u64) -> Request {
        Request {
            id: RequestId(id),
            command,
            policy: AckPolicy::Strict,
            deadline: Instant::from_millis(deadline_ms),
        }
    }

    #[test]
    fn replies_match_the_oldest_request_of_their_kind() {
        let mut pending = Pending::<4>::default();
        assert!(pending.push(request(1, Command::SetBaudRate(9600), 10)));
        assert!(pending.push(request(2, Command::SetParity(Parity::Even), 10)));
        assert!(pending.push(request(3, Command::SetBaudRate(115_200), 10)));
        let taken = pending.take_reply(&Command::SetBaudRate(9600));
        assert_eq!(taken.map(|r| r.id), Some(RequestId(1)));
        let taken = pending.take_reply(&Command::SetBaudRate(115_200));
        assert_eq!(taken.map(|r| r.id), Some(RequestId(3)));
        assert_eq!(pending.take_reply(&Command::SetBaudRate(1)), None);
        assert_eq!(pending.len(), 1);
    }

    #[test]
    fn control_replies_prefer_their_group() {
        let mut pending = Pending::<4>::default();
        let _ = pending.push(request(1, Command::SetControl(Control::NoFlowControl), 10));
        let _ = pending.push(request(2, Command::SetControl(Control::DtrOn), 10));
        let dtr = pending.take_reply(&Command::SetControl(Control::DtrOn));
        assert_eq!(dtr.map(|r| r.id), Some(RequestId(2)));
        // sredird's `105 1` to an RTS request goes to the oldest SET-CONTROL.
        let _ = pending.push(request(3, Command::SetControl(Control::RtsOn), 10));
        let odd = pending.take_reply(&Command::SetControl(Control::NoFlowControl));
        assert_eq!(odd.map(|r| r.id), Some(RequestId(1)));
        let odd = pending.take_reply(&Command::SetControl(Control::Unknown(77)));
        assert_eq!(odd.map(|r| r.id), Some(RequestId(3)));
    }

    #[test]
    fn status_follows_the_policy_and_accepts_any_answer_to_a_query() {
        let strict = request(1, Command::SetControl(Control::QueryDtr), 0);
        assert_eq!(
            strict.status(&Command::SetControl(Control::DtrOff)),
            ReplyStatus::Confirmed
        );
        // ser2net answers the DTR query with the query code itself.
        assert_eq!(
            strict.status(&Command::SetControl(Control::QueryDtr)),
            ReplyStatus::Rejected
        );
        let lenient = Request {
            policy: AckPolicy::Lenient,
            ..strict
        };
        assert_eq!(
            lenient.status(&Command::SetControl(Control::NoFlowControl)),
            ReplyStatus::Tolerated
        );
        let baud = request(2, Command::SetBaudRate(0), 0);
        assert_eq!(
            baud.status(&Command::SetBaudRate(38400)),
            ReplyStatus::Confirmed
        );
        let size = request(3, Command::SetDataSize(DataSize::Seven), 0);
        assert_eq!(
            size.status(&Command::SetDataSize(DataSize::Eight)),
            ReplyStatus::Rejected
        );
    }

    #[test]
    fn expiry_is_oldest_first_and_deadlines_can_be_reset() {
        let mut pending = Pending::<4>::default();
        let _ = pending.push(request(1, Command::SetBaudRate(1), 30));
        let _ = pending.push(request(2, Command::SetBaudRate(2), 20));
        assert_eq!(pending.earliest_deadline(), Some(Instant::from_millis(20)));
        assert_eq!(
            pending.take_expired(Instant::from_millis(25)).map(|r| r.id),
            Some(RequestId(2))
        );
        pending.reset_deadlines(Instant::from_millis(100));
        assert_eq!(pending.take_expired(Instant::from_millis(99)), None);
        assert!(pending.take_expired(Instant::from_millis(100)).is_some());
    }
}
