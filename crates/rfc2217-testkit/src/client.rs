//! The client trait every client scenario is written against, with its two
//! implementations: the thread client as its users call it, and the mio
//! client through the [`Driver`] facade. Each call waits (boundedly) until
//! it is done, so one scenario reads the same for both.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use rfc2217_blocking::OpenOptionsExt as _;
use rfc2217_client::{Error, OpenOptions, PortState};
use rfc2217_proto::{Command, ModemState, Purge, Side, TelnetOption};

use crate::data::url;
use crate::mio_facade::Driver;
use crate::PATIENCE;

/// What a scenario needs of a client; each call waits (boundedly) until
/// it is done.
pub trait Client: Sized {
    /// How a write the server holds back (FLOWCONTROL-SUSPEND) fails:
    /// after the write timeout, or at once.
    const HELD_BACK: io::ErrorKind;

    /// Opens a port with `options`, waiting for the verdict.
    fn open_with(options: OpenOptions) -> Result<Self, Error>;
    /// Opens `rfc2217://addr` with the default settings.
    fn open(addr: SocketAddr) -> Self {
        let options = OpenOptions::from_url(&url(addr)).expect("a valid URL");
        Self::open_with(options).expect("the port opens")
    }
    /// Sends a request and returns the value in use.
    fn request(&mut self, command: Command) -> Result<Command, Error>;
    /// Sets both lines in one segment and waits for both answers.
    fn set_dtr_rts(&mut self, dtr: bool, rts: bool) -> Result<(), Error>;
    /// Empties the buffers.
    fn purge(&mut self, purge: Purge) -> Result<(), Error>;
    /// Writes all of `data` (waiting while the server suspends us) and
    /// waits until the server has processed it.
    fn write_and_barrier(&mut self, data: &[u8]) -> Result<(), Error>;
    /// One write that does not wait for the server past a short write
    /// timeout (the thread client) or at all (the mio client).
    fn write_once(&mut self, data: &[u8]) -> io::Result<usize>;
    /// What the server has reported, after handling what has arrived.
    fn state(&mut self) -> PortState;
    /// The modem lines, as the client reports them to its user (polled
    /// first if `poll_modem` asks for it and the cached state is stale).
    fn modem_state(&mut self) -> Option<ModemState>;
    /// The server's signature, once it came.
    fn signature(&mut self) -> Option<Vec<u8>>;
    /// Whether a side of a Telnet option was agreed.
    fn is_option_enabled(&mut self, option: TelnetOption, side: Side) -> bool;
    /// Received bytes not yet read.
    fn bytes_to_read(&mut self) -> usize;
    /// Writes all of `data` while reading the echo; returns the echo.
    fn exchange(&mut self, data: &[u8]) -> Vec<u8>;
    /// Reads what was received until the connection ends.
    fn read_to_end(&mut self) -> Vec<u8>;
    /// Writes all of `data` and waits until the server has processed it;
    /// calls `on_suspended` when the server suspends us (it must: the
    /// callback is what lets the device drain).
    fn write_through_suspension(&mut self, data: &[u8], on_suspended: impl FnOnce());
    /// The server has suspended our sending, after handling what has
    /// arrived.
    fn is_suspended(&mut self) -> bool;
}

