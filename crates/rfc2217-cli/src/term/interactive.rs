//! Interactive mode: the terminal in raw mode; every key goes to the port
//! except the escape key and the command after it.

use std::io::{self, Stdin, Write};
use std::time::Duration;

use rfc2217_blocking::RemotePort;
use rfc2217_client::Error;
use rfc2217_proto::{Command, Control};
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::io::Errno;

use super::escape::{Action, Key, Keys, HELP};
use super::raw::RawMode;
use super::Output;
use crate::failure::{Failure, Result};
use crate::names;
use crate::report;
use crate::snapshot::Snapshot;

/// How long `Ctrl-] b` holds the break.
const BREAK: Duration = Duration::from_millis(250);

/// How long to wait for a key before looking whether the server closed
/// the connection.
const POLL: Duration = Duration::from_millis(100);

/// The rates `Ctrl-] +` and `Ctrl-] -` step through.
const BAUD_RATES: [u32; 13] = [
    300, 600, 1200, 2400, 4800, 9600, 19_200, 38_400, 57_600, 115_200, 230_400, 460_800, 921_600,
];

pub(super) fn run(mut port: RemotePort, output: Output, url: &str) -> Result {
    let raw = RawMode::enter()?;
    say(&format!("connected to {url}\n{HELP}"));
    let typed = type_in(&mut port, &output);
    drop(raw);
    let printed = output.stop();
    typed?;
    printed?;
    Ok(())
}

/// Sends what is typed until `Ctrl-] q`, or until the server closes.
fn type_in(port: &mut RemotePort, output: &Output) -> Result {
    let stdin = io::stdin();
    let mut keys = Keys::default();
    let mut typed = [0u8; 1024];
    loop {
        if output.has_ended() {
            return Err(Failure::new("the server closed the connection"));
        }
        if !readable(&stdin)? {
            continue;
        }
        let n = rustix::io::read(&stdin, &mut typed)?;
        if n == 0 {
            return Ok(());
        }
        let mut data = Vec::with_capacity(n);
        for &byte in &typed[..n] {
            match keys.feed(byte) {
                Key::Data(byte) => data.push(byte),
                Key::Escape => {}
                Key::Quit => return Ok(port.write_all(&data)?),
                Key::Action(action) => {
                    port.write_all(&data)?;
                    data.clear();
                    if let Err(error) = act(port, action) {
                        say(&error.to_string());
                    }
                }
            }
        }
        port.write_all(&data)?;
    }
}

/// Waits up to [`POLL`] for a key.
fn readable(stdin: &Stdin) -> io::Result<bool> {
    let timeout = Timespec {
        tv_sec: 0,
        tv_nsec: POLL.subsec_nanos().into(),
    };
    let mut fds = [PollFd::new(stdin, PollFlags::IN)];
    match rustix::event::poll(&mut fds, Some(&timeout)) {
        Ok(ready) => Ok(ready > 0),
        Err(Errno::INTR) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

fn act(port: &RemotePort, action: Action) -> std::result::Result<(), Error> {
    let state = port.state();
    match action {
        Action::Break => {
            port.send_break(BREAK)?;
            say("break sent");
        }
        Action::ToggleDtr => toggle(port, "DTR", state.dtr, Control::DtrOn, Control::DtrOff)?,
        Action::ToggleRts => toggle(port, "RTS", state.rts, Control::RtsOn, Control::RtsOff)?,
        Action::Show => say(&report::text(&Snapshot::take(port))),
        Action::BaudUp | Action::BaudDown => {
            let current = state.baud_rate.unwrap_or_default();
            let wanted = step_baud(current, action == Action::BaudUp);
            let in_use = port.request(Command::SetBaudRate(wanted))?;
            say(&format!("baud {}", names::value(&in_use)));
        }
        Action::Help => say(HELP),
    }
    Ok(())
}

/// Turns a line off if the server says it is on, else on.
fn toggle(
    port: &RemotePort,
    line: &str,
    on_now: Option<bool>,
    on: Control,
    off: Control,
) -> std::result::Result<(), Error> {
    let wanted = if on_now == Some(true) { off } else { on };
    let in_use = port.request(Command::SetControl(wanted))?;
    say(&format!("{line} {}", names::value(&in_use)));
    Ok(())
}

/// The next standard rate above `current` (or below it), or `current` at
/// either end.
fn step_baud(current: u32, up: bool) -> u32 {
    let next = if up {
        BAUD_RATES.iter().find(|&&rate| rate > current)
    } else {
        BAUD_RATES.iter().rev().find(|&&rate| rate < current)
    };
    next.copied().unwrap_or(current)
}

/// A message among the port's output: on stderr, on lines of its own, with
/// the line endings raw mode needs.
fn say(message: &str) {
    let text = format!(
        "\r\n*** {}\r\n",
        message.trim_end().replace('\n', "\r\n*** ")
    );
    let _ = io::stderr().write_all(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baud_steps_through_the_standard_rates() {
        assert_eq!(step_baud(9600, true), 19_200);
        assert_eq!(step_baud(9600, false), 4800);
        assert_eq!(step_baud(10_000, false), 9600);
        assert_eq!(step_baud(10_000, true), 19_200);
        assert_eq!(step_baud(921_600, true), 921_600);
        assert_eq!(step_baud(300, false), 300);
    }
}
