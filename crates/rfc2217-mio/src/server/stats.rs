//! What a running server reports about itself, to any thread.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// A snapshot of a server's counters ([`ServerHandle::stats`](crate::ServerHandle::stats)).
///
/// `buffered_bytes` is the memory the connections' queues hold: bytes a
/// stage refused (a device that stopped taking data, a client that stopped
/// reading, a client that suspended us) and are kept until it takes them.
/// It does not count the fixed per-connection session, the buffers the
/// event loop shares, or what the kernel and the devices hold. Every queue
/// is bounded, so it stays within a few chunks per connection whatever the
/// clients do; its peak is how tests check that.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerStats {
    /// Clients being served now.
    pub connections: usize,
    /// Clients accepted since the start, served or refused.
    pub accepted: u64,
    /// Clients refused (a busy device, one that cannot be opened, or an address not allowed).
    pub refused: u64,
    /// Bytes held in the connections' queues now.
    pub buffered_bytes: usize,
    /// The most `buffered_bytes` has been.
    pub peak_buffered_bytes: usize,
}

/// The counters, written by the event loop.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    connections: AtomicUsize,
    accepted: AtomicU64,
    refused: AtomicU64,
    buffered: AtomicUsize,
    peak_buffered: AtomicUsize,
}

impl Counters {
    pub(crate) fn accepted(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn set_connections(&self, connections: usize) {
        self.connections.store(connections, Ordering::Relaxed);
    }

    pub(crate) fn set_buffered(&self, bytes: usize) {
        self.buffered.store(bytes, Ordering::Relaxed);
        self.peak_buffered.fetch_max(bytes, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> ServerStats {
        ServerStats {
            connections: self.connections.load(Ordering::Relaxed),
            accepted: self.accepted.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            buffered_bytes: self.buffered.load(Ordering::Relaxed),
            peak_buffered_bytes: self.peak_buffered.load(Ordering::Relaxed),
        }
    }
}
