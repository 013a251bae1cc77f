//! A server's process group: started in a temporary directory of its
//! own with its output in a log there, and ended as a whole (servers such
//! as sredird behind socat leave children behind).

use std::fs::{self, File};
use std::io;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::{Server, POLL};

/// How long the process group has to exit after SIGTERM before SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(2);

/// A temporary directory, removed on drop.
pub(super) struct TempDir(pub(super) PathBuf);

impl TempDir {
    pub(super) fn new(server: Server) -> io::Result<TempDir> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!(
                "rfc2217-peer-{}-{}-{n}",
                server.name(),
                std::process::id()
            ));
            match fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir(path)),
                // Left behind by an earlier run that had our pid.
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(error),
            }
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A server process, leader of its own process group, with its stdout and
/// stderr in `dir/log`.
///
/// The leader is only reaped after the last signal went to its group: an
/// unreaped leader keeps the group id from being reused by someone else.
pub(super) struct Process {
    child: Child,
    dir: TempDir,
    stopped: bool,
}

impl Process {
    pub(super) fn spawn(command: &mut Command, dir: TempDir) -> io::Result<Process> {
        let log = File::create(dir.0.join("log"))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .spawn()?;
        Ok(Process {
            child,
            dir,
            stopped: false,
        })
    }

    pub(super) fn log(&self) -> String {
        fs::read(self.dir.0.join("log"))
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// Whether the leader has not exited (without reaping it).
    pub(super) fn is_running(&self) -> bool {
        let pid = self.child.id();
        fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| proc_stat_fields(&stat))
            .is_some_and(|(state, _)| !matches!(state, 'Z' | 'X'))
    }

    /// Ends the whole group: SIGTERM, then SIGKILL for whatever is left
    /// after [`TERM_GRACE`]; reaps the leader. Idempotent.
    pub(super) fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let group = self.child.id();
        signal_group(group, "TERM");
        let deadline = Instant::now() + TERM_GRACE;
        while group_is_alive(group) && Instant::now() < deadline {
            thread::sleep(POLL);
        }
        if group_is_alive(group) {
            signal_group(group, "KILL");
            let _ = self.child.kill();
            let deadline = Instant::now() + TERM_GRACE;
            while group_is_alive(group) && Instant::now() < deadline {
                thread::sleep(POLL);
            }
        }
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sends SIGsignal to process group `group` (std has no killpg; the
/// shell's `kill` takes a negative pid).
fn signal_group(group: u32, signal: &str) {
    let _ = Command::new("/bin/sh")
        .args(["-c", &format!("kill -{signal} -{group}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Whether any process of group `group` has not exited yet.
fn group_is_alive(group: u32) -> bool {
    let Ok(entries) = fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        entry
            .file_name()
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit())
            && fs::read_to_string(entry.path().join("stat"))
                .ok()
                .and_then(|stat| proc_stat_fields(&stat))
                .is_some_and(|(state, pgrp)| pgrp == group && !matches!(state, 'Z' | 'X'))
    })
}

/// The state and process group from a `/proc/PID/stat` line
/// (`pid (comm) state ppid pgrp ...`; comm may contain anything).
fn proc_stat_fields(stat: &str) -> Option<(char, u32)> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some((state, pgrp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_lines_are_read_past_odd_command_names() {
        assert_eq!(
            proc_stat_fields("1234 (a) b (c)) S 1 1230 1230 0 -1 4194560"),
            Some(('S', 1230))
        );
        assert_eq!(proc_stat_fields("99 (sredird) Z 5 77 77"), Some(('Z', 77)));
        assert_eq!(proc_stat_fields("garbage"), None);
    }
}
