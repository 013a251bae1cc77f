//! What every client does the same way, whatever moves its bytes: the
//! options a port is opened with, the session and opening batch they make,
//! and how a request's end becomes a result.

use std::time::Duration;

use rfc2217_proto::{
    AckPolicy, Client, Command, CommandKind, Config, ReplyStatus, SIGNATURE_CAPACITY,
};

use crate::{opening_requests, Error, PortUrl, Settings};

/// How old the cached modem state may get before a `poll_modem` client
/// asks again, unless told otherwise.
pub const DEFAULT_MODEM_MAX_AGE: Duration = Duration::from_millis(300);

/// How a client opens a remote port. Each transport's builder fills one in;
/// the session configuration and the opening batch come from it, so every
/// client opens a port the same way.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientOptions {
    /// `host:port` to connect to.
    pub address: String,
    /// The URL or address the port is known by, for messages.
    pub name: String,
    /// The line settings to open with.
    pub settings: Settings,
    /// DTR at open.
    pub dtr: bool,
    /// RTS at open.
    pub rts: bool,
    /// Open without touching the line settings, DTR or RTS (picocom's
    /// `--noinit`): for looking at a port without disturbing it.
    pub keep_settings: bool,
    /// How long to wait for each answer from the server, and for the
    /// COM-PORT-OPTION negotiation at open.
    pub answer_timeout: Duration,
    /// Do not wait for SET-CONTROL answers (pyserial's `ign_set_control`).
    pub ignore_set_control_answers: bool,
    /// Ask for the modem lines when the cached state is older than this
    /// (pyserial's `poll_modem`), instead of relying on notifications only.
    pub poll_modem: Option<Duration>,
    /// Our signature, sent when the server asks (1 to 64 bytes; a longer
    /// one is cut).
    pub signature: Option<Vec<u8>>,
}

impl ClientOptions {
    /// A port at `host:port`, opened 9600 8N1 with DTR and RTS on (as
    /// pyserial does), answers awaited 3 s.
    pub fn new(address: impl Into<String>) -> Self {
        let address = address.into();
        ClientOptions {
            name: format!("rfc2217://{address}"),
            address,
            settings: Settings::default(),
            dtr: true,
            rts: true,
            keep_settings: false,
            answer_timeout: Duration::from_secs(3),
            ignore_set_control_answers: false,
            poll_modem: None,
            signature: None,
        }
    }

    /// From a URL in pyserial's form (see [`PortUrl`]). A `logging=LEVEL`
    /// option sets the `log` crate's maximum level, as pyserial's does.
    pub fn from_url(url: &str) -> Result<Self, Error> {
        let parsed: PortUrl = url.parse().map_err(Error::Url)?;
        let mut options = ClientOptions::new(parsed.address());
        options.name = url.to_owned();
        options.ignore_set_control_answers = parsed.ign_set_control;
        options.poll_modem = parsed.poll_modem.then_some(DEFAULT_MODEM_MAX_AGE);
        if let Some(timeout) = parsed.timeout {
            options.answer_timeout = timeout;
        }
        if let Some(level) = parsed.logging {
            log::set_max_level(level);
        }
        Ok(options)
    }

    /// The client session's configuration: the answer timeout for requests
    /// and negotiation, the signature not awaited (some servers, pyserial's
    /// among them, never answer it), SET-CONTROL not awaited if so asked.
    pub fn session_config(&self) -> Result<Config<Client>, Error> {
        let mut config = Config::client()
            .with_request_timeout(self.answer_timeout)
            .with_negotiation_timeout(self.answer_timeout)
            .with_ack_policy(CommandKind::Signature, AckPolicy::None);
        if self.ignore_set_control_answers {
            config = config.with_ack_policy(CommandKind::SetControl, AckPolicy::None);
        }
        if let Some(signature) = &self.signature {
            let fits = &signature[..signature.len().min(SIGNATURE_CAPACITY)];
            config = config.with_signature(fits)?;
        }
        Ok(config)
    }

