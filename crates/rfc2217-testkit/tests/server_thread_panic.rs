//! A connection's thread that panics (here: its device does) still gives
//! the device back purged and restored, and the server serves the next
//! client. Thread server only: the mio server serves every client on one
//! thread, which a panic ends.

use std::io;

use rfc2217_device::{Device, Loopback, Settings};
use rfc2217_proto::{Command, Control, LineState, ModemState, Purge};
use rfc2217_server::ServerConfig;
use rfc2217_testkit::{ServerKind, TestClient};

/// The baud rate at which the device panics.
const PANIC_RATE: u32 = 4321;

/// A loopback that panics when asked for [`PANIC_RATE`].
struct Panicky(Loopback);

impl Device for Panicky {
    fn name(&self) -> String {
        "panicky loop".into()
    }
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0.write(data)
    }
    fn apply(&mut self, request: Command) -> io::Result<Command> {
        assert_ne!(request, Command::SetBaudRate(PANIC_RATE), "asked to panic");
        self.0.apply(request)
    }
    fn purge(&mut self, purge: Purge) -> io::Result<()> {
        self.0.purge(purge)
    }
    fn modem_lines(&mut self) -> io::Result<ModemState> {
        self.0.modem_lines()
    }
    fn line_state(&mut self) -> io::Result<LineState> {
        self.0.line_state()
    }
    fn restore(&mut self, defaults: &Settings) -> io::Result<()> {
        self.0.restore(defaults)
    }
}

#[test]
fn a_connection_that_panics_gives_the_device_back_restored() {
    let server = ServerKind::Thread.start(ServerConfig::new(|| {
        Ok(Box::new(Panicky(Loopback::new())) as Box<dyn Device>)
    }));
    let mut first = TestClient::ready(server.local_addr());
    first.ask(Command::SetBaudRate(115_200));
    first.ask(Command::SetControl(Control::DtrOn));
    first.send_request(Command::SetBaudRate(PANIC_RATE));
    first.wait_closed();

    let mut next = TestClient::ready(server.local_addr());
    assert_eq!(
        next.ask(Command::SetBaudRate(0)),
        Command::SetBaudRate(9600)
    );
    assert_eq!(
        next.ask(Command::SetControl(Control::QueryDtr)),
        Command::SetControl(Control::DtrOff)
    );
    next.send(b"after");
    assert_eq!(next.take_data(5), b"after");
}
