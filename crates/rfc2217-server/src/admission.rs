//! Who is served: the address filter, the second-client policy, and the
//! line a refused client is told.

use std::io;
use std::net::SocketAddr;

use log::{info, warn};

use crate::{SecondClient, ServerConfig};

/// The line a second client gets under [`SecondClient::Refuse`].
pub const BUSY_MESSAGE: &str = "port busy: another client is connected\r\n";

/// What to do with a client that just connected.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// Serve it (once the device is open; see [`DeviceSlot`](crate::DeviceSlot)).
    Serve,
    /// Close its connection at once, without a word: its address is not
    /// allowed.
    Drop,
    /// Tell it why in one line, then close its connection.
    Refuse(Refusal),
    /// End the connected client's connection for `reason`, then serve the
    /// newcomer.
    KickOld {
        /// Why the old connection ends, for its log line.
        reason: String,
    },
}

/// Decides, and logs, what happens to the client at `peer` while the one
/// at `served` (if any) is being served. A driver that knows the served
/// client hung up ends that connection first and passes `None`: a client
/// that left does not keep a newcomer out.
pub fn admit(config: &ServerConfig, peer: SocketAddr, served: Option<SocketAddr>) -> Admission {
    if !config.allows(peer.ip()) {
        info!("{peer} refused: address not allowed");
        return Admission::Drop;
    }
    let Some(old) = served else {
        return Admission::Serve;
    };
    match config.second_client {
        SecondClient::Refuse => {
            info!("{peer} refused: {old} has the device");
            Admission::Refuse(Refusal::busy())
        }
        SecondClient::KickOld => {
            info!("{peer} takes the device over from {old}");
            Admission::KickOld {
                reason: format!("{peer} took the device over"),
            }
        }
    }
}

/// The line a refused client is sent before its connection is closed (see
/// [`let_go`](crate::let_go)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    message: String,
}

impl Refusal {
    /// Another client has the device ([`BUSY_MESSAGE`]).
    pub fn busy() -> Refusal {
        Refusal {
            message: BUSY_MESSAGE.to_owned(),
        }
    }

    /// The device cannot be opened; logs why.
    pub fn device_unavailable(config: &ServerConfig, peer: SocketAddr, error: &io::Error) -> Self {
        warn!(
            "{peer} refused: cannot open {}: {error}",
            config.describe_device()
        );
        Refusal {
            message: format!("device unavailable: {error}\r\n"),
        }
    }

    /// The line, with its CR LF.
    pub fn message(&self) -> &[u8] {
        self.message.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_second_client_is_refused_or_takes_over_as_configured() {
        let newcomer = addr("127.0.0.1:2000");
        let old = Some(addr("127.0.0.1:1000"));
        let refuse = ServerConfig::loopback();
        assert_eq!(admit(&refuse, newcomer, None), Admission::Serve);
        assert_eq!(
            admit(&refuse, newcomer, old),
            Admission::Refuse(Refusal::busy())
        );
        let kick = refuse.with_second_client(SecondClient::KickOld);
        assert!(matches!(
            admit(&kick, newcomer, old),
            Admission::KickOld { reason } if reason.contains("127.0.0.1:2000")
        ));
    }

    #[test]
    fn an_address_not_allowed_is_dropped_before_anything_else() {
        let config = ServerConfig::loopback().with_client_filter(|_| false);
        assert_eq!(
            admit(&config, addr("127.0.0.1:2000"), None),
            Admission::Drop
        );
    }

    #[test]
    fn a_device_that_cannot_open_is_named_in_the_refusal() {
        let error = io::Error::new(io::ErrorKind::NotFound, "/dev/ttyX: gone");
        let refusal =
            Refusal::device_unavailable(&ServerConfig::loopback(), addr("127.0.0.1:1"), &error);
        assert_eq!(
            refusal.message(),
            b"device unavailable: /dev/ttyX: gone\r\n"
        );
    }
}
