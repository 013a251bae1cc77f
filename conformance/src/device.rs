//! The far end of a served pty: what the "equipment" plugged into the
//! served serial port sends and receives, and how what arrived compares
//! with what was sent.

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

/// Up to 32 bytes in hex, then how many more: for bytes that should not
/// have reached the device.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut text: Vec<String> = bytes.iter().take(32).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > 32 {
        text.push(format!("... ({} in all)", bytes.len()));
    }
    text.join(" ")
}

/// `len` bytes in `elapsed`, as a timing line.
pub(crate) fn rate(len: usize, elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    format!(
        "{len} bytes in {seconds:.2} s ({:.2} MiB/s)",
        len as f64 / f64::from(1 << 20) / seconds.max(1e-9)
    )
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
    fn byte_dumps_and_rates_are_short() {
        assert_eq!(hex(&[0xff, 0x0d, 0x00]), "ff 0d 00");
        let long = hex(&[0; 33]);
        assert_eq!(long.matches("00").count(), 32);
        assert!(long.ends_with("... (33 in all)"), "{long}");
        assert_eq!(
            rate(1 << 20, Duration::from_millis(500)),
            "1048576 bytes in 0.50 s (2.00 MiB/s)"
        );
    }
}
