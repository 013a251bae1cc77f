//! Both servers behind one switch, so a server scenario is written once and
//! run against each.

use std::fmt;
use std::io;
use std::net::SocketAddr;

use rfc2217_mio::ServerStats;
use rfc2217_server::ServerConfig;

/// Which server a scenario runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServerKind {
    /// `rfc2217_blocking::Server`: a thread per client.
    Thread,
    /// `rfc2217_mio::Server`: every client on one event loop.
    Mio,
}

impl ServerKind {
    /// Both servers.
    pub const ALL: [ServerKind; 2] = [ServerKind::Thread, ServerKind::Mio];

    /// Starts this server for `config` on a free TCP port of 127.0.0.1.
    pub fn start(self, config: ServerConfig) -> TestServer {
        self.start_many(vec![config])
    }

    /// Starts this server for each of `configs`, each on its own address
    /// (the mio server: one server; the thread server: one per device, as
    /// it serves one device).
    pub fn start_many(self, configs: Vec<ServerConfig>) -> TestServer {
        self.try_start_many(configs)
            .unwrap_or_else(|error| panic!("cannot start the {self}: {error}"))
    }

    /// Starts this server for `config`, or says why it could not: for
    /// callers that report a server that did not start instead of failing
    /// a test.
    pub fn try_start(self, config: ServerConfig) -> io::Result<TestServer> {
        self.try_start_many(vec![config])
    }

    /// [`start_many`](Self::start_many), with the error returned: what
    /// both starts share.
    fn try_start_many(self, configs: Vec<ServerConfig>) -> io::Result<TestServer> {
        let _ = env_logger::builder().is_test(true).try_init();
        let running = match self {
            ServerKind::Thread => Running::Thread(
                configs
                    .into_iter()
                    .map(|config| {
                        let server = rfc2217_blocking::Server::bind("127.0.0.1:0", config);
                        server.and_then(rfc2217_blocking::Server::spawn)
                    })
                    .collect::<io::Result<_>>()?,
            ),
            ServerKind::Mio => {
                let mut server = rfc2217_mio::Server::new()?;
                for config in configs {
                    server.add_device("127.0.0.1:0", config)?;
                }
                Running::Mio(server.spawn()?)
            }
        };
        Ok(TestServer {
            kind: self,
            running,
        })
    }

    /// The signature a server of this kind sends by default starts with
    /// this (its crate's name).
    pub fn signature_prefix(self) -> &'static str {
        match self {
            ServerKind::Thread => "rfc2217-blocking ",
            ServerKind::Mio => "rfc2217-mio ",
        }
    }
}

impl fmt::Display for ServerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ServerKind::Thread => "thread server",
            ServerKind::Mio => "mio server",
        })
    }
}

/// A server started by [`ServerKind::start`]; dropping it shuts it down.
pub struct TestServer {
    kind: ServerKind,
    running: Running,
}

enum Running {
    Thread(Vec<rfc2217_blocking::RunningServer>),
    Mio(rfc2217_mio::RunningServer),
}

impl TestServer {
    /// Which server this is.
    pub fn kind(&self) -> ServerKind {
        self.kind
    }

    /// The address of the first device.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addrs()[0]
    }

    /// The addresses of the devices, in the order of the configs.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        match &self.running {
            Running::Thread(servers) => servers.iter().map(|s| s.local_addr()).collect(),
            Running::Mio(server) => server.local_addrs().to_vec(),
        }
    }

    /// The mio server's counters (the thread server keeps none).
    pub fn mio_stats(&self) -> Option<ServerStats> {
        match &self.running {
            Running::Thread(_) => None,
            Running::Mio(server) => Some(server.stats()),
        }
    }

    /// Stops the server (every device) and waits for it.
    pub fn shutdown(self) -> io::Result<()> {
        match self.running {
            Running::Thread(servers) => servers.into_iter().try_for_each(|s| s.shutdown()),
            Running::Mio(server) => server.shutdown(),
        }
    }
}

/// Runs each named scenario, a `fn(ServerKind)`, against both servers:
/// tests `thread_server::NAME` and `mio_server::NAME`, so a failure names
/// the server.
#[macro_export]
macro_rules! on_both_servers {
    ($($scenario:ident),* $(,)?) => {
        mod thread_server {
            $(
                #[test]
                fn $scenario() {
                    super::$scenario($crate::ServerKind::Thread)
                }
            )*
        }
        mod mio_server {
            $(
                #[test]
                fn $scenario() {
                    super::$scenario($crate::ServerKind::Mio)
                }
            )*
        }
    };
}
