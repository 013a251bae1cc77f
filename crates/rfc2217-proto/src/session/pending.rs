//! Client requests waiting for their replies, matched per command in FIFO order.
//!
//! A request that timed out stays in the table, marked expired, until its
//! late answer comes or its slot is needed: a server that answers late must
//! not have that answer credited to the next request of the same kind.

use crate::comport::{Command, CommandKind, ControlGroup, DataSize, Parity, StopSize};
use crate::event::{ReplyStatus, RequestId};
use crate::session::config::AckPolicy;
use crate::time::Instant;

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// On its way or at the server; its deadline runs.
    Sent,
    /// Queued while the peer has suspended us; its deadline starts at RESUME.
    Held,
    /// Timed out (reported); kept to recognise a late answer.
    Expired,
}

/// One request waiting for a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Request {
    pub(crate) id: RequestId,
    pub(crate) command: Command,
    pub(crate) policy: AckPolicy,
    pub(crate) stage: Stage,
    pub(crate) deadline: Instant,
}

impl Request {
    /// How `reply` compares with this request under its ack policy.
    pub(crate) fn status(&self, reply: &Command) -> ReplyStatus {
        if self.stage == Stage::Expired {
            ReplyStatus::Late
        } else if answers(&self.command, reply) {
            ReplyStatus::Confirmed
        } else if self.policy == AckPolicy::Strict {
            ReplyStatus::Rejected
        } else {
            ReplyStatus::Tolerated
        }
    }

    fn waiting(&self) -> bool {
        self.stage != Stage::Expired
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

/// The control groups whose requests an answer of `group` may belong to,
/// most likely first. A flow answer may belong to either flow group:
/// ser2net answers outbound DCD flow (17) with inbound "none" (14).
fn control_groups(group: Option<ControlGroup>) -> &'static [ControlGroup] {
    use ControlGroup::*;
    match group {
        Some(OutboundFlow) => &[OutboundFlow, InboundFlow],
        Some(InboundFlow) => &[InboundFlow, OutboundFlow],
        Some(Break) => &[Break],
        Some(Dtr) => &[Dtr],
        Some(Rts) => &[Rts],
        None => &[],
    }
}

/// The table of requests, oldest first.
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
    /// Requests still waiting (expired ones are not).
    pub(crate) fn waiting(&self) -> usize {
        self.iter().filter(|request| request.waiting()).count()
    }

    /// A request of `kind` is waiting for its answer.
    pub(crate) fn awaits(&self, kind: CommandKind) -> bool {
        self.iter()
            .any(|request| request.waiting() && request.command.kind() == kind)
    }

    /// No room even after dropping every expired request.
    pub(crate) fn is_full(&self) -> bool {
        self.waiting() == N
    }

