//! Which device to serve, in a form that can open it again after it failed.

use std::fmt;
use std::io;
use std::str::FromStr;

use crate::{Device, Loopback, SerialDevice};

/// Opens the device a server serves: once at start, and again whenever the
/// device failed, for the next client.
///
/// [`DeviceSpec`] is the usual one; any
/// `Fn() -> io::Result<Box<dyn Device>>` closure is one too, for devices of
/// your own (tests use it to keep a handle on each [`Loopback`] opened).
pub trait DeviceOpener: Send + Sync + 'static {
    /// Opens the device.
    fn open(&self) -> io::Result<Box<dyn Device>>;

    /// What is opened, for logs.
    fn describe(&self) -> String;
}

impl<F> DeviceOpener for F
where
    F: Fn() -> io::Result<Box<dyn Device>> + Send + Sync + 'static,
{
    fn open(&self) -> io::Result<Box<dyn Device>> {
        self()
    }

    fn describe(&self) -> String {
        "custom device".to_owned()
    }
}

/// A device named as on a command line: `loop://` for a [`Loopback`], or
/// the path of a serial port (`/dev/ttyUSB0`, `COM3`, a pty's `/dev/pts/N`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DeviceSpec {
    /// `loop://`: a fresh [`Loopback`] at every open.
    Loopback,
    /// A serial port opened with the `serialport` crate.
    Path(String),
}

/// The spelling of [`DeviceSpec::Loopback`].
const LOOPBACK: &str = "loop://";

impl FromStr for DeviceSpec {
    type Err = io::Error;

    /// `loop://` (any case) or a non-empty path.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.eq_ignore_ascii_case(LOOPBACK) {
            Ok(DeviceSpec::Loopback)
        } else if text.is_empty() {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "empty device: give a serial port path or loop://",
            ))
        } else if text.contains("://") {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown device URL {text:?}: only loop:// is served; give a path for a serial port"),
            ))
        } else {
            Ok(DeviceSpec::Path(text.to_owned()))
        }
    }
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSpec::Loopback => f.write_str(LOOPBACK),
            DeviceSpec::Path(path) => f.write_str(path),
        }
    }
}

impl DeviceOpener for DeviceSpec {
    fn open(&self) -> io::Result<Box<dyn Device>> {
        Ok(match self {
            DeviceSpec::Loopback => Box::new(Loopback::new()),
            DeviceSpec::Path(path) => Box::new(SerialDevice::open(path)?),
        })
    }

    fn describe(&self) -> String {
        self.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_and_paths_parse_and_print_back() {
        assert_eq!(
            "loop://".parse::<DeviceSpec>().unwrap(),
            DeviceSpec::Loopback
        );
        assert_eq!(
            "LOOP://".parse::<DeviceSpec>().unwrap(),
            DeviceSpec::Loopback
        );
        let path: DeviceSpec = "/dev/ttyUSB0".parse().unwrap();
        assert_eq!(path, DeviceSpec::Path("/dev/ttyUSB0".into()));
        assert_eq!(path.to_string(), "/dev/ttyUSB0");
        assert_eq!(DeviceSpec::Loopback.to_string(), "loop://");
    }

    #[test]
    fn empty_specs_and_unknown_urls_are_refused() {
        assert!("".parse::<DeviceSpec>().is_err());
        assert!("rfc2217://host:1".parse::<DeviceSpec>().is_err());
    }

    #[test]
    fn a_missing_path_fails_to_open_with_its_name() {
        let spec = DeviceSpec::Path("/nonexistent/tty".into());
        let error = spec.open().err().unwrap();
        assert!(error.to_string().contains("/nonexistent/tty"), "{error}");
    }
}
