//! A served pty's settings as the server left them, read from outside
//! without touching them, and spelt in `stty`'s words for messages.

/// A pty's settings as the server left them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Termios {
    /// The output speed, as TCGETS2 reports it: a rate set with BOTHER
    /// (as the `serialport` crate sets every rate) included.
    pub(crate) speed: u32,
    /// Data bits: 5 to 8 (a pty forces 8 on every write of its settings).
    pub(crate) data_bits: u8,
    /// PARENB (a pty clears it on every write of its settings).
    pub(crate) parity: bool,
    /// CSTOPB: two stop bits.
    pub(crate) two_stop_bits: bool,
    /// CRTSCTS: hardware flow control, stored by a pty though it has no
    /// modem lines.
    pub(crate) rts_cts: bool,
    /// IXON: XON/XOFF flow control.
    pub(crate) xon_xoff: bool,
}

/// Reads the settings of the pty at `path` without touching them: opened
/// non-blocking and without becoming its controlling terminal, never read.
/// The speed comes from TCGETS2, so a rate set with BOTHER (as the
/// `serialport` crate sets every rate) is seen; `stty` would say 0.
pub(crate) fn read(path: &str) -> Result<Termios, String> {
    use rustix::fs::{open, Mode, OFlags};
    use rustix::termios::{tcgetattr, ControlModes, InputModes};
    let fail = |error: rustix::io::Errno| format!("cannot read the settings of {path}: {error}");
    let fd = open(
        path,
        OFlags::RDONLY | OFlags::NOCTTY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(fail)?;
    let termios = tcgetattr(&fd).map_err(fail)?;
    let control = termios.control_modes;
    let size = control & ControlModes::CSIZE;
    let data_bits = [
        (ControlModes::CS5, 5),
        (ControlModes::CS6, 6),
        (ControlModes::CS7, 7),
    ]
    .iter()
    .find_map(|&(flag, bits)| (size == flag).then_some(bits))
    .unwrap_or(8);
    Ok(Termios {
        speed: termios.output_speed(),
        data_bits,
        parity: control.contains(ControlModes::PARENB),
        two_stop_bits: control.contains(ControlModes::CSTOPB),
        rts_cts: control.contains(ControlModes::CRTSCTS),
        xon_xoff: termios.input_modes.contains(InputModes::IXON),
    })
}

impl Termios {
    /// The settings in `stty`'s words, e.g. "speed 9600 cs8 -parenb ...".
    pub(crate) fn describe(&self) -> String {
        let flag = |on: bool, name: &str| format!("{}{name}", if on { "" } else { "-" });
        format!(
            "speed {} cs{} {} {} {} {}",
            self.speed,
            self.data_bits,
            flag(self.parity, "parenb"),
            flag(self.two_stop_bits, "cstopb"),
            flag(self.rts_cts, "crtscts"),
            flag(self.xon_xoff, "ixon"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ptys_settings_are_read_including_a_rate_set_with_bother() {
        let pair = rfc2217_device::PtyPair::new().expect("a pty pair");
        // The serialport crate sets every rate with BOTHER.
        let _served = serialport::new(pair.path(), 57_600)
            .stop_bits(serialport::StopBits::Two)
            .flow_control(serialport::FlowControl::Hardware)
            .open_native()
            .expect("the served end");
        let settings = read(pair.path()).unwrap();
        assert_eq!(settings.speed, 57_600);
        assert!(settings.two_stop_bits && settings.rts_cts && !settings.xon_xoff);
        assert_eq!(settings.data_bits, 8, "a pty forces 8 data bits");
        assert!(read("/nonexistent").is_err());
    }
}
