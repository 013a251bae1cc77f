//! What a session tells its caller: an event type per role, and the types
//! both roles' events share.

use core::fmt;

use crate::comport::{Command, CommandKind, LineState, ModemState};
use crate::signature::Signature;
use crate::telnet::{Side, TelnetCommand, TelnetOption};

/// Names a client request so its outcome can be found among the events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u16);

/// What both roles report, whatever the role: the engine raises these and
/// each role's event type carries them under the same names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shared {
    OptionChanged {
        option: TelnetOption,
        side: Side,
        enabled: bool,
    },
    ComPortActive,
    ComPortUnavailable(Unavailable),
    TelnetCommand(TelnetCommand),
    Suspended,
    Resumed,
    PeerViolation(Violation),
}

/// Declares a role's event type: the shared variants, then the role's own.
macro_rules! role_event {
    ($(#[$meta:meta])* $name:ident { $($own:tt)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum $name {
            /// A side of a Telnet option was enabled or disabled.
            OptionChanged {
                /// The option.
                option: TelnetOption,
                /// Whose side.
                side: Side,
                /// Its new state.
                enabled: bool,
            },
            /// COM-PORT-OPTION is agreed in at least one direction.
            ComPortActive,
            /// The peer will not speak RFC 2217 on this connection (yet): it
            /// refused COM-PORT-OPTION, or did not agree within the
            /// negotiation timeout.
            ComPortUnavailable(Unavailable),
            /// A two-byte Telnet command from the peer (never delivered as
            /// data). A client's [`TelnetCommand::Break`] asks the server to
            /// send a break.
            TelnetCommand(TelnetCommand),
            /// The peer sent FLOWCONTROL-SUSPEND: hold back data (the session
            /// holds back the commands it initiates) until `Resumed`.
            Suspended,
            /// The peer sent FLOWCONTROL-RESUME.
            Resumed,
            /// The peer broke a rule; the session carried on.
            PeerViolation(Violation),
            $($own)*
        }

        impl $name {
            pub(crate) fn shared(event: Shared) -> Self {
                match event {
                    Shared::OptionChanged { option, side, enabled } => {
                        $name::OptionChanged { option, side, enabled }
                    }
                    Shared::ComPortActive => $name::ComPortActive,
                    Shared::ComPortUnavailable(why) => $name::ComPortUnavailable(why),
                    Shared::TelnetCommand(command) => $name::TelnetCommand(command),
                    Shared::Suspended => $name::Suspended,
                    Shared::Resumed => $name::Resumed,
                    Shared::PeerViolation(violation) => $name::PeerViolation(violation),
                }
            }
        }
    };
}

role_event! {
    /// Something that happened on a client session, drained with
    /// [`Session::poll_event`](crate::Session::poll_event).
    ClientEvent {
        /// An answer from the server to a request other than SIGNATURE.
        Reply {
            /// The request it answers, or `None` if no request was waiting.
            id: Option<RequestId>,
            /// What the server says is in use.
            reply: Command,
            /// How the answer compares with the request.
            status: ReplyStatus,
        },
        /// The server's signature: the answer to our SIGNATURE request
        /// (empty if it has none), or sent unasked.
        Signature {
            /// The request it answers, or `None` if it came unasked.
            id: Option<RequestId>,
            /// The text.
            signature: Signature,
            /// Whether it answers a waiting request, a timed-out one, or none.
            status: ReplyStatus,
        },
        /// A request got no answer within the request timeout.
        Timeout {
            /// The request.
            id: RequestId,
            /// What we asked.
            request: Command,
        },
        /// NOTIFY-LINESTATE from the server.
        LineState(LineState),
        /// NOTIFY-MODEMSTATE from the server.
        ModemState(ModemState),
    }
}

role_event! {
    /// Something that happened on an access server session, drained with
    /// [`Session::poll_event`](crate::Session::poll_event).
    ServerEvent {
        /// A request the application must apply and then answer with
        /// [`Session::respond`](crate::Session::respond), giving the value
        /// actually in use: settings and SET-CONTROL (queries too), and
        /// PURGE-DATA. The session reads no further input until it is
        /// answered, so answers leave in the order of the requests.
        Request(Command),
        /// The client sent its signature.
        Signature(Signature),
    }
}

/// Where COM-PORT-OPTION negotiation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ComPortState {
    /// Offered, not yet agreed or refused.
    Negotiating,
    /// Agreed in at least one direction.
    Active,
    /// Refused, or not agreed in time.
    Unavailable(Unavailable),
}

