//! A serial port through the `serialport` crate: a UART, a USB adapter or a
//! pty.

use std::io::{self, Read, Write};
use std::time::Duration;

use log::debug;
use rfc2217_client::{
    data_bits_from, data_bits_request, flow_control_from, flow_control_request, parity_from,
    parity_request, stop_bits_from, stop_bits_request,
};
use rfc2217_proto::{Command, Control, ControlGroup, ModemState, Purge};
use serialport::{ClearBuffer, FlowControl, SerialPort};

use super::{vanished, Device, DeviceReader};

/// A serial port opened with the `serialport` crate.
///
/// Settings are applied and then read back, so every answer is what the
/// port really uses: a pty, which forces 8 data bits and no parity, answers
/// a request for 7E1 with 8N1. Values the crate cannot express (mark and
/// space parity, 1.5 stop bits, DCD and DSR flow control) change nothing.
///
/// The crate sets one flow control for both directions, so the outbound
/// SET-CONTROL values (1-3) set it and the inbound ones (14-16, 18) only
/// report what it implies. The port cannot read back DTR, RTS or BREAK, so
/// their last levels are remembered. A port without modem lines (a pty,
/// where the ioctls fail with ENOTTY) reports no input lines and remembers
/// the DTR and RTS levels asked for. Line errors (framing, parity, overrun,
/// break detected) are not reported: the crate does not expose them.
pub struct SerialDevice {
    port: Box<dyn SerialPort>,
    name: String,
    has_modem_lines: bool,
    dtr: bool,
    rts: bool,
    break_on: bool,
}

impl SerialDevice {
    /// Opens the serial port at `path` (exclusively, 9600 8N1; the server
    /// applies its defaults next).
    pub fn open(path: &str) -> io::Result<Self> {
        let failed =
            |error: serialport::Error| io::Error::new(io_kind(&error), format!("{path}: {error}"));
        let builder = serialport::new(path, 9600).timeout(Duration::from_millis(50));
        #[cfg(unix)]
        let port: Box<dyn SerialPort> = {
            let port = builder.open_native().map_err(failed)?;
            set_nonblocking(&port)?;
            Box::new(port)
        };
        #[cfg(not(unix))]
        let port = builder.open().map_err(failed)?;
        Ok(SerialDevice::new(port))
    }

    /// Serves an already open port, e.g. one end of
    /// [`TTYPort::pair`](serialport::TTYPort::pair).
    pub fn new(mut port: Box<dyn SerialPort>) -> Self {
        let name = port.name().unwrap_or_else(|| "serial port".to_owned());
        let has_modem_lines = port.read_clear_to_send().is_ok();
        if !has_modem_lines {
            debug!("{name}: no modem lines (reading CTS failed); reporting none");
        }
        SerialDevice {
            port,
            name,
            has_modem_lines,
            dtr: false,
            rts: false,
            break_on: false,
        }
    }

    /// Sets DTR or RTS; on a port without modem lines the level is only
    /// remembered. Returns the level in use.
    fn set_line(&mut self, dtr: bool, level: bool) -> bool {
        let result = if dtr {
            self.port.write_data_terminal_ready(level)
        } else {
            self.port.write_request_to_send(level)
        };
        let current = if dtr { self.dtr } else { self.rts };
        let now = match result {
            Ok(()) => level,
            Err(_) if !self.has_modem_lines => level,
            Err(error) => {
                debug!("{}: setting {} failed: {error}", self.name, line(dtr));
                current
            }
        };
        if dtr {
            self.dtr = now;
        } else {
            self.rts = now;
        }
        now
    }

    fn set_break(&mut self, on: bool) -> bool {
        let result = if on {
            self.port.set_break()
        } else {
            self.port.clear_break()
        };
        match result {
            Ok(()) => self.break_on = on,
            Err(error) => debug!("{}: setting BREAK failed: {error}", self.name),
        }
        self.break_on
    }

