//! Every client against every server serving `loop://` (and a pty, for the
//! server suspending the client): opening, every setting and query, every
//! SET-CONTROL value, the modem lines, break and line state, purge, the
//! barrier, suspension, 1 MiB of 0xFF-rich data both ways, and the end of
//! the connection. Each scenario is written once, against [`Client`].

use std::io::{self, Read};
use std::thread;
use std::time::{Duration, Instant};

use rfc2217_client::{OpenOptions, PortState, Settings};
use rfc2217_proto::{
    Command, Control, DataSize, LineState, ModemState, Parity, Purge, Side, StopSize, TelnetOption,
};
use rfc2217_server::ServerConfig;
use rfc2217_testkit::client::{eventually, Client};
use rfc2217_testkit::on_every_client_and_server;
use rfc2217_testkit::ServerKind;
use rfc2217_testkit::PATIENCE;
use rfc2217_testkit::{random_bytes, url};

fn modem(state: &PortState) -> ModemState {
    state.modem.map_or(ModemState::EMPTY, |(lines, _)| lines)
}

fn opens_from_a_url_and_reports_the_settings_in_use<C: Client>(server: ServerKind) {
    let server = server.start(ServerConfig::loopback());
    let mut client = C::open(server.local_addr());
    let state = client.state();
    assert_eq!(state.baud_rate, Some(9600));
    assert_eq!(state.data_size, Some(DataSize::Eight));
    assert_eq!((state.dtr, state.rts), (Some(true), Some(true)));
    // The signature is asked for at open but not awaited (some servers
    // never answer it), so it may come a moment later.
    let deadline = Instant::now() + PATIENCE;
    while client.signature().is_none_or(|s| s.is_empty()) {
        assert!(Instant::now() < deadline, "no signature");
    }
    let echo = client.exchange(b"AT\r\xff\x00");
    assert_eq!(echo, b"AT\r\xff\x00");
}

fn keep_settings_opens_without_touching_the_port<C: Client>(server: ServerKind) {
    // A device that starts at 38400: a kept-settings open leaves it so.
    let defaults = Settings {
        baud_rate: 38_400,
        ..Settings::default()
    };
    let server = server.start(ServerConfig::loopback().with_defaults(defaults));
    let options = OpenOptions::from_url(&url(server.local_addr()))
        .unwrap()
        .keep_settings();
    let mut client = C::open_with(options).expect("the port opens");
    // Nothing was set, so nothing is known until asked.
    let state = client.state();
    assert_eq!((state.baud_rate, state.dtr, state.rts), (None, None, None));
    assert!(client.is_option_enabled(TelnetOption::Binary, Side::Local));
    assert!(client.is_option_enabled(TelnetOption::ComPort, Side::Local));
    let in_use = client.request(Command::SetBaudRate(0)).unwrap();
    assert_eq!(in_use, Command::SetBaudRate(38_400));
}

fn every_setting_is_applied_and_queried<C: Client>(server: ServerKind) {
    let server = server.start(ServerConfig::loopback());
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
    let server = server.start(ServerConfig::loopback());
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
    let server = server.start(ServerConfig::loopback());
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
    assert_eq!(
        client.modem_state().map(|lines| lines & ModemState::LINES),
        Some(ModemState::EMPTY)
    );
}

fn break_is_seen_as_a_break_and_purge_and_barrier_work<C: Client>(server: ServerKind) {
    let server = server.start(ServerConfig::loopback());
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
    use rfc2217_device::PtyPair;

    let pty = PtyPair::new().expect("a pty pair");
    let server = server.start(ServerConfig::new(pty.spec()));
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
    let server = server.start(ServerConfig::loopback());
    let mut client = C::open(server.local_addr());
    let data = random_bytes(1 << 20, 7);
    let echo = client.exchange(&data);
    assert_eq!(echo.len(), data.len());
    assert!(echo == data, "the echo differs from what was sent");
}

fn reads_see_the_data_then_the_end_and_then_every_call_fails<C: Client>(server: ServerKind) {
    let server = server.start(ServerConfig::loopback());
    let mut client = C::open(server.local_addr());
    client.write_and_barrier(b"last words").unwrap();
    let deadline = Instant::now() + PATIENCE;
    while client.bytes_to_read() < 10 {
        assert!(Instant::now() < deadline, "no echo");
    }
    server.shutdown().expect("the server stops");
    assert_eq!(client.read_to_end(), b"last words");
    let error = client.write_once(b"x").unwrap_err();
    assert!(
        error.to_string().starts_with("connection closed"),
        "{error}"
    );
    let refused = client.request(Command::SetBaudRate(0)).unwrap_err();
    assert!(
        matches!(refused, rfc2217_client::Error::Closed(_)),
        "{refused}"
    );
}

on_every_client_and_server!(
    opens_from_a_url_and_reports_the_settings_in_use,
    keep_settings_opens_without_touching_the_port,
    every_setting_is_applied_and_queried,
    every_set_control_value_is_answered,
    modem_lines_follow_the_loopback_wiring,
    break_is_seen_as_a_break_and_purge_and_barrier_work,
    #[cfg(unix)]
    the_server_suspends_the_client_while_the_device_takes_nothing,
    one_mebibyte_of_0xff_rich_data_both_ways_byte_exact,
    reads_see_the_data_then_the_end_and_then_every_call_fails,
);
