//! The data scenarios' payloads, also as files for the script (it reads
//! what to write from one and puts what it read in another), in a
//! temporary directory of their own.

use std::env;
use std::fs;
use std::io;
use std::path::PathBuf;
use std::process;

use crate::device;

/// The size of each data scenario's payload.
const DATA_LEN: usize = 1 << 20;
const TO_DEVICE_SEED: u64 = 0x2217_0001;
const FROM_DEVICE_SEED: u64 = 0x2217_0002;

/// The payloads and their files; the directory is removed on drop.
pub(super) struct Payloads {
    /// The directory, also for what the script receives.
    pub(super) dir: PathBuf,
    /// What the client writes to the device.
    pub(super) to_device: Vec<u8>,
    /// What the device sends to the client.
    pub(super) from_device: Vec<u8>,
    /// `to_device`, for the script.
    pub(super) to_device_file: PathBuf,
    /// `from_device`, for the script (which checks nothing: we do).
    pub(super) from_device_file: PathBuf,
}

impl Payloads {
    /// Makes the payloads and writes their files.
    pub(super) fn create() -> io::Result<Payloads> {
        let dir = env::temp_dir().join(format!("rfc2217-pyserial-client-{}", process::id()));
        fs::create_dir_all(&dir)?;
        let payloads = Payloads {
            to_device: device::payload(TO_DEVICE_SEED, DATA_LEN),
            from_device: device::payload(FROM_DEVICE_SEED, DATA_LEN),
            to_device_file: dir.join("to-device.bin"),
            from_device_file: dir.join("from-device.bin"),
            dir,
        };
        fs::write(&payloads.to_device_file, &payloads.to_device)?;
        fs::write(&payloads.from_device_file, &payloads.from_device)?;
        Ok(payloads)
    }
}

impl Drop for Payloads {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}