    fn control(&mut self, control: Control) -> io::Result<Control> {
        let on_off = |on: bool, yes: Control, no: Control| if on { yes } else { no };
        Ok(match (control.group(), control) {
            (Some(ControlGroup::OutboundFlow), _) => {
                if let Some(flow) = flow_control_from(control) {
                    self.try_set("flow control", |port| port.set_flow_control(flow));
                }
                outbound_flow(self.port.flow_control().map_err(io::Error::from)?)
            }
            (Some(ControlGroup::InboundFlow), _) => {
                inbound_flow(self.port.flow_control().map_err(io::Error::from)?)
            }
            (Some(ControlGroup::Break), Control::BreakOn | Control::BreakOff) => {
                let on = self.set_break(control == Control::BreakOn);
                on_off(on, Control::BreakOn, Control::BreakOff)
            }
            (Some(ControlGroup::Break), _) => {
                on_off(self.break_on, Control::BreakOn, Control::BreakOff)
            }
            (Some(ControlGroup::Dtr), Control::DtrOn | Control::DtrOff) => {
                let on = self.set_line(true, control == Control::DtrOn);
                on_off(on, Control::DtrOn, Control::DtrOff)
            }
            (Some(ControlGroup::Dtr), _) => on_off(self.dtr, Control::DtrOn, Control::DtrOff),
            (Some(ControlGroup::Rts), Control::RtsOn | Control::RtsOff) => {
                let on = self.set_line(false, control == Control::RtsOn);
                on_off(on, Control::RtsOn, Control::RtsOff)
            }
            (Some(ControlGroup::Rts), _) => on_off(self.rts, Control::RtsOn, Control::RtsOff),
            // An undefined value is answered with the flow control in use.
            (None, _) => outbound_flow(self.port.flow_control().map_err(io::Error::from)?),
        })
    }

    /// Tries a setting; a refusal is logged, not an error: the answer reads
    /// back what the port kept.
    fn try_set(
        &mut self,
        what: &str,
        set: impl FnOnce(&mut dyn SerialPort) -> serialport::Result<()>,
    ) {
        if let Err(error) = set(self.port.as_mut()) {
            debug!("{}: {what} refused: {error}", self.name);
        }
    }
}

impl Device for SerialDevice {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn reader(&self) -> io::Result<Box<dyn DeviceReader>> {
        Ok(Box::new(SerialReader {
            port: self.port.try_clone().map_err(io::Error::from)?,
            name: self.name.clone(),
            has_modem_lines: self.has_modem_lines,
        }))
    }

    fn write(&mut self, data: &[u8], timeout: Duration) -> io::Result<usize> {
        set_timeout(self.port.as_mut(), timeout)?;
        match self.port.write(data) {
            Ok(0) if !data.is_empty() => Err(vanished(&self.name)),
            Ok(n) => Ok(n),
            Err(error) if is_timeout(&error) => Ok(0),
            Err(error) => Err(error),
        }
    }

    fn apply(&mut self, request: Command) -> io::Result<Command> {
        let port_error = io::Error::from;
        Ok(match request {
            Command::SetBaudRate(rate) => {
                if rate != 0 {
                    self.try_set("baud rate", |port| port.set_baud_rate(rate));
                }
                Command::SetBaudRate(self.port.baud_rate().map_err(port_error)?)
            }
            Command::SetDataSize(size) => {
                if let Some(bits) = data_bits_from(size) {
                    self.try_set("data size", |port| port.set_data_bits(bits));
                }
                data_bits_request(self.port.data_bits().map_err(port_error)?)
            }
            Command::SetParity(parity) => {
                if let Some(parity) = parity_from(parity) {
                    self.try_set("parity", |port| port.set_parity(parity));
                }
                parity_request(self.port.parity().map_err(port_error)?)
            }
            Command::SetStopSize(size) => {
                if let Some(bits) = stop_bits_from(size) {
                    self.try_set("stop size", |port| port.set_stop_bits(bits));
                }
                stop_bits_request(self.port.stop_bits().map_err(port_error)?)
            }
            Command::SetControl(control) => Command::SetControl(self.control(control)?),
            other => other,
        })
    }

