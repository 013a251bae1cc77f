//! Telnet option negotiation by the RFC 1143 "Q method".
//!
//! Each option has a state per side (ours and the peer's) that remembers
//! what we asked for, so that a request which does not change state is
//! never answered and two implementations can never loop. Options this
//! crate does not know are refused without keeping any state.

use crate::telnet::{Side, TelnetOption, Verb};

/// RFC 1143 states of one side of one option.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Q {
    #[default]
    No,
    Yes,
    WantNo,
    WantYes,
}

/// One side of one option: its state and RFC 1143's queue bit ("opposite").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct SideState {
    q: Q,
    opposite: bool,
}

/// What to tell the peer about a side: enable (WILL/DO) or disable (WONT/DONT).
type Send = Option<bool>;

impl SideState {
    fn enabled(self) -> bool {
        self.q == Q::Yes
    }

    /// The peer asks for the option on (WILL for its side, DO for ours).
    fn peer_enables(&mut self, acceptable: bool) -> Send {
        match (self.q, self.opposite) {
            (Q::No, _) if acceptable => {
                self.q = Q::Yes;
                Some(true)
            }
            (Q::No, _) => Some(false),
            (Q::Yes, _) => None,
            // Our disable was answered with an enable: RFC 1143 takes it as
            // agreement to the enable we queued, or as a peer error.
            (Q::WantNo, false) => {
                self.q = Q::No;
                None
            }
            (Q::WantNo, true) | (Q::WantYes, false) => {
                *self = SideState {
                    q: Q::Yes,
                    opposite: false,
                };
                None
            }
            (Q::WantYes, true) => {
                *self = SideState {
                    q: Q::WantNo,
                    opposite: false,
                };
                Some(false)
            }
        }
    }

    /// The peer asks for the option off (WONT for its side, DONT for ours).
    fn peer_disables(&mut self) -> Send {
        match (self.q, self.opposite) {
            (Q::No, _) => None,
            (Q::Yes, _) => {
                self.q = Q::No;
                Some(false)
            }
            (Q::WantNo, true) => {
                *self = SideState {
                    q: Q::WantYes,
                    opposite: false,
                };
                Some(true)
            }
            (Q::WantNo, false) | (Q::WantYes, _) => {
                *self = SideState::default();
                None
            }
        }
    }

    /// We want the option on.
    fn request_enable(&mut self) -> Send {
        match self.q {
            Q::No => {
                self.q = Q::WantYes;
                Some(true)
            }
            Q::Yes => None,
            Q::WantNo => {
                self.opposite = true;
                None
            }
            Q::WantYes => {
                self.opposite = false;
                None
            }
        }
    }

    /// We want the option off.
    fn request_disable(&mut self) -> Send {
        match self.q {
            Q::No => None,
            Q::Yes => {
                self.q = Q::WantNo;
                Some(false)
            }
            Q::WantNo => {
                self.opposite = false;
                None
            }
            Q::WantYes => {
                self.opposite = true;
                None
            }
        }
    }
}

/// Which options a role agrees to, per side, when the peer asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acceptance {
    pub(crate) local: [bool; 4],
    pub(crate) remote: [bool; 4],
}

impl Acceptance {
    fn accepts(&self, option: TelnetOption, side: Side) -> bool {
        match side {
            Side::Local => self.local[option.index()],
            Side::Remote => self.remote[option.index()],
        }
    }
}

/// The result of one negotiation message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// The reply to send, as (verb, option code).
    pub(crate) reply: Option<(Verb, u8)>,
    /// The option side whose enabled state changed, and its new state.
    pub(crate) changed: Option<(TelnetOption, Side, bool)>,
}

/// The negotiation state of every option this crate supports.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    acceptance: Acceptance,
    local: [SideState; 4],
    remote: [SideState; 4],
}

impl Options {
    pub(crate) fn new(acceptance: Acceptance) -> Self {
        Options {
            acceptance,
            local: [SideState::default(); 4],
            remote: [SideState::default(); 4],
        }
    }

    pub(crate) fn is_enabled(&self, option: TelnetOption, side: Side) -> bool {
        self.side(option, side).enabled()
    }

    /// The side is enabled or being enabled (not off, nor being switched off).
    pub(crate) fn is_enabled_or_wanted(&self, option: TelnetOption, side: Side) -> bool {
        matches!(self.side(option, side).q, Q::Yes | Q::WantYes)
    }

    /// We asked for a change of this side and the peer has not answered yet.
    pub(crate) fn is_in_flight(&self, option: TelnetOption, side: Side) -> bool {
        matches!(self.side(option, side).q, Q::WantYes | Q::WantNo)
    }

    /// Handles `IAC verb code` from the peer.
    pub(crate) fn receive(&mut self, verb: Verb, code: u8) -> Outcome {
        let side = match verb {
            Verb::Will | Verb::Wont => Side::Remote,
            Verb::Do | Verb::Dont => Side::Local,
        };
        let enable = matches!(verb, Verb::Will | Verb::Do);
        let Some(option) = TelnetOption::from_code(code) else {
            // Unknown options are always off; only an offer needs an answer.
            let reply = enable.then(|| (refusal(side), code));
            return Outcome {
                reply,
                changed: None,
            };
        };
        let acceptable = self.acceptance.accepts(option, side);
        self.apply(option, side, |state| {
            if enable {
                state.peer_enables(acceptable)
            } else {
                state.peer_disables()
            }
        })
    }

