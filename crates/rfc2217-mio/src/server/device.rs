//! A port's device as the event loop drives it: the blocking crate's
//! [`Device`] and [`DeviceReader`], called so that nothing ever waits.
//!
//! Two kinds of device:
//!
//! * **In-process** (`loop://`, or a device of your own): its traits are
//!   called with a zero timeout. Such a device has no file descriptor to
//!   wait on, and needs none: its data can only change when the server
//!   writes to it or a modem poll looks at it, and the connection tries to
//!   read it after each of those.
//! * **Serial** (a path): the port is opened with `serialport`, its file
//!   descriptor made non-blocking and registered with `mio`, and data is
//!   read and written on it directly. Settings, control lines, purges and
//!   restores go through the blocking crate's `SerialDevice` on a
//!   duplicate of the descriptor, so a serial port is configured the same
//!   way by both servers.
//!
//! A break is started and ended with SET-CONTROL BREAK-ON / BREAK-OFF (the
//! connection times it), never with `Device::send_break`, which sleeps.

use std::io;
use std::time::Duration;

use mio::{Registry, Token};
use rfc2217_blocking::{Device, DeviceReader, DeviceSpec, Loopback};
use rfc2217_client::Settings;
use rfc2217_proto::{Command, Control, LineState, ModemState, Purge};

use super::config::DeviceSource;

/// A device, open and ready to be driven without waiting.
pub(crate) struct PortDevice {
    name: String,
    /// Settings, control lines, purges, restores; an in-process device's
    /// data is written here too.
    control: Box<dyn Device>,
    /// Modem lines and line state; an in-process device's data is read
    /// here too.
    lines: Box<dyn DeviceReader>,
    /// A serial port's data path, if the device is one.
    #[cfg(unix)]
    serial: Option<serial::Serial>,
}

impl PortDevice {
    /// Opens the device `source` names.
    pub(crate) fn open(source: &DeviceSource) -> io::Result<PortDevice> {
        match source {
            DeviceSource::Spec(DeviceSpec::Loopback) => {
                PortDevice::in_process(Box::new(Loopback::new()))
            }
            DeviceSource::Spec(DeviceSpec::Path(path)) => PortDevice::serial(path),
            DeviceSource::InProcess(opener) => PortDevice::in_process(opener.open()?),
        }
    }

    fn in_process(control: Box<dyn Device>) -> io::Result<PortDevice> {
        Ok(PortDevice {
            name: control.name(),
            lines: control.reader()?,
            control,
            #[cfg(unix)]
            serial: None,
        })
    }

    #[cfg(unix)]
    fn serial(path: &str) -> io::Result<PortDevice> {
        let (serial, control) = serial::Serial::open(path)?;
        Ok(PortDevice {
            name: control.name(),
            lines: control.reader()?,
            control,
            serial: Some(serial),
        })
    }

    #[cfg(not(unix))]
    fn serial(path: &str) -> io::Result<PortDevice> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("{path}: serial ports are served on Unix only"),
        ))
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Registers the device's file descriptor, if it has one, under `token`.
    #[cfg_attr(not(unix), allow(unused_variables))]
    pub(crate) fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        #[cfg(unix)]
        if let Some(serial) = &mut self.serial {
            serial.register(registry, token)?;
        }
        Ok(())
    }

    /// Undoes [`register`](Self::register) before the device is dropped.
    #[cfg_attr(not(unix), allow(unused_variables))]
    pub(crate) fn deregister(&mut self, registry: &Registry) {
        #[cfg(unix)]
        if let Some(serial) = &mut self.serial {
            serial.deregister(registry);
        }
    }

    /// Notes what an event on the device's token says is possible now.
    #[cfg_attr(not(unix), allow(unused_variables))]
    pub(crate) fn on_ready(&mut self, event: &mio::event::Event) {
        #[cfg(unix)]
        if let Some(serial) = &mut self.serial {
            serial.on_ready(event);
        }
    }

    /// Reads what the device received; `Ok(0)` if nothing is there now.
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(unix)]
        if let Some(serial) = &mut self.serial {
            return serial.read(buf, &self.name);
        }
        self.lines.read(buf, Duration::ZERO)
    }

    /// Writes what the device takes now; `Ok(0)` if it takes nothing.
    pub(crate) fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        #[cfg(unix)]
        if let Some(serial) = &mut self.serial {
            return serial.write(data, &self.name);
        }
        self.control.write(data, Duration::ZERO)
    }

    /// Applies a settings or SET-CONTROL request; returns the value in use.
    pub(crate) fn apply(&mut self, request: Command) -> io::Result<Command> {
        self.control.apply(request)
    }

    pub(crate) fn purge(&mut self, purge: Purge) -> io::Result<()> {
        self.control.purge(purge)
    }

    /// Starts or ends a break on the line.
    pub(crate) fn set_break(&mut self, on: bool) -> io::Result<()> {
        let control = if on {
            Control::BreakOn
        } else {
            Control::BreakOff
        };
        self.control.apply(Command::SetControl(control)).map(drop)
    }

    pub(crate) fn modem_lines(&mut self) -> io::Result<ModemState> {
        self.lines.modem_lines()
    }

    pub(crate) fn line_state(&mut self) -> io::Result<LineState> {
        self.lines.line_state()
    }

    /// Puts back `defaults`, DTR and RTS off, no break: how a new client
    /// expects to find the device.
    pub(crate) fn restore(&mut self, defaults: &Settings) -> io::Result<()> {
        self.control.restore(defaults)
    }
}

