//! The port's data to stdout, on a thread of its own, until stopped or
//! until the server closes the connection.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rfc2217_blocking::RemotePort;

/// How long a read waits before the thread looks whether to stop.
const POLL: Duration = Duration::from_millis(50);

/// The thread that prints what the port sends.
pub(super) struct Output {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<io::Result<()>>,
}

impl Output {
    pub(super) fn spawn(mut port: RemotePort) -> io::Result<Output> {
        port.set_read_timeout(Some(POLL));
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = thread::Builder::new()
            .name("port output".to_owned())
            .spawn(move || copy(&mut port, &stopped))?;
        Ok(Output { stop, thread })
    }

    /// The server closed the connection, or stdout failed.
    pub(super) fn has_ended(&self) -> bool {
        self.thread.is_finished()
    }

    /// Stops the thread once it has printed what it holds.
    pub(super) fn stop(self) -> io::Result<()> {
        self.stop.store(true, Ordering::Release);
        self.thread
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the output thread panicked")))
    }
}

fn copy(port: &mut RemotePort, stop: &AtomicBool) -> io::Result<()> {
    let mut buffer = [0; 4096];
    let mut stdout = io::stdout();
    while !stop.load(Ordering::Acquire) {
        match port.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                stdout.write_all(&buffer[..n])?;
                stdout.flush()?;
            }
            Err(error) if error.kind() == io::ErrorKind::TimedOut => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}
