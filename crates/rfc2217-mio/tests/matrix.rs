//! Every client against every server it has not met in its own crate: the
//! mio client against the mio server and the blocking server, and the
//! blocking client against the mio server. Each scenario is written once,
//! against [`Client`], and run on each leg: every setting and query, every
//! SET-CONTROL value, the modem lines, break and line state, purge, the
//! barrier, the server suspending the client while its device takes
//! nothing and resuming it after, and 1 MiB of 0xFF-rich data both ways,
//! byte-exact.

mod client_common;

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use client_common::{mio_server, random_bytes, url, Driver, PATIENCE};
use rfc2217_blocking::{DeviceSpec, ServerConfig};
use rfc2217_client::PortState;
use rfc2217_mio::{Error, OpenOptions, PortConfig, PortEvent};
use rfc2217_proto::{Command, Control, DataSize, LineState, ModemState, Parity, Purge, StopSize};

/// The server of a leg.
#[derive(Clone, Copy)]
enum ServerKind {
    Blocking,
    Mio,
}

/// A running server of either kind; dropping it stops it.
enum AnyServer {
    Blocking(rfc2217_blocking::RunningServer),
    Mio(rfc2217_mio::RunningServer),
}

impl ServerKind {
    /// A server for `loop://`.
    fn start(self) -> AnyServer {
        self.serve(DeviceSpec::Loopback)
    }

    /// A server for `device`.
    fn serve(self, device: DeviceSpec) -> AnyServer {
        match self {
            ServerKind::Blocking => AnyServer::Blocking(
                rfc2217_blocking::Server::bind("127.0.0.1:0", ServerConfig::new(device))
                    .and_then(rfc2217_blocking::Server::spawn)
                    .expect("a blocking server on 127.0.0.1"),
            ),
            ServerKind::Mio => AnyServer::Mio(mio_server(PortConfig::new(device))),
        }
    }
}

impl AnyServer {
    fn local_addr(&self) -> SocketAddr {
        match self {
            AnyServer::Blocking(server) => server.local_addr(),
            AnyServer::Mio(server) => server.local_addr(),
        }
    }
}

/// What a scenario needs of a client; each call waits (boundedly) until
/// it is done.
trait Client: Sized {
    /// Opens `rfc2217://addr` with the default settings.
    fn open(addr: SocketAddr) -> Self;
    /// Sends a request and returns the value in use.
    fn request(&mut self, command: Command) -> Result<Command, Error>;
    /// Sets both lines in one segment and waits for both answers.
    fn set_dtr_rts(&mut self, dtr: bool, rts: bool) -> Result<(), Error>;
    /// Empties the buffers.
    fn purge(&mut self, purge: Purge) -> Result<(), Error>;
    /// Writes all of `data` (waiting while the server suspends us) and
    /// waits until the server has processed it.
    fn write_and_barrier(&mut self, data: &[u8]) -> Result<(), Error>;
    /// What the server has reported, after handling what has arrived.
    fn state(&mut self) -> PortState;
    /// The server's signature, once it came.
    fn signature(&mut self) -> Option<Vec<u8>>;
    /// Received bytes not yet read.
    fn bytes_to_read(&mut self) -> usize;
    /// Writes all of `data` while reading the echo; returns the echo.
    fn exchange(&mut self, data: &[u8]) -> Vec<u8>;
    /// Writes all of `data` and waits until the server has processed it;
    /// calls `on_suspended` when the server suspends us (it must: the
    /// callback is what lets the device drain).
    fn write_through_suspension(&mut self, data: &[u8], on_suspended: impl FnOnce());
    /// The server has suspended our sending, after handling what has
    /// arrived.
    fn is_suspended(&mut self) -> bool;
}

/// The mio client, driven by the test harness's loop.
struct MioClient(Driver);

impl Client for MioClient {
    fn open(addr: SocketAddr) -> Self {
        let options = OpenOptions::from_url(&url(addr)).unwrap();
        MioClient(Driver::open(options).expect("the port opens"))
    }

    fn request(&mut self, command: Command) -> Result<Command, Error> {
        self.0.request(command)
    }

    fn set_dtr_rts(&mut self, dtr: bool, rts: bool) -> Result<(), Error> {
        let ids = self.0.port.set_dtr_rts(dtr, rts)?;
        self.0.collect();
        for id in ids {
            self.0.answer(id)?;
        }
        Ok(())
    }

    fn purge(&mut self, purge: Purge) -> Result<(), Error> {
        let id = self.0.port.purge(purge)?;
        self.0.collect();
        self.0.answer(id).map(drop)
    }

