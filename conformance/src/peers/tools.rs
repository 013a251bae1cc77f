//! What running each server takes, found on this machine: its programs,
//! its version as it prints it, and its command line and configuration.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{Server, StartError};
use crate::paths::{self, PYSERIAL_SERVER_SCRIPT};

/// The pyserial release the expectations were written for.
const PYSERIAL_VERSION: &str = "3.5";
/// What to do about a missing server.
const INSTALL_HINT: &str = "run conformance/install-peers.sh as root";
/// sredird's log level: everything (it logs through syslog only).
const SREDIRD_LOG_LEVEL: &str = "7";

/// What is needed to run one server, found on this machine.
pub(super) struct Tools {
    server: Server,
    /// The program started (ser2net, socat or python3).
    pub(super) program: PathBuf,
    /// sredird, run by socat.
    sredird: Option<PathBuf>,
    /// What the server says it is, e.g. "ser2net 4.3.11".
    pub(super) version: String,
}

impl Tools {
    pub(super) fn find(server: Server) -> Result<Tools, StartError> {
        let tools = match server {
            Server::Ser2net => {
                let program = require(server, "ser2net")?;
                let version = ser2net_version(&output_of(&program, &["-v"]));
                Tools {
                    server,
                    program,
                    sredird: None,
                    version,
                }
            }
            Server::Sredird => {
                let program = require(server, "socat")?;
                let sredird = require(server, "sredird")?;
                // Without arguments it prints its usage, version included.
                let version = sredird_version(&output_of(&sredird, &[]));
                Tools {
                    server,
                    program,
                    sredird: Some(sredird),
                    version,
                }
            }
            Server::Pyserial => {
                let program = require(server, "python3")?;
                let found = output_of(&program, &["-c", "import serial; print(serial.VERSION)"]);
                let found = found.trim();
                if found != PYSERIAL_VERSION {
                    let what = if found.is_empty() || found.contains('\n') {
                        format!("python3 ({}) cannot import pyserial", program.display())
                    } else {
                        format!("python3 ({}) has pyserial {found}", program.display())
                    };
                    return Err(StartError::Missing(format!(
                        "pyserial: {what}, {PYSERIAL_VERSION} is needed; {INSTALL_HINT}"
                    )));
                }
                Tools {
                    server,
                    program,
                    sredird: None,
                    version: format!("pyserial {found}"),
                }
            }
        };
        Ok(tools)
    }

    /// The command that serves `device` on 127.0.0.1:`port`, with its
    /// files in `dir`.
    pub(super) fn command(
        &self,
        port: u16,
        device: &str,
        dir: &Path,
    ) -> Result<Command, StartError> {
        let mut command = Command::new(&self.program);
        match self.server {
            Server::Ser2net => {
                let config = dir.join("ser2net.yaml");
                fs::write(&config, ser2net_config(port, device)).map_err(|error| {
                    StartError::Failed(format!("cannot write {}: {error}", config.display()))
                })?;
                // -n: foreground; -u: no UUCP lock files.
                command
                    .args(["-n", "-u", "-c"])
                    .arg(&config)
                    .arg("-P")
                    .arg(dir.join("ser2net.pid"));
            }
            Server::Sredird => {
                let sredird = self.sredird.as_deref().unwrap_or(Path::new("sredird"));
                let lock = dir.join("sredird.lock");
                let exec = socat_exec(sredird, device, &lock).map_err(StartError::Failed)?;
                command.args([
                    "-d".to_owned(),
                    format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork"),
                    exec,
                ]);
            }
            Server::Pyserial => {
                command
                    .arg(paths::in_workspace(PYSERIAL_SERVER_SCRIPT))
                    .arg("--port")
                    .arg(port.to_string())
                    .arg(device);
            }
        }
        Ok(command)
    }
}

/// `program`'s path, or [`StartError::Missing`] naming it.
fn require(server: Server, program: &str) -> Result<PathBuf, StartError> {
    find_program(program).ok_or_else(|| {
        StartError::Missing(format!(
            "{}: `{program}` is not installed (not in PATH, /usr/sbin or /sbin); {INSTALL_HINT}",
            server.name()
        ))
    })
}

/// Looks for an executable `name` in PATH, then in /usr/sbin and /sbin
/// (where Debian puts ser2net and sredird, often not in a user's PATH).
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join(name))
        .find(|candidate| {
            fs::metadata(candidate)
                .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        })
}