    fn purge(&mut self, purge: Purge) -> io::Result<()> {
        let buffer = match purge {
            Purge::Receive => ClearBuffer::Input,
            Purge::Transmit => ClearBuffer::Output,
            Purge::Both => ClearBuffer::All,
            Purge::Unknown(_) => return Ok(()),
        };
        self.port.clear(buffer).map_err(io::Error::from)
    }

    fn send_break(&mut self, duration: Duration) -> io::Result<()> {
        self.port.set_break().map_err(io::Error::from)?;
        // The line must stay in break for the whole time; data that follows
        // the break waits, as it must.
        std::thread::sleep(duration);
        self.port.clear_break().map_err(io::Error::from)?;
        self.break_on = false;
        Ok(())
    }

    fn restore(&mut self, defaults: &rfc2217_client::Settings) -> io::Result<()> {
        for request in defaults.requests() {
            let in_use = self.apply(request)?;
            if in_use != request {
                debug!(
                    "{}: default {request:?} not taken, {in_use:?} in use",
                    self.name
                );
            }
        }
        self.set_line(true, false);
        self.set_line(false, false);
        self.set_break(false);
        Ok(())
    }
}

/// The second handle: reads data and samples the modem lines.
struct SerialReader {
    port: Box<dyn SerialPort>,
    name: String,
    has_modem_lines: bool,
}

impl DeviceReader for SerialReader {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        set_timeout(self.port.as_mut(), timeout)?;
        match self.port.read(buf) {
            // The port was readable and gave nothing: its far end is gone.
            Ok(0) if !buf.is_empty() => Err(vanished(&self.name)),
            Ok(n) => Ok(n),
            Err(error) if is_timeout(&error) => Ok(0),
            Err(error) => Err(error),
        }
    }

    fn modem_lines(&mut self) -> io::Result<ModemState> {
        if !self.has_modem_lines {
            return Ok(ModemState::EMPTY);
        }
        let port = self.port.as_mut();
        let mut lines = ModemState::EMPTY;
        let readings = [
            (port.read_carrier_detect(), ModemState::CD),
            (port.read_ring_indicator(), ModemState::RI),
            (port.read_data_set_ready(), ModemState::DSR),
            (port.read_clear_to_send(), ModemState::CTS),
        ];
        for (reading, line) in readings {
            if reading.map_err(io::Error::from)? {
                lines = lines | line;
            }
        }
        Ok(lines)
    }
}

/// Sets a handle's timeout only when it changes (it is a system call on
/// some platforms).
fn set_timeout(port: &mut dyn SerialPort, timeout: Duration) -> io::Result<()> {
    // A zero timeout would make the crate poll without waiting at all.
    let timeout = timeout.max(Duration::from_millis(1));
    if port.timeout() != timeout {
        port.set_timeout(timeout).map_err(io::Error::from)?;
    }
    Ok(())
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

fn io_kind(error: &serialport::Error) -> io::ErrorKind {
    io::Error::from(error.clone()).kind()
}

fn outbound_flow(flow: FlowControl) -> Control {
    match flow_control_request(flow) {
        Command::SetControl(control) => control,
        _ => Control::NoFlowControl,
    }
}

fn inbound_flow(flow: FlowControl) -> Control {
    match flow {
        FlowControl::None => Control::NoInboundFlowControl,
        FlowControl::Software => Control::XonXoffInboundFlowControl,
        FlowControl::Hardware => Control::HardwareInboundFlowControl,
    }
}

fn line(dtr: bool) -> &'static str {
    if dtr {
        "DTR"
    } else {
        "RTS"
    }
}

/// Makes reads and writes of `port` return instead of blocking. The crate
/// waits in `poll` for at most its timeout first, then calls `write(2)`; on
/// a blocking descriptor that call waits until every byte fits, however
/// long a stalled device (a pty whose far end stops reading) takes, and the
/// server would never see the stall. Handles made by `try_clone` share the
/// flag.
#[cfg(unix)]
fn set_nonblocking(port: &serialport::TTYPort) -> io::Result<()> {
    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    use std::os::fd::AsRawFd;
    let fd = port.as_raw_fd();
    let flags = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL)?);
    fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}
