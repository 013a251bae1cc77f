//! The scenarios our clients play, each written once against [`Client`]:
//! every request checked where a pty can show it, and 1 MiB each way.

use std::thread;
use std::time::{Duration, Instant};

use rfc2217_proto::{Command, Control, DataSize, Parity, Purge, StopSize};

use super::leg::Leg;
use super::{Client, Open, BAUD, POLL_ANSWER_TIMEOUT};
use crate::device;
use crate::termios::Termios;
use crate::verdict::LIVE_SCENARIOS;

/// Bytes moved each way by the data scenarios.
const DATA_LEN: usize = 1 << 20;
/// How long to wait for the server's signature.
const SIGNATURE_WAIT: Duration = Duration::from_secs(2);

/// A scenario: `Ok` if every check held, else what failed.
pub(super) type Scenario<C> = fn(&mut Leg<C>) -> Result<(), String>;

/// A check of the pty's settings.
type Check = fn(&Termios) -> bool;

/// Every scenario, in the order of [`LIVE_SCENARIOS`].
pub(super) fn all<C: Client>() -> [(&'static str, Scenario<C>); 11] {
    let table: [(&'static str, Scenario<C>); 11] = [
        ("open", open),
        ("settings", settings),
        ("datasize-parity", datasize_parity),
        ("flow-control", flow_control),
        ("dtr-rts", dtr_rts),
        ("break", break_on_and_off),
        ("purge", purge),
        ("modem", modem),
        ("signature", signature),
        ("data-to-device", data_to_device),
        ("data-from-device", data_from_device),
    ];
    debug_assert!(table.iter().map(|(name, _)| *name).eq(LIVE_SCENARIOS));
    table
}

/// Opens as a user would (115200 8N1, DTR and RTS on, the default
/// options); the pty runs at 115200.
fn open<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    leg.client = None;
    match leg.open(Open::default()) {
        Ok(client) => leg.client = Some(client),
        Err(error) => {
            leg.keep_settings = true;
            return Err(error.to_string());
        }
    }
    leg.device_shows("the open", "speed 115200", |t| t.speed == BAUD)
}

/// Three baud rates and both stop sizes, each seen at the device.
fn settings<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    for baud in [9600, 57_600, 115_200] {
        let request = Command::SetBaudRate(baud);
        leg.apply(request)?;
        leg.device_shows(&request.to_string(), &format!("speed {baud}"), |t| {
            t.speed == baud
        })?;
    }
    for (stop, two) in [(StopSize::Two, true), (StopSize::One, false)] {
        let request = Command::SetStopSize(stop);
        leg.apply(request)?;
        let expected = if two { "cstopb" } else { "-cstopb" };
        leg.device_shows(&request.to_string(), expected, |t| t.two_stop_bits == two)?;
    }
    Ok(())
}

/// 7 data bits and even parity, seen at the device (a pty cannot: this
/// fails on every server, each in its own way).
fn datasize_parity<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    let size = Command::SetDataSize(DataSize::Seven);
    leg.apply(size)?;
    leg.device_shows(&size.to_string(), "cs7", |t| t.data_bits == 7)?;
    let parity = Command::SetParity(Parity::Even);
    leg.apply(parity)?;
    leg.device_shows(&parity.to_string(), "parenb", |t| t.parity)?;
    // Back to 8N1 for what follows.
    leg.apply(Command::SetDataSize(DataSize::Eight))?;
    leg.apply(Command::SetParity(Parity::None)).map(drop)
}

/// Hardware, software, then no flow control, each seen at the device.
fn flow_control<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    let steps: [(Control, &str, Check); 3] = [
        (Control::HardwareFlowControl, "crtscts -ixon", |t| {
            t.rts_cts && !t.xon_xoff
        }),
        (Control::XonXoffFlowControl, "ixon -crtscts", |t| {
            t.xon_xoff && !t.rts_cts
        }),
        (Control::NoFlowControl, "-crtscts -ixon", |t| {
            !t.xon_xoff && !t.rts_cts
        }),
    ];
    let mut result = Ok(());
    for (control, expected, check) in steps {
        let request = Command::SetControl(control);
        result = leg
            .apply(request)
            .and_then(|_| leg.device_shows(&request.to_string(), expected, check));
        if result.is_err() {
            break;
        }
    }
    if result.is_err() {
        // XON/XOFF left on would eat 0x11 and 0x13 in the data scenarios.
        if let Some(client) = leg.client.as_mut() {
            let _ = client.request(Command::SetControl(Control::NoFlowControl));
        }
    }
    result
}

