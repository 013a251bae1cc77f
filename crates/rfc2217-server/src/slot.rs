//! The device of a served address, kept open between clients.

use std::io;

use log::{info, warn};
use rfc2217_device::Device;
use rfc2217_proto::Purge;

use crate::ServerConfig;

/// The device while it is open, and how it passes from client to client.
///
/// It is opened (and given the configured defaults) when the server starts
/// or, failing that, when a client comes. When a client leaves it is
/// purged and restored for the next one; a device that failed, or cannot
/// be restored, is closed, and the next client opens it afresh.
#[derive(Default)]
pub struct DeviceSlot {
    device: Option<Box<dyn Device>>,
}

impl DeviceSlot {
    /// Opens the device unless it is open, with `config`'s defaults
    /// applied. Returns true if it was opened now (a driver registers its
    /// descriptor then).
    pub fn open(&mut self, config: &ServerConfig) -> io::Result<bool> {
        if self.device.is_some() {
            return Ok(false);
        }
        let mut device = config.device.open()?;
        device.restore(&config.defaults)?;
        info!("opened {}", device.name());
        self.device = Some(device);
        Ok(true)
    }

    /// Opens the device when the server starts, to report a bad device
    /// early; if it cannot, logs a warning (clients will try again).
    pub fn open_early(&mut self, config: &ServerConfig) -> io::Result<bool> {
        let opened = self.open(config);
        if let Err(error) = &opened {
            warn!(
                "cannot open {} yet ({error}); trying again when a client connects",
                config.describe_device()
            );
        }
        opened
    }

    /// The open device.
    pub fn device_mut(&mut self) -> Option<&mut (dyn Device + 'static)> {
        self.device.as_deref_mut()
    }

    /// Takes the open device out, for a driver that serves it away from the
    /// slot (the thread server's connection thread, which holds no lock
    /// while it waits); it comes back through [`take_back`](Self::take_back).
    pub fn lend(&mut self) -> Option<Box<dyn Device>> {
        self.device.take()
    }

    /// Takes a lent device back from a client that left, as
    /// [`give_back`](Self::give_back) does.
    #[must_use = "a closed device is returned to be dropped"]
    pub fn take_back(
        &mut self,
        config: &ServerConfig,
        device: Box<dyn Device>,
        device_failed: bool,
    ) -> Option<Box<dyn Device>> {
        self.device = Some(device);
        self.give_back(config, device_failed)
    }

    /// Takes the device back from a client that left: purged and restored
    /// for the next one, or, if it failed or cannot be restored, closed.
    /// Returns a closed device, for the driver to stop waiting on its
    /// descriptor before dropping it.
    #[must_use = "a closed device is returned to be dropped"]
    pub fn give_back(
        &mut self,
        config: &ServerConfig,
        device_failed: bool,
    ) -> Option<Box<dyn Device>> {
        let device = self.device.as_mut()?;
        if device_failed {
            warn!(
                "{}: dropped after an error; it is opened again for the next client",
                device.name()
            );
        } else {
            let restored = device
                .purge(Purge::Both)
                .and_then(|()| device.restore(&config.defaults));
            match restored {
                Ok(()) => return None,
                Err(error) => warn!(
                    "{}: restoring the defaults failed ({error}); it is opened again for the next client",
                    device.name()
                ),
            }
        }
        self.close()
    }

    /// Closes the device (the server stops); returns it to be dropped.
    #[must_use = "a closed device is returned to be dropped"]
    pub fn close(&mut self) -> Option<Box<dyn Device>> {
        self.device.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rfc2217_device::Loopback;
    use rfc2217_proto::{Command, Control};
    use std::sync::{Arc, Mutex};

    #[test]
    fn a_device_is_restored_between_clients_lent_or_not_and_reopened_after_a_failure() {
        let handles = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&handles);
        let config = ServerConfig::new(move || {
            let device = Loopback::new();
            record.lock().unwrap().push(device.clone());
            Ok(Box::new(device) as Box<dyn Device>)
        });
        let mut slot = DeviceSlot::default();
        assert!(slot.open(&config).unwrap());
        assert!(!slot.open(&config).unwrap());
        let device = slot.device_mut().unwrap();
        device.apply(Command::SetControl(Control::DtrOn)).unwrap();
        device.write(b"left over").unwrap();
        assert!(slot.give_back(&config, false).is_none());
        let device = slot.device_mut().unwrap();
        let dtr = device.apply(Command::SetControl(Control::QueryDtr));
        assert_eq!(dtr.unwrap(), Command::SetControl(Control::DtrOff));
        assert_eq!(device.read(&mut [0; 16]).unwrap(), 0, "purged");
        let mut lent = slot.lend().unwrap();
        assert!(slot.device_mut().is_none(), "lent out");
        lent.apply(Command::SetControl(Control::DtrOn)).unwrap();
        assert!(slot.take_back(&config, lent, false).is_none());
        let device = slot.device_mut().unwrap();
        let dtr = device.apply(Command::SetControl(Control::QueryDtr));
        assert_eq!(dtr.unwrap(), Command::SetControl(Control::DtrOff));
        assert!(slot.give_back(&config, true).is_some());
        assert!(slot.device_mut().is_none());
        assert!(slot.open(&config).unwrap());
        assert_eq!(handles.lock().unwrap().len(), 2);
    }
}
