//! The thread a driver runs its server on, as its handle sees it: asked to
//! stop, then joined, whether by `shutdown` or by being dropped. (The
//! driver spawns the thread; this only ends it.)

use std::io;
use std::thread::JoinHandle;

/// A server's thread, with how to ask it to stop. Dropping it stops the
/// server and waits for it.
pub struct ServerThread {
    thread: Option<JoinHandle<io::Result<()>>>,
    stop: Box<dyn Fn() + Send + Sync>,
}

impl ServerThread {
    /// The thread running a server, and `stop`, which asks it to return.
    pub fn new(
        thread: JoinHandle<io::Result<()>>,
        stop: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        ServerThread {
            thread: Some(thread),
            stop: Box::new(stop),
        }
    }

    /// Stops the server and waits for it to finish; its result, or an
    /// error if the thread panicked.
    pub fn shutdown(mut self) -> io::Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> io::Result<()> {
        (self.stop)();
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the server thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    #[test]
    fn shutting_down_asks_the_thread_to_stop_and_returns_its_result() {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            while !seen.load(Ordering::Acquire) {
                std::thread::yield_now();
            }
            Err(io::Error::other("stopped"))
        });
        let asked = Arc::clone(&stop);
        let running = ServerThread::new(thread, move || asked.store(true, Ordering::Release));
        assert_eq!(running.shutdown().unwrap_err().to_string(), "stopped");
    }
}
