//! The live third-party servers: ser2net, sredird (behind socat, inetd
//! style) and our small server on pyserial's `PortManager`
//! (`conformance/peers/pyserial_server.py`).
//!
//! [`RunningServer::start`] gives each server a pty pair of its own and a
//! free port on 127.0.0.1, runs it in its own process group with its output
//! in a temporary directory, and waits until it listens. Readiness is seen
//! without connecting: every connection to sredird starts a sredird that
//! takes the device's lock, and ser2net serves one client at a time, so a
//! probe connection could still hold the device when the test connects.
//! Dropping the [`RunningServer`] ends the whole process group.
//!
//! `conformance/install-peers.sh` installs the servers (as root).

use std::fmt;
use std::fs::{self, File};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use rfc2217_blocking::PtyPair;

/// How long a server may take to listen.
const READY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the process group has to exit after SIGTERM before SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(2);
/// How often readiness and exit are polled.
const POLL: Duration = Duration::from_millis(20);
/// The pyserial-based server, relative to the workspace root.
const PYSERIAL_SCRIPT: &str = "conformance/peers/pyserial_server.py";
/// The pyserial release the expectations were written for.
const PYSERIAL_VERSION: &str = "3.5";
/// What to do about a missing server.
const INSTALL_HINT: &str = "run conformance/install-peers.sh as root";
/// sredird's log level: everything (it logs through syslog only).
const SREDIRD_LOG_LEVEL: &str = "7";

/// A third-party RFC 2217 server we test against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Server {
    /// ser2net 4 (gensio), `telnet(rfc2217)` accepter.
    Ser2net,
    /// sredird 2, run per connection by socat as inetd would.
    Sredird,
    /// `conformance/peers/pyserial_server.py` on pyserial 3.5's `PortManager`.
    Pyserial,
}

impl Server {
    /// Every server, in report order.
    pub(crate) const ALL: [Server; 3] = [Server::Ser2net, Server::Sredird, Server::Pyserial];

    /// "ser2net", "sredird", "pyserial"
    pub(crate) fn name(self) -> &'static str {
        match self {
            Server::Ser2net => "ser2net",
            Server::Sredird => "sredird",
            Server::Pyserial => "pyserial",
        }
    }

    /// The server called `name` (as [`name`](Self::name) spells it).
    pub(crate) fn from_name(name: &str) -> Option<Server> {
        Server::ALL.into_iter().find(|server| server.name() == name)
    }
}

/// A live server serving one end of its own pty pair on 127.0.0.1.
pub(crate) struct RunningServer {
    /// Which server this is.
    pub(crate) server: Server,
    /// Where it listens.
    pub(crate) address: SocketAddr,
    /// The served pty: the server opens `device.path()`, the test drives `device.far_end`.
    pub(crate) device: PtyPair,
    /// What the server says it is, e.g. "ser2net 4.3.11", "sredird 2.2.1", "pyserial 3.5".
    pub(crate) version: String,
    process: Process,
}

impl RunningServer {
    /// Starts `server` on a new pty pair and a free port, and waits (up to
    /// 5 s) until it listens.
    pub(crate) fn start(server: Server) -> Result<RunningServer, StartError> {
        let tools = Tools::find(server)?;
        let device = PtyPair::new()
            .map_err(|error| StartError::Failed(format!("cannot open a pty pair: {error}")))?;
        let dir = TempDir::new(server).map_err(|error| {
            StartError::Failed(format!("cannot create a temporary directory: {error}"))
        })?;
        let port = free_port()
            .map_err(|error| StartError::Failed(format!("cannot find a free port: {error}")))?;
        let mut command = tools.command(port, device.path(), &dir.0)?;
        let process = Process::spawn(&mut command, dir).map_err(|error| {
            StartError::Failed(format!("cannot start {}: {error}", tools.program.display()))
        })?;
        let running = RunningServer {
            server,
            address: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            device,
            version: tools.version,
            process,
        };
        running.wait_until_ready()?;
        Ok(running)
    }

    /// The server's stderr/log so far, for failure messages.
    pub(crate) fn log(&self) -> String {
        self.process.log()
    }

    fn wait_until_ready(&self) -> Result<(), StartError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if self.is_ready() {
                return Ok(());
            }
            let name = self.server.name();
            if !self.process.is_running() {
                return Err(StartError::Failed(format!(
                    "{name} exited before it listened on {}; its log:\n{}",
                    self.address,
                    self.log()
                )));
            }
            if Instant::now() >= deadline {
                return Err(StartError::Failed(format!(
                    "{name} did not listen on {} within {} s; its log:\n{}",
                    self.address,
                    READY_TIMEOUT.as_secs(),
                    self.log()
                )));
            }
            thread::sleep(POLL);
        }
    }

    fn is_ready(&self) -> bool {
        match self.server {
            // It prints `ready` once it listens.
            Server::Pyserial => self.log().lines().any(|line| line == "ready"),
            Server::Ser2net | Server::Sredird => fs::read_to_string("/proc/net/tcp")
                .is_ok_and(|table| listens_on_loopback(&table, self.address.port())),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        // Before `device` goes: the server may still hold the pty.
        self.process.stop();
    }
}

