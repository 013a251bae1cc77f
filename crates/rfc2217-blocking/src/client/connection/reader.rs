//! The reader thread: socket bytes into the core, timers fired, waiters
//! woken.

use std::io::{self, Read};
use std::net::TcpStream;
use std::sync::MutexGuard;
use std::time::{Duration, Instant};

use log::trace;

use super::{is_timeout, Core, Shared, CHUNK};

/// How often a blocked reader thread looks at its timers anyway.
const TICK: Duration = Duration::from_millis(100);

impl Shared {
    pub(super) fn read_loop(&self, mut socket: TcpStream) {
        let mut buffer = vec![0u8; CHUNK];
        let reason = loop {
            if let Err(reason) = self.wait_for_room() {
                break reason;
            }
            let _ = socket.set_read_timeout(Some(self.time_to_next_timer()));
            match socket.read(&mut buffer) {
                Ok(0) => break "the server closed the connection".to_owned(),
                Ok(n) => {
                    trace!("received {n} bytes");
                    if let Err(reason) = self.receive(&buffer[..n]) {
                        break reason;
                    }
                }
                Err(error) if is_timeout(&error) || error.kind() == io::ErrorKind::Interrupted => {
                    if let Err(reason) = self.tick() {
                        break reason;
                    }
                }
                Err(error) => break error.to_string(),
            }
        };
        self.end(reason);
    }

    /// Waits while the core has no room for input (the application is not
    /// reading), still serving timers.
    fn wait_for_room(&self) -> Result<(), String> {
        let mut core = self.lock();
        while !core.client.has_room_for_input() {
            core = self.wait_a_tick(core)?;
            self.fire_timers(&mut core);
        }
        Ok(())
    }

    /// Waits for a change or a tick; the reason if the connection ended.
    fn wait_a_tick<'a>(&self, core: MutexGuard<'a, Core>) -> Result<MutexGuard<'a, Core>, String> {
        let (core, _) = self.wait(core, Some(Instant::now() + TICK));
        match core.client.closed() {
            Some(reason) => Err(reason.to_owned()),
            None => Ok(core),
        }
    }

    fn time_to_next_timer(&self) -> Duration {
        let now = Instant::now();
        let until = self
            .lock()
            .client
            .poll_timeout()
            .map_or(TICK, |deadline| deadline.saturating_duration_since(now));
        until.clamp(Duration::from_millis(1), TICK)
    }

    fn tick(&self) -> Result<(), String> {
        let mut core = self.lock();
        self.fire_timers(&mut core);
        self.try_transmit(core).map_err(|error| error.to_string())
    }

    fn fire_timers(&self, core: &mut Core) {
        let now = Instant::now();
        if core.client.poll_timeout().is_some_and(|due| due <= now) {
            core.client.handle_timeout(now);
            if core.collect() {
                self.notify();
            }
        }
    }

    /// Feeds bytes from the socket to the core, sending the answers they
    /// ask for between steps.
    fn receive(&self, mut input: &[u8]) -> Result<(), String> {
        let mut core = self.lock();
        while !input.is_empty() {
            let before = core.client.bytes_to_read();
            let used = core.client.handle_input(Instant::now(), input);
            input = &input[used..];
            if core.collect() || core.client.bytes_to_read() > before {
                self.notify();
            }
            // Taken nothing with room for it: the session needs its
            // transmit queue drained first. Whoever drains it (we, just
            // below, or the writer's owner) clears this and wakes us.
            core.awaits_drain = used == 0 && core.client.has_room_for_input();
            // The answers the core queued (negotiation, signature).
            self.try_transmit(core).map_err(|error| error.to_string())?;
            core = self.lock();
            if used == 0 && (core.awaits_drain || !core.client.has_room_for_input()) {
                // No room (the application reads first), or a drain the
                // writer's owner will do: wait for it, then go on.
                core = self.wait_a_tick(core)?;
            }
        }
        Ok(())
    }
}
