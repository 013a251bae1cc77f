//! Pipe mode, for scripts: stdin to the port and the port to stdout, until
//! stdin ends, e.g. `printf 'AT\r' | rfc2217 term rfc2217://host:2217 --linger 1`.

use std::io;
use std::thread;
use std::time::Duration;

use rfc2217_blocking::RemotePort;

use super::Output;
use crate::failure::Result;

/// Sends stdin, then waits for the server to take every byte (the flush is
/// a barrier) and for `linger`, while the port's answer is printed.
pub(super) fn run(mut port: RemotePort, output: Output, linger: Duration) -> Result {
    let sent =
        io::copy(&mut io::stdin().lock(), &mut port).and_then(|_| io::Write::flush(&mut port));
    if sent.is_ok() {
        thread::sleep(linger);
    }
    let printed = output.stop();
    sent?;
    printed?;
    Ok(())
}
