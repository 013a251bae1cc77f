//! The connection driven with no socket: a core client session on the
//! other side of a byte queue, a loopback behind it, time passed in.

use std::time::{Duration, Instant};

use rfc2217_device::{Device, Loopback, Settings};
use rfc2217_proto::{
    self as proto, ClientEvent, Command, Config, Control, LineState, ModemState, Purge, Session,
    TelnetCommand, TRANSMIT_QUEUE_CAPACITY,
};

use super::{Connection, Ending, Scratch, BREAK_DURATION, WRITE_STALL};
use crate::ServerConfig;

/// A loopback that can be told to refuse data, and that remembers the
/// data it took and the break switching it was asked for.
struct Probe {
    inner: Loopback,
    stalled: bool,
    written: Vec<u8>,
    breaks: Vec<bool>,
}

impl Device for Probe {
    fn name(&self) -> String {
        self.inner.name()
    }
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf)
    }
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.stalled {
            return Ok(0);
        }
        let n = self.inner.write(data)?;
        self.written.extend_from_slice(&data[..n]);
        Ok(n)
    }
    fn apply(&mut self, request: Command) -> std::io::Result<Command> {
        match request {
            Command::SetControl(Control::BreakOn) => self.breaks.push(true),
            Command::SetControl(Control::BreakOff) => self.breaks.push(false),
            _ => {}
        }
        self.inner.apply(request)
    }
    fn purge(&mut self, purge: Purge) -> std::io::Result<()> {
        self.inner.purge(purge)
    }
    fn modem_lines(&mut self) -> std::io::Result<ModemState> {
        self.inner.modem_lines()
    }
    fn line_state(&mut self) -> std::io::Result<LineState> {
        self.inner.line_state()
    }
    fn restore(&mut self, defaults: &Settings) -> std::io::Result<()> {
        self.inner.restore(defaults)
    }
}

/// A client session and a connection joined by two byte queues.
struct Pair {
    start: Instant,
    client: Session<proto::Client>,
    connection: Connection,
    device: Probe,
    scratch: Scratch,
    /// Client bytes the connection did not want yet.
    to_server: Vec<u8>,
    /// Data the client received.
    received: Vec<u8>,
    events: Vec<ClientEvent>,
}

impl Pair {
    fn new(config: &ServerConfig) -> Pair {
        let start = Instant::now();
        let peer = "127.0.0.1:1".parse().unwrap();
        Pair {
            start,
            client: Session::new(Config::client(), proto::Instant::ZERO),
            connection: Connection::new(config, b"test", peer, start),
            device: Probe {
                inner: Loopback::new(),
                stalled: false,
                written: Vec::new(),
                breaks: Vec::new(),
            },
            scratch: Scratch::default(),
            to_server: Vec::new(),
            received: Vec::new(),
            events: Vec::new(),
        }
    }

    fn client_now(&self, at: Duration) -> proto::Instant {
        proto::Instant::from_micros(at.as_micros() as u64)
    }

    /// Moves bytes both ways at `at` after the start until nothing moves.
    fn run(&mut self, at: Duration) -> Result<(), Ending> {
        let now = self.start + at;
        for _ in 0..100 {
            let mut out = [0u8; TRANSMIT_QUEUE_CAPACITY];
            let n = self.client.poll_transmit(&mut out);
            self.to_server.extend_from_slice(&out[..n]);
            // As a driver does: pump (deadlines first), then input.
            let (pumped, _) = self
                .connection
                .pump(now, &mut self.device, &mut self.scratch)?;
            let mut moved = n + pumped;
            if self.connection.wants_input() && !self.to_server.is_empty() {
                let input = std::mem::take(&mut self.to_server);
                self.connection
                    .handle_input(now, &input, &mut self.device, &mut self.scratch)?;
                moved += input.len();
            }
            let wire = self.connection.transmit().to_vec();
            self.connection.transmitted(wire.len());
            moved += wire.len();
            let mut rest = &wire[..];
            let client_now = self.client_now(at);
            while !rest.is_empty() {
                let mut data = [0u8; 1024];
                let got = self.client.handle_input(client_now, rest, &mut data);
                rest = &rest[got.consumed..];
                self.received.extend_from_slice(&data[..got.data_len]);
                self.events
                    .extend(std::iter::from_fn(|| self.client.poll_event()));
            }
            if moved == 0 {
                return Ok(());
            }
        }
        panic!("the connection never settled");
    }

    fn send(&mut self, data: &[u8]) {
        let mut out = vec![0u8; 2 * data.len() + TRANSMIT_QUEUE_CAPACITY];
        let encoded = self.client.encode_data(data, &mut out);
        assert_eq!(encoded.consumed, data.len());
        self.to_server.extend_from_slice(&out[..encoded.written]);
    }

    fn request(&mut self, command: Command, at: Duration) {
        let now = self.client_now(at);
        self.client.request(now, command).unwrap();
    }

    fn replies(&self) -> Vec<Command> {
        let replies = self.events.iter().filter_map(|event| match event {
            ClientEvent::Reply { reply, .. } => Some(*reply),
            _ => None,
        });
        replies.collect()
    }
}

const T0: Duration = Duration::ZERO;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn data_is_echoed_and_requests_are_answered_with_the_value_in_use() {
    let mut pair = Pair::new(&ServerConfig::loopback());
    pair.run(T0).unwrap();
    assert!(pair.client.is_com_port_active());
    pair.request(Command::SetBaudRate(115_200), T0);
    pair.send(b"hello\xff");
    pair.run(T0).unwrap();
    assert_eq!(pair.replies(), [Command::SetBaudRate(115_200)]);
    assert_eq!(pair.received, b"hello\xff");
}