    fn write_and_barrier(&mut self, data: &[u8]) -> Result<(), Error> {
        self.0.write_all(data, &mut Vec::new());
        self.0.barrier().map(drop)
    }

    fn state(&mut self) -> PortState {
        self.0.turn(Duration::from_millis(10));
        self.0.port.state().clone()
    }

    fn signature(&mut self) -> Option<Vec<u8>> {
        self.0.turn(Duration::from_millis(10));
        self.0.port.server_signature().map(<[u8]>::to_vec)
    }

    fn bytes_to_read(&mut self) -> usize {
        self.0.turn(Duration::from_millis(10));
        self.0.port.bytes_to_read()
    }

    fn exchange(&mut self, data: &[u8]) -> Vec<u8> {
        let mut echo = Vec::with_capacity(data.len());
        self.0.write_all(data, &mut echo);
        self.0.read_to(&mut echo, data.len());
        echo
    }

    fn write_through_suspension(&mut self, mut data: &[u8], on_suspended: impl FnOnce()) {
        let mut on_suspended = Some(on_suspended);
        self.0.until("all data taken", |driver| {
            let suspended = driver
                .inbox
                .iter()
                .position(|e| matches!(e, PortEvent::Suspended));
            if let Some(at) = suspended {
                driver.inbox.remove(at);
                on_suspended.take().into_iter().for_each(|call| call());
            }
            let taken = driver.write_some(data);
            data = &data[taken..];
            data.is_empty()
        });
        assert!(on_suspended.is_none(), "the server never suspended us");
        self.0.barrier().expect("the barrier");
    }

    fn is_suspended(&mut self) -> bool {
        self.0.turn(Duration::from_millis(10));
        self.0.port.is_suspended_by_server()
    }
}

/// The blocking client, as its users call it.
struct BlockingClient(rfc2217_blocking::RemotePort);

impl Client for BlockingClient {
    fn open(addr: SocketAddr) -> Self {
        let port = rfc2217_blocking::RemotePort::open(&url(addr)).expect("the port opens");
        BlockingClient(port)
    }

    fn request(&mut self, command: Command) -> Result<Command, Error> {
        self.0.request(command)
    }

    fn set_dtr_rts(&mut self, dtr: bool, rts: bool) -> Result<(), Error> {
        self.0.set_dtr_rts(dtr, rts)
    }

    fn purge(&mut self, purge: Purge) -> Result<(), Error> {
        self.0.purge(purge)
    }

    fn write_and_barrier(&mut self, data: &[u8]) -> Result<(), Error> {
        self.0.set_write_timeout(Some(PATIENCE));
        self.0.write_all(data).map_err(Error::Io)?;
        self.0.flush().map_err(Error::Io)
    }

    fn state(&mut self) -> PortState {
        self.0.state()
    }

    fn signature(&mut self) -> Option<Vec<u8>> {
        self.0.server_signature()
    }

    fn bytes_to_read(&mut self) -> usize {
        self.0.bytes_to_read()
    }

    fn exchange(&mut self, data: &[u8]) -> Vec<u8> {
        let mut writer = self.0.try_clone();
        writer.set_write_timeout(Some(PATIENCE));
        let sent = data.to_vec();
        let writing = thread::spawn(move || {
            writer.write_all(&sent).expect("write");
            writer.flush().expect("barrier");
        });
        self.0.set_read_timeout(Some(PATIENCE));
        let mut echo = vec![0u8; data.len()];
        self.0.read_exact(&mut echo).expect("the echo");
        writing.join().expect("the writer");
        echo
    }

    fn write_through_suspension(&mut self, data: &[u8], on_suspended: impl FnOnce()) {
        // As a blocking program would: a writer thread that waits while
        // the server has suspended it.
        let mut writer = self.0.try_clone();
        let sent = data.to_vec();
        let writing = thread::spawn(move || {
            writer.set_write_timeout(Some(PATIENCE));
            writer.write_all(&sent)?;
            writer.flush()
        });
        let deadline = Instant::now() + PATIENCE;
        while !self.0.is_suspended_by_server() {
            assert!(Instant::now() < deadline, "the server never suspended us");
            thread::sleep(Duration::from_millis(1));
        }
        on_suspended();
        writing
            .join()
            .expect("the writer")
            .expect("the data written");
    }

    fn is_suspended(&mut self) -> bool {
        self.0.is_suspended_by_server()
    }
}

