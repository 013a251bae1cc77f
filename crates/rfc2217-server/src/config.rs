//! How a served device is set up: every policy of both servers, in one type.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use rfc2217_device::{DeviceOpener, DeviceSpec, Settings};

use crate::signature::ServerSignature;

/// What the server does when a client connects while another one is served.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SecondClient {
    /// Tell the newcomer the device is busy (one plain-text line,
    /// [`BUSY_MESSAGE`](crate::BUSY_MESSAGE)) and close its connection; the
    /// connected client keeps the device.
    #[default]
    Refuse,
    /// Close the connected client's connection and serve the newcomer
    /// (ser2net's `kickolduser`), e.g. after the old client's host died
    /// without closing its connection.
    KickOld,
}

/// Decides whether a client address may connect.
pub type ClientFilter = Arc<dyn Fn(IpAddr) -> bool + Send + Sync>;

/// The settings of one served device: which device, and how its clients are
/// treated. Both servers (threads and `mio`) take this one type, so every
/// policy is offered alike.
#[derive(Clone)]
pub struct ServerConfig {
    pub(crate) device: Arc<dyn DeviceOpener>,
    pub(crate) signature: ServerSignature,
    pub(crate) defaults: Settings,
    pub(crate) second_client: SecondClient,
    pub(crate) modem_poll_interval: Duration,
    pub(crate) idle_timeout: Option<Duration>,
    /// Which client addresses may connect; `None`: any.
    pub(crate) client_filter: Option<ClientFilter>,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
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

impl ServerConfig {
    /// Serves the device `device` opens (a [`DeviceSpec`], or a closure
    /// returning a boxed [`Device`](rfc2217_device::Device)), with the
    /// defaults: 9600 8N1 without flow control restored after each client,
    /// a second client refused, modem lines polled every 50 ms, no idle
    /// timeout, any client address, and a signature naming the server and
    /// the device.
    pub fn new(device: impl DeviceOpener) -> Self {
        ServerConfig {
            device: Arc::new(device),
            signature: ServerSignature::default(),
            defaults: Settings::default(),
            second_client: SecondClient::Refuse,
            modem_poll_interval: Duration::from_millis(50),
            idle_timeout: None,
            client_filter: None,
        }
    }

    /// Serves a fresh `loop://` device.
    pub fn loopback() -> Self {
        ServerConfig::new(DeviceSpec::Loopback)
    }

    /// The SIGNATURE the server answers with: 1 to 64 bytes, as the core's
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
    /// device forever under [`SecondClient::Refuse`].
    pub fn with_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Lets only clients whose address `allowed` accepts connect; others are
    /// closed at once without a word, logged and counted as refused. RFC
    /// 2217 has no authentication, so this (or a firewall) is all that
    /// keeps a device to the hosts meant to use it.
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

    /// What the device opener opens, for logs.
    pub fn describe_device(&self) -> String {
        self.device.describe()
    }

    /// The device settings restored after each client.
    pub fn defaults(&self) -> &Settings {
        &self.defaults
    }

    /// The policy for a second client.
    pub fn second_client(&self) -> SecondClient {
        self.second_client
    }

    /// The idle timeout.
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.idle_timeout
    }

    /// The signature sent by the server `server` (its name and version)
    /// for the device `device`: the configured one, or both names, cut to
    /// fit.
    pub fn signature_for(&self, server: &str, device: &str) -> Vec<u8> {
        self.signature.for_device(server, device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rfc2217_proto::SIGNATURE_CAPACITY;

    #[test]
    fn signatures_must_fit_and_the_default_names_server_and_device() {
        let config = ServerConfig::loopback();
        assert!(config.clone().with_signature(b"").is_err());
        assert!(config.clone().with_signature(&[b'x'; 65]).is_err());
        let named = config.clone().with_signature(b"lab port 3").unwrap();
        assert_eq!(named.signature_for("srv 1", "loop://"), b"lab port 3");
        assert_eq!(config.signature_for("srv 1", "loop://"), b"srv 1 loop://");
        let long = config.signature_for("srv", &"/dev/x".repeat(20));
        assert_eq!(long.len(), SIGNATURE_CAPACITY);
    }

    #[test]
    fn the_client_filter_decides_who_may_connect() {
        let any = ServerConfig::loopback();
        assert!(any.allows([192, 0, 2, 1].into()));
        let local = any.with_client_filter(|address| address.is_loopback());
        assert!(local.allows([127, 0, 0, 1].into()));
        assert!(!local.allows([192, 0, 2, 1].into()));
    }
}
