//! The live third-party servers: ser2net, sredird (behind socat, inetd
//! style) and our small server on pyserial's `PortManager`
//! (`conformance/peers/pyserial_server.py`).
//!
//! [`RunningServer::start`] gives each server a pty pair of its own and a
//! free port on 127.0.0.1, runs it in its own process group with its output
//! in a temporary directory, and waits until it listens. Readiness is seen
//! without connecting: every connection to sredird starts a sredird that
//! takes the device's lock, and ser2net serves one client at a time, so a
//! probe connection could still hold the device when the test connects.
//! Dropping the [`RunningServer`] ends the whole process group.
//!
//! `conformance/install-peers.sh` installs the servers (as root).

mod loopback;
mod process;
mod tools;

use std::fmt;
use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::thread;
use std::time::{Duration, Instant};

use rfc2217_device::PtyPair;

use process::{Process, TempDir};
use tools::Tools;

/// How long a server may take to listen.
const READY_TIMEOUT: Duration = Duration::from_secs(5);
/// How often readiness and exit are polled.
const POLL: Duration = Duration::from_millis(20);

/// A third-party RFC 2217 server we test against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Server {
    /// ser2net 4 (gensio), `telnet(rfc2217)` accepter.
    Ser2net,
    /// sredird 2, run per connection by socat as inetd would.
    Sredird,
    /// `conformance/peers/pyserial_server.py` on pyserial 3.5's `PortManager`.
    Pyserial,
}

impl Server {
    /// Every server, in report order.
    pub(crate) const ALL: [Server; 3] = [Server::Ser2net, Server::Sredird, Server::Pyserial];

    /// "ser2net", "sredird", "pyserial"
    pub(crate) fn name(self) -> &'static str {
        match self {
            Server::Ser2net => "ser2net",
            Server::Sredird => "sredird",
            Server::Pyserial => "pyserial",
        }
    }

    /// The server called `name` (as [`name`](Self::name) spells it).
    pub(crate) fn from_name(name: &str) -> Option<Server> {
        Server::ALL.into_iter().find(|server| server.name() == name)
    }
}

/// A live server serving one end of its own pty pair on 127.0.0.1.
pub(crate) struct RunningServer {
    /// Which server this is.
    pub(crate) server: Server,
    /// Where it listens.
    pub(crate) address: SocketAddr,
    /// The served pty: the server opens `device.path()`, the test drives `device.far_end`.
    pub(crate) device: PtyPair,
    /// What the server says it is, e.g. "ser2net 4.3.11", "sredird 2.2.1", "pyserial 3.5".
    pub(crate) version: String,
    process: Process,
}

impl RunningServer {
    /// Starts `server` on a new pty pair and a free port, and waits (up to
    /// 5 s) until it listens.
    pub(crate) fn start(server: Server) -> Result<RunningServer, StartError> {
        let tools = Tools::find(server)?;
        let device = PtyPair::new()
            .map_err(|error| StartError::Failed(format!("cannot open a pty pair: {error}")))?;
        let dir = TempDir::new(server).map_err(|error| {
            StartError::Failed(format!("cannot create a temporary directory: {error}"))
        })?;
        let port = loopback::free_port()
            .map_err(|error| StartError::Failed(format!("cannot find a free port: {error}")))?;
        let mut command = tools.command(port, device.path(), &dir.0)?;
        let process = Process::spawn(&mut command, dir).map_err(|error| {
            StartError::Failed(format!("cannot start {}: {error}", tools.program.display()))
        })?;
        let running = RunningServer {
            server,
            address: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            device,
            version: tools.version,
            process,
        };
        running.wait_until_ready()?;
        Ok(running)
    }

    /// The server's stderr/log so far, for failure messages.
    pub(crate) fn log(&self) -> String {
        self.process.log()
    }

    fn wait_until_ready(&self) -> Result<(), StartError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if self.is_ready() {
                return Ok(());
            }
            let name = self.server.name();
            if !self.process.is_running() {
                return Err(StartError::Failed(format!(
                    "{name} exited before it listened on {}; its log:\n{}",
                    self.address,
                    self.log()
                )));
            }
            if Instant::now() >= deadline {
                return Err(StartError::Failed(format!(
                    "{name} did not listen on {} within {} s; its log:\n{}",
                    self.address,
                    READY_TIMEOUT.as_secs(),
                    self.log()
                )));
            }
            thread::sleep(POLL);
        }
    }

    fn is_ready(&self) -> bool {
        match self.server {
            // It prints `ready` once it listens.
            Server::Pyserial => self.log().lines().any(|line| line == "ready"),
            Server::Ser2net | Server::Sredird => fs::read_to_string("/proc/net/tcp")
                .is_ok_and(|table| loopback::listens(&table, self.address.port())),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        // Before `device` goes: the server may still hold the pty.
        self.process.stop();
    }
}

/// Why a server could not be started.
#[derive(Debug)]
pub(crate) enum StartError {
    /// Not installed here; the text names what is missing and says to run conformance/install-peers.sh as root.
    Missing(String),
    /// Installed but did not come up; the text says why (include its log).
    Failed(String),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Missing(text) | StartError::Failed(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for StartError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for server in Server::ALL {
            assert_eq!(Server::from_name(server.name()), Some(server));
        }
        assert_eq!(Server::from_name("sredird"), Some(Server::Sredird));
        assert_eq!(Server::from_name("SER2NET"), None);
        assert_eq!(Server::from_name(""), None);
    }
}
