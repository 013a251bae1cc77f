//! Our servers for pyserial's client: the blocking server and the mio
//! server in this process (started by the test kit, as our tests start
//! them), and the CLI's `rfc2217 serve` as a child process (built first),
//! each serving a pty on a free loopback address.

use std::env;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::thread::JoinHandle;
use std::time::Duration;

use rfc2217_device::PtyPair;
use rfc2217_server::ServerConfig;
use rfc2217_testkit::{ServerKind, TestServer};

use super::process_io::{lines_of, read_all, tail, wait_for};
use crate::paths;

/// How long `rfc2217 serve` may take to print its URL, and to exit after
/// SIGTERM.
const PROCESS_WAIT: Duration = Duration::from_secs(5);

/// Which of our servers the client talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Server {
    /// `rfc2217_blocking::Server` or `rfc2217_mio::Server`, in this process.
    InProcess(ServerKind),
    /// `rfc2217 serve`.
    Cli,
}

impl Server {
    /// Every server, in report order.
    pub(super) const ALL: [Server; 3] = [
        Server::InProcess(ServerKind::Thread),
        Server::InProcess(ServerKind::Mio),
        Server::Cli,
    ];

    /// The server's half of a cell's peer.
    pub(super) fn name(self) -> &'static str {
        match self {
            Server::InProcess(ServerKind::Thread) => "blocking-server",
            Server::InProcess(ServerKind::Mio) => "mio-server",
            Server::Cli => "cli-serve",
        }
    }

    /// The cells' peer: the pairing.
    pub(super) fn peer(self) -> String {
        format!("pyserial-client/{}", self.name())
    }
}

/// Builds the CLI; returns the path of its binary.
pub(super) fn build_cli() -> Result<PathBuf, String> {
    let root = paths::workspace_root();
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(&root)
        .args(["build", "--quiet", "-p", "rfc2217-cli"])
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run cargo to build rfc2217-cli: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo build -p rfc2217-cli` failed ({}): {}",
            output.status,
            tail(&output.stderr)
        ));
    }
    Ok(paths::target_dir().join("debug").join("rfc2217"))
}

/// One of our servers, serving a pty on a free loopback address.
pub(super) enum Running {
    /// The blocking server or the mio server, on threads of this process.
    InProcess(TestServer),
    /// `rfc2217 serve`, a child process.
    Cli {
        /// Where it listens, as it printed.
        addr: SocketAddr,
        child: Child,
        stderr: JoinHandle<Vec<u8>>,
        /// Kept so that the CLI's later output still has a reader.
        _stdout: Receiver<String>,
    },
}

impl Running {
    /// Starts `server` on `pair`; `cli` is the CLI binary, if it could be built.
    pub(super) fn start(
        server: Server,
        pair: &PtyPair,
        cli: &Result<PathBuf, String>,
    ) -> Result<Running, String> {
        const ANY_ADDRESS: &str = "127.0.0.1:0";
        match server {
            Server::InProcess(kind) => kind
                .try_start(ServerConfig::new(pair.spec()))
                .map(Running::InProcess)
                .map_err(|error| format!("cannot start the {kind}: {error}")),
            Server::Cli => {
                Running::start_cli(cli.as_ref().map_err(Clone::clone)?, pair, ANY_ADDRESS)
            }
        }
    }

    /// Where the server listens.
    pub(super) fn addr(&self) -> SocketAddr {
        match self {
            Running::InProcess(running) => running.local_addr(),
            Running::Cli { addr, .. } => *addr,
        }
    }

    /// `rfc2217 serve --listen LISTEN DEVICE`; the address is read from
    /// the line it prints.
    fn start_cli(binary: &Path, pair: &PtyPair, listen: &str) -> Result<Running, String> {
        let mut child = Command::new(binary)
            .args(["serve", "--listen", listen, pair.path()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| format!("cannot run {}: {error}", binary.display()))?;
        let stdout = lines_of(child.stdout.take().expect("piped"));
        let stderr = read_all(child.stderr.take().expect("piped"));
        let line = stdout.recv_timeout(PROCESS_WAIT);
        match line.as_deref().ok().and_then(served_addr) {
            Some(addr) => Ok(Running::Cli {
                addr,
                child,
                stderr,
                _stdout: stdout,
            }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                let printed = match line {
                    Ok(line) => format!("printed {line:?}"),
                    Err(_) => format!("printed no URL within {PROCESS_WAIT:?}"),
                };
                Err(format!(
                    "`rfc2217 serve` {printed}: {}",
                    tail(&stderr.join().unwrap_or_default())
                ))
            }
        }
    }

    /// Stops the server; says what went wrong on the way, if anything.
    pub(super) fn stop(self) -> Option<String> {
        match self {
            Running::InProcess(running) => {
                let kind = running.kind();
                running
                    .shutdown()
                    .err()
                    .map(|error| format!("the {kind} stopped with an error: {error}"))
            }
            Running::Cli {
                mut child, stderr, ..
            } => {
                let signalled = Command::new("kill")
                    .args(["-TERM", &child.id().to_string()])
                    .status();
                let trouble = match wait_for(&mut child, PROCESS_WAIT) {
                    Some(status) if status.success() => None,
                    Some(status) => Some(format!(
                        "`rfc2217 serve` exited with {status} after SIGTERM"
                    )),
                    None => {
                        let _ = child.kill();
                        let _ = child.wait();
                        Some(format!(
                            "`rfc2217 serve` did not exit within {PROCESS_WAIT:?} of SIGTERM \
                             ({signalled:?}) and was killed"
                        ))
                    }
                };
                trouble.map(|trouble| {
                    format!("{trouble}: {}", tail(&stderr.join().unwrap_or_default()))
                })
            }
        }
    }
}

/// The address in the line `rfc2217 serve` prints for a device:
/// `rfc2217://ADDR serves DEVICE`.
fn served_addr(line: &str) -> Option<SocketAddr> {
    let (url, _device) = line.strip_prefix("rfc2217://")?.split_once(" serves ")?;
    url.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_address_is_read_from_its_line() {
        assert_eq!(
            served_addr("rfc2217://127.0.0.1:40123 serves /dev/pts/7"),
            Some("127.0.0.1:40123".parse().unwrap())
        );
        assert_eq!(served_addr("rfc2217://127.0.0.1:40123"), None);
        assert_eq!(served_addr("listening on 127.0.0.1:40123 serves x"), None);
    }
}
