//! `loop://`: an in-process serial port whose transmit line is wired to its
//! receive line, for demos and tests.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rfc2217_proto::{
    Command, Control, ControlGroup, DataSize, LineState, ModemState, Parity, Purge, StopSize,
};

use super::{vanished, Device, DeviceReader};

/// Bytes a loopback holds by default before a write has to wait for a read.
const DEFAULT_CAPACITY: usize = 64 * 1024;

/// A serial port wired back to itself, like a loopback plug: what is written
/// is read back, RTS drives CTS, DTR drives DSR and CD, and every setting is
/// remembered and reported as in use. A break is seen as a break detected.
///
/// Clones share the port, so a test can keep one and [`unplug`](Self::unplug)
/// it while a server uses another. The buffer is bounded: a writer waits
/// when it is full, as a real port's transmit buffer would make it.
#[derive(Clone)]
pub struct Loopback {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled when bytes arrive or the port is unplugged.
    readable: Condvar,
    /// Signalled when room is made or the port is unplugged.
    writable: Condvar,
}

struct State {
    buffer: VecDeque<u8>,
    capacity: usize,
    port: Port,
    /// Conditions seen since the reader last asked (latched).
    line_state: LineState,
    unplugged: bool,
}

/// What the loopback remembers: every setting and control line.
#[derive(Clone, Copy)]
struct Port {
    baud_rate: u32,
    data_size: DataSize,
    parity: Parity,
    stop_size: StopSize,
    flow: Control,
    inbound_flow: Control,
    break_on: bool,
    dtr: bool,
    rts: bool,
}

impl Default for Port {
    /// 9600 8N1, no flow control, lines off.
    fn default() -> Self {
        Port {
            baud_rate: 9600,
            data_size: DataSize::Eight,
            parity: Parity::None,
            stop_size: StopSize::One,
            flow: Control::NoFlowControl,
            inbound_flow: Control::NoInboundFlowControl,
            break_on: false,
            dtr: false,
            rts: false,
        }
    }
}

impl Port {
    /// Remembers what a request sets; values the RFC does not define are
    /// ignored. Returns true if a break started.
    fn set(&mut self, request: Command) -> bool {
        match request {
            Command::SetBaudRate(rate) if rate != 0 => self.baud_rate = rate,
            Command::SetDataSize(size @ (DataSize::Five | DataSize::Six))
            | Command::SetDataSize(size @ (DataSize::Seven | DataSize::Eight)) => {
                self.data_size = size;
            }
            Command::SetParity(parity) if !matches!(parity, Parity::Query | Parity::Unknown(_)) => {
                self.parity = parity;
            }
            Command::SetStopSize(size)
                if !matches!(size, StopSize::Query | StopSize::Unknown(_)) =>
            {
                self.stop_size = size;
            }
            Command::SetControl(control) if !control.is_query() => {
                return self.set_control(control);
            }
            _ => {}
        }
        false
    }

    fn set_control(&mut self, control: Control) -> bool {
        let started = control == Control::BreakOn && !self.break_on;
        match control.group() {
            Some(ControlGroup::OutboundFlow) => self.flow = control,
            Some(ControlGroup::InboundFlow) => self.inbound_flow = control,
            Some(ControlGroup::Break) => self.break_on = control == Control::BreakOn,
            Some(ControlGroup::Dtr) => self.dtr = control == Control::DtrOn,
            Some(ControlGroup::Rts) => self.rts = control == Control::RtsOn,
            None => {}
        }
        started
    }

    /// The value in use for the setting `request` is about.
    fn in_use(&self, request: Command) -> Command {
        let on_off = |on: bool, yes: Control, no: Control| if on { yes } else { no };
        match request {
            Command::SetBaudRate(_) => Command::SetBaudRate(self.baud_rate),
            Command::SetDataSize(_) => Command::SetDataSize(self.data_size),
            Command::SetParity(_) => Command::SetParity(self.parity),
            Command::SetStopSize(_) => Command::SetStopSize(self.stop_size),
            Command::SetControl(control) => Command::SetControl(match control.group() {
                // An undefined value is answered like sredird does: with the
                // flow control in use.
                Some(ControlGroup::OutboundFlow) | None => self.flow,
                Some(ControlGroup::InboundFlow) => self.inbound_flow,
                Some(ControlGroup::Break) => {
                    on_off(self.break_on, Control::BreakOn, Control::BreakOff)
                }
                Some(ControlGroup::Dtr) => on_off(self.dtr, Control::DtrOn, Control::DtrOff),
                Some(ControlGroup::Rts) => on_off(self.rts, Control::RtsOn, Control::RtsOff),
            }),
            other => other,
        }
    }

