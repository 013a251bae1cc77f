//! `OpenOptions`: how a remote port is opened.

use std::time::Duration;

use rfc2217_client::{ClientOptions, Error, Settings};

use super::RemotePort;

/// How to open a remote port. Build one from an address or a URL, adjust
/// it, then [`connect`](OpenOptions::connect). The options, the session
/// they make and the opening batch are the blocking client's
/// ([`rfc2217_client::ClientOptions`]), so both open a port the same way.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    client: ClientOptions,
}

impl OpenOptions {
    /// A port at `host:port`, opened 9600 8N1 with DTR and RTS on (as
    /// pyserial does), answers awaited 3 s.
    pub fn new(address: impl Into<String>) -> Self {
        OpenOptions {
            client: ClientOptions::new(address),
        }
    }

    /// From a URL in pyserial's form:
    /// `rfc2217://host:port[?ign_set_control&poll_modem&timeout=SECONDS&logging=LEVEL]`.
    pub fn from_url(url: &str) -> Result<Self, Error> {
        Ok(OpenOptions {
            client: ClientOptions::from_url(url)?,
        })
    }

    /// The line settings to open with.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.client.settings = settings;
        self
    }

    /// The baud rate to open with.
    pub fn baud_rate(mut self, baud_rate: u32) -> Self {
        self.client.settings.baud_rate = baud_rate;
        self
    }

    /// DTR and RTS at open.
    pub fn dtr_rts(mut self, dtr: bool, rts: bool) -> Self {
        self.client.dtr = dtr;
        self.client.rts = rts;
        self
    }

    /// Open without touching the port's line settings, DTR or RTS, to look
    /// at it as it is (picocom's `--noinit`).
    pub fn keep_settings(mut self) -> Self {
        self.client.keep_settings = true;
        self
    }

    /// How long to wait for each answer from the server. It also bounds
    /// connecting and agreeing to COM-PORT-OPTION, together.
    pub fn answer_timeout(mut self, timeout: Duration) -> Self {
        self.client.answer_timeout = timeout;
        self
    }

    /// Do not wait for SET-CONTROL answers (pyserial's `ign_set_control`).
    pub fn ignore_set_control_answers(mut self, ignore: bool) -> Self {
        self.client.ignore_set_control_answers = ignore;
        self
    }

    /// Ask the server for the modem lines whenever the cached state is
    /// older than `max_age` (pyserial's `poll_modem`; at least 10 ms),
    /// instead of relying on its notifications only.
    pub fn poll_modem(mut self, max_age: Option<Duration>) -> Self {
        self.client.poll_modem = max_age;
        self
    }

    /// Our signature, sent when the server asks (1 to 64 bytes; a longer
    /// one is cut).
    pub fn signature(mut self, signature: &[u8]) -> Self {
        self.client.signature = Some(signature.to_vec());
        self
    }

    /// Starts connecting and queues the opening batch; nothing waits.
    /// Register the port with a `mio::Poll` and drive it: it reports
    /// [`PortEvent::Opened`](super::PortEvent::Opened) or
    /// [`OpenFailed`](super::PortEvent::OpenFailed). A host name is
    /// resolved here, by the system (which may block); an IP address is not.
    pub fn connect(self) -> Result<RemotePort, Error> {
        RemotePort::start(self.client)
    }
}