    /// Adds a request, making room by forgetting the oldest expired one.
    pub(crate) fn push(&mut self, request: Request) -> bool {
        if self.len() == N {
            match self.position(|old| !old.waiting()) {
                Some(oldest_expired) => {
                    let _ = self.remove(oldest_expired);
                }
                None => return false,
            }
        }
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

    /// Removes and returns the request `reply` answers, with its status.
    ///
    /// Answers come in request order, per command. The candidates are the
    /// oldest waiting request and the oldest expired one of the same command
    /// (for SET-CONTROL: of the answer's control group, then, for a flow
    /// answer, the other flow group, then, for sredird's `105 1` and unknown
    /// values, any SET-CONTROL). The waiting one takes the answer if it is
    /// what it asked for; else an expired one that asked for exactly this
    /// answer takes it as late; else the waiting one takes it as it is.
    pub(crate) fn take_reply(&mut self, reply: &Command) -> Option<(Request, ReplyStatus)> {
        let (waiting, expired) = self.candidates(reply);
        let index = match (waiting, expired) {
            (Some(w), _) if answers(&self.get(w)?.command, reply) => w,
            (_, Some(e)) if answers(&self.get(e)?.command, reply) => e,
            (Some(w), _) => w,
            (None, _) => return None,
        };
        let request = self.remove(index)?;
        Some((request, request.status(reply)))
    }

    /// The oldest waiting and the oldest expired request `reply` may answer.
    fn candidates(&self, reply: &Command) -> (Option<usize>, Option<usize>) {
        let oldest = |waiting: bool, belongs: &dyn Fn(&Command) -> bool| {
            self.position(|request| request.waiting() == waiting && belongs(&request.command))
        };
        let find =
            |belongs: &dyn Fn(&Command) -> bool| (oldest(true, belongs), oldest(false, belongs));
        let Command::SetControl(answer) = *reply else {
            let kind = reply.kind();
            return find(&|command| command.kind() == kind);
        };
        for &group in control_groups(answer.group()) {
            let found = find(
                &|command| matches!(command, Command::SetControl(asked) if asked.group() == Some(group)),
            );
            if found != (None, None) {
                return found;
            }
        }
        // sredird answers DTR/RTS changes with `105 1`; unknown values go to
        // the oldest SET-CONTROL too.
        let quirk = matches!(answer.group(), None | Some(ControlGroup::OutboundFlow));
        if quirk {
            find(&|command| matches!(command, Command::SetControl(_)))
        } else {
            (None, None)
        }
    }

    /// Marks the oldest sent request whose deadline has passed as expired
    /// and returns it.
    pub(crate) fn expire(&mut self, now: Instant) -> Option<Request> {
        let index = self.position(|r| r.stage == Stage::Sent && r.deadline <= now)?;
        let request = self.requests.get_mut(index)?.as_mut()?;
        request.stage = Stage::Expired;
        Some(*request)
    }

    /// The earliest deadline of a sent request.
    pub(crate) fn earliest_deadline(&self) -> Option<Instant> {
        self.iter()
            .filter(|request| request.stage == Stage::Sent)
            .map(|request| request.deadline)
            .min()
    }

    /// Held requests are on their way: their deadlines start now.
    pub(crate) fn release_held(&mut self, deadline: Instant) {
        for request in self.requests.iter_mut().flatten() {
            if request.stage == Stage::Held {
                request.stage = Stage::Sent;
                request.deadline = deadline;
            }
        }
    }

    fn len(&self) -> usize {
        usize::from(self.len)
    }

    fn get(&self, index: usize) -> Option<&Request> {
        self.requests.get(index)?.as_ref()
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
            stage: Stage::Sent,
            deadline: Instant::from_millis(deadline_ms),
        }
    }

    fn taken(pending: &mut Pending<4>, reply: Command) -> Option<(u16, ReplyStatus)> {
        pending
            .take_reply(&reply)
            .map(|(r, status)| (r.id.0, status))
    }

    #[test]
    fn replies_match_the_oldest_request_of_their_kind() {
        let mut pending = Pending::<4>::default();
        assert!(pending.push(request(1, Command::SetBaudRate(9600), 10)));
        assert!(pending.push(request(2, Command::SetParity(Parity::Even), 10)));
        assert!(pending.push(request(3, Command::SetBaudRate(115_200), 10)));
        assert_eq!(
            taken(&mut pending, Command::SetBaudRate(9600)),
            Some((1, ReplyStatus::Confirmed))
        );
        assert_eq!(
            taken(&mut pending, Command::SetBaudRate(115_200)),
            Some((3, ReplyStatus::Confirmed))
        );
        assert_eq!(taken(&mut pending, Command::SetBaudRate(1)), None);
        assert_eq!(pending.waiting(), 1);
    }

