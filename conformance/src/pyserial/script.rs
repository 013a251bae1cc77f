//! One run of `conformance/peers/pyserial_client.py` against one server:
//! the client process started, talked to through the [`Driver`] until it
//! is done or the deadline passes, and ended for sure.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rfc2217_device::PtyPair;

use super::driver::{Driver, Record};
use super::payloads::Payloads;
use super::process_io::{lines_of, read_all, wait_for};
use crate::paths::{self, PYSERIAL_CLIENT_SCRIPT};

/// How long the client may take to exit once it is done.
const EXIT_WAIT: Duration = Duration::from_secs(5);

/// Runs the script against the server at `addr` and answers its requests;
/// one record per scenario of [`super::scenarios`]. The script writes
/// what it reads to `received`; after `deadline` it is killed.
pub(super) fn run(
    addr: SocketAddr,
    pair: &PtyPair,
    payloads: &Payloads,
    received: &Path,
    deadline: Duration,
) -> Vec<Record> {
    let failing = |reason: &str| -> Vec<Record> {
        super::scenarios()
            .iter()
            .map(|_| Record::failing(reason))
            .collect()
    };
    let mut driver = match Driver::new(pair, payloads, received) {
        Ok(driver) => driver,
        Err(reason) => return failing(&reason),
    };
    let script = paths::in_workspace(PYSERIAL_CLIENT_SCRIPT);
    let spawned = Command::new("python3")
        .arg("-u")
        .arg(&script)
        .arg(format!("rfc2217://{addr}"))
        .arg(&payloads.to_device_file)
        .arg(&payloads.from_device_file)
        .arg(received)
        .args(super::scenarios())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => return failing(&format!("cannot run {}: {error}", script.display())),
    };
    let lines = lines_of(child.stdout.take().expect("piped"));
    let stderr = read_all(child.stderr.take().expect("piped"));
    let stdin = child.stdin.take().expect("piped");
    let timed_out = driver.converse(&lines, stdin, Instant::now() + deadline);
    if timed_out {
        let _ = child.kill();
    }
    let deadline = timed_out.then_some(deadline);
    let status = wait_for(&mut child, EXIT_WAIT);
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let stderr = stderr.join().unwrap_or_default();
    driver.finish(deadline, status, &stderr)
}
