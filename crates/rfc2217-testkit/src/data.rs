//! Test data and addresses.

use std::net::SocketAddr;

/// 0xFF-rich pseudo-random bytes (a quarter of them 0xFF, the byte the
/// wire must escape), reproducible from `seed`.
pub fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x % 4 == 0 {
                0xFF
            } else {
                (x >> 24) as u8
            }
        })
        .collect()
}

/// The `rfc2217://` URL of a server at `addr`.
pub fn url(addr: SocketAddr) -> String {
    format!("rfc2217://{addr}")
}