/// DTR and RTS on and off: a pty has no modem lines, so only the calls'
/// success can be checked.
fn dtr_rts<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    for control in [
        Control::DtrOn,
        Control::DtrOff,
        Control::RtsOn,
        Control::RtsOff,
    ] {
        leg.apply(Command::SetControl(control))?;
    }
    Ok(())
}

/// BREAK on, then off (invisible at the far end of a pty).
fn break_on_and_off<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    leg.apply(Command::SetControl(Control::BreakOn))?;
    leg.apply(Command::SetControl(Control::BreakOff)).map(drop)
}

/// Purging the receive buffer, the transmit buffer, both.
fn purge<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    for which in [Purge::Receive, Purge::Transmit, Purge::Both] {
        leg.client()?
            .purge(which)
            .map_err(|error| format!("{}: {error}", Command::PurgeData(which)))?;
    }
    Ok(())
}

/// CTS, DSR, RI and CD read as a program reads them; then, with
/// `poll_modem`, a modem state the server sends in answer to the poll.
fn modem<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    let [cts, dsr, ri, cd] = leg.client()?.modem_lines()?;
    let on = |on: bool| if on { "on" } else { "off" };
    leg.notes.push(format!(
        "modem lines read: CTS {}, DSR {}, RI {}, CD {}",
        on(cts),
        on(dsr),
        on(ri),
        on(cd)
    ));
    // One connection at a time: sredird allows no second one, ser2net
    // kicks the first.
    leg.client = None;
    let how = Open {
        keep_settings: leg.keep_settings,
        poll_modem: true,
    };
    let mut polling = leg
        .open(how)
        .map_err(|error| format!("cannot open the client with poll_modem: {error}"))?;
    let answered = polling.polled_modem_state()?;
    drop(polling);
    // Whether the server answers the poll is its business: the client's
    // contract is a state no older than the answer timeout allows.
    if !answered {
        leg.notes.push(format!(
            "ignores the modem-state poll: with poll_modem the read returned the state cached since the open, {} s later",
            POLL_ANSWER_TIMEOUT.as_secs_f64()
        ));
    }
    Ok(())
}

/// The server's signature, asked for by the open.
fn signature<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    match leg.client()?.signature(SIGNATURE_WAIT)? {
        Some(text) => {
            leg.notes.push(format!(
                "signature: \"{}\"",
                String::from_utf8_lossy(&text).escape_debug()
            ));
            Ok(())
        }
        None => Err(format!(
            "no SIGNATURE from the server within {} s of the open's request",
            SIGNATURE_WAIT.as_secs_f64()
        )),
    }
}

/// 1 MiB written by the client arrives byte-exact at the far end, which
/// reads while the client writes.
fn data_to_device<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    let data = device::payload(0x2217_0001, DATA_LEN);
    let mut far_end = leg.emptied_far_end()?;
    let client = leg.client()?;
    let started = Instant::now();
    let receiving = thread::spawn(move || device::receive(&mut far_end, DATA_LEN));
    let written = client.write(&data);
    let received = receiving
        .join()
        .map_err(|_| "the device's reader panicked".to_owned())?;
    let compared = device::compare("client to device", &data, &received);
    conclude(leg, compared, written.err(), started)
}

/// 1 MiB written at the far end arrives byte-exact at the client, which
/// reads while the far end writes.
fn data_from_device<C: Client>(leg: &mut Leg<C>) -> Result<(), String> {
    let data = device::payload(0x2217_0002, DATA_LEN);
    let mut far_end = leg.emptied_far_end()?;
    let client = leg.client()?;
    let started = Instant::now();
    let sent = data.clone();
    let sending = thread::spawn(move || device::send(&mut far_end, &sent));
    let (received, ended) = client.read(DATA_LEN);
    let sending = sending
        .join()
        .map_err(|_| "the device's writer panicked".to_owned())?;
    let compared = device::compare("device to client", &data, &received);
    let problems = [
        ended,
        sending
            .err()
            .map(|error| format!("the device's writer: {error}")),
    ];
    let problem = problems.into_iter().flatten().reduce(|a, b| a + "; " + &b);
    conclude(leg, compared, problem, started)
}

/// A data scenario's verdict: the comparison, and what else went wrong;
/// the rate if everything arrived.
fn conclude<C>(
    leg: &mut Leg<C>,
    compared: Result<(), String>,
    problem: Option<String>,
    started: Instant,
) -> Result<(), String> {
    match (compared, problem) {
        (Ok(()), None) => {
            leg.timings.push(device::rate(DATA_LEN, started.elapsed()));
            Ok(())
        }
        (Ok(()), Some(problem)) => Err(format!("all bytes arrived, but {problem}")),
        (Err(difference), None) => Err(difference),
        (Err(difference), Some(problem)) => Err(format!("{difference}; {problem}")),
    }
}
