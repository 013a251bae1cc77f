//! How long a client waits to be served again right after it left: ten
//! reconnects in a row to each server on `loop://`, each one connecting,
//! negotiating and getting an answer, then closing. The thread server
//! used to wait up to 500 ms to decide the old client was gone; now it
//! sees the hang-up at once, as the mio server does.
//!
//! `cargo run --release -p rfc2217-testkit --example reconnect`

use std::time::{Duration, Instant};

use rfc2217_proto::Command;
use rfc2217_server::ServerConfig;
use rfc2217_testkit::{ServerKind, TestClient};

const RECONNECTS: usize = 10;

fn main() {
    for kind in ServerKind::ALL {
        let server = kind.start(ServerConfig::loopback());
        let mut times = Vec::with_capacity(RECONNECTS);
        for _ in 0..RECONNECTS {
            let started = Instant::now();
            let mut client = TestClient::ready(server.local_addr());
            client.ask(Command::SetBaudRate(0));
            times.push(started.elapsed());
            drop(client);
        }
        let total: Duration = times.iter().sum();
        let max = times.iter().max().copied().unwrap_or_default();
        println!(
            "{kind}: {RECONNECTS} reconnects in {:.1} ms, {:.2} ms each on average, {:.2} ms at most",
            ms(total),
            ms(total) / RECONNECTS as f64,
            ms(max)
        );
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
