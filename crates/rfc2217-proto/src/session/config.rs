//! How a session is set up.

use core::time::Duration;

use crate::comport::CommandKind;
use crate::error::Error;

/// Bytes of signature text a session holds, ours and the peer's.
pub const SIGNATURE_CAPACITY: usize = 64;

// A received signature and its command byte fit the subnegotiation buffer.
const _: () = assert!(crate::decode::SUBNEGOTIATION_CAPACITY == SIGNATURE_CAPACITY + 1);

/// Which end of the connection a session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The client: it configures a remote serial port.
    Client,
    /// The access server: it owns the serial port.
    Server,
}

/// How a client treats the answer to a request of one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AckPolicy {
    /// Wait for the reply; a different value is [`Rejected`](crate::ReplyStatus::Rejected).
    Strict,
    /// Wait for the reply; any value counts ([`Tolerated`](crate::ReplyStatus::Tolerated)).
    Lenient,
    /// Do not wait: no deadline, and a reply that comes is reported as unsolicited.
    None,
}

/// A short text of at most [`SIGNATURE_CAPACITY`] bytes, held inline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Text {
    bytes: [u8; SIGNATURE_CAPACITY],
    len: u8,
}

impl Text {
    pub(crate) const EMPTY: Text = Text {
        bytes: [0; SIGNATURE_CAPACITY],
        len: 0,
    };

    /// The text, or `None` if it is longer than the capacity.
    pub(crate) fn new(text: &[u8]) -> Option<Text> {
        let mut held = Text::EMPTY;
        held.bytes.get_mut(..text.len())?.copy_from_slice(text);
        held.len = text.len() as u8; // at most SIGNATURE_CAPACITY
        Some(held)
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

/// The settings of a [`Session`](crate::Session).
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) role: Role,
    pub(crate) signature: Text,
    /// Timeouts in milliseconds: a `Duration` would double their size.
    request_timeout_ms: u32,
    negotiation_timeout_ms: u32,
    pub(crate) ack_policy: [AckPolicy; 13],
}

const DEFAULT_SIGNATURE: &[u8] = concat!("rfc2217-proto ", env!("CARGO_PKG_VERSION")).as_bytes();

impl Config {
    /// A client: requests answered within 3 s, COM-PORT agreed within 3 s.
    ///
    /// Default ack policies: settings (baud, data size, parity, stop size)
    /// strict; SET-CONTROL, PURGE-DATA and SIGNATURE lenient (real servers
    /// answer them loosely); the masks not awaited (ser2net answers them with
    /// a NOTIFY instead of an ack, pyserial not at all).
    pub fn client() -> Self {
        let mut ack_policy = [AckPolicy::None; 13];
        for kind in CommandKind::ALL {
            ack_policy[usize::from(kind.code())] = match kind {
                CommandKind::SetBaudRate
                | CommandKind::SetDataSize
                | CommandKind::SetParity
                | CommandKind::SetStopSize => AckPolicy::Strict,
                CommandKind::Signature | CommandKind::SetControl | CommandKind::PurgeData => {
                    AckPolicy::Lenient
                }
                _ => AckPolicy::None,
            };
        }
        Config {
            role: Role::Client,
            signature: Text::new(DEFAULT_SIGNATURE).unwrap_or(Text::EMPTY),
            request_timeout_ms: 3000,
            negotiation_timeout_ms: 3000,
            ack_policy,
        }
    }

    /// An access server: a client must agree to COM-PORT within 4 s
    /// (telnetlib3's `connect_maxwait`).
    pub fn server() -> Self {
        Config {
            role: Role::Server,
            negotiation_timeout_ms: 4000,
            ..Config::client()
        }
    }

    /// The signature this end sends when asked: 1 to [`SIGNATURE_CAPACITY`]
    /// bytes (an empty one would read as a request for the peer's).
    pub fn with_signature(mut self, signature: &[u8]) -> Result<Self, Error> {
        if signature.is_empty() {
            return Err(Error::InvalidSignature);
        }
        self.signature = Text::new(signature).ok_or(Error::InvalidSignature)?;
        Ok(self)
    }

    /// How long a client waits for each reply (held in whole milliseconds,
    /// at most about 49 days).
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout_ms = millis(timeout);
        self
    }

    /// How long to wait for COM-PORT-OPTION to be agreed.
    pub fn with_negotiation_timeout(mut self, timeout: Duration) -> Self {
        self.negotiation_timeout_ms = millis(timeout);
        self
    }

    /// How long a client waits for each reply.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms.into())
    }

    /// How long to wait for COM-PORT-OPTION to be agreed.
    pub fn negotiation_timeout(&self) -> Duration {
        Duration::from_millis(self.negotiation_timeout_ms.into())
    }

    /// The client's ack policy for one kind of request.
    pub fn with_ack_policy(mut self, kind: CommandKind, policy: AckPolicy) -> Self {
        self.ack_policy[usize::from(kind.code())] = policy;
        self
    }

    /// The role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The client's ack policy for `kind`.
    pub fn ack_policy(&self, kind: CommandKind) -> AckPolicy {
        self.ack_policy[usize::from(kind.code())]
    }
}

fn millis(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_kept_in_milliseconds_and_saturate() {
        let config = Config::client().with_request_timeout(Duration::from_micros(1500));
        assert_eq!(config.request_timeout(), Duration::from_millis(1));
        let forever = Config::server().with_negotiation_timeout(Duration::MAX);
        assert_eq!(
            forever.negotiation_timeout(),
            Duration::from_millis(u32::MAX.into())
        );
    }

    #[test]
    fn signature_must_be_non_empty_and_fit() {
        assert_eq!(
            Config::server().with_signature(b"").err(),
            Some(Error::InvalidSignature)
        );
        let long = [b'x'; SIGNATURE_CAPACITY + 1];
        assert_eq!(
            Config::server().with_signature(&long).err(),
            Some(Error::InvalidSignature)
        );
        let fits = [b'x'; SIGNATURE_CAPACITY];
        let config = Config::server().with_signature(&fits).map(|c| c.signature);
        assert_eq!(config.map(|s| s.as_bytes().len()), Ok(SIGNATURE_CAPACITY));
    }

    #[test]
    fn default_policies_tolerate_real_servers() {
        let config = Config::client();
        assert_eq!(
            config.ack_policy(CommandKind::SetBaudRate),
            AckPolicy::Strict
        );
        assert_eq!(
            config.ack_policy(CommandKind::SetControl),
            AckPolicy::Lenient
        );
        assert_eq!(
            config.ack_policy(CommandKind::SetModemStateMask),
            AckPolicy::None
        );
        let changed = config.with_ack_policy(CommandKind::SetControl, AckPolicy::Strict);
        assert_eq!(
            changed.ack_policy(CommandKind::SetControl),
            AckPolicy::Strict
        );
    }
}