/// What `program args` prints on stdout and stderr together ("" if it
/// cannot run).
fn output_of(program: &Path, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map(|output| {
            let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&output.stderr));
            text
        })
        .unwrap_or_default()
}

/// "ser2net 4.3.11" from `ser2net -v`'s "/usr/sbin/ser2net version 4.3.11"
/// (it names itself by its argv\[0\]).
fn ser2net_version(text: &str) -> String {
    let version = text
        .lines()
        .find_map(|line| line.trim().split_once("ser2net version ").map(|(_, v)| v))
        .unwrap_or("(unknown version)");
    format!("ser2net {}", version.trim())
}

/// "sredird 2.2.1" from its usage text's "Version 2.2.1, 20 February 2004".
fn sredird_version(text: &str) -> String {
    let version = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("Version "))
        .map_or("(unknown version)", |rest| {
            rest.split(',').next().unwrap_or(rest).trim()
        });
    format!("sredird {version}")
}

/// ser2net's configuration: one telnet(rfc2217) accepter on
/// 127.0.0.1:`port` for `device` at 115200 8N1, `local` (no modem control),
/// other options left at their defaults.
fn ser2net_config(port: u16, device: &str) -> String {
    format!(
        "%YAML 1.1\n\
         ---\n\
         connection: &rfc2217-{port}\n\
         \x20   accepter: telnet(rfc2217),tcp,127.0.0.1,{port}\n\
         \x20   connector: serialdev,{device},115200n81,local\n"
    )
}

/// socat's EXEC address running sredird on `device` with `lock` as its
/// lock file, inetd style (`nofork`: sredird gets the socket as
/// stdin/stdout). EXEC splits the command at spaces and keeps empty words,
/// and `,` `:` `!` quotes and brackets mean something to socat, so paths
/// with anything but `[A-Za-z0-9/._+-]` are refused.
fn socat_exec(sredird: &Path, device: &str, lock: &Path) -> Result<String, String> {
    let words = [
        sredird.to_string_lossy().into_owned(),
        SREDIRD_LOG_LEVEL.to_owned(),
        device.to_owned(),
        lock.to_string_lossy().into_owned(),
    ];
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._+-".contains(c);
    if let Some(word) = words
        .iter()
        .find(|word| word.is_empty() || !word.chars().all(plain))
    {
        return Err(format!(
            "cannot pass {word:?} to sredird through socat's EXEC address \
             (only [A-Za-z0-9/._+-] are safe there; set TMPDIR to a plain path)"
        ));
    }
    Ok(format!("EXEC:{},nofork", words.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ser2net_config_serves_the_device_on_loopback() {
        assert_eq!(
            ser2net_config(7201, "/dev/pts/3"),
            "%YAML 1.1\n\
             ---\n\
             connection: &rfc2217-7201\n    \
             accepter: telnet(rfc2217),tcp,127.0.0.1,7201\n    \
             connector: serialdev,/dev/pts/3,115200n81,local\n"
        );
    }

    #[test]
    fn socat_exec_has_no_empty_words_and_refuses_special_characters() {
        assert_eq!(
            socat_exec(
                Path::new("/usr/sbin/sredird"),
                "/dev/pts/2",
                Path::new("/tmp/x-1/sredird.lock")
            ),
            Ok("EXEC:/usr/sbin/sredird 7 /dev/pts/2 /tmp/x-1/sredird.lock,nofork".to_owned())
        );
        for lock in [
            "/tmp/a b/lock",
            "/tmp/a,b/lock",
            "/tmp/a:b/lock",
            "/tmp/a!b",
            "",
        ] {
            assert!(
                socat_exec(
                    Path::new("/usr/sbin/sredird"),
                    "/dev/pts/2",
                    Path::new(lock)
                )
                .is_err(),
                "{lock:?}"
            );
        }
    }

    #[test]
    fn versions_are_read_from_what_the_programs_print() {
        assert_eq!(
            ser2net_version("ser2net version 4.3.11\n"),
            "ser2net 4.3.11"
        );
        assert_eq!(ser2net_version(""), "ser2net (unknown version)");
        let usage = "sredird: RFC 2217 compliant serial port redirector\n\
                     Version 2.2.1, 20 February 2004\n\
                     This program should be run only by the inetd superserver\n";
        assert_eq!(sredird_version(usage), "sredird 2.2.1");
        assert_eq!(sredird_version("nothing"), "sredird (unknown version)");
    }
}
