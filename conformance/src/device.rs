//! The far end of a served pty: what the "equipment" plugged into the
//! served serial port sends and receives, and the pty's settings as the
//! server left them.

use std::io::{self, Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use serialport::TTYPort;

/// How long a transfer may make no progress before it counts as stalled.
pub(crate) const STALL: Duration = Duration::from_secs(5);

/// `len` pseudo-random bytes from `seed`, rich in what trips Telnet code:
/// about one byte in eight is 0xFF (often in runs), and CR LF, CR NUL and
/// lone CR are sprinkled in. The same `seed` always gives the same bytes.
pub(crate) fn payload(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    let mut next = move || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        let roll = next();
        match roll % 64 {
            0..=5 => bytes.push(0xff),
            6 => bytes.extend_from_slice(&[0xff; 5][..1 + (roll >> 8) as usize % 5]),
            7 => bytes.extend_from_slice(b"\r\n"),
            8 => bytes.extend_from_slice(b"\r\0"),
            9 => bytes.push(b'\r'),
            10 => bytes.extend_from_slice(&[0xff, 0xfa, 0x2c, 0x01]),
            _ => bytes.push((roll >> 32) as u8),
        }
    }
    bytes.truncate(len);
    bytes
}

/// Reads from `port` until `len` bytes arrived or nothing came for
/// [`STALL`]; returns what arrived.
pub(crate) fn receive(port: &mut TTYPort, len: usize) -> Vec<u8> {
    let mut received = Vec::with_capacity(len);
    let mut buffer = [0; 16 * 1024];
    let mut last_progress = Instant::now();
    let _ = serialport::SerialPort::set_timeout(port, Duration::from_millis(100));
    while received.len() < len && last_progress.elapsed() < STALL {
        let want = buffer.len().min(len - received.len());
        match port.read(&mut buffer[..want]) {
            Ok(0) => thread::sleep(Duration::from_millis(10)),
            Ok(n) => {
                received.extend_from_slice(&buffer[..n]);
                last_progress = Instant::now();
            }
            Err(error) if error.kind() == io::ErrorKind::TimedOut => {}
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            // EIO: nobody holds the served end open right now.
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
    received
}

/// Reads whatever arrives within `quiet` of the last byte (at most `limit`
/// in all): for draining a pty between steps.
pub(crate) fn drain(port: &mut TTYPort, quiet: Duration) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buffer = [0; 4096];
    let _ = serialport::SerialPort::set_timeout(port, quiet);
    while let Ok(n @ 1..) = port.read(&mut buffer) {
        received.extend_from_slice(&buffer[..n]);
    }
    received
}

/// Writes all of `data` to `port`; fails if the pty takes nothing for
/// [`STALL`].
pub(crate) fn send(port: &mut TTYPort, data: &[u8]) -> io::Result<()> {
    let _ = serialport::SerialPort::set_timeout(port, STALL);
    port.write_all(data)?;
    port.flush()
}

/// `Ok` if `received` is `expected`, else says how it differs.
pub(crate) fn compare(what: &str, expected: &[u8], received: &[u8]) -> Result<(), String> {
    if expected == received {
        return Ok(());
    }
    let first_difference = expected
        .iter()
        .zip(received)
        .position(|(a, b)| a != b)
        .unwrap_or(expected.len().min(received.len()));
    Err(format!(
        "{what}: {} of {} bytes arrived, first difference at offset {first_difference}",
        received.len(),
        expected.len()
    ))
}

/// A pty's settings as the server left them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Termios {
    /// The output speed.
    pub(crate) speed: u32,
    /// Data bits: 5 to 8.
    pub(crate) data_bits: u8,
    /// PARENB.
    pub(crate) parity: bool,
    /// CSTOPB: two stop bits.
    pub(crate) two_stop_bits: bool,
    /// CRTSCTS.
    pub(crate) rts_cts: bool,
    /// IXON.
    pub(crate) xon_xoff: bool,
}

/// Reads the settings of the pty at `path` without touching them: opened
/// non-blocking and without becoming its controlling terminal, never read.
/// The speed comes from TCGETS2, so a rate set with BOTHER (as the
/// `serialport` crate sets every rate) is seen; `stty` would say 0.
pub(crate) fn termios(path: &str) -> Result<Termios, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_repeatable_and_rich_in_telnet_bytes() {
        let bytes = payload(7, 64 * 1024);
        assert_eq!(bytes, payload(7, 64 * 1024));
        assert_ne!(bytes, payload(8, 64 * 1024));
        assert_eq!(bytes.len(), 64 * 1024);
        let count = |byte| bytes.iter().filter(|&&b| b == byte).count();
        assert!(count(0xff) > bytes.len() / 12, "0xFF: {}", count(0xff));
        assert!(bytes.windows(2).any(|w| w == b"\r\0"));
        assert!(bytes.windows(2).any(|w| w == b"\r\n"));
        assert!(bytes.windows(2).any(|w| w == [0xff, 0xff]));
    }

    #[test]
    fn compare_names_the_first_difference() {
        assert_eq!(compare("x", b"abc", b"abc"), Ok(()));
        assert_eq!(
            compare("to device", b"abcd", b"abd"),
            Err("to device: 3 of 4 bytes arrived, first difference at offset 2".into())
        );
        assert_eq!(
            compare("x", b"abcd", b"ab"),
            Err("x: 2 of 4 bytes arrived, first difference at offset 2".into())
        );
    }

    #[test]
    fn a_ptys_settings_are_read_including_a_rate_set_with_bother() {
        let pair = rfc2217_blocking::PtyPair::new().expect("a pty pair");
        // The serialport crate sets every rate with BOTHER.
        let _served = serialport::new(pair.path(), 57_600)
            .stop_bits(serialport::StopBits::Two)
            .flow_control(serialport::FlowControl::Hardware)
            .open_native()
            .expect("the served end");
        let settings = termios(pair.path()).unwrap();
        assert_eq!(settings.speed, 57_600);
        assert!(settings.two_stop_bits && settings.rts_cts && !settings.xon_xoff);
        assert_eq!(settings.data_bits, 8, "a pty forces 8 data bits");
        assert!(termios("/nonexistent").is_err());
    }
}