/// Asks `client` until `condition` holds of its state, for at most
/// [`PATIENCE`].
pub fn eventually<C: Client>(client: &mut C, what: &str, condition: impl Fn(&PortState) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition(&client.state()) {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

/// The mio client, driven by the [`Driver`] facade.
pub struct MioClient(pub Driver);

impl Client for MioClient {
    const HELD_BACK: io::ErrorKind = io::ErrorKind::WouldBlock;

    fn open_with(options: OpenOptions) -> Result<Self, Error> {
        Driver::open(options).map(MioClient)
    }

    fn request(&mut self, command: Command) -> Result<Command, Error> {
        self.0.request(command)
    }

    fn set_dtr_rts(&mut self, dtr: bool, rts: bool) -> Result<(), Error> {
        let [dtr, rts] = self.0.port.set_dtr_rts(dtr, rts)?;
        self.0.collect();
        // Both answers are taken, as the thread client does, even when the
        // first is an error.
        let dtr = self.0.answer(dtr);
        let rts = self.0.answer(rts);
        dtr.and(rts).map(drop)
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

    fn write_once(&mut self, data: &[u8]) -> io::Result<usize> {
        let written = self.0.port.write(data);
        self.0.collect();
        written
    }

    fn state(&mut self) -> PortState {
        self.0.turn(Duration::from_millis(10));
        self.0.port.state().clone()
    }

    fn modem_state(&mut self) -> Option<ModemState> {
        self.0.turn(Duration::from_millis(10));
        self.0.port.modem_state()
    }

    fn signature(&mut self) -> Option<Vec<u8>> {
        self.0.turn(Duration::from_millis(10));
        self.0.port.server_signature().map(<[u8]>::to_vec)
    }

    fn is_option_enabled(&mut self, option: TelnetOption, side: Side) -> bool {
        self.0.port.is_option_enabled(option, side)
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

    fn read_to_end(&mut self) -> Vec<u8> {
        let mut received = Vec::new();
        self.0.until("the end of the connection", |driver| {
            driver.read_available(&mut received);
            driver.port.is_closed()
        });
        self.0.read_available(&mut received);
        received
    }

    fn write_through_suspension(&mut self, mut data: &[u8], on_suspended: impl FnOnce()) {
        let mut on_suspended = Some(on_suspended);
        self.0.until("all data taken", |driver| {
            let suspended = driver
                .inbox
                .iter()
                .position(|e| matches!(e, rfc2217_client::PortEvent::Suspended));
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

/// The thread client, as its users call it.
pub struct BlockingClient(pub rfc2217_blocking::RemotePort);

impl Client for BlockingClient {
    const HELD_BACK: io::ErrorKind = io::ErrorKind::TimedOut;

    fn open_with(options: OpenOptions) -> Result<Self, Error> {
        options.open().map(BlockingClient)
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

    fn write_once(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0.set_write_timeout(Some(Duration::from_millis(200)));
        let written = self.0.write(data);
        self.0.set_write_timeout(Some(PATIENCE));
        written
    }

    fn state(&mut self) -> PortState {
        self.0.state()
    }

    fn modem_state(&mut self) -> Option<ModemState> {
        self.0.modem_state().ok()
    }

    fn signature(&mut self) -> Option<Vec<u8>> {
        self.0.server_signature()
    }

    fn is_option_enabled(&mut self, option: TelnetOption, side: Side) -> bool {
        self.0.is_option_enabled(option, side)
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

    fn read_to_end(&mut self) -> Vec<u8> {
        self.0.set_read_timeout(Some(PATIENCE));
        let mut received = Vec::new();
        self.0
            .read_to_end(&mut received)
            .expect("the data, then the end");
        received
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

/// Every scenario named, as a test for each client against each server:
/// `scenario::<C>(ServerKind)` becomes `<client>_client_<server>_server::scenario`.
/// Attributes before a name (`#[cfg(unix)]`) go on each of its tests.
#[macro_export]
macro_rules! on_every_client_and_server {
    ($($(#[$attr:meta])* $scenario:ident),* $(,)?) => {
        $crate::on_every_client_and_server!(@leg blocking_client_blocking_server,
            $crate::client::BlockingClient, $crate::ServerKind::Thread; $($(#[$attr])* $scenario),*);
        $crate::on_every_client_and_server!(@leg blocking_client_mio_server,
            $crate::client::BlockingClient, $crate::ServerKind::Mio; $($(#[$attr])* $scenario),*);
        $crate::on_every_client_and_server!(@leg mio_client_blocking_server,
            $crate::client::MioClient, $crate::ServerKind::Thread; $($(#[$attr])* $scenario),*);
        $crate::on_every_client_and_server!(@leg mio_client_mio_server,
            $crate::client::MioClient, $crate::ServerKind::Mio; $($(#[$attr])* $scenario),*);
    };
    (@leg $leg:ident, $client:ty, $server:expr; $($(#[$attr:meta])* $scenario:ident),*) => {
        mod $leg {
            $(
                #[test]
                $(#[$attr])*
                fn $scenario() {
                    super::$scenario::<$client>($server);
                }
            )*
        }
    };
}

/// Every scenario named, as a test for each client:
/// `scenario::<C>()` becomes `<client>_client::scenario`.
#[macro_export]
macro_rules! on_every_client {
    ($($scenario:ident),* $(,)?) => {
        mod blocking_client {
            $(
                #[test]
                fn $scenario() {
                    super::$scenario::<$crate::client::BlockingClient>();
                }
            )*
        }
        mod mio_client {
            $(
                #[test]
                fn $scenario() {
                    super::$scenario::<$crate::client::MioClient>();
                }
            )*
        }
    };
}