    /// The loopback plug's wiring: RTS to CTS, DTR to DSR and CD.
    fn modem_lines(&self) -> ModemState {
        let mut lines = ModemState::EMPTY;
        if self.rts {
            lines = lines | ModemState::CTS;
        }
        if self.dtr {
            lines = lines | ModemState::DSR | ModemState::CD;
        }
        lines
    }
}

impl Default for Loopback {
    fn default() -> Self {
        Loopback::new()
    }
}

impl Loopback {
    /// A loopback holding up to 64 KiB, at 9600 8N1 with DTR and RTS off.
    pub fn new() -> Self {
        Loopback::with_capacity(DEFAULT_CAPACITY)
    }

    /// A loopback holding up to `capacity` bytes (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Loopback {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    buffer: VecDeque::with_capacity(capacity.min(DEFAULT_CAPACITY)),
                    capacity,
                    port: Port::default(),
                    line_state: LineState::EMPTY,
                    unplugged: false,
                }),
                readable: Condvar::new(),
                writable: Condvar::new(),
            }),
        }
    }

    /// Makes the device vanish, like a USB adapter pulled out: every later
    /// operation on every clone fails, and waiting readers and writers wake.
    pub fn unplug(&self) {
        self.shared.lock().unplugged = true;
        self.shared.readable.notify_all();
        self.shared.writable.notify_all();
    }

    /// Bytes written and not yet read back.
    pub fn buffered(&self) -> usize {
        self.shared.lock().buffer.len()
    }
}

impl Shared {
    /// The state, even if a thread panicked while holding it: every update
    /// leaves it consistent.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The state once it is present, or `Err` if the port was unplugged.
    fn lock_plugged(&self, what: &str) -> io::Result<MutexGuard<'_, State>> {
        let state = self.lock();
        if state.unplugged {
            return Err(vanished(what));
        }
        Ok(state)
    }

    /// Waits on `condvar` until `ready` holds, the port is unplugged, or
    /// `timeout` passes; returns the state and whether `ready` holds.
    fn wait_until<'a>(
        &'a self,
        condvar: &Condvar,
        timeout: Duration,
        ready: impl Fn(&State) -> bool,
    ) -> (MutexGuard<'a, State>, bool) {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        loop {
            if state.unplugged || ready(&state) {
                let ok = !state.unplugged && ready(&state);
                return (state, ok);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return (state, false);
            }
            state = condvar
                .wait_timeout(state, left)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|poisoned| poisoned.into_inner().0);
        }
    }
}

impl Device for Loopback {
    fn name(&self) -> String {
        "loop://".to_owned()
    }

    fn reader(&self) -> io::Result<Box<dyn DeviceReader>> {
        drop(self.shared.lock_plugged("loop://")?);
        Ok(Box::new(self.clone()))
    }

    fn write(&mut self, data: &[u8], timeout: Duration) -> io::Result<usize> {
        let (mut state, room) = self.shared.wait_until(&self.shared.writable, timeout, |s| {
            s.buffer.len() < s.capacity
        });
        if state.unplugged {
            return Err(vanished("loop://"));
        }
        if !room {
            return Ok(0);
        }
        let n = data.len().min(state.capacity - state.buffer.len());
        state.buffer.extend(&data[..n]);
        drop(state);
        if n > 0 {
            self.shared.readable.notify_all();
        }
        Ok(n)
    }

    fn apply(&mut self, request: Command) -> io::Result<Command> {
        let mut state = self.shared.lock_plugged("loop://")?;
        if state.port.set(request) {
            state.line_state = state.line_state | LineState::BREAK_DETECT;
        }
        Ok(state.port.in_use(request))
    }

    fn purge(&mut self, purge: Purge) -> io::Result<()> {
        let mut state = self.shared.lock_plugged("loop://")?;
        // What was written is at once what is to be read: the receive side
        // holds it all, and the transmit side is always empty.
        if matches!(purge, Purge::Receive | Purge::Both) {
            state.buffer.clear();
            drop(state);
            self.shared.writable.notify_all();
        }
        Ok(())
    }

