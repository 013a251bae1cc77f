//! Test data, addresses and the bound on every wait.

use std::net::SocketAddr;
use std::time::Duration;

/// The bound on every wait in the tests: a test fails with a message
/// instead of hanging.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Deterministic bytes, a quarter of them 0xFF (IAC) and some CR and NUL.
pub fn random_bytes(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            match seed % 8 {
                0 | 1 => 0xFF,
                2 => b'\r',
                3 => 0,
                _ => (seed >> 32) as u8,
            }
        })
        .collect()
}

/// The `rfc2217://` URL of a server at `addr`.
pub fn url(addr: SocketAddr) -> String {
    format!("rfc2217://{addr}")
}
