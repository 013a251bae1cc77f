//! How one port of a server is set up.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use rfc2217_blocking::{DeviceOpener, DeviceSpec, SecondClient};
use rfc2217_client::{ServerSignature, Settings};

/// Where a port's device comes from.
#[derive(Clone)]
pub(crate) enum DeviceSource {
    /// `loop://` or a serial port path: a serial port is registered with
    /// the server's `mio::Poll` through its file descriptor.
    Spec(DeviceSpec),
    /// A device without a file descriptor, driven through the blocking
    /// crate's traits with zero timeouts.
    InProcess(Arc<dyn DeviceOpener>),
}

impl DeviceSource {
    pub(crate) fn describe(&self) -> String {
        match self {
            DeviceSource::Spec(spec) => spec.to_string(),
            DeviceSource::InProcess(opener) => opener.describe(),
        }
    }
}

/// The settings of one port of a [`Server`](crate::Server): which device it
/// serves and how it treats its clients. The same policies as the blocking
/// crate's `ServerConfig`, plus an idle timeout.
#[derive(Clone)]
pub struct PortConfig {
    pub(crate) device: DeviceSource,
    pub(crate) signature: ServerSignature,
    pub(crate) defaults: Settings,
    pub(crate) second_client: SecondClient,
    pub(crate) modem_poll_interval: Duration,
    pub(crate) idle_timeout: Option<Duration>,
    /// Which client addresses may connect; `None`: any.
    pub(crate) client_filter: Option<ClientFilter>,
}

/// Decides whether a client address may connect.
pub type ClientFilter = Arc<dyn Fn(IpAddr) -> bool + Send + Sync>;

impl fmt::Debug for PortConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortConfig")
            .field("device", &self.device.describe())
            .field(
                "signature",
                &self.signature.text().map(String::from_utf8_lossy),
            )
            .field("defaults", &self.defaults)
            .field("second_client", &self.second_client)
            .field("modem_poll_interval", &self.modem_poll_interval)
            .field("idle_timeout", &self.idle_timeout)
            .field("client_filter", &self.client_filter.is_some())
            .finish()
    }
}

/// Signature sent when none is configured: the crate and the device.
const SIGNATURE_PREFIX: &str = concat!("rfc2217-mio ", env!("CARGO_PKG_VERSION"));

impl PortConfig {
    /// Serves `device` (`loop://` or a serial port path) with the defaults:
    /// 9600 8N1 without flow control restored after each client, a second
    /// client refused, modem lines polled every 50 ms, no idle timeout, and
    /// a signature naming this crate and the device.
    pub fn new(device: DeviceSpec) -> Self {
        PortConfig::with_source(DeviceSource::Spec(device))
    }

    /// Serves a fresh `loop://` device.
    pub fn loopback() -> Self {
        PortConfig::new(DeviceSpec::Loopback)
    }

    /// Serves a device of your own that has no file descriptor, such as a
    /// [`Loopback`](rfc2217_blocking::Loopback) you keep a handle on. The
    /// server calls its [`Device`](rfc2217_blocking::Device) and reader
    /// methods with a zero timeout, so they must not wait; it reads the
    /// device after every write to it and at every modem poll, which is
    /// when such a device can have news.
    pub fn in_process(opener: impl DeviceOpener) -> Self {
        PortConfig::with_source(DeviceSource::InProcess(Arc::new(opener)))
    }

    fn with_source(device: DeviceSource) -> Self {
        PortConfig {
            device,
            signature: ServerSignature::default(),
            defaults: Settings::default(),
            second_client: SecondClient::Refuse,
            modem_poll_interval: Duration::from_millis(50),
            idle_timeout: None,
            client_filter: None,
        }
    }

    /// The SIGNATURE the port answers with: 1 to 64 bytes, as the core's
    /// [`Config::with_signature`](rfc2217_proto::Config::with_signature).
    pub fn with_signature(mut self, signature: &[u8]) -> Result<Self, rfc2217_proto::Error> {
        self.signature = ServerSignature::configured(signature)?;
        Ok(self)
    }

    /// The settings the device is given when it is opened and after every
    /// client, with DTR and RTS off.
    pub fn with_defaults(mut self, defaults: Settings) -> Self {
        self.defaults = defaults;
        self
    }

    /// What to do with a second client.
    pub fn with_second_client(mut self, policy: SecondClient) -> Self {
        self.second_client = policy;
        self
    }

    /// How often a connected client's device has its modem lines and line
    /// state read, to notify the client of changes (at least 1 ms). Nothing
    /// is polled while no client is connected.
    pub fn with_modem_poll_interval(mut self, interval: Duration) -> Self {
        self.modem_poll_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Closes a client that sent nothing for `timeout` (`None`, the
    /// default: never), so a client whose host vanished does not hold the
    /// port forever under [`SecondClient::Refuse`].
    pub fn with_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Lets only clients whose address `allowed` accepts connect; others are
    /// closed at once, logged and counted as refused. RFC 2217 has no
    /// authentication, so this (or a firewall) is all that keeps a port to
    /// the hosts meant to use it.
    pub fn with_client_filter(
        mut self,
        allowed: impl Fn(IpAddr) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.client_filter = Some(Arc::new(allowed));
        self
    }

    /// Whether a client at `address` may connect.
    pub fn allows(&self, address: IpAddr) -> bool {
        self.client_filter
            .as_ref()
            .is_none_or(|allowed| allowed(address))
    }

    /// The device settings restored after each client.
    pub fn defaults(&self) -> &Settings {
        &self.defaults
    }

    /// The policy for a second client.
    pub fn second_client(&self) -> SecondClient {
        self.second_client
    }

    /// The modem poll interval.
    pub fn modem_poll_interval(&self) -> Duration {
        self.modem_poll_interval
    }

    /// The idle timeout.
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.idle_timeout
    }

    /// The signature sent for a device named `device`: the configured one,
    /// or the crate's name and version and the device name, cut to fit.
    pub(crate) fn signature_for(&self, device: &str) -> Vec<u8> {
        self.signature.for_device(SIGNATURE_PREFIX, device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rfc2217_proto::SIGNATURE_CAPACITY;

    #[test]
    fn signatures_must_fit_and_the_default_names_the_device() {
        let config = PortConfig::loopback();
        assert!(config.clone().with_signature(b"").is_err());
        assert!(config.clone().with_signature(&[b'x'; 65]).is_err());
        let named = config.clone().with_signature(b"lab port 3").unwrap();
        assert_eq!(named.signature_for("loop://"), b"lab port 3");
        let default = config.signature_for("loop://");
        assert!(default.starts_with(b"rfc2217-mio "));
        assert!(default.ends_with(b" loop://"));
        let long = config.signature_for(&"/dev/x".repeat(20));
        assert_eq!(long.len(), SIGNATURE_CAPACITY);
    }
}
