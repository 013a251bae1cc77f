//! How a session is set up: one `Config` per role.

use core::time::Duration;

use super::{Client, Role, Server};
use crate::comport::CommandKind;
use crate::error::Error;
use crate::signature::Signature;

/// How a client treats the answer to a request of one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AckPolicy {
    /// Wait for the reply; a different value is [`Rejected`](crate::ReplyStatus::Rejected).
    Strict,
    /// Wait for the reply; any value counts ([`Tolerated`](crate::ReplyStatus::Tolerated)).
    Lenient,
    /// Do not wait: [`Session::request`](crate::Session::request) returns no
    /// id, and a reply that comes anyway is reported as
    /// [`Unsolicited`](crate::ReplyStatus::Unsolicited).
    None,
}

/// The settings of a [`Session`](crate::Session) of role `R`: made by
/// [`Config::client`] or [`Config::server`].
#[derive(Clone, Debug)]
pub struct Config<R: Role> {
    pub(crate) signature: Signature,
    /// Timeouts in milliseconds: a `Duration` would double their size.
    negotiation_timeout_ms: u32,
    /// What only this role needs.
    pub(crate) role: R::Options,
}

/// What only a client's config holds.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    request_timeout_ms: u32,
    ack_policy: [AckPolicy; 13],
}

const DEFAULT_SIGNATURE: &[u8] = concat!("rfc2217-proto ", env!("CARGO_PKG_VERSION")).as_bytes();

impl Config<Client> {
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
            signature: default_signature(),
            negotiation_timeout_ms: 3000,
            role: ClientOptions {
                request_timeout_ms: 3000,
                ack_policy,
            },
        }
    }

    /// How long the client waits for each reply (held in whole
    /// milliseconds, at most about 49 days).
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.role.request_timeout_ms = millis(timeout);
        self
    }

    /// The client's ack policy for one kind of request.
    pub fn with_ack_policy(mut self, kind: CommandKind, policy: AckPolicy) -> Self {
        self.role.ack_policy[usize::from(kind.code())] = policy;
        self
    }

    /// How long the client waits for each reply.
    pub fn request_timeout(&self) -> Duration {
        self.role.request_timeout()
    }

    /// The client's ack policy for `kind`.
    pub fn ack_policy(&self, kind: CommandKind) -> AckPolicy {
        self.role.ack_policy(kind)
    }
}

impl ClientOptions {
    pub(crate) fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms.into())
    }

    pub(crate) fn ack_policy(&self, kind: CommandKind) -> AckPolicy {
        self.ack_policy[usize::from(kind.code())]
    }
}

impl Config<Server> {
    /// An access server: a client must agree to COM-PORT within 4 s
    /// (telnetlib3's `connect_maxwait`).
    pub fn server() -> Self {
        Config {
            signature: default_signature(),
            negotiation_timeout_ms: 4000,
            role: (),
        }
    }
}

impl<R: Role> Config<R> {
    /// The signature this end sends when asked: 1 to
    /// [`SIGNATURE_CAPACITY`](crate::SIGNATURE_CAPACITY) bytes (an empty
    /// one would read as a request for the peer's).
    pub fn with_signature(mut self, signature: &[u8]) -> Result<Self, Error> {
        match Signature::new(signature) {
            Some(held) if !held.is_empty() => {
                self.signature = held;
                Ok(self)
            }
            _ => Err(Error::InvalidSignature),
        }
    }

    /// How long to wait for COM-PORT-OPTION to be agreed.
    pub fn with_negotiation_timeout(mut self, timeout: Duration) -> Self {
        self.negotiation_timeout_ms = millis(timeout);
        self
    }

    /// How long to wait for COM-PORT-OPTION to be agreed.
    pub fn negotiation_timeout(&self) -> Duration {
        Duration::from_millis(self.negotiation_timeout_ms.into())
    }

    /// The signature this end sends when asked.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }
}

fn default_signature() -> Signature {
    Signature::new(DEFAULT_SIGNATURE).unwrap_or(Signature::EMPTY)
}

fn millis(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::SIGNATURE_CAPACITY;

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