    /// Asks the peer to enable (`true`) or disable an option on a side.
    pub(crate) fn request(&mut self, option: TelnetOption, side: Side, enable: bool) -> Outcome {
        self.apply(option, side, |state| {
            if enable {
                state.request_enable()
            } else {
                state.request_disable()
            }
        })
    }

    fn apply(
        &mut self,
        option: TelnetOption,
        side: Side,
        step: impl FnOnce(&mut SideState) -> Send,
    ) -> Outcome {
        let state = self.side_mut(option, side);
        let before = state.enabled();
        let send = step(state);
        let after = state.enabled();
        Outcome {
            reply: send.map(|enable| (verb_for(side, enable), option.code())),
            changed: (before != after).then_some((option, side, after)),
        }
    }

    fn side(&self, option: TelnetOption, side: Side) -> SideState {
        match side {
            Side::Local => self.local[option.index()],
            Side::Remote => self.remote[option.index()],
        }
    }

    fn side_mut(&mut self, option: TelnetOption, side: Side) -> &mut SideState {
        match side {
            Side::Local => &mut self.local[option.index()],
            Side::Remote => &mut self.remote[option.index()],
        }
    }
}

/// The verb that tells the peer our wish for a side.
fn verb_for(side: Side, enable: bool) -> Verb {
    match (side, enable) {
        (Side::Local, true) => Verb::Will,
        (Side::Local, false) => Verb::Wont,
        (Side::Remote, true) => Verb::Do,
        (Side::Remote, false) => Verb::Dont,
    }
}

fn refusal(side: Side) -> Verb {
    verb_for(side, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Acceptance = Acceptance {
        local: [true; 4],
        remote: [true; 4],
    };
    const NONE: Acceptance = Acceptance {
        local: [false; 4],
        remote: [false; 4],
    };

    #[test]
    fn accepted_offer_is_agreed_once_and_repeats_are_ignored() {
        let mut options = Options::new(ALL);
        let first = options.receive(Verb::Will, 0);
        assert_eq!(first.reply, Some((Verb::Do, 0)));
        assert_eq!(
            first.changed,
            Some((TelnetOption::Binary, Side::Remote, true))
        );
        assert_eq!(options.receive(Verb::Will, 0), Outcome::default());
    }

    #[test]
    fn refused_and_unknown_options_get_a_refusal_and_no_state() {
        let mut options = Options::new(NONE);
        assert_eq!(options.receive(Verb::Do, 1).reply, Some((Verb::Wont, 1)));
        assert_eq!(
            options.receive(Verb::Will, 24).reply,
            Some((Verb::Dont, 24))
        );
        assert_eq!(options.receive(Verb::Do, 24).reply, Some((Verb::Wont, 24)));
        assert_eq!(options.receive(Verb::Dont, 24), Outcome::default());
        assert_eq!(options.receive(Verb::Wont, 1), Outcome::default());
    }

    #[test]
    fn our_request_is_completed_by_the_answer_without_a_reply() {
        let mut options = Options::new(ALL);
        let asked = options.request(TelnetOption::ComPort, Side::Local, true);
        assert_eq!(asked.reply, Some((Verb::Will, 44)));
        assert!(options.is_in_flight(TelnetOption::ComPort, Side::Local));
        let answered = options.receive(Verb::Do, 44);
        assert_eq!(answered.reply, None);
        assert!(options.is_enabled(TelnetOption::ComPort, Side::Local));
        assert!(!options.is_in_flight(TelnetOption::ComPort, Side::Local));
        // Asking again for what is already on sends nothing.
        assert_eq!(
            options.request(TelnetOption::ComPort, Side::Local, true),
            Outcome::default()
        );
    }

    #[test]
    fn refusal_of_our_request_is_not_answered() {
        let mut options = Options::new(ALL);
        let _ = options.request(TelnetOption::Binary, Side::Remote, true);
        assert_eq!(options.receive(Verb::Wont, 0), Outcome::default());
        assert!(!options.is_enabled_or_wanted(TelnetOption::Binary, Side::Remote));
    }

    #[test]
    fn disabling_an_enabled_option_is_acknowledged() {
        let mut options = Options::new(ALL);
        let _ = options.receive(Verb::Do, 3);
        let off = options.receive(Verb::Dont, 3);
        assert_eq!(off.reply, Some((Verb::Wont, 3)));
        assert_eq!(
            off.changed,
            Some((TelnetOption::SuppressGoAhead, Side::Local, false))
        );
    }

    #[test]
    fn queued_opposite_request_follows_the_pending_one() {
        let mut options = Options::new(ALL);
        let _ = options.request(TelnetOption::Echo, Side::Remote, true); // WANTYES
        let _ = options.request(TelnetOption::Echo, Side::Remote, false); // queue: then off
        let answer = options.receive(Verb::Will, 1);
        assert_eq!(answer.reply, Some((Verb::Dont, 1)));
        let done = options.receive(Verb::Wont, 1);
        assert_eq!(done.reply, None);
        assert!(!options.is_enabled_or_wanted(TelnetOption::Echo, Side::Remote));
    }
}
