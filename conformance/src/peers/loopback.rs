//! Listeners on 127.0.0.1: a free port for a server, and whether it
//! listens yet, seen without connecting (a probe connection could hold
//! the device when the test connects).

use std::io;
use std::net::{Ipv4Addr, TcpListener};

/// Whether the kernel's TCP table (`/proc/net/tcp`) has a socket listening
/// on 127.0.0.1:`port`.
pub(super) fn listens(table: &str, port: u16) -> bool {
    // The address is the network-order word printed as a native integer.
    let loopback = u32::from_ne_bytes(Ipv4Addr::LOCALHOST.octets());
    const LISTEN: &str = "0A";
    table.lines().skip(1).any(|line| {
        let mut fields = line.split_whitespace().skip(1);
        let (Some(local), Some(_remote), Some(state)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return false;
        };
        let Some((address, local_port)) = local.split_once(':') else {
            return false;
        };
        state == LISTEN
            && u32::from_str_radix(address, 16) == Ok(loopback)
            && u16::from_str_radix(local_port, 16) == Ok(port)
    })
}

/// A port on 127.0.0.1 that was free a moment ago.
pub(super) fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tcp_table_shows_loopback_listeners_only() {
        let loopback = format!("{:08X}", u32::from_ne_bytes([127, 0, 0, 1]));
        let table = format!(
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   \
             0: {loopback}:1C21 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n   \
             1: 00000000:1C22 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0\n   \
             2: {loopback}:1C23 {loopback}:D431 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 20 4 30 10 -1\n"
        );
        assert!(listens(&table, 0x1c21));
        assert!(!listens(&table, 0x1c22), "0.0.0.0");
        assert!(!listens(&table, 0x1c23), "established");
        assert!(!listens(&table, 0x1c24), "absent");
        assert!(!listens("", 0x1c21));
    }
}
