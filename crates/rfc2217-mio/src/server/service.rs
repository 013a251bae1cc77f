//! One served device: its listener, its settings, the device while it is
//! open, and which client has it.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use mio::net::TcpListener;
#[cfg(unix)]
use mio::unix::SourceFd;
#[cfg(unix)]
use mio::Interest;
use mio::{Registry, Token};
use rfc2217_device::Device;
use rfc2217_server::{DeviceSlot, ServerConfig};

pub(crate) struct Service {
    pub(crate) listener: TcpListener,
    pub(crate) local_addr: SocketAddr,
    pub(crate) config: ServerConfig,
    pub(crate) slot: DeviceSlot,
    /// The connection being served.
    pub(crate) active: Option<usize>,
}

impl Service {
    /// Listens on `addr` (the first of its addresses that binds).
    pub(crate) fn bind(addr: impl ToSocketAddrs, config: ServerConfig) -> io::Result<Service> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener);
        Ok(Service {
            local_addr: listener.local_addr()?,
            listener,
            config,
            slot: DeviceSlot::default(),
            active: None,
        })
    }

    /// Opens the device unless it is open, and registers it.
    pub(crate) fn open_device(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        if self.slot.open(&self.config)? {
            self.register_device(registry, token)?;
        }
        Ok(())
    }

    /// Registers the device just opened under `token`, edge-triggered, if
    /// it has a descriptor. A device without one needs no registration: its
    /// data changes only through the connection's own calls (see
    /// [`Device`]).
    #[cfg_attr(not(unix), allow(unused_variables))]
    pub(crate) fn register_device(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        #[cfg(unix)]
        if let Some(fd) = self.slot.device_mut().and_then(|device| device.as_raw_fd()) {
            let interest = Interest::READABLE | Interest::WRITABLE;
            registry.register(&mut SourceFd(&fd), token, interest)?;
        }
        Ok(())
    }

    /// Takes the device back from a client that left (see
    /// [`DeviceSlot::give_back`]).
    pub(crate) fn give_back(&mut self, registry: &Registry, device_failed: bool) {
        let closed = self.slot.give_back(&self.config, device_failed);
        deregister(registry, closed);
    }

    pub(crate) fn close_device(&mut self, registry: &Registry) {
        deregister(registry, self.slot.close());
    }
}

/// Stops waiting on a closed device's descriptor before it is dropped.
#[cfg_attr(not(unix), allow(unused_variables))]
fn deregister(registry: &Registry, closed: Option<Box<dyn Device>>) {
    #[cfg(unix)]
    if let Some(fd) = closed.as_ref().and_then(|device| device.as_raw_fd()) {
        let _ = registry.deregister(&mut SourceFd(&fd));
    }
}
