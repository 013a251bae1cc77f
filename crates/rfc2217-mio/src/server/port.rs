//! One served device: its listener, its settings, the device while it is
//! open, and which client has it.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use log::{info, warn};
use mio::net::TcpListener;
use mio::{Registry, Token};
use rfc2217_proto::Purge;

use super::config::PortConfig;
use super::device::PortDevice;

pub(crate) struct Port {
    pub(crate) listener: TcpListener,
    pub(crate) local_addr: SocketAddr,
    pub(crate) config: PortConfig,
    /// The open device; `None` until opened, and after it failed.
    pub(crate) device: Option<PortDevice>,
    /// The connection being served.
    pub(crate) active: Option<usize>,
}

impl Port {
    /// Listens on `addr` (the first of its addresses that binds).
    pub(crate) fn bind(addr: impl ToSocketAddrs, config: PortConfig) -> io::Result<Port> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener);
        Ok(Port {
            local_addr: listener.local_addr()?,
            listener,
            config,
            device: None,
            active: None,
        })
    }

    /// Opens the device unless it is open: its defaults are applied and its
    /// file descriptor, if any, is registered under `token`.
    pub(crate) fn open_device(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        if self.device.is_some() {
            return Ok(());
        }
        let mut device = PortDevice::open(&self.config.device)?;
        device.restore(&self.config.defaults)?;
        device.register(registry, token)?;
        info!("opened {}", device.name());
        self.device = Some(device);
        Ok(())
    }

    /// Takes the device back from a client that left: restored for the
    /// next one, or, if it failed or cannot be restored, closed so that
    /// the next client opens it again.
    pub(crate) fn give_back(&mut self, registry: &Registry, device_failed: bool) {
        let Some(device) = &mut self.device else {
            return;
        };
        if device_failed {
            warn!(
                "{}: dropped after an error; it is opened again for the next client",
                device.name()
            );
        } else {
            let restored = device
                .purge(Purge::Both)
                .and_then(|()| device.restore(&self.config.defaults));
            match restored {
                Ok(()) => return,
                Err(error) => warn!(
                    "{}: restoring the defaults failed ({error}); it is opened again for the next client",
                    device.name()
                ),
            }
        }
        self.close_device(registry);
    }

    pub(crate) fn close_device(&mut self, registry: &Registry) {
        if let Some(mut device) = self.device.take() {
            device.deregister(registry);
        }
    }
}