    #[test]
    fn control_replies_prefer_their_group_then_the_other_flow_group() {
        let mut pending = Pending::<4>::default();
        let _ = pending.push(request(1, Command::SetControl(Control::NoFlowControl), 10));
        let _ = pending.push(request(2, Command::SetControl(Control::DtrOn), 10));
        assert_eq!(
            taken(&mut pending, Command::SetControl(Control::DtrOn)),
            Some((2, ReplyStatus::Confirmed))
        );
        // ser2net: DCD flow (17) answered with inbound "none" (14), DTR unanswered.
        let _ = pending.push(request(3, Command::SetControl(Control::DtrOn), 10));
        let _ = pending.push(request(4, Command::SetControl(Control::DcdFlowControl), 10));
        assert_eq!(
            taken(
                &mut pending,
                Command::SetControl(Control::NoInboundFlowControl)
            )
            .map(|t| t.0),
            Some(1),
            "the oldest flow request, not DTR"
        );
        assert_eq!(
            taken(
                &mut pending,
                Command::SetControl(Control::NoInboundFlowControl)
            )
            .map(|t| t.0),
            Some(4)
        );
        // A BREAK answer nobody asked for is unsolicited, not DTR's.
        assert_eq!(
            taken(&mut pending, Command::SetControl(Control::BreakOff)),
            None
        );
    }

    #[test]
    fn sredird_105_1_goes_to_the_oldest_set_control() {
        let mut pending = Pending::<4>::default();
        let _ = pending.push(request(1, Command::SetControl(Control::DtrOn), 10));
        let _ = pending.push(request(2, Command::SetControl(Control::RtsOn), 10));
        let one = Command::SetControl(Control::NoFlowControl);
        assert_eq!(taken(&mut pending, one), Some((1, ReplyStatus::Rejected)));
        assert_eq!(
            taken(&mut pending, Command::SetControl(Control::Unknown(77))).map(|t| t.0),
            Some(2)
        );
    }

    #[test]
    fn a_late_answer_goes_to_its_expired_request_not_the_next_one() {
        let mut pending = Pending::<4>::default();
        let _ = pending.push(request(1, Command::SetBaudRate(9600), 10));
        assert_eq!(
            pending.expire(Instant::from_millis(10)).map(|r| r.id.0),
            Some(1)
        );
        assert_eq!(pending.waiting(), 0);
        let _ = pending.push(request(2, Command::SetBaudRate(115_200), 20));
        assert_eq!(
            taken(&mut pending, Command::SetBaudRate(9600)),
            Some((1, ReplyStatus::Late))
        );
        assert_eq!(
            taken(&mut pending, Command::SetBaudRate(115_200)),
            Some((2, ReplyStatus::Confirmed))
        );
        // A query answered late and a new query: the waiting one comes first.
        let _ = pending.push(request(3, Command::SetBaudRate(0), 30));
        let _ = pending.expire(Instant::from_millis(30));
        let _ = pending.push(request(4, Command::SetBaudRate(0), 40));
        assert_eq!(
            taken(&mut pending, Command::SetBaudRate(300)),
            Some((4, ReplyStatus::Confirmed))
        );
    }

    #[test]
    fn expired_requests_give_way_when_the_table_is_full() {
        let mut pending = Pending::<2>::default();
        let _ = pending.push(request(1, Command::SetBaudRate(1), 10));
        let _ = pending.push(request(2, Command::SetBaudRate(2), 10));
        assert!(pending.is_full());
        let _ = pending.expire(Instant::from_millis(10));
        assert!(!pending.is_full());
        assert!(pending.push(request(3, Command::SetBaudRate(3), 10)));
        assert!(!pending.push(request(4, Command::SetBaudRate(4), 10)));
    }

    #[test]
    fn held_requests_do_not_expire_until_released() {
        let mut pending = Pending::<4>::default();
        let held = Request {
            stage: Stage::Held,
            ..request(1, Command::SetBaudRate(1), 10)
        };
        let _ = pending.push(held);
        let _ = pending.push(request(2, Command::SetBaudRate(2), 20));
        assert_eq!(pending.earliest_deadline(), Some(Instant::from_millis(20)));
        assert_eq!(
            pending.expire(Instant::from_millis(99)).map(|r| r.id.0),
            Some(2)
        );
        assert_eq!(pending.expire(Instant::from_millis(99)), None);
        pending.release_held(Instant::from_millis(100));
        assert_eq!(pending.earliest_deadline(), Some(Instant::from_millis(100)));
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
        let size = request(3, Command::SetDataSize(DataSize::Seven), 0);
        assert_eq!(
            size.status(&Command::SetDataSize(DataSize::Eight)),
            ReplyStatus::Rejected
        );
    }
}
