//! The log of what a client does that needs no device call: one place for
//! both servers' event logging.

use log::{debug, info};
use rfc2217_proto::ServerEvent;

use super::Connection;

impl Connection {
    /// Logs an event that asks nothing of the device: at info what an
    /// operator wants to see (a client without COM-PORT-OPTION, its
    /// signature), at debug the rest.
    pub(super) fn log_event(&self, event: &ServerEvent) {
        let peer = self.peer;
        match event {
            ServerEvent::TelnetCommand(command) => debug!("{peer}: Telnet {command} ignored"),
            ServerEvent::ComPortActive => debug!("{peer}: COM-PORT-OPTION agreed"),
            ServerEvent::ComPortUnavailable(why) => {
                info!("{peer}: no COM-PORT-OPTION ({why}); serving plain data");
            }
            ServerEvent::Signature(signature) => {
                info!("{peer}: client signature \"{signature}\"");
            }
            ServerEvent::Suspended => debug!("{peer}: client suspended our data"),
            ServerEvent::Resumed => debug!("{peer}: client resumed our data"),
            ServerEvent::PeerViolation(violation) => debug!("{peer}: bad input: {violation}"),
            ServerEvent::OptionChanged {
                option,
                side,
                enabled,
            } => debug!("{peer}: {option} {side:?} enabled={enabled}"),
            other => debug!("{peer}: {other:?} ignored"),
        }
    }
}
