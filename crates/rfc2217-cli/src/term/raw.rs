//! Raw mode for the terminal on stdin, undone on every way out: the
//! guard's drop, a panic on any thread, and the signals that end a process
//! (in raw mode `Ctrl-C` is a byte for the port, but `kill` still works).

use std::io;
use std::panic;
use std::process;
use std::sync::{Mutex, Once, PoisonError};
use std::thread;

use rustix::termios::{self, OptionalActions, Termios};
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::Signals;

/// The terminal's settings before raw mode, while raw mode is on.
static SAVED: Mutex<Option<Termios>> = Mutex::new(None);

/// Raw mode, on until dropped.
pub(super) struct RawMode(());

impl RawMode {
    pub(super) fn enter() -> io::Result<RawMode> {
        let stdin = io::stdin();
        let saved = termios::tcgetattr(&stdin)?;
        let mut raw = saved.clone();
        raw.make_raw();
        restore_on_panic_and_signals()?;
        *SAVED.lock().unwrap_or_else(PoisonError::into_inner) = Some(saved);
        termios::tcsetattr(&stdin, OptionalActions::Now, &raw)?;
        Ok(RawMode(()))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        restore();
    }
}

/// Puts the terminal back as it was, once.
fn restore() {
    let saved = SAVED.lock().unwrap_or_else(PoisonError::into_inner).take();
    if let Some(saved) = saved {
        let _ = termios::tcsetattr(io::stdin(), OptionalActions::Now, &saved);
    }
}

/// Restores the terminal before a panic's message is printed, and before
/// a terminating signal takes its default course.
fn restore_on_panic_and_signals() -> io::Result<()> {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
    let mut signals = Signals::new([SIGTERM, SIGHUP, SIGINT, SIGQUIT])?;
    thread::Builder::new()
        .name("terminal signals".to_owned())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                restore();
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                process::exit(128 + signal);
            }
        })?;
    Ok(())
}
