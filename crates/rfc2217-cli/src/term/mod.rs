//! `rfc2217 term URL`: a terminal on a remote port, like picocom or tio.
//! Interactive, in raw mode, when stdin is a terminal; otherwise a pipe
//! that copies stdin to the port and the port to stdout, for scripts.

mod escape;
mod interactive;
mod output;
mod pipe;
mod raw;

use std::io::{self, IsTerminal};
use std::time::Duration;

use clap::ArgAction;
use rfc2217_blocking::{OpenOptions, OpenOptionsExt};
use rfc2217_client::Settings;
use serialport::{DataBits, FlowControl, Parity, StopBits};

use crate::failure::Result;
use crate::names::{self, SettingWord, SWITCH};
use crate::snapshot::MODEM_MAX_AGE;
use output::Output;

#[derive(clap::Args)]
#[command(after_help = escape::HELP)]
pub(crate) struct Args {
    /// The remote port: rfc2217://HOST:PORT[?OPTIONS].
    url: String,

    /// Bits per second.
    #[arg(long, default_value_t = 9600)]
    baud: u32,

    /// Bits per character.
    #[arg(long, value_name = "5|6|7|8", default_value = "8", value_parser = DataBits::from_word)]
    data_bits: DataBits,

    /// Parity.
    #[arg(long, value_name = "none|odd|even", default_value = "none", value_parser = Parity::from_word)]
    parity: Parity,

    /// Stop bits.
    #[arg(long, value_name = "1|2", default_value = "1", value_parser = StopBits::from_word)]
    stop_bits: StopBits,

    /// Flow control.
    #[arg(long, value_name = "none|xonxoff|rtscts", default_value = "none", value_parser = FlowControl::from_word)]
    flow: FlowControl,

    /// DTR once open.
    #[arg(long, value_name = "on|off", default_value = "on", action = ArgAction::Set, value_parser = |text: &str| SWITCH.parse(text))]
    dtr: bool,

    /// RTS once open.
    #[arg(long, value_name = "on|off", default_value = "on", action = ArgAction::Set, value_parser = |text: &str| SWITCH.parse(text))]
    rts: bool,

    /// When stdin is not a terminal: how long to go on printing what the
    /// port sends after stdin ended and the server took every byte.
    #[arg(long, value_name = "SECONDS", default_value = "0", value_parser = names::seconds)]
    linger: Duration,
}

pub(crate) fn run(args: Args) -> Result {
    let port = OpenOptions::from_url(&args.url)?
        .settings(Settings {
            baud_rate: args.baud,
            data_bits: args.data_bits,
            parity: args.parity,
            stop_bits: args.stop_bits,
            flow_control: args.flow,
        })
        .dtr_rts(args.dtr, args.rts)
        .poll_modem(MODEM_MAX_AGE)
        .open()?;
    let output = Output::spawn(port.try_clone())?;
    if io::stdin().is_terminal() {
        interactive::run(port, output, &args.url)
    } else {
        pipe::run(port, output, args.linger)
    }
}
