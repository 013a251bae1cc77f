//! Where a connection's thread sleeps: in poll(2) on the client's socket and
//! the device's descriptor, until either is ready or the deadline comes.
//! (Unix only; see `mod.rs` for elsewhere.)

use std::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags};
use rfc2217_server::{Connection, Ending};

/// Waits until the socket or the device can do what `connection` wants of
/// it, or until `deadline`. The descriptors are waited on level-triggered,
/// so only for what the connection would do now: a socket the connection
/// wants no input from is not waited on for reading, or it would wake
/// the thread again and again.
///
/// A device without a descriptor is not waited on: its data changes only
/// through the connection's own calls, which the deadline (the next modem
/// poll) covers.
pub(crate) fn wait(
    socket: &TcpStream,
    device: Option<RawFd>,
    connection: &Connection,
    deadline: Option<Instant>,
) -> Result<(), Ending> {
    let mut socket_interest = PollFlags::empty();
    if connection.wants_input() {
        socket_interest |= PollFlags::POLLIN;
    }
    if !connection.transmit().is_empty() {
        socket_interest |= PollFlags::POLLOUT;
    }
    let mut device_interest = PollFlags::empty();
    if connection.wants_device_input() {
        device_interest |= PollFlags::POLLIN;
    }
    if connection.wants_device_output() {
        device_interest |= PollFlags::POLLOUT;
    }
    let mut fds = [
        PollFd::new(socket.as_raw_fd(), socket_interest),
        // poll(2) skips a negative descriptor: no device to wait on.
        PollFd::new(device.unwrap_or(-1), device_interest),
    ];
    match poll(&mut fds, timeout_ms(deadline)) {
        Ok(_) | Err(Errno::EINTR) => {}
        Err(errno) => return Err(Ending::new(format!("waiting failed: {errno}"))),
    }
    let revents = |fd: &PollFd| fd.revents().unwrap_or(PollFlags::empty());
    judge(socket_interest, revents(&fds[0]), revents(&fds[1]))
}

/// What poll(2) said of the socket and the device, for the connection: it
/// goes on, or it ends. A device that hung up (or failed) ends it whatever
/// was waited for: poll(2) reports the hang-up at once every time, so a
/// connection waiting for it to take data, which it never will, would
/// otherwise wake again and again without moving anything.
fn judge(socket_interest: PollFlags, socket: PollFlags, device: PollFlags) -> Result<(), Ending> {
    let failed = PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL;
    if socket.intersects(failed) && !socket_interest.contains(PollFlags::POLLIN) {
        // Gone both ways (or our own shutdown): nothing more to read or send.
        return Err(Ending::client_closed());
    }
    if device.intersects(failed) {
        return Err(Ending::device_hung_up());
    }
    Ok(())
}

/// Waits until a refused client's `socket` takes more of its line
/// (`write`), or has input or closed, or until `deadline`.
pub(crate) fn wait_refused(socket: &TcpStream, write: bool, deadline: Instant) {
    let interest = if write {
        PollFlags::POLLOUT
    } else {
        PollFlags::POLLIN
    };
    let mut fds = [PollFd::new(socket.as_raw_fd(), interest)];
    // A failed wait ends at once; the refusal's deadline still bounds it.
    let _ = poll(&mut fds, timeout_ms(Some(deadline)));
}

/// Whether the client closed its side of `socket` (or reset it), without
/// reading its input: a newcomer need not wait for a client that left.
/// (rustix, unlike nix 0.26, knows POLLRDHUP; the socket is borrowed as
/// a file descriptor without `unsafe`.)
pub(crate) fn hung_up(socket: &TcpStream) -> bool {
    use rustix::event::{poll, PollFd, PollFlags};
    let closed = PollFlags::RDHUP | PollFlags::HUP | PollFlags::ERR;
    let mut fds = [PollFd::new(socket, closed)];
    let now = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    matches!(poll(&mut fds, Some(&now)), Ok(1..)) && fds[0].revents().intersects(closed)
}

/// Milliseconds until `deadline`, rounded up so the wait never ends just
/// before it; -1 (no limit) without one.
fn timeout_ms(deadline: Option<Instant>) -> i32 {
    let Some(deadline) = deadline else {
        return -1;
    };
    let left = deadline.saturating_duration_since(Instant::now());
    let ms = (left + Duration::from_nanos(999_999)).as_millis();
    i32::try_from(ms).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_that_hung_up_ends_the_connection_whatever_is_waited_for() {
        let quiet = PollFlags::empty();
        for device in [PollFlags::POLLHUP, PollFlags::POLLERR, PollFlags::POLLNVAL] {
            let ending = judge(PollFlags::POLLIN, quiet, device).unwrap_err();
            assert!(ending.device_failed, "{device:?}: {ending}");
        }
        assert!(judge(PollFlags::POLLIN, quiet, PollFlags::POLLOUT).is_ok());
    }

    #[test]
    fn a_socket_gone_both_ways_ends_the_connection_unless_input_is_still_read() {
        let gone = PollFlags::POLLHUP;
        let ending = judge(PollFlags::POLLOUT, gone, PollFlags::empty()).unwrap_err();
        assert!(!ending.device_failed, "{ending}");
        // Its last input is read first; reading finds the end.
        assert!(judge(PollFlags::POLLIN, gone, PollFlags::empty()).is_ok());
    }
}