/// Why COM-PORT-OPTION is not available.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Unavailable {
    /// The peer refused it in every direction we offered, or it was
    /// switched off in every direction.
    Refused,
    /// Nothing was agreed within the negotiation timeout.
    TimedOut,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unavailable::Refused => "refused",
            Unavailable::TimedOut => "not agreed within the negotiation timeout",
        })
    }
}

/// How a reply compares with the request it answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReplyStatus {
    /// The reply is the value asked for (or, for a query, a valid answer).
    Confirmed,
    /// Strict policy: the server answered with another value, so the
    /// request was not applied as asked.
    Rejected,
    /// Lenient policy: the value differs but counts as an answer (servers
    /// such as sredird answer DTR/RTS changes with `105 1`).
    Tolerated,
    /// The answer to a request that had already timed out (its
    /// `Timeout` was reported); it is not credited to a newer request.
    Late,
    /// No request of this kind was waiting; the reply is reported and
    /// otherwise ignored.
    Unsolicited,
}

/// A rule the peer broke. None is fatal; each is reported once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Violation {
    /// `IAC SE` outside a subnegotiation.
    StraySubnegotiationEnd,
    /// `IAC` followed by a byte that is no Telnet command.
    UnknownCommand(u8),
    /// A subnegotiation longer than the session holds (65 bytes of
    /// payload, more than any RFC 2217 command but SIGNATURE needs); it was
    /// discarded. (A long SIGNATURE is not the peer's fault: it is
    /// delivered cut, marked [truncated](Signature::is_truncated).)
    SubnegotiationTooLong {
        /// Its option code.
        option: u8,
    },
    /// `IAC` followed by a byte other than `IAC` or `SE` inside a
    /// subnegotiation: the `IAC` should have been doubled. Both bytes are
    /// kept as payload (nothing inside a subnegotiation is ever data), and
    /// the subnegotiation still ends only at `IAC SE`.
    UnescapedIac {
        /// Its option code.
        option: u8,
    },
    /// `IAC SB` followed by `IAC`: no option. The `IAC` starts a command.
    MissingSubnegotiationOption,
    /// A subnegotiation for an option that is not COM-PORT-OPTION.
    UnexpectedSubnegotiation {
        /// Its option code.
        option: u8,
    },
    /// A COM-PORT-OPTION subnegotiation while the option is not agreed
    /// (RFC 855 allows subnegotiation only of an agreed option). It is
    /// acted on while the option is still being negotiated or the peer
    /// never answered (ser2net and pyserial do the same, so clients that
    /// send their requests early keep working), and ignored once either
    /// side has refused the option.
    ComPortNotAgreed(CommandKind),
    /// A com-port code that is neither 0-12 nor 100-112.
    UnknownComPortCommand(u8),
    /// A com-port command sent in the wrong direction (a client code to a
    /// client, or a server code to a server).
    WrongDirection(u8),
    /// A com-port command whose value could not be read. A malformed
    /// setting request (SET-BAUDRATE whose value is not 4 bytes, a
    /// SET-DATASIZE, -PARITY or -STOPSIZE not of 1) reaches the server's
    /// application as a query of that setting, so the client is told the
    /// value in use.
    MalformedComPortCommand(CommandKind),
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Violation::StraySubnegotiationEnd => f.write_str("IAC SE outside a subnegotiation"),
            Violation::UnknownCommand(byte) => write!(f, "IAC {byte} is no Telnet command"),
            Violation::SubnegotiationTooLong { option } => {
                write!(f, "subnegotiation of option {option} too long; discarded")
            }
            Violation::UnescapedIac { option } => {
                write!(
                    f,
                    "undoubled IAC inside a subnegotiation of option {option}"
                )
            }
            Violation::MissingSubnegotiationOption => f.write_str("IAC SB without an option"),
            Violation::UnexpectedSubnegotiation { option } => {
                write!(
                    f,
                    "subnegotiation of option {option}, which is not COM-PORT-OPTION"
                )
            }
            Violation::ComPortNotAgreed(kind) => {
                write!(f, "{kind} while COM-PORT-OPTION is not agreed")
            }
            Violation::UnknownComPortCommand(code) => {
                write!(f, "unknown COM-PORT-OPTION command {code}")
            }
            Violation::WrongDirection(code) => {
                write!(
                    f,
                    "COM-PORT-OPTION command {code} sent in the wrong direction"
                )
            }
            Violation::MalformedComPortCommand(kind) => write!(f, "malformed {kind} value"),
        }
    }
}