/// Why a server could not be started.
#[derive(Debug)]
pub(crate) enum StartError {
    /// Not installed here; the text names what is missing and says to run conformance/install-peers.sh as root.
    Missing(String),
    /// Installed but did not come up; the text says why (include its log).
    Failed(String),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Missing(text) | StartError::Failed(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for StartError {}

/// What is needed to run one server, found on this machine.
struct Tools {
    server: Server,
    /// The program started (ser2net, socat or python3).
    program: PathBuf,
    /// sredird, run by socat.
    sredird: Option<PathBuf>,
    version: String,
}

impl Tools {
    fn find(server: Server) -> Result<Tools, StartError> {
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
    fn command(&self, port: u16, device: &str, dir: &Path) -> Result<Command, StartError> {
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
                    .arg(workspace_root().join(PYSERIAL_SCRIPT))
                    .arg("--port")
                    .arg(port.to_string())
                    .arg(device);
            }
        }
        Ok(command)
    }
}

/// The workspace's root directory (`xtask`'s parent).
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or_else(|| manifest_dir.to_path_buf(), Path::to_path_buf)
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

/// Whether the kernel's TCP table (`/proc/net/tcp`) has a socket listening
/// on 127.0.0.1:`port`.
fn listens_on_loopback(table: &str, port: u16) -> bool {
    // The address is the network-order word printed as a native integer.
    let loopback = u32::from_ne_bytes(Ipv4Addr::LOCALHOST.octets());
    const LISTEN: &str = "0A";
    table.lines().skip(1).any(|line| {
        let mut fields = line.split_whitespace().skip(1);
        let (Some(local), Some(_remote), Some(state)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return false;
        };
        let Some((address, local_port)) = local.split_once(':') else {
            return false;
        };
        state == LISTEN
            && u32::from_str_radix(address, 16) == Ok(loopback)
            && u16::from_str_radix(local_port, 16) == Ok(port)
    })
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// A temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(server: Server) -> io::Result<TempDir> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!(
                "rfc2217-peer-{}-{}-{n}",
                server.name(),
                std::process::id()
            ));
            match fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir(path)),
                // Left behind by an earlier run that had our pid.
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(error),
            }
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A server process, leader of its own process group, with its stdout and
/// stderr in `dir/log`.
///
/// The leader is only reaped after the last signal went to its group: an
/// unreaped leader keeps the group id from being reused by someone else.
struct Process {
    child: Child,
    dir: TempDir,
    stopped: bool,
}

impl Process {
    fn spawn(command: &mut Command, dir: TempDir) -> io::Result<Process> {
        let log = File::create(dir.0.join("log"))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .spawn()?;
        Ok(Process {
            child,
            dir,
            stopped: false,
        })
    }

    fn log(&self) -> String {
        fs::read(self.dir.0.join("log"))
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// Whether the leader has not exited (without reaping it).
    fn is_running(&self) -> bool {
        let pid = self.child.id();
        fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| proc_stat_fields(&stat))
            .is_some_and(|(state, _)| !matches!(state, 'Z' | 'X'))
    }

    /// Ends the whole group: SIGTERM, then SIGKILL for whatever is left
    /// after [`TERM_GRACE`]; reaps the leader. Idempotent.
    fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let group = self.child.id();
        signal_group(group, "TERM");
        let deadline = Instant::now() + TERM_GRACE;
        while group_is_alive(group) && Instant::now() < deadline {
            thread::sleep(POLL);
        }
        if group_is_alive(group) {
            signal_group(group, "KILL");
            let _ = self.child.kill();
            let deadline = Instant::now() + TERM_GRACE;
            while group_is_alive(group) && Instant::now() < deadline {
                thread::sleep(POLL);
            }
        }
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sends SIGsignal to process group `group` (std has no killpg; the
/// shell's `kill` takes a negative pid).
fn signal_group(group: u32, signal: &str) {
    let _ = Command::new("/bin/sh")
        .args(["-c", &format!("kill -{signal} -{group}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Whether any process of group `group` has not exited yet.
fn group_is_alive(group: u32) -> bool {
    let Ok(entries) = fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        entry
            .file_name()
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit())
            && fs::read_to_string(entry.path().join("stat"))
                .ok()
                .and_then(|stat| proc_stat_fields(&stat))
                .is_some_and(|(state, pgrp)| pgrp == group && !matches!(state, 'Z' | 'X'))
    })
}

/// The state and process group from a `/proc/PID/stat` line
/// (`pid (comm) state ppid pgrp ...`; comm may contain anything).
fn proc_stat_fields(stat: &str) -> Option<(char, u32)> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some((state, pgrp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for server in Server::ALL {
            assert_eq!(Server::from_name(server.name()), Some(server));
        }
        assert_eq!(Server::from_name("sredird"), Some(Server::Sredird));
        assert_eq!(Server::from_name("SER2NET"), None);
        assert_eq!(Server::from_name(""), None);
    }

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

    #[test]
    fn the_tcp_table_shows_loopback_listeners_only() {
        let loopback = format!("{:08X}", u32::from_ne_bytes([127, 0, 0, 1]));
        let table = format!(
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   \
             0: {loopback}:1C21 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n   \
             1: 00000000:1C22 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0\n   \
             2: {loopback}:1C23 {loopback}:D431 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 20 4 30 10 -1\n"
        );
        assert!(listens_on_loopback(&table, 0x1c21));
        assert!(!listens_on_loopback(&table, 0x1c22), "0.0.0.0");
        assert!(!listens_on_loopback(&table, 0x1c23), "established");
        assert!(!listens_on_loopback(&table, 0x1c24), "absent");
        assert!(!listens_on_loopback("", 0x1c21));
    }

    #[test]
    fn proc_stat_lines_are_read_past_odd_command_names() {
        assert_eq!(
            proc_stat_fields("1234 (a) b (c)) S 1 1230 1230 0 -1 4194560"),
            Some(('S', 1230))
        );
        assert_eq!(proc_stat_fields("99 (sredird) Z 5 77 77"), Some(('Z', 77)));
        assert_eq!(proc_stat_fields("garbage"), None);
    }
}