#[test]
fn a_device_that_refuses_data_suspends_the_client_until_it_takes_it() {
    let mut pair = Pair::new(&ServerConfig::loopback());
    pair.run(T0).unwrap();
    pair.device.stalled = true;
    pair.send(b"stuck");
    pair.run(T0).unwrap();
    assert!(pair.connection.wants_device_output());
    assert!(!pair.client.is_suspended_by_peer());
    pair.run(WRITE_STALL - ms(1)).unwrap();
    assert!(!pair.client.is_suspended_by_peer(), "before the stall time");
    pair.run(WRITE_STALL).unwrap();
    assert!(pair.client.is_suspended_by_peer(), "after the stall time");
    pair.device.stalled = false;
    pair.run(WRITE_STALL + ms(1)).unwrap();
    assert!(!pair.client.is_suspended_by_peer(), "resumed");
    assert_eq!(pair.received, b"stuck");
}

#[test]
fn a_break_holds_the_line_for_its_duration_and_data_waits_behind_it() {
    let config = ServerConfig::loopback().with_modem_poll_interval(Duration::from_secs(10));
    let mut pair = Pair::new(&config);
    pair.run(T0).unwrap();
    pair.client
        .send_telnet_command(TelnetCommand::Break)
        .unwrap();
    pair.run(T0).unwrap();
    pair.send(b"after");
    pair.run(T0).unwrap();
    assert_eq!(pair.device.breaks, [true]);
    assert!(pair.received.is_empty(), "data waits for the break's end");
    assert_eq!(
        pair.connection.poll_timeout(),
        Some(pair.start + BREAK_DURATION)
    );
    pair.run(BREAK_DURATION - ms(1)).unwrap();
    assert_eq!(pair.device.breaks, [true]);
    pair.run(BREAK_DURATION).unwrap();
    assert_eq!(pair.device.breaks, [true, false]);
    assert_eq!(pair.received, b"after");
}

#[test]
fn a_purge_drops_device_data_the_client_was_not_sent_yet() {
    let mut pair = Pair::new(&ServerConfig::loopback());
    pair.run(T0).unwrap();
    pair.client.suspend_peer().unwrap();
    pair.send(b"held back");
    pair.run(T0).unwrap();
    assert!(pair.received.is_empty());
    assert!(pair.connection.buffered() > 0, "the echo is held");
    pair.request(Command::PurgeData(Purge::Receive), T0);
    pair.run(T0).unwrap();
    pair.client.resume_peer().unwrap();
    pair.run(T0).unwrap();
    assert_eq!(pair.replies(), [Command::PurgeData(Purge::Receive)]);
    assert!(pair.received.is_empty(), "{:?}", pair.received);
}

#[test]
fn modem_line_changes_are_notified_at_the_next_poll() {
    let config = ServerConfig::loopback().with_modem_poll_interval(ms(20));
    let mut pair = Pair::new(&config);
    pair.run(T0).unwrap();
    pair.request(Command::SetControl(Control::RtsOn), T0);
    pair.run(T0).unwrap();
    let notified = pair.events.iter().any(
        |event| matches!(event, ClientEvent::ModemState(lines) if lines.contains(ModemState::CTS)),
    );
    assert!(notified, "{:?}", pair.events);
    assert_eq!(pair.connection.poll_timeout(), Some(pair.start + ms(20)));
}

#[test]
fn a_silent_client_is_closed_after_the_idle_timeout() {
    let config = ServerConfig::loopback().with_idle_timeout(Some(ms(500)));
    let mut pair = Pair::new(&config);
    pair.run(T0).unwrap();
    pair.send(b"x");
    pair.run(ms(400)).unwrap();
    pair.run(ms(899)).unwrap();
    let ending = pair.run(ms(900)).unwrap_err();
    assert!(ending.reason.contains("nothing received"), "{ending}");
    assert!(!ending.device_failed);
}

#[test]
fn a_device_that_vanishes_ends_the_connection_as_a_device_failure() {
    let mut pair = Pair::new(&ServerConfig::loopback());
    pair.run(T0).unwrap();
    pair.device.inner.unplug();
    pair.send(b"x");
    let ending = pair.run(T0).unwrap_err();
    assert!(ending.device_failed, "{ending}");
}

#[test]
fn input_handed_over_in_any_order_reaches_the_device_in_order() {
    let config = ServerConfig::loopback().with_modem_poll_interval(Duration::from_secs(10));
    let mut pair = Pair::new(&config);
    pair.run(T0).unwrap();
    let now = pair.start;
    let (connection, device, scratch) = (&mut pair.connection, &mut pair.device, &mut pair.scratch);
    // Device data the socket never takes: answers pile up, so a pump
    // moves no held input on.
    device.inner.write(&[b'.'; 20_000]).unwrap();
    connection.pump(now, device, scratch).unwrap();
    assert!(!connection.wants_input());
    device.stalled = true;
    connection
        .handle_input(now, b"first ", device, scratch)
        .unwrap();
    connection
        .handle_input(now, b"second ", device, scratch)
        .unwrap();
    device.stalled = false;
    connection.pump(now, device, scratch).unwrap();
    assert_eq!(device.written, b"first ", "the rest is held");
    // New input while older input is held: it queues behind it.
    connection
        .handle_input(now, b"third", device, scratch)
        .unwrap();
    connection.transmitted(usize::MAX);
    while device.written.len() < b"first second third".len() {
        let (moved, _) = connection.pump(now, device, scratch).unwrap();
        connection.transmitted(connection.transmit().len());
        assert!(moved > 0, "stuck with {:?}", device.written);
    }
    assert_eq!(device.written, b"first second third");
}