#[cfg(unix)]
mod serial {
    //! A serial port's file descriptor, non-blocking and registered with mio.

    use std::io;
    use std::os::fd::{AsRawFd, RawFd};

    use mio::unix::SourceFd;
    use mio::{Interest, Registry, Token};
    use nix::errno::Errno;
    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    use rfc2217_blocking::{Device, SerialDevice};
    use serialport::TTYPort;

    /// The data path of a serial port, and what mio last said of it.
    pub(super) struct Serial {
        port: TTYPort,
        /// Reads and writes are tried only while mio has not been seen to
        /// say otherwise: the registration is edge-triggered, so each flag
        /// is set by an event and cleared by `EAGAIN`.
        readable: bool,
        writable: bool,
    }

    impl Serial {
        /// Opens `path` exclusively, non-blocking; returns the data path
        /// and a `SerialDevice` on a duplicate descriptor for the rest.
        pub(super) fn open(path: &str) -> io::Result<(Serial, Box<dyn Device>)> {
            let port = serialport::new(path, 9600).open_native().map_err(|error| {
                let kind = io::Error::from(error.clone()).kind();
                io::Error::new(kind, format!("{path}: {error}"))
            })?;
            // The flag belongs to the open file, so it holds for the
            // duplicates too; `SerialDevice` never reads or writes data.
            fcntl(port.as_raw_fd(), FcntlArg::F_SETFL(OFlag::O_NONBLOCK))?;
            let control = port.try_clone_native().map_err(io::Error::from)?;
            let serial = Serial {
                port,
                readable: true,
                writable: true,
            };
            Ok((serial, Box::new(SerialDevice::new(Box::new(control)))))
        }

        fn fd(&self) -> RawFd {
            self.port.as_raw_fd()
        }

        pub(super) fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
            let interest = Interest::READABLE | Interest::WRITABLE;
            registry.register(&mut SourceFd(&self.fd()), token, interest)
        }

        pub(super) fn deregister(&mut self, registry: &Registry) {
            let _ = registry.deregister(&mut SourceFd(&self.fd()));
        }

        pub(super) fn on_ready(&mut self, event: &mio::event::Event) {
            // A hang-up or an error is reported by the next read or write.
            let failed = event.is_error();
            self.readable |= event.is_readable() || event.is_read_closed() || failed;
            self.writable |= event.is_writable() || event.is_write_closed() || failed;
        }

        pub(super) fn read(&mut self, buf: &mut [u8], name: &str) -> io::Result<usize> {
            while self.readable {
                match nix::unistd::read(self.fd(), buf) {
                    // Readable yet empty: the far end (of a pty) is gone.
                    Ok(0) if !buf.is_empty() => return Err(vanished(name)),
                    Ok(n) => return Ok(n),
                    Err(Errno::EAGAIN) => self.readable = false,
                    Err(Errno::EINTR) => {}
                    Err(errno) => return Err(io::Error::from(errno)),
                }
            }
            Ok(0)
        }

        pub(super) fn write(&mut self, data: &[u8], name: &str) -> io::Result<usize> {
            while self.writable {
                match nix::unistd::write(self.fd(), data) {
                    Ok(0) if !data.is_empty() => return Err(vanished(name)),
                    Ok(n) => return Ok(n),
                    Err(Errno::EAGAIN) => self.writable = false,
                    Err(Errno::EINTR) => {}
                    Err(errno) => return Err(io::Error::from(errno)),
                }
            }
            Ok(0)
        }
    }

    fn vanished(name: &str) -> io::Error {
        io::Error::new(
            io::ErrorKind::BrokenPipe,
            format!("{name}: device vanished"),
        )
    }
}
