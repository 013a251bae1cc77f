//! `OpenOptions`: how a remote port is opened, whichever transport opens it.

use std::time::Duration;

use rfc2217_proto::{AckPolicy, Client, Command, CommandKind, Config, SIGNATURE_CAPACITY};

use crate::settings::opening_requests;
use crate::url::PortUrl;
use crate::{Error, Settings};

/// How old the cached modem state may get before a `poll_modem` client
/// asks again, unless told otherwise.
pub(crate) const DEFAULT_MODEM_MAX_AGE: Duration = Duration::from_millis(300);

/// How to open a remote port. Build one from an address or a URL, adjust
/// it, then hand it to a transport (`open` on the thread client, `connect`
/// on an event-loop client). The session configuration and the opening
/// batch come from it, so every transport opens a port the same way.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenOptions {
    address: String,
    name: String,
    settings: Settings,
    dtr: bool,
    rts: bool,
    keep_settings: bool,
    answer_timeout: Duration,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    ignore_set_control_answers: bool,
    poll_modem: Option<Duration>,
    signature: Option<Vec<u8>>,
}

impl OpenOptions {
    /// A port at `host:port`, opened 9600 8N1 with DTR and RTS on (as
    /// pyserial does), answers awaited 3 s, reads waiting 1 s.
    pub fn new(address: impl Into<String>) -> Self {
        let address = address.into();
        OpenOptions {
            name: format!("rfc2217://{address}"),
            address,
            settings: Settings::default(),
            dtr: true,
            rts: true,
            keep_settings: false,
            answer_timeout: Duration::from_secs(3),
            read_timeout: Some(Duration::from_secs(1)),
            write_timeout: None,
            ignore_set_control_answers: false,
            poll_modem: None,
            signature: None,
        }
    }

    /// From a URL in pyserial's form:
    /// `rfc2217://HOST:PORT[?OPTION[&OPTION...]]`, with IPv6 hosts in
    /// brackets (`rfc2217://[::1]:2217`). pyserial 2.7's older
    /// `rfc2217://HOST:PORT/OPTION/OPTION` is accepted too. Options:
    ///
    /// * `ign_set_control`: do not wait for answers to SET-CONTROL (some
    ///   servers answer DTR/RTS changes wrongly or not at all);
    /// * `poll_modem`: ask the server for the modem lines when the cached
    ///   state is older than 300 ms, instead of relying only on its
    ///   notifications (see [`poll_modem`](Self::poll_modem));
    /// * `timeout=SECONDS`: how long to wait for each answer (default 3);
    /// * `logging=LEVEL`: `debug`, `info`, `warning` or `error`; sets the
    ///   `log` crate's maximum level, as pyserial's does.
    ///
    /// A URL that is not of this form is an [`Error::Url`], naming the
    /// problem.
    pub fn from_url(url: &str) -> Result<Self, Error> {
        let parsed: PortUrl = url.parse().map_err(Error::Url)?;
        let mut options = OpenOptions::new(parsed.address());
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

    /// The line settings to open with.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// The baud rate to open with.
    pub fn baud_rate(mut self, baud_rate: u32) -> Self {
        self.settings.baud_rate = baud_rate;
        self
    }

    /// DTR and RTS at open.
    pub fn dtr_rts(mut self, dtr: bool, rts: bool) -> Self {
        self.dtr = dtr;
        self.rts = rts;
        self
    }

    /// Open without touching the port's line settings, DTR or RTS, to look
    /// at it as it is (picocom's `--noinit`).
    pub fn keep_settings(mut self) -> Self {
        self.keep_settings = true;
        self
    }

    /// How long to wait for each answer from the server. It also bounds
    /// connecting and agreeing to COM-PORT-OPTION.
    pub fn answer_timeout(mut self, timeout: Duration) -> Self {
        self.answer_timeout = timeout;
        self
    }

    /// How long a read waits for data (`None`: forever), on a transport
    /// whose reads wait; one that never waits has no use for it.
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// How long a write waits for the server (`None`: forever), including
    /// while the server has suspended us with FLOWCONTROL-SUSPEND, on a
    /// transport whose writes wait; one that never waits has no use for it.
    pub fn write_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Do not wait for SET-CONTROL answers (pyserial's `ign_set_control`).
    pub fn ignore_set_control_answers(mut self, ignore: bool) -> Self {
        self.ignore_set_control_answers = ignore;
        self
    }

    /// Ask the server for the modem lines whenever the cached state is
    /// older than `max_age` (pyserial's `poll_modem`; at least 10 ms),
    /// instead of relying on its notifications only.
    pub fn poll_modem(mut self, max_age: Option<Duration>) -> Self {
        self.poll_modem = max_age;
        self
    }

    /// Our signature, sent when the server asks (1 to 64 bytes; a longer
    /// one is cut).
    pub fn signature(mut self, signature: &[u8]) -> Self {
        self.signature = Some(signature.to_vec());
        self
    }

    /// `host:port`, for the transport to connect to.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// How long a waiting transport's reads and writes wait, in that order
    /// (`None`: forever).
    pub fn io_timeouts(&self) -> (Option<Duration>, Option<Duration>) {
        (self.read_timeout, self.write_timeout)
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn answer_timeout_value(&self) -> Duration {
        self.answer_timeout
    }

    pub(crate) fn modem_max_age(&self) -> Option<Duration> {
        self.poll_modem
    }

    /// The client session's configuration: the answer timeout for requests
    /// and negotiation, the signature not awaited (some servers, pyserial's
    /// among them, never answer it), SET-CONTROL not awaited if so asked.
    pub(crate) fn session_config(&self) -> Result<Config<Client>, Error> {
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
    /// kept), the line state mask, and a request for the server's signature
    /// (not awaited: some servers, pyserial's, never answer it).
    pub fn opening_requests(&self) -> Vec<Command> {
        let mut requests = opening_requests(&self.settings, self.dtr, self.rts);
        if self.keep_settings {
            requests.retain(|request| matches!(request, Command::SetLineStateMask(_)));
        }
        requests.push(Command::Signature);
        requests
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rfc2217_proto::{Control, Instant, Session};

    #[test]
    fn url_options_reach_the_session_config() {
        let options =
            OpenOptions::from_url("rfc2217://h:7?ign_set_control&poll_modem&timeout=0.5").unwrap();
        assert_eq!(options.address(), "h:7");
        assert_eq!(options.modem_max_age(), Some(DEFAULT_MODEM_MAX_AGE));
        let config = options.session_config().unwrap();
        assert_eq!(config.request_timeout(), Duration::from_millis(500));
        assert_eq!(config.ack_policy(CommandKind::SetControl), AckPolicy::None);
        assert_eq!(config.ack_policy(CommandKind::Signature), AckPolicy::None);
        assert!(matches!(
            OpenOptions::from_url("rfc2217://h"),
            Err(Error::Url(_))
        ));
    }

    #[test]
    fn the_session_decides_what_is_awaited() {
        let options = OpenOptions::new("h:1");
        let mut session = Session::new(options.session_config().unwrap(), Instant::ZERO);
        let mut awaited = |command| session.request(Instant::ZERO, command).unwrap().is_some();
        assert!(awaited(Command::SetBaudRate(9600)));
        assert!(awaited(Command::SetControl(Control::DtrOn)));
        assert!(!awaited(Command::Signature));
        assert!(!awaited(Command::SetLineStateMask(crate::LINE_STATE_MASK)));
        assert_eq!(options.opening_requests().last(), Some(&Command::Signature));
    }
}
