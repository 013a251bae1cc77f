//! `rfc2217 ctl URL KEY=VALUE...`: sets and queries remote port settings
//! one by one, in the order given, and prints for each the value the
//! server reports as in use, as netsctl does.

use std::time::Duration;

use rfc2217_blocking::{OpenOptions, OpenOptionsExt, RemotePort};
use rfc2217_client::Error;
use rfc2217_proto::{Command, Control, DataSize, Parity, StopSize};

use crate::failure::{Failure, Result};
use crate::names::{self, DATA_BITS, FLOW, PARITY, PURGE, STOP_BITS, SWITCH};

const KEYS: &str = "baud, data-bits, parity, stop-bits, flow, dtr, rts, break, purge";

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The remote port: rfc2217://HOST:PORT[?OPTIONS].
    url: String,

    /// KEY=VALUE sets, KEY=? queries. Keys and values: baud=9600,
    /// data-bits=5..8, parity=none|odd|even|mark|space, stop-bits=1|1.5|2,
    /// flow=none|xonxoff|rtscts|dcd|dsr, dtr=on|off, rts=on|off,
    /// break=on|off|SECONDS (a timed break), purge=rx|tx|both.
    #[arg(required = true, value_name = "KEY=VALUE", value_parser = Setting::parse)]
    settings: Vec<Setting>,
}

/// One `KEY=VALUE` argument.
#[derive(Clone, Debug, PartialEq)]
struct Setting {
    key: String,
    action: Action,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Action {
    /// A request (a set or a query) whose answer is printed.
    Request(Command),
    /// A break of this length.
    Break(Duration),
}

impl Setting {
    /// Parsed before connecting, so a typo applies nothing.
    fn parse(argument: &str) -> std::result::Result<Setting, String> {
        let (key, value) = argument
            .split_once('=')
            .ok_or_else(|| format!("`{argument}`: expected KEY=VALUE or KEY=?"))?;
        let query = value == "?";
        let switch = |query_it, on, off| -> std::result::Result<Control, String> {
            if query {
                Ok(query_it)
            } else {
                Ok(if SWITCH.parse(value)? { on } else { off })
            }
        };
        let command = match key {
            "baud" if query => Command::SetBaudRate(0),
            "baud" => Command::SetBaudRate(match value.parse() {
                Ok(rate) if rate > 0 => rate,
                _ => return Err(format!("baud `{value}` is not a positive number")),
            }),
            "data-bits" if query => Command::SetDataSize(DataSize::Query),
            "data-bits" => Command::SetDataSize(DATA_BITS.parse(value)?),
            "parity" if query => Command::SetParity(Parity::Query),
            "parity" => Command::SetParity(PARITY.parse(value)?),
            "stop-bits" if query => Command::SetStopSize(StopSize::Query),
            "stop-bits" => Command::SetStopSize(STOP_BITS.parse(value)?),
            "flow" if query => Command::SetControl(Control::QueryFlowControl),
            "flow" => Command::SetControl(FLOW.parse(value)?),
            "dtr" => {
                Command::SetControl(switch(Control::QueryDtr, Control::DtrOn, Control::DtrOff)?)
            }
            "rts" => {
                Command::SetControl(switch(Control::QueryRts, Control::RtsOn, Control::RtsOff)?)
            }
            "break" if SWITCH.parse(value).is_err() && !query => {
                let action = Action::Break(names::seconds(value).map_err(|_| {
                    format!("break `{value}`: expected on, off, ? or a number of seconds")
                })?);
                return Ok(Setting::new(key, action));
            }
            "break" => Command::SetControl(switch(
                Control::QueryBreak,
                Control::BreakOn,
                Control::BreakOff,
            )?),
            "purge" => Command::PurgeData(PURGE.parse(value)?),
            _ => return Err(format!("unknown key `{key}` (expected {KEYS})")),
        };
        Ok(Setting::new(key, Action::Request(command)))
    }

    fn new(key: &str, action: Action) -> Setting {
        Setting {
            key: key.to_owned(),
            action,
        }
    }

    /// Carries the setting out and prints `KEY=VALUE` with the value in
    /// use, also when the server rejected the request.
    fn apply(&self, port: &RemotePort) -> std::result::Result<(), Error> {
        let in_use = match self.action {
            Action::Request(request) => port.request(request),
            // The answer to the break's end, as recorded.
            Action::Break(duration) => port.send_break(duration).map(|()| {
                let on = port.state().break_on.unwrap_or(false);
                Command::SetControl(if on {
                    Control::BreakOn
                } else {
                    Control::BreakOff
                })
            }),
        };
        let shown = match &in_use {
            Ok(value) | Err(Error::Rejected { in_use: value, .. }) => value,
            Err(_) => return in_use.map(drop),
        };
        println!("{}={}", self.key, names::value(shown));
        in_use.map(drop)
    }
}

/// Applies every setting; one that fails is reported and the rest still
/// go ahead.
pub(crate) fn run(args: Args) -> Result {
    // Only the keys given change the port: no settings, DTR or RTS at open.
    let port = OpenOptions::from_url(&args.url)?.keep_settings().open()?;
    let mut failed = 0;
    for setting in &args.settings {
        if let Err(error) = setting.apply(&port) {
            eprintln!("rfc2217: {}: {error}", setting.key);
            failed += 1;
        }
    }
    match failed {
        0 => Ok(()),
        _ => Err(Failure::new(format!(
            "{failed} of {} settings failed",
            args.settings.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rfc2217_proto::Purge;

    fn request(argument: &str) -> Command {
        match Setting::parse(argument).unwrap().action {
            Action::Request(command) => command,
            Action::Break(_) => panic!("{argument} is a timed break"),
        }
    }

    #[test]
    fn sets_and_queries_become_requests() {
        assert_eq!(request("baud=9600"), Command::SetBaudRate(9600));
        assert_eq!(request("baud=?"), Command::SetBaudRate(0));
        assert_eq!(request("parity=even"), Command::SetParity(Parity::Even));
        assert_eq!(
            request("stop-bits=1.5"),
            Command::SetStopSize(StopSize::OnePointFive)
        );
        assert_eq!(
            request("data-bits=?"),
            Command::SetDataSize(DataSize::Query)
        );
        assert_eq!(
            request("flow=rtscts"),
            Command::SetControl(Control::HardwareFlowControl)
        );
        assert_eq!(request("dtr=off"), Command::SetControl(Control::DtrOff));
        assert_eq!(request("rts=?"), Command::SetControl(Control::QueryRts));
        assert_eq!(request("break=on"), Command::SetControl(Control::BreakOn));
        assert_eq!(request("purge=both"), Command::PurgeData(Purge::Both));
    }

    #[test]
    fn a_number_of_seconds_is_a_timed_break() {
        assert_eq!(
            Setting::parse("break=0.25").unwrap().action,
            Action::Break(Duration::from_millis(250))
        );
    }

    #[test]
    fn mistakes_are_named() {
        let error = |argument| Setting::parse(argument).unwrap_err();
        assert!(error("baud").contains("expected KEY=VALUE"));
        assert!(error("baud=fast").contains("not a positive number"));
        assert!(error("baud=0").contains("not a positive number"));
        assert!(error("speed=9600").contains("unknown key `speed`"));
        assert!(error("parity=evn").contains("unknown parity `evn`"));
        assert!(error("dtr=1").contains("unknown state `1`"));
        assert!(error("break=soon").contains("a number of seconds"));
        assert!(error("purge=?").contains("unknown buffer `?`"));
    }
}
