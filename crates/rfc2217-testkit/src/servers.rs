//! Our two servers, started alike, so that a client scenario runs against
//! each.

use std::net::SocketAddr;

use rfc2217_blocking::{DeviceSpec, ServerConfig};
use rfc2217_client::Settings;
use rfc2217_mio::PortConfig;

/// Which of our servers a scenario runs against.
#[derive(Clone, Copy, Debug)]
pub enum ServerKind {
    /// The thread server (`rfc2217-blocking`).
    Blocking,
    /// The one-thread event-loop server (`rfc2217-mio`).
    Mio,
}

/// A running server of either kind; dropping it stops it.
pub enum AnyServer {
    /// The thread server.
    Blocking(rfc2217_blocking::RunningServer),
    /// The event-loop server.
    Mio(rfc2217_mio::RunningServer),
}

impl ServerKind {
    /// A server for `loop://` on a free port of 127.0.0.1.
    pub fn start(self) -> AnyServer {
        self.serve(DeviceSpec::Loopback)
    }

    /// A server for `loop://` whose device starts at (and is restored
    /// to) `defaults`.
    pub fn start_with_defaults(self, defaults: Settings) -> AnyServer {
        self.launch(DeviceSpec::Loopback, Some(defaults))
    }

    /// A server for `device` on a free port of 127.0.0.1.
    pub fn serve(self, device: DeviceSpec) -> AnyServer {
        self.launch(device, None)
    }

    fn launch(self, device: DeviceSpec, defaults: Option<Settings>) -> AnyServer {
        let _ = env_logger::builder().is_test(true).try_init();
        match self {
            ServerKind::Blocking => {
                let mut config = ServerConfig::new(device);
                if let Some(defaults) = defaults {
                    config = config.with_defaults(defaults);
                }
                AnyServer::Blocking(
                    rfc2217_blocking::Server::bind("127.0.0.1:0", config)
                        .and_then(rfc2217_blocking::Server::spawn)
                        .expect("a thread server on 127.0.0.1"),
                )
            }
            ServerKind::Mio => {
                let mut config = PortConfig::new(device);
                if let Some(defaults) = defaults {
                    config = config.with_defaults(defaults);
                }
                let mut server = rfc2217_mio::Server::new().expect("a mio poll");
                server
                    .add_port("127.0.0.1:0", config)
                    .expect("a listener on 127.0.0.1");
                AnyServer::Mio(server.spawn().expect("the mio server's thread"))
            }
        }
    }
}

impl AnyServer {
    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        match self {
            AnyServer::Blocking(server) => server.local_addr(),
            AnyServer::Mio(server) => server.local_addr(),
        }
    }

    /// Stops the server; its clients see the connection end.
    pub fn shutdown(self) {
        match self {
            AnyServer::Blocking(server) => server.shutdown().expect("the thread server stops"),
            AnyServer::Mio(server) => server.shutdown().expect("the mio server stops"),
        }
    }
}
