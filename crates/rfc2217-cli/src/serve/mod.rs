//! `rfc2217 serve`: shares serial devices (or the in-process `loop://`)
//! over RFC 2217 on the `mio` server, each device on its own listener,
//! until SIGINT or SIGTERM.

mod config;

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::thread;

use log::{info, warn};
use rfc2217_device::DeviceSpec;
use rfc2217_mio::{Server, ServerHandle};
use rfc2217_server::ServerConfig;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::failure::{Failure, Result};

#[derive(clap::Args)]
#[command(after_long_help = config::EXAMPLE)]
pub(crate) struct Args {
    /// Devices to serve: serial port paths or loop:// [default: loop://].
    #[arg(value_name = "DEVICE")]
    devices: Vec<DeviceSpec>,

    /// Where the first device listens; each further one listens on the next
    /// port. Anything but loopback lets other hosts in: RFC 2217 has no
    /// authentication or encryption.
    #[arg(
        short,
        long,
        value_name = "ADDR:PORT",
        default_value = "127.0.0.1:2217"
    )]
    listen: SocketAddr,

    /// Serve the ports a TOML file lists instead, each with its own
    /// options (see --help).
    #[arg(short, long, value_name = "FILE", conflicts_with_all = ["devices", "listen"])]
    config: Option<PathBuf>,
}

/// One device to serve and where.
struct Listener {
    addr: SocketAddr,
    device: DeviceSpec,
    config: ServerConfig,
    /// Where the address was given, for errors: `--listen` or the file,
    /// line and field.
    origin: String,
}

pub(crate) fn run(args: Args) -> Result {
    let listeners = match &args.config {
        Some(path) => config::load(path)?,
        None => command_line(&args)?,
    };
    let mut server = Server::new()?;
    // Before the URLs are printed: a signal right after them must not
    // find the default action (death) still in place.
    stop_on_signals(server.handle())?;
    let mut stdout = io::stdout();
    for listener in listeners {
        if !listener.addr.ip().is_loopback() {
            warn!(
                "{} is open to other hosts, and RFC 2217 has no authentication or encryption: \
                 anyone who can reach it can use {}",
                listener.addr, listener.device
            );
        }
        let bound = server
            .add_device(listener.addr, listener.config)
            .map_err(|error| {
                Failure::new(format!(
                    "{}: cannot listen on {}: {error}",
                    listener.origin, listener.addr
                ))
            })?;
        // On stdout, for people and scripts (`--listen 127.0.0.1:0`).
        writeln!(stdout, "rfc2217://{bound} serves {}", listener.device)?;
    }
    stdout.flush()?;
    server.run()?;
    Ok(())
}

/// The devices of the command line, on consecutive ports from `--listen`
/// (or each on a free port, for port 0); `loop://` if none is given.
fn command_line(args: &Args) -> Result<Vec<Listener>> {
    let devices = match args.devices.as_slice() {
        [] => vec![DeviceSpec::Loopback],
        given => given.to_vec(),
    };
    let first = args.listen;
    devices
        .into_iter()
        .zip(0u16..)
        .map(|(device, offset)| {
            let port = match first.port() {
                0 => Some(0),
                port => port.checked_add(offset),
            };
            let port = port.ok_or_else(|| {
                Failure::new(format!("--listen {first}: no port left for {device}"))
            })?;
            Ok(Listener {
                addr: SocketAddr::new(first.ip(), port),
                config: ServerConfig::new(device.clone()),
                device,
                origin: "--listen".to_owned(),
            })
        })
        .collect()
}

/// Stops the server on SIGINT or SIGTERM: `Server::run` then closes every
/// client, restoring its device, and returns, and we exit 0.
fn stop_on_signals(server: ServerHandle) -> io::Result<()> {
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || {
            for signal in signals.forever() {
                let name = signal_hook::low_level::signal_name(signal).unwrap_or("a signal");
                info!("{name} received: closing every client");
                server.shutdown();
            }
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        args: Args,
    }

    fn listeners(arguments: &[&str]) -> Result<Vec<(SocketAddr, String)>> {
        let serve = Serve::try_parse_from([&["serve"], arguments].concat()).unwrap();
        let listeners = command_line(&serve.args)?;
        Ok(listeners
            .into_iter()
            .map(|listener| (listener.addr, listener.device.to_string()))
            .collect())
    }

    #[test]
    fn without_arguments_loop_is_served_on_loopback_port_2217() {
        let listeners = listeners(&[]).unwrap();
        assert_eq!(
            listeners,
            [("127.0.0.1:2217".parse().unwrap(), "loop://".into())]
        );
    }

    #[test]
    fn further_devices_listen_on_the_next_ports() {
        let consecutive = listeners(&["/dev/ttyUSB0", "loop://", "-l", "0.0.0.0:4000"]).unwrap();
        assert_eq!(
            consecutive,
            [
                ("0.0.0.0:4000".parse().unwrap(), "/dev/ttyUSB0".into()),
                ("0.0.0.0:4001".parse().unwrap(), "loop://".into()),
            ]
        );
        let free = listeners(&["loop://", "loop://", "-l", "[::1]:0"]).unwrap();
        assert!(free.iter().all(|(addr, _)| addr.port() == 0));
        let error = listeners(&["loop://", "loop://", "-l", "127.0.0.1:65535"]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--listen 127.0.0.1:65535: no port left for loop://"
        );
    }

    #[test]
    fn a_config_file_excludes_devices_and_listen() {
        for arguments in [
            ["-c", "p.toml", "loop://"],
            ["-c", "p.toml", "-l=127.0.0.1:1"],
        ] {
            assert!(Serve::try_parse_from([&["serve"], &arguments[..]].concat()).is_err());
        }
    }
}
