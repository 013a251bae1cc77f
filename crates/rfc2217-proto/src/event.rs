//! What the session tells its caller.

use crate::comport::{Command, CommandKind, LineState, ModemState};
use crate::telnet::{Side, TelnetCommand, TelnetOption};

/// Names a client request so its outcome can be found among the events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u16);

/// Something that happened, drained with [`Session::poll_event`](crate::Session::poll_event).
/// Events are small; bulk data and signatures are read through the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
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
    /// The peer will not speak RFC 2217 on this connection (yet): it refused
    /// COM-PORT-OPTION, or did not agree within the negotiation timeout. A
    /// server may serve the client as plain Telnet/raw or close it.
    ComPortUnavailable(Unavailable),
    /// A two-byte Telnet command from the peer (never delivered as data).
    /// A client's [`TelnetCommand::Break`] asks the server to send a break.
    TelnetCommand(TelnetCommand),
    /// Server role: a request the application must apply and then answer
    /// with [`Session::respond`](crate::Session::respond), giving the value
    /// actually in use. Settings and SET-CONTROL queries, and PURGE-DATA,
    /// come this way.
    Request(Command),
    /// The peer sent its signature; read it with
    /// [`Session::peer_signature`](crate::Session::peer_signature).
    PeerSignature,
    /// Client role: an answer from the server.
    Reply {
        /// The request it answers, or `None` if no request was waiting.
        id: Option<RequestId>,
        /// What the server says is in use.
        reply: Command,
        /// How the answer compares with the request.
        status: ReplyStatus,
    },
    /// Client role: a request got no answer within the request timeout.
    Timeout {
        /// The request.
        id: RequestId,
        /// What we asked.
        request: Command,
    },
    /// Client role: NOTIFY-LINESTATE from the server.
    LineState(LineState),
    /// Client role: NOTIFY-MODEMSTATE from the server.
    ModemState(ModemState),
    /// The peer sent FLOWCONTROL-SUSPEND: hold back data (the session holds
    /// back its own commands) until [`Event::Resumed`].
    Suspended,
    /// The peer sent FLOWCONTROL-RESUME.
    Resumed,
    /// The peer broke a rule; the session carried on.
    PeerViolation(Violation),
}

/// Why COM-PORT-OPTION is not available.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unavailable {
    /// The peer refused it in every direction we offered.
    Refused,
    /// Nothing was agreed within the negotiation timeout.
    TimedOut,
}

/// How a reply compares with the request it answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
    /// [`Event::Timeout`] was reported); it is not credited to a newer request.
    Late,
    /// No request of this kind was waiting; the reply is reported and
    /// otherwise ignored.
    Unsolicited,
}

/// A rule the peer broke. None is fatal; each is reported once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Violation {
    /// `IAC SE` outside a subnegotiation.
    StraySubnegotiationEnd,
    /// `IAC` followed by a byte that is no Telnet command.
    UnknownCommand(u8),
    /// A subnegotiation longer than the session holds. A signature is cut
    /// to [`SIGNATURE_CAPACITY`](crate::SIGNATURE_CAPACITY) bytes and still
    /// delivered; anything else is discarded.
    SubnegotiationTooLong {
        /// Its option code.
        option: u8,
    },
    /// A command other than `IAC IAC` or `IAC SE` inside a subnegotiation:
    /// the subnegotiation was dropped and the command processed.
    UnterminatedSubnegotiation {
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
    /// A com-port code that is neither 0-12 nor 100-112.
    UnknownComPortCommand(u8),
    /// A com-port command sent in the wrong direction (a client code to a
    /// client, or a server code to a server).
    WrongDirection(u8),
    /// A com-port command whose value could not be read.
    MalformedComPortCommand(CommandKind),
}