/// Asks `client` until `condition` holds of its state, for at most
/// [`PATIENCE`].
fn eventually<C: Client>(client: &mut C, what: &str, condition: impl Fn(&PortState) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition(&client.state()) {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

fn modem(state: &PortState) -> ModemState {
    state.modem.map_or(ModemState::EMPTY, |(lines, _)| lines)
}

// ----- the scenarios ---------------------------------------------------------

fn opens_and_reports_the_settings_in_use<C: Client>(server: ServerKind) {
    let server = server.start();
    let mut client = C::open(server.local_addr());
    let state = client.state();
    assert_eq!(state.baud_rate, Some(9600));
    assert_eq!(state.data_size, Some(DataSize::Eight));
    assert_eq!((state.dtr, state.rts), (Some(true), Some(true)));
    let deadline = Instant::now() + PATIENCE;
    while client.signature().is_none_or(|s| s.is_empty()) {
        assert!(Instant::now() < deadline, "no signature");
    }
}

fn every_setting_is_applied_and_queried<C: Client>(server: ServerKind) {
    let server = server.start();
    let mut client = C::open(server.local_addr());
    for baud in [300, 115_200, 1_234, 0xFF_FFFF] {
        let in_use = client.request(Command::SetBaudRate(baud)).unwrap();
        assert_eq!(in_use, Command::SetBaudRate(baud));
        let queried = client.request(Command::SetBaudRate(0)).unwrap();
        assert_eq!(queried, Command::SetBaudRate(baud));
    }
    for size in [
        DataSize::Five,
        DataSize::Six,
        DataSize::Seven,
        DataSize::Eight,
    ] {
        client.request(Command::SetDataSize(size)).unwrap();
        let queried = client.request(Command::SetDataSize(DataSize::Query));
        assert_eq!(queried.unwrap(), Command::SetDataSize(size));
    }
    for parity in [
        Parity::Odd,
        Parity::Even,
        Parity::Mark,
        Parity::Space,
        Parity::None,
    ] {
        client.request(Command::SetParity(parity)).unwrap();
        let queried = client.request(Command::SetParity(Parity::Query));
        assert_eq!(queried.unwrap(), Command::SetParity(parity));
    }
    for stop in [StopSize::Two, StopSize::OnePointFive, StopSize::One] {
        client.request(Command::SetStopSize(stop)).unwrap();
        let queried = client.request(Command::SetStopSize(StopSize::Query));
        assert_eq!(queried.unwrap(), Command::SetStopSize(stop));
    }
    for flow in [
        Control::XonXoffFlowControl,
        Control::HardwareFlowControl,
        Control::NoFlowControl,
    ] {
        client.request(Command::SetControl(flow)).unwrap();
        let queried = client.request(Command::SetControl(Control::QueryFlowControl));
        assert_eq!(queried.unwrap(), Command::SetControl(flow));
    }
    let state = client.state();
    assert_eq!(state.baud_rate, Some(0xFF_FFFF));
    assert_eq!(state.flow_control, Some(Control::NoFlowControl));
}

fn every_set_control_value_is_answered<C: Client>(server: ServerKind) {
    let server = server.start();
    let mut client = C::open(server.local_addr());
    for byte in 0..=19u8 {
        let control = Control::from_byte(byte);
        let answer = client.request(Command::SetControl(control)).unwrap();
        let Command::SetControl(in_use) = answer else {
            panic!("{answer:?}")
        };
        assert_eq!(in_use.group(), control.group(), "value {byte}");
    }
}

fn modem_lines_follow_the_loopback_wiring<C: Client>(server: ServerKind) {
    let server = server.start();
    let mut client = C::open(server.local_addr());
    // loop://: RTS drives CTS, DTR drives DSR and CD.
    client.set_dtr_rts(true, false).unwrap();
    eventually(&mut client, "DSR and CD without CTS", |state| {
        let lines = modem(state);
        lines.contains(ModemState::DSR | ModemState::CD) && !lines.contains(ModemState::CTS)
    });
    client.set_dtr_rts(false, true).unwrap();
    eventually(&mut client, "CTS alone", |state| {
        modem(state) & ModemState::LINES == ModemState::CTS
    });
    client.set_dtr_rts(false, false).unwrap();
    eventually(&mut client, "no line", |state| {
        (modem(state) & ModemState::LINES).is_empty()
    });
    let state = client.state();
    assert_eq!((state.dtr, state.rts), (Some(false), Some(false)));
}

fn break_is_seen_as_a_break_and_purge_and_barrier_work<C: Client>(server: ServerKind) {
    let server = server.start();
    let mut client = C::open(server.local_addr());
    client
        .request(Command::SetControl(Control::BreakOn))
        .unwrap();
    assert_eq!(client.state().break_on, Some(true));
    // The loopback sees its own break; the server reports it.
    eventually(&mut client, "a break detected", |state| {
        state
            .line
            .is_some_and(|line| line.contains(LineState::BREAK_DETECT))
    });
    client
        .request(Command::SetControl(Control::BreakOff))
        .unwrap();
    assert_eq!(client.state().break_on, Some(false));
    for purge in [Purge::Receive, Purge::Transmit, Purge::Both] {
        client.purge(purge).unwrap();
    }
    client.write_and_barrier(b"before the barrier").unwrap();
    // The loopback echoes it once the server has processed it.
    let deadline = Instant::now() + PATIENCE;
    while client.bytes_to_read() < 18 {
        assert!(Instant::now() < deadline, "no echo");
    }
    client.purge(Purge::Receive).unwrap();
    assert_eq!(client.bytes_to_read(), 0);
}

#[cfg(unix)]
fn the_server_suspends_the_client_while_the_device_takes_nothing<C: Client>(server: ServerKind) {
    use rfc2217_blocking::PtyPair;

    let pty = PtyPair::new().expect("a pty pair");
    let server = server.serve(pty.spec());
    let mut client = C::open(server.local_addr());
    // Nobody reads the pty's far end at first: once its buffer is full the
    // device takes nothing, and the server suspends us rather than hold
    // more (TCP holds a few MiB before that). Then the far end reads: the
    // server resumes us, and the device gets everything once, in order.
    let data = random_bytes(16 << 20, 11);
    let mut far_end = pty.far_end.try_clone_native().expect("the far end");
    let len = data.len();
    let mut reading = None;
    client.write_through_suspension(&data, || {
        reading = Some(thread::spawn(move || {
            // Everything, and then whatever else comes within a moment: a
            // byte sent twice must not go unnoticed.
            let mut deadline = Instant::now() + PATIENCE;
            let mut got = Vec::with_capacity(len);
            let mut buffer = [0u8; 16 * 1024];
            while Instant::now() < deadline {
                match far_end.read(&mut buffer) {
                    Ok(n) => got.extend_from_slice(&buffer[..n]),
                    Err(error) => assert_eq!(error.kind(), io::ErrorKind::TimedOut),
                }
                if got.len() >= len {
                    deadline = deadline.min(Instant::now() + Duration::from_millis(200));
                }
            }
            got
        }));
    });
    let got = reading.expect("suspended").join().expect("the reader");
    assert_eq!(got.len(), len);
    assert!(got == data, "the device got other bytes than were sent");
    // The RESUME may come a moment after the barrier's answer.
    let deadline = Instant::now() + PATIENCE;
    while client.is_suspended() {
        assert!(Instant::now() < deadline, "the server never resumed us");
        thread::sleep(Duration::from_millis(1));
    }
}

fn one_mebibyte_of_0xff_rich_data_both_ways_byte_exact<C: Client>(server: ServerKind) {
    let server = server.start();
    let mut client = C::open(server.local_addr());
    let data = random_bytes(1 << 20, 7);
    let echo = client.exchange(&data);
    assert_eq!(echo.len(), data.len());
    assert!(echo == data, "the echo differs from what was sent");
}

/// One leg: every scenario for `$client` against `$server`; a leg that
/// cannot run the suspension scenario says why in the attribute given.
macro_rules! leg {
    ($leg:ident, $client:ty, $server:expr) => {
        mod $leg {
            use super::*;

            #[test]
            fn opens_and_reports_the_settings_in_use() {
                super::opens_and_reports_the_settings_in_use::<$client>($server);
            }

            #[test]
            fn every_setting_is_applied_and_queried() {
                super::every_setting_is_applied_and_queried::<$client>($server);
            }

            #[test]
            fn every_set_control_value_is_answered() {
                super::every_set_control_value_is_answered::<$client>($server);
            }

            #[test]
            fn modem_lines_follow_the_loopback_wiring() {
                super::modem_lines_follow_the_loopback_wiring::<$client>($server);
            }

            #[test]
            fn break_is_seen_as_a_break_and_purge_and_barrier_work() {
                super::break_is_seen_as_a_break_and_purge_and_barrier_work::<$client>($server);
            }

            #[test]
            #[cfg(unix)]
            fn the_server_suspends_the_client_while_the_device_takes_nothing() {
                super::the_server_suspends_the_client_while_the_device_takes_nothing::<$client>(
                    $server,
                );
            }

            #[test]
            fn one_mebibyte_of_0xff_rich_data_both_ways_byte_exact() {
                super::one_mebibyte_of_0xff_rich_data_both_ways_byte_exact::<$client>($server);
            }
        }
    };
}

leg!(mio_client_mio_server, MioClient, ServerKind::Mio);
leg!(mio_client_blocking_server, MioClient, ServerKind::Blocking);
leg!(blocking_client_mio_server, BlockingClient, ServerKind::Mio);
