//! A client that is not served: let go as `rfc2217-server`'s [`let_go`]
//! says, lingering on a thread of its own until its deadline.

use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use log::warn;
use rfc2217_server::{let_go, Refusal};

use super::wait::wait_refused;

/// Refuses the client of `stream`: its line, then, while fewer than the
/// policy's cap linger (`lingering` counts them), its input is read and
/// dropped on a thread until it closes or the refusal's deadline passes.
/// The accept loop goes on meanwhile.
pub(crate) fn refuse(
    stream: TcpStream,
    peer: SocketAddr,
    refusal: Refusal,
    lingering: &Arc<AtomicUsize>,
) {
    if let Err(error) = stream.set_nonblocking(true) {
        warn!("{peer}: cannot refuse politely: {error}");
        return;
    }
    let shut_write = |stream: &TcpStream| {
        let _ = stream.shutdown(Shutdown::Write);
    };
    let counted = Counted::new(lingering);
    let others = counted.others;
    let Some(mut refused) = let_go(stream, shut_write, refusal, Instant::now(), others) else {
        return;
    };
    let linger = move || {
        let _counted = counted;
        while refused.advance(Instant::now()) {
            wait_refused(refused.stream(), refused.wants_write(), refused.deadline());
        }
    };
    if let Err(error) = thread::Builder::new()
        .name(format!("rfc2217 refuse {peer}"))
        .spawn(linger)
    {
        warn!("{peer}: cannot start the refusal: {error}");
    }
}

/// A refusal counted among those lingering while this lives.
struct Counted {
    lingering: Arc<AtomicUsize>,
    /// Refusals that lingered when this one was counted.
    others: usize,
}

impl Counted {
    fn new(lingering: &Arc<AtomicUsize>) -> Counted {
        Counted {
            others: lingering.fetch_add(1, Ordering::AcqRel),
            lingering: Arc::clone(lingering),
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.lingering.fetch_sub(1, Ordering::AcqRel);
    }
}