    /// Everything a client sends at open, in one batch so that opening costs
    /// one round trip: the settings, DTR, RTS (unless the settings are
    /// kept), the line state mask, and a request for the server's signature (not
    /// awaited).
    pub fn opening_requests(&self) -> Vec<Command> {
        let mut requests = opening_requests(&self.settings, self.dtr, self.rts);
        if self.keep_settings {
            requests.retain(|request| matches!(request, Command::SetLineStateMask(_)));
        }
        requests.push(Command::Signature);
        requests
    }
}

/// How an awaited request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered.
    Answered {
        /// What it says is in use.
        reply: Command,
        /// How that compares with the request.
        status: ReplyStatus,
    },
    /// No answer within the answer timeout.
    TimedOut,
}

impl Outcome {
    /// The value in use, or the error naming `request` and what went wrong
    /// (`waited`: the answer timeout, for the message).
    pub fn into_result(self, request: Command, waited: Duration) -> Result<Command, Error> {
        match self {
            Outcome::Answered {
                reply,
                status: ReplyStatus::Rejected,
            } => Err(Error::Rejected {
                request,
                in_use: reply,
            }),
            Outcome::Answered { reply, .. } => Ok(reply),
            Outcome::TimedOut => Err(Error::NoAnswer { request, waited }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rfc2217_proto::{Control, DataSize, Instant, Session, Unavailable};

    #[test]
    fn url_options_reach_the_session_config() {
        let options =
            ClientOptions::from_url("rfc2217://h:7?ign_set_control&poll_modem&timeout=0.5")
                .unwrap();
        assert_eq!(options.address, "h:7");
        assert_eq!(options.poll_modem, Some(DEFAULT_MODEM_MAX_AGE));
        let config = options.session_config().unwrap();
        assert_eq!(config.request_timeout(), Duration::from_millis(500));
        assert_eq!(config.ack_policy(CommandKind::SetControl), AckPolicy::None);
        assert_eq!(config.ack_policy(CommandKind::Signature), AckPolicy::None);
        assert!(matches!(
            ClientOptions::from_url("rfc2217://h"),
            Err(Error::Url(_))
        ));
    }

    #[test]
    fn the_session_decides_what_is_awaited() {
        let options = ClientOptions::new("h:1");
        let mut session = Session::new(options.session_config().unwrap(), Instant::ZERO);
        let mut awaited = |command| session.request(Instant::ZERO, command).unwrap().is_some();
        assert!(awaited(Command::SetBaudRate(9600)));
        assert!(awaited(Command::SetControl(Control::DtrOn)));
        assert!(!awaited(Command::Signature));
        assert!(!awaited(Command::SetLineStateMask(crate::LINE_STATE_MASK)));
        assert_eq!(options.opening_requests().last(), Some(&Command::Signature));
    }

    #[test]
    fn outcomes_become_results_that_name_the_request() {
        let request = Command::SetDataSize(DataSize::Seven);
        let rejected = Outcome::Answered {
            reply: Command::SetDataSize(DataSize::Eight),
            status: ReplyStatus::Rejected,
        };
        let message = rejected
            .into_result(request, Duration::from_secs(1))
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "server rejected SET-DATASIZE 7 (in use: SET-DATASIZE 8)"
        );
        let timed_out = Outcome::TimedOut.into_result(request, Duration::from_secs(1));
        assert!(matches!(timed_out, Err(Error::NoAnswer { .. })));
        let tolerated = Outcome::Answered {
            reply: Command::SetControl(Control::NoFlowControl),
            status: ReplyStatus::Tolerated,
        };
        assert!(tolerated.into_result(request, Duration::ZERO).is_ok());
        assert_eq!(
            Error::no_com_port(Unavailable::Refused, Duration::ZERO).to_string(),
            "server does not support COM-PORT-OPTION (RFC 2217)"
        );
    }
}