    fn send_break(&mut self, _duration: Duration) -> io::Result<()> {
        // No line to hold: the loop's receiver sees the break at once.
        let mut state = self.shared.lock_plugged("loop://")?;
        state.line_state = state.line_state | LineState::BREAK_DETECT;
        Ok(())
    }

    fn restore(&mut self, defaults: &rfc2217_client::Settings) -> io::Result<()> {
        let mut state = self.shared.lock_plugged("loop://")?;
        let mut port = Port::default();
        for request in defaults.requests() {
            port.set(request);
        }
        state.port = port;
        state.line_state = LineState::EMPTY;
        Ok(())
    }
}

impl DeviceReader for Loopback {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        let (mut state, ready) = self
            .shared
            .wait_until(&self.shared.readable, timeout, |s| !s.buffer.is_empty());
        if state.unplugged {
            return Err(vanished("loop://"));
        }
        if !ready {
            return Ok(0);
        }
        // Slice copies, not a byte at a time (`VecDeque` reads its front slice).
        let n = io::Read::read(&mut state.buffer, buf)?;
        drop(state);
        self.shared.writable.notify_all();
        Ok(n)
    }

    fn modem_lines(&mut self) -> io::Result<ModemState> {
        Ok(self.shared.lock_plugged("loop://")?.port.modem_lines())
    }

    fn line_state(&mut self) -> io::Result<LineState> {
        let mut state = self.shared.lock_plugged("loop://")?;
        Ok(std::mem::take(&mut state.line_state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_WAIT: Duration = Duration::ZERO;

    #[test]
    fn what_is_written_is_read_back_and_a_full_buffer_takes_nothing() {
        let mut device = Loopback::with_capacity(4);
        let mut reader = device.reader().unwrap();
        assert_eq!(device.write(b"abcdef", NO_WAIT).unwrap(), 4);
        assert_eq!(device.write(b"ef", NO_WAIT).unwrap(), 0);
        let mut buf = [0u8; 8];
        assert_eq!(reader.read(&mut buf, NO_WAIT).unwrap(), 4);
        assert_eq!(&buf[..4], b"abcd");
        assert_eq!(reader.read(&mut buf, NO_WAIT).unwrap(), 0);
    }

    #[test]
    fn rts_drives_cts_and_dtr_drives_dsr_and_cd() {
        let mut device = Loopback::new();
        let mut reader = device.reader().unwrap();
        assert_eq!(reader.modem_lines().unwrap(), ModemState::EMPTY);
        device.apply(Command::SetControl(Control::RtsOn)).unwrap();
        assert_eq!(reader.modem_lines().unwrap(), ModemState::CTS);
        device.apply(Command::SetControl(Control::DtrOn)).unwrap();
        assert_eq!(
            reader.modem_lines().unwrap(),
            ModemState::CTS | ModemState::DSR | ModemState::CD
        );
    }

    #[test]
    fn settings_are_remembered_and_undefined_values_change_nothing() {
        let mut device = Loopback::new();
        let set = Command::SetDataSize(DataSize::Seven);
        assert_eq!(device.apply(set).unwrap(), set);
        let query = Command::SetDataSize(DataSize::Query);
        assert_eq!(device.apply(query).unwrap(), set);
        let bogus = Command::SetDataSize(DataSize::Unknown(9));
        assert_eq!(device.apply(bogus).unwrap(), set);
        let answer = device.apply(Command::SetControl(Control::Unknown(99)));
        assert_eq!(answer.unwrap(), Command::SetControl(Control::NoFlowControl));
        device
            .restore(&rfc2217_client::Settings::default())
            .unwrap();
        assert_eq!(
            device.apply(query).unwrap(),
            Command::SetDataSize(DataSize::Eight)
        );
    }

    #[test]
    fn a_break_is_detected_once_and_unplugging_fails_everything() {
        let mut device = Loopback::new();
        let mut reader = device.reader().unwrap();
        device.apply(Command::SetControl(Control::BreakOn)).unwrap();
        assert_eq!(reader.line_state().unwrap(), LineState::BREAK_DETECT);
        assert_eq!(reader.line_state().unwrap(), LineState::EMPTY);
        device.unplug();
        assert!(device.write(b"x", NO_WAIT).is_err());
        assert!(reader.read(&mut [0u8; 1], Duration::from_secs(5)).is_err());
        assert!(device.reader().is_err());
    }
}
