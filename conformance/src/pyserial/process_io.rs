//! A child process's output, read by threads of their own so that it
//! never blocks on a full pipe, and its exit, awaited for a bounded time.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ExitStatus};
use std::sync::mpsc::{self, Receiver};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The last few lines of a process's output, on one line.
pub(super) fn tail(output: &[u8]) -> String {
    let text = String::from_utf8_lossy(output);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    lines[lines.len().saturating_sub(4)..].join(" | ")
}

/// The lines `stream` delivers, from a thread of its own; the channel
/// closes at end of file.
pub(super) fn lines_of(stream: impl Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            // A receiver that is gone no longer cares, but the stream is
            // still read, so its writer never blocks.
            let _ = sender.send(line);
        }
    });
    receiver
}

/// Everything `stream` delivers up to end of file, from a thread of its
/// own.
pub(super) fn read_all(mut stream: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        bytes
    })
}

/// Waits up to `limit` for `child` to exit.
pub(super) fn wait_for(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            Ok(None) | Err(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_tails_are_short() {
        assert_eq!(tail(b"a\n\nb\n c \nd\ne\n"), "b | c | d | e");
        assert_eq!(tail(b""), "");
    }
}
