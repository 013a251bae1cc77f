//! A client that is not served: told why in one line, on a thread of its
//! own, and closed once it has read it.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread;

use log::warn;
use rfc2217_server::{Refusal, REFUSAL_LINGER};

/// Sends the refusal's line, then reads and drops the client's input until
/// it closes or [`REFUSAL_LINGER`] passes, so closing does not reset the
/// connection and lose the line. The accept loop goes on meanwhile.
pub(crate) fn refuse(mut stream: TcpStream, peer: SocketAddr, refusal: Refusal) {
    let linger = move || {
        let _ = stream.set_write_timeout(Some(REFUSAL_LINGER));
        let _ = stream.write_all(refusal.message());
        let _ = stream.shutdown(Shutdown::Write);
        let _ = stream.set_read_timeout(Some(REFUSAL_LINGER));
        let mut sink = [0u8; 1024];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    };
    if let Err(error) = thread::Builder::new()
        .name(format!("rfc2217 refuse {peer}"))
        .spawn(linger)
    {
        warn!("{peer}: cannot start the refusal: {error}");
    }
}
