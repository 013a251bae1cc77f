//! How a server is set up.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rfc2217_client::{ServerSignature, Settings};

use crate::device::{DeviceOpener, DeviceSpec};

/// What the server does when a client connects while another one is served.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SecondClient {
    /// Tell the newcomer the port is busy (one plain-text line) and close
    /// its connection; the connected client keeps the port.
    #[default]
    Refuse,
    /// Close the connected client's connection and serve the newcomer
    /// (ser2net's `kickolduser`), e.g. after the old client's host died
    /// without closing its connection.
    KickOld,
}

/// The settings of a [`Server`](crate::Server).
#[derive(Clone)]
pub struct ServerConfig {
    pub(crate) device: Arc<dyn DeviceOpener>,
    pub(crate) signature: ServerSignature,
    pub(crate) defaults: Settings,
    pub(crate) second_client: SecondClient,
    pub(crate) modem_poll_interval: Duration,
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
            .finish()
    }
}

/// Signature sent when none is configured: the crate and the device.
const SIGNATURE_PREFIX: &str = concat!("rfc2217-blocking ", env!("CARGO_PKG_VERSION"));

impl ServerConfig {
    /// Serves the device `device` opens (a [`DeviceSpec`], or a closure
    /// returning a boxed [`Device`](crate::Device)), with the defaults:
    /// 9600 8N1 without flow control restored after each client, a second
    /// client refused, modem lines polled every 50 ms, and a signature
    /// naming this crate and the device.
    pub fn new(device: impl DeviceOpener) -> Self {
        ServerConfig {
            device: Arc::new(device),
            signature: ServerSignature::default(),
            defaults: Settings::default(),
            second_client: SecondClient::Refuse,
            modem_poll_interval: Duration::from_millis(50),
        }
    }

    /// Serves `loop://`.
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

    /// How often the modem lines are read to notify the client of changes
    /// (at least 1 ms). It also bounds how long a connection takes to
    /// notice that it must end.
    pub fn with_modem_poll_interval(mut self, interval: Duration) -> Self {
        self.modem_poll_interval = interval.max(Duration::from_millis(1));
        self
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
        let config = ServerConfig::loopback();
        assert!(config.clone().with_signature(b"").is_err());
        assert!(config.clone().with_signature(&[b'x'; 65]).is_err());
        let named = config.clone().with_signature(b"lab port 3").unwrap();
        assert_eq!(named.signature_for("loop://"), b"lab port 3");
        let default = config.signature_for("loop://");
        assert!(default.ends_with(b" loop://"));
        let long = config.signature_for(&"/dev/x".repeat(20));
        assert_eq!(long.len(), SIGNATURE_CAPACITY);
    }
}
