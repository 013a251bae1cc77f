//! Live pairings: pyserial 3.5's rfc2217 client against our blocking
//! server, our mio server and the CLI's `rfc2217 serve`, each serving a
//! fresh pty.
//!
//! The client is `conformance/peers/pyserial_client.py`. This module starts
//! the server, plays the equipment at the pty's far end and checks the
//! device, answering the script's requests on its stdin (the line protocol
//! is described in the script). The three servers are independent (each
//! has its own pty, port and client process) and run side by side, each
//! bounded by [`DEADLINE`]; the script itself never waits long, since
//! pyserial gives up on a silent server after 3 s (5 s for a blocked
//! write).

use std::env;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{self, Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rfc2217_blocking::{PtyPair, ServerConfig};
use rfc2217_mio::PortConfig;
use serialport::TTYPort;

use super::device::{self, Termios};
use super::verdict::{Cell, Outcome, Part};

/// The scenarios, in the order the script runs them: the live scenarios
/// but `signature`, which pyserial's client has no way to ask for.
const SCENARIOS: [&str; 10] = [
    "open",
    "settings",
    "datasize-parity",
    "flow-control",
    "dtr-rts",
    "break",
    "purge",
    "modem",
    "data-to-device",
    "data-from-device",
];

/// Every cell's outcome when the client cannot run here.
const MISSING: &str = "pyserial 3.5 is not installed: run conformance/install-peers.sh as root";

/// The client script, relative to the workspace root.
const SCRIPT: &str = "conformance/peers/pyserial_client.py";

/// The size of each data scenario's payload.
const DATA_LEN: usize = 1 << 20;
const TO_DEVICE_SEED: u64 = 0x2217_0001;
const FROM_DEVICE_SEED: u64 = 0x2217_0002;

/// How long one server's whole run may take (about 15 s when all is well)
/// before the client is killed and the unfinished scenarios fail.
const DEADLINE: Duration = Duration::from_secs(60);

/// How long `rfc2217 serve` may take to print its URL, and to exit after
/// SIGTERM; how long the client may take to exit once it is done.
const PROCESS_WAIT: Duration = Duration::from_secs(5);

/// Bytes written to the far end at a time.
const CHUNK: usize = 4096;

/// At the end of a scenario, whatever reaches the device within this is
/// collected: nothing should.
const QUIET: Duration = Duration::from_millis(50);

/// Runs pyserial 3.5's rfc2217 client against our blocking server, our mio
/// server and the CLI's `serve`, each serving a fresh [`PtyPair`]; one
/// [`Cell`] per (scenario, server).
pub(crate) fn run() -> Vec<Cell> {
    if !pyserial_installed() {
        return Server::ALL
            .iter()
            .flat_map(|&server| every(server, &Outcome::Missing(MISSING.to_owned())))
            .collect();
    }
    let files = match Files::create() {
        Ok(files) => files,
        Err(error) => {
            let outcome = Outcome::Fail(format!("cannot write the payload files: {error}"));
            return Server::ALL
                .iter()
                .flat_map(|&server| every(server, &outcome))
                .collect();
        }
    };
    let cli = build_cli();
    thread::scope(|scope| {
        let runs: Vec<_> = Server::ALL
            .iter()
            .map(|&server| {
                let (files, cli) = (&files, &cli);
                (server, scope.spawn(move || run_against(server, files, cli)))
            })
            .collect();
        runs.into_iter()
            .flat_map(|(server, run)| {
                run.join().unwrap_or_else(|_| {
                    every(server, &Outcome::Fail("the run panicked".to_owned()))
                })
            })
            .collect()
    })
}

/// Whether `python3` has pyserial 3.5.
fn pyserial_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import serial; print(serial.__version__)"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|output| output.status.success() && output.stdout.trim_ascii() == b"3.5")
}

/// Which of our servers the client talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Server {
    Blocking,
    Mio,
    Cli,
}

impl Server {
    const ALL: [Server; 3] = [Server::Blocking, Server::Mio, Server::Cli];

    fn name(self) -> &'static str {
        match self {
            Server::Blocking => "blocking-server",
            Server::Mio => "mio-server",
            Server::Cli => "cli-serve",
        }
    }

    /// The cells' peer: the pairing.
    fn peer(self) -> String {
        format!("pyserial-client/{}", self.name())
    }
}

/// One cell per scenario, all with `outcome`.
fn every(server: Server, outcome: &Outcome) -> Vec<Cell> {
    SCENARIOS
        .iter()
        .map(|scenario| Cell {
            part: Part::Live,
            scenario: (*scenario).to_owned(),
            peer: server.peer(),
            outcome: outcome.clone(),
            observations: Vec::new(),
        })
        .collect()
}

/// All scenarios against one server, on a fresh pty.
fn run_against(server: Server, files: &Files, cli: &Result<PathBuf, String>) -> Vec<Cell> {
    let pair = match PtyPair::new() {
        Ok(pair) => pair,
        Err(error) => {
            return every(
                server,
                &Outcome::Fail(format!("cannot open a pty pair: {error}")),
            )
        }
    };
    let running = match Running::start(server, &pair, cli) {
        Ok(running) => running,
        Err(reason) => return every(server, &Outcome::Fail(reason)),
    };
    let received = files.dir.join(format!("received-by-{}.bin", server.name()));
    let records = drive(running.addr, &pair, files, &received, DEADLINE);
    let trouble = running.stop();
    SCENARIOS
        .iter()
        .zip(records)
        .map(|(scenario, record)| Cell {
            part: Part::Live,
            scenario: (*scenario).to_owned(),
            peer: server.peer(),
            outcome: match record.failures.is_empty() {
                true => Outcome::Pass,
                false => Outcome::Fail(record.failures.join("; ")),
            },
            observations: record
                .observations
                .into_iter()
                .chain(trouble.clone())
                .collect(),
        })
        .collect()
}

/// The payloads, also as files for the script, in a directory of their
/// own where the scripts also put what they received; removed on drop.
struct Files {
    dir: PathBuf,
    to_device: Vec<u8>,
    from_device: Vec<u8>,
    to_device_file: PathBuf,
    from_device_file: PathBuf,
}

impl Files {
    fn create() -> io::Result<Files> {
        let dir = env::temp_dir().join(format!("rfc2217-pyserial-client-{}", process::id()));
        fs::create_dir_all(&dir)?;
        let files = Files {
            to_device: device::payload(TO_DEVICE_SEED, DATA_LEN),
            from_device: device::payload(FROM_DEVICE_SEED, DATA_LEN),
            to_device_file: dir.join("to-device.bin"),
            from_device_file: dir.join("from-device.bin"),
            dir,
        };
        fs::write(&files.to_device_file, &files.to_device)?;
        fs::write(&files.from_device_file, &files.from_device)?;
        Ok(files)
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Builds the CLI; returns the path of its binary.
fn build_cli() -> Result<PathBuf, String> {
    let root = crate::workspace_root();
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(&root)
        .args(["build", "--quiet", "-p", "rfc2217-cli"])
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run cargo to build rfc2217-cli: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo build -p rfc2217-cli` failed ({}): {}",
            output.status,
            tail(&output.stderr)
        ));
    }
    let target = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| root.join(dir)) // an absolute dir replaces the root
        .unwrap_or_else(|| root.join("target"));
    Ok(target.join("debug").join("rfc2217"))
}

/// One of our servers, serving a pty on a free loopback port.
struct Running {
    addr: SocketAddr,
    server: RunningServer,
}

enum RunningServer {
    Blocking(rfc2217_blocking::RunningServer),
    Mio(rfc2217_mio::RunningServer),
    Cli {
        child: Child,
        stderr: JoinHandle<Vec<u8>>,
        /// Kept so that the CLI's later output still has a reader.
        _stdout: Receiver<String>,
    },
}

impl Running {
    fn start(
        server: Server,
        pair: &PtyPair,
        cli: &Result<PathBuf, String>,
    ) -> Result<Running, String> {
        const ANY_PORT: &str = "127.0.0.1:0";
        let failed = |error: io::Error| format!("cannot start the server: {error}");
        match server {
            Server::Blocking => {
                let config = ServerConfig::new(pair.spec());
                let running = rfc2217_blocking::Server::bind(ANY_PORT, config)
                    .and_then(rfc2217_blocking::Server::spawn)
                    .map_err(failed)?;
                Ok(Running {
                    addr: running.local_addr(),
                    server: RunningServer::Blocking(running),
                })
            }
            Server::Mio => {
                let config = PortConfig::new(pair.spec());
                let running = rfc2217_mio::Server::bind(ANY_PORT, config)
                    .and_then(rfc2217_mio::Server::spawn)
                    .map_err(failed)?;
                Ok(Running {
                    addr: running.local_addr(),
                    server: RunningServer::Mio(running),
                })
            }
            Server::Cli => Running::start_cli(cli.as_ref().map_err(Clone::clone)?, pair, ANY_PORT),
        }
    }

    /// `rfc2217 serve --listen ANY_PORT DEVICE`; the address is read from
    /// the line it prints.
    fn start_cli(binary: &Path, pair: &PtyPair, listen: &str) -> Result<Running, String> {
        let mut child = Command::new(binary)
            .args(["serve", "--listen", listen, pair.path()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| format!("cannot run {}: {error}", binary.display()))?;
        let stdout = lines_of(child.stdout.take().expect("piped"));
        let stderr = read_all(child.stderr.take().expect("piped"));
        let line = stdout.recv_timeout(PROCESS_WAIT);
        match line.as_deref().ok().and_then(served_addr) {
            Some(addr) => Ok(Running {
                addr,
                server: RunningServer::Cli {
                    child,
                    stderr,
                    _stdout: stdout,
                },
            }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                let printed = match line {
                    Ok(line) => format!("printed {line:?}"),
                    Err(_) => format!("printed no URL within {PROCESS_WAIT:?}"),
                };
                Err(format!(
                    "`rfc2217 serve` {printed}: {}",
                    tail(&stderr.join().unwrap_or_default())
                ))
            }
        }
    }

    /// Stops the server; says what went wrong on the way, if anything.
    fn stop(self) -> Option<String> {
        match self.server {
            RunningServer::Blocking(running) => running
                .shutdown()
                .err()
                .map(|error| format!("the blocking server stopped with an error: {error}")),
            RunningServer::Mio(running) => running
                .shutdown()
                .err()
                .map(|error| format!("the mio server stopped with an error: {error}")),
            RunningServer::Cli {
                mut child, stderr, ..
            } => {
                let signalled = Command::new("kill")
                    .args(["-TERM", &child.id().to_string()])
                    .status();
                let trouble = match wait_for(&mut child, PROCESS_WAIT) {
                    Some(status) if status.success() => None,
                    Some(status) => Some(format!(
                        "`rfc2217 serve` exited with {status} after SIGTERM"
                    )),
                    None => {
                        let _ = child.kill();
                        let _ = child.wait();
                        Some(format!(
                            "`rfc2217 serve` did not exit within {PROCESS_WAIT:?} of SIGTERM \
                             ({signalled:?}) and was killed"
                        ))
                    }
                };
                trouble.map(|trouble| {
                    format!("{trouble}: {}", tail(&stderr.join().unwrap_or_default()))
                })
            }
        }
    }
}

/// The address in the line `rfc2217 serve` prints for a device:
/// `rfc2217://ADDR serves DEVICE`.
fn served_addr(line: &str) -> Option<SocketAddr> {
    let (url, _device) = line.strip_prefix("rfc2217://")?.split_once(" serves ")?;
    url.parse().ok()
}

/// What happened in one scenario.
#[derive(Debug, Default)]
struct Record {
    started: bool,
    ended: bool,
    failures: Vec<String>,
    observations: Vec<String>,
}

/// Runs the script against the server at `addr` and answers its requests;
/// one record per scenario of [`SCENARIOS`].
fn drive(
    addr: SocketAddr,
    pair: &PtyPair,
    files: &Files,
    received: &Path,
    deadline: Duration,
) -> Vec<Record> {
    let mut driver = match Driver::new(pair, files, received) {
        Ok(driver) => driver,
        Err(reason) => return records_failing(&reason),
    };
    let script = crate::workspace_root().join(SCRIPT);
    let spawned = Command::new("python3")
        .arg("-u")
        .arg(&script)
        .arg(format!("rfc2217://{addr}"))
        .arg(&files.to_device_file)
        .arg(&files.from_device_file)
        .arg(received)
        .args(SCENARIOS)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => return records_failing(&format!("cannot run {}: {error}", script.display())),
    };
    let lines = lines_of(child.stdout.take().expect("piped"));
    let stderr = read_all(child.stderr.take().expect("piped"));
    let stdin = child.stdin.take().expect("piped");
    let timed_out = driver.converse(&lines, stdin, Instant::now() + deadline);
    if timed_out {
        let _ = child.kill();
    }
    let deadline = timed_out.then_some(deadline);
    let status = wait_for(&mut child, PROCESS_WAIT);
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let stderr = stderr.join().unwrap_or_default();
    driver.finish(deadline, status, &stderr)
}

/// One record per scenario, each failing with `reason`.
fn records_failing(reason: &str) -> Vec<Record> {
    SCENARIOS
        .iter()
        .map(|_| Record {
            failures: vec![reason.to_owned()],
            ..Record::default()
        })
        .collect()
}

/// The device side of a run: answers the script's requests.
struct Driver<'a> {
    far_end: TTYPort,
    path: &'a str,
    files: &'a Files,
    /// Where the script puts what it read in `data-from-device`.
    received: &'a Path,
    records: Vec<Record>,
    /// The scenario running now, as an index into [`SCENARIOS`].
    current: Option<usize>,
    /// What the client said it does now.
    step: String,
    /// Failures outside any scenario: they go to every cell.
    stray: Vec<String>,
    transfer: Option<Transfer>,
}

/// A transfer at the far end, on a thread of its own, while the client
/// writes or reads.
enum Transfer {
    /// Receives at the far end what the client writes.
    ToDevice {
        started: Instant,
        thread: JoinHandle<(Vec<u8>, Instant)>,
    },
    /// Writes the payload at the far end for the client to read.
    FromDevice {
        started: Instant,
        thread: JoinHandle<io::Result<()>>,
    },
}

impl<'a> Driver<'a> {
    fn new(pair: &'a PtyPair, files: &'a Files, received: &'a Path) -> Result<Driver<'a>, String> {
        let far_end = pair
            .far_end
            .try_clone_native()
            .map_err(|error| format!("cannot share the pty's far end: {error}"))?;
        Ok(Driver {
            far_end,
            path: pair.path(),
            files,
            received,
            records: SCENARIOS.iter().map(|_| Record::default()).collect(),
            current: None,
            step: String::new(),
            stray: Vec::new(),
            transfer: None,
        })
    }

    /// Answers the script's lines until it stops talking or `deadline`
    /// passes; returns whether the deadline passed.
    fn converse(
        &mut self,
        lines: &Receiver<String>,
        mut stdin: ChildStdin,
        deadline: Instant,
    ) -> bool {
        loop {
            match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    let answer = self.handle(&line);
                    if writeln!(stdin, "{answer}")
                        .and_then(|()| stdin.flush())
                        .is_err()
                    {
                        return false;
                    }
                }
                Err(RecvTimeoutError::Timeout) => return true,
                Err(RecvTimeoutError::Disconnected) => return false,
            }
        }
    }

    /// Carries out one request; returns the answer line.
    fn handle(&mut self, line: &str) -> String {
        let result = match parse_line(line) {
            Ok(Request::Scenario(name)) => self.begin(&name),
            Ok(Request::Step(text)) => {
                self.step = text;
                Ok(())
            }
            Ok(Request::Failed(text)) => {
                self.fail(&text);
                return "ok".to_owned();
            }
            Ok(Request::Note(text)) => {
                self.observe(text);
                Ok(())
            }
            Ok(Request::Expect(expected)) => {
                device::termios(self.path).and_then(|termios| check_settings(&termios, &expected))
            }
            Ok(Request::ToDevice(len)) => self.start_to_device(len),
            Ok(Request::Written) => self.finish_to_device(),
            Ok(Request::FromDevice(len)) => self.start_from_device(len),
            Ok(Request::Read) => self.finish_from_device(),
            Ok(Request::End(name)) => self.end(&name),
            Err(error) => Err(format!("the client script said {line:?}: {error}")),
        };
        match result {
            Ok(()) => "ok".to_owned(),
            Err(text) => {
                self.fail(&text);
                format!("fail {}", text.replace('\n', " "))
            }
        }
    }

    fn fail(&mut self, text: &str) {
        let text = match self.step.as_str() {
            "" => text.to_owned(),
            step => format!("{step}: {text}"),
        };
        match self.current {
            Some(index) => self.records[index].failures.push(text),
            None => self.stray.push(text),
        }
    }

    fn observe(&mut self, text: String) {
        match self.current {
            Some(index) => self.records[index].observations.push(text),
            None => self
                .stray
                .push(format!("observed outside any scenario: {text}")),
        }
    }

    fn begin(&mut self, name: &str) -> Result<(), String> {
        if let Some(index) = self.current {
            return Err(format!("scenario {name} began inside {}", SCENARIOS[index]));
        }
        let index = SCENARIOS
            .iter()
            .position(|scenario| *scenario == name)
            .ok_or_else(|| format!("unknown scenario {name:?}"))?;
        let record = &mut self.records[index];
        if record.started {
            return Err(format!("scenario {name} ran twice"));
        }
        record.started = true;
        self.current = Some(index);
        self.step.clear();
        Ok(())
    }

    fn end(&mut self, name: &str) -> Result<(), String> {
        let Some(index) = self.current.filter(|&index| SCENARIOS[index] == name) else {
            return Err(format!("scenario {name} ended but had not begun"));
        };
        self.step.clear();
        let result = match (
            self.transfer.take(),
            device::drain(&mut self.far_end, QUIET),
        ) {
            (Some(_), _) => Err("a transfer was left unfinished".to_owned()),
            (None, stray) if stray.is_empty() => Ok(()),
            (None, stray) => Err(format!(
                "{} bytes the client did not write reached the device: {}",
                stray.len(),
                hex_start(&stray)
            )),
        };
        if let Err(text) = &result {
            self.fail(text);
        }
        self.records[index].ended = true;
        self.current = None;
        Ok(())
    }

    fn start_to_device(&mut self, len: usize) -> Result<(), String> {
        self.check_transfer_len(len, self.files.to_device.len())?;
        let mut port = self.clone_far_end()?;
        let thread = thread::spawn(move || {
            let received = device::receive(&mut port, len);
            (received, Instant::now())
        });
        self.transfer = Some(Transfer::ToDevice {
            started: Instant::now(),
            thread,
        });
        Ok(())
    }

    fn finish_to_device(&mut self) -> Result<(), String> {
        let Some(Transfer::ToDevice { started, thread }) = self.transfer.take() else {
            return Err("`written` without `to-device`".to_owned());
        };
        let (received, finished) = thread
            .join()
            .map_err(|_| "the far end's reader panicked".to_owned())?;
        device::compare("at the device", &self.files.to_device, &received)?;
        self.observe(rate(received.len(), finished - started));
        Ok(())
    }

    fn start_from_device(&mut self, len: usize) -> Result<(), String> {
        self.check_transfer_len(len, self.files.from_device.len())?;
        let _ = fs::remove_file(self.received);
        let mut port = self.clone_far_end()?;
        let payload = self.files.from_device.clone();
        let thread = thread::spawn(move || {
            payload
                .chunks(CHUNK)
                .try_for_each(|chunk| device::send(&mut port, chunk))
        });
        self.transfer = Some(Transfer::FromDevice {
            started: Instant::now(),
            thread,
        });
        Ok(())
    }

    fn finish_from_device(&mut self) -> Result<(), String> {
        let Some(Transfer::FromDevice { started, thread }) = self.transfer.take() else {
            return Err("`read` without `from-device`".to_owned());
        };
        let elapsed = started.elapsed();
        let written = thread
            .join()
            .map_err(|_| "the far end's writer panicked".to_owned())?;
        let received = fs::read(self.received)
            .map_err(|error| format!("cannot read what the client received: {error}"))?;
        let compared = device::compare("at the client", &self.files.from_device, &received);
        match (written, compared) {
            (Ok(()), Ok(())) => {
                self.observe(rate(received.len(), elapsed));
                Ok(())
            }
            (Ok(()), Err(text)) => Err(text),
            (Err(error), Ok(())) => Err(format!("writing at the far end failed: {error}")),
            (Err(error), Err(text)) => {
                Err(format!("{text} (writing at the far end failed: {error})"))
            }
        }
    }

    fn check_transfer_len(&self, asked: usize, payload: usize) -> Result<(), String> {
        if self.transfer.is_some() {
            return Err("a transfer is already under way".to_owned());
        }
        match asked == payload {
            true => Ok(()),
            false => Err(format!("the payload has {payload} bytes, not {asked}")),
        }
    }

    fn clone_far_end(&self) -> Result<TTYPort, String> {
        self.far_end
            .try_clone_native()
            .map_err(|error| format!("cannot share the pty's far end: {error}"))
    }

    /// The records, with a failure for each scenario that did not end:
    /// the client was killed after `deadline` (`Some`) or ended by itself
    /// with `status` (`None`: it hung and was killed). The scenario it was
    /// in also gets the end of its `stderr`.
    fn finish(
        mut self,
        deadline: Option<Duration>,
        status: Option<ExitStatus>,
        stderr: &[u8],
    ) -> Vec<Record> {
        let why = match (deadline, status) {
            (Some(deadline), _) => {
                format!("the run passed its {deadline:?} deadline and the client was killed")
            }
            (None, Some(status)) => format!("the client ended early ({status})"),
            (None, None) => "the client stopped talking but did not exit".to_owned(),
        };
        let stderr = match tail(stderr) {
            text if text.is_empty() => text,
            text => format!("; its stderr ends: {text}"),
        };
        let unfinished = self
            .current
            .or_else(|| self.records.iter().position(|record| !record.ended));
        for (index, record) in self.records.iter_mut().enumerate() {
            if Some(index) == unfinished {
                let during = match self.step.as_str() {
                    "" => String::new(),
                    step => format!(" during `{step}`"),
                };
                record.failures.push(format!("{why}{during}{stderr}"));
            } else if !record.ended {
                record.failures.push(format!("not reached: {why}"));
            }
            record.failures.extend(self.stray.iter().cloned());
        }
        self.records
    }
}

/// A line of the script.
#[derive(Debug, PartialEq, Eq)]
enum Request {
    Scenario(String),
    Step(String),
    Failed(String),
    Note(String),
    Expect(Vec<(Setting, u32)>),
    ToDevice(usize),
    Written,
    FromDevice(usize),
    Read,
    End(String),
}

fn parse_line(line: &str) -> Result<Request, String> {
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    let len = || {
        rest.parse::<usize>()
            .map_err(|_| format!("`{word}` needs a length, not {rest:?}"))
    };
    let bare = |request| match rest.is_empty() {
        true => Ok(request),
        false => Err(format!("`{word}` takes no argument")),
    };
    match word {
        "scenario" => Ok(Request::Scenario(rest.to_owned())),
        "step" => Ok(Request::Step(rest.to_owned())),
        "failed" => Ok(Request::Failed(rest.to_owned())),
        "note" => Ok(Request::Note(rest.to_owned())),
        "expect" => {
            let expected = rest
                .split_whitespace()
                .map(parse_setting)
                .collect::<Result<Vec<_>, _>>()?;
            match expected.is_empty() {
                true => Err("`expect` needs FIELD=VALUE".to_owned()),
                false => Ok(Request::Expect(expected)),
            }
        }
        "to-device" => Ok(Request::ToDevice(len()?)),
        "written" => bare(Request::Written),
        "from-device" => Ok(Request::FromDevice(len()?)),
        "read" => bare(Request::Read),
        "end" => Ok(Request::End(rest.to_owned())),
        _ => Err(format!("unknown request `{word}`")),
    }
}

/// A pty setting the script can ask about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Setting {
    Speed,
    DataBits,
    Parity,
    TwoStopBits,
    RtsCts,
    XonXoff,
}

impl Setting {
    /// The setting's value in `termios`; flags are 0 or 1.
    fn of(self, termios: &Termios) -> u32 {
        match self {
            Setting::Speed => termios.speed,
            Setting::DataBits => termios.data_bits.into(),
            Setting::Parity => termios.parity.into(),
            Setting::TwoStopBits => termios.two_stop_bits.into(),
            Setting::RtsCts => termios.rts_cts.into(),
            Setting::XonXoff => termios.xon_xoff.into(),
        }
    }

    /// How the report names the setting with `value`.
    fn describe(self, value: u32) -> String {
        let flag = |name: &str| format!("{name} {}", if value == 0 { "off" } else { "on" });
        match self {
            Setting::Speed => format!("speed {value}"),
            Setting::DataBits => format!("{value} data bits"),
            Setting::Parity => flag("parity"),
            Setting::TwoStopBits => flag("two stop bits"),
            Setting::RtsCts => flag("RTS/CTS"),
            Setting::XonXoff => flag("XON/XOFF"),
        }
    }
}

fn parse_setting(text: &str) -> Result<(Setting, u32), String> {
    let bad = || format!("cannot read the setting {text:?}");
    let (name, value) = text.split_once('=').ok_or_else(bad)?;
    let setting = match name {
        "speed" => Setting::Speed,
        "data_bits" => Setting::DataBits,
        "parity" => Setting::Parity,
        "two_stop_bits" => Setting::TwoStopBits,
        "rts_cts" => Setting::RtsCts,
        "xon_xoff" => Setting::XonXoff,
        _ => return Err(bad()),
    };
    Ok((setting, value.parse().map_err(|_| bad())?))
}

/// `Ok` if the device has every expected setting, else says which differ.
fn check_settings(termios: &Termios, expected: &[(Setting, u32)]) -> Result<(), String> {
    let differences: Vec<String> = expected
        .iter()
        .filter(|&&(setting, value)| setting.of(termios) != value)
        .map(|&(setting, value)| {
            format!(
                "the device has {}, not {}",
                setting.describe(setting.of(termios)),
                setting.describe(value)
            )
        })
        .collect();
    match differences.is_empty() {
        true => Ok(()),
        false => Err(differences.join(", ")),
    }
}

/// `len` bytes in `elapsed`, for the report.
fn rate(len: usize, elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    format!(
        "{len} bytes in {seconds:.2} s ({:.2} MiB/s)",
        len as f64 / f64::from(1 << 20) / seconds.max(1e-9)
    )
}

/// The first bytes of `bytes` in hex.
fn hex_start(bytes: &[u8]) -> String {
    let shown: Vec<String> = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let more = if bytes.len() > 16 { " ..." } else { "" };
    format!("{}{more}", shown.join(" "))
}

/// The last few lines of a process's output, on one line.
fn tail(output: &[u8]) -> String {
    let text = String::from_utf8_lossy(output);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    lines[lines.len().saturating_sub(4)..].join(" | ")
}

/// The lines `stream` delivers, from a thread of its own; the channel
/// closes at end of file.
fn lines_of(stream: impl Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            // A receiver that is gone no longer cares, but the stream is
            // still read, so its writer never blocks.
            let _ = sender.send(line);
        }
    });
    receiver
}

/// Everything `stream` delivers up to end of file, from a thread of its
/// own.
fn read_all(mut stream: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        bytes
    })
}

/// Waits up to `limit` for `child` to exit.
fn wait_for(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            Ok(None) | Err(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scenarios_are_the_live_ones_but_signature() {
        let live = crate::conformance::verdict::LIVE_SCENARIOS;
        assert!(SCENARIOS
            .iter()
            .eq(live.iter().filter(|s| **s != "signature")));
    }

    #[test]
    fn script_lines_are_read() {
        assert_eq!(
            parse_line("scenario open"),
            Ok(Request::Scenario("open".into()))
        );
        assert_eq!(
            parse_line("step baudrate 9600"),
            Ok(Request::Step("baudrate 9600".into()))
        );
        assert_eq!(
            parse_line("failed ValueError: remote rejected value for option 'datasize'"),
            Ok(Request::Failed(
                "ValueError: remote rejected value for option 'datasize'".into()
            ))
        );
        assert_eq!(
            parse_line("expect speed=57600 two_stop_bits=0"),
            Ok(Request::Expect(vec![
                (Setting::Speed, 57600),
                (Setting::TwoStopBits, 0)
            ]))
        );
        assert_eq!(
            parse_line("to-device 1048576"),
            Ok(Request::ToDevice(1 << 20))
        );
        assert_eq!(parse_line("written"), Ok(Request::Written));
        assert_eq!(parse_line("from-device 12"), Ok(Request::FromDevice(12)));
        assert_eq!(parse_line("read"), Ok(Request::Read));
        assert_eq!(parse_line("end modem"), Ok(Request::End("modem".into())));
    }

    #[test]
    fn bad_script_lines_are_errors() {
        for line in [
            "",
            "hello",
            "expect",
            "expect speed",
            "expect baud=9600",
            "expect speed=fast",
            "to-device",
            "to-device -1",
            "written 3",
            "read all",
        ] {
            assert!(parse_line(line).is_err(), "{line:?}");
        }
    }

    #[test]
    fn settings_are_checked_against_the_device() {
        let termios = Termios {
            speed: 9600,
            data_bits: 8,
            parity: false,
            two_stop_bits: true,
            rts_cts: false,
            xon_xoff: true,
        };
        assert_eq!(
            check_settings(
                &termios,
                &[
                    (Setting::Speed, 9600),
                    (Setting::TwoStopBits, 1),
                    (Setting::XonXoff, 1)
                ]
            ),
            Ok(())
        );
        assert_eq!(
            check_settings(&termios, &[(Setting::Speed, 57600), (Setting::RtsCts, 1)]),
            Err("the device has speed 9600, not speed 57600, \
                 the device has RTS/CTS off, not RTS/CTS on"
                .into())
        );
        assert_eq!(
            check_settings(&termios, &[(Setting::DataBits, 7), (Setting::Parity, 1)]),
            Err("the device has 8 data bits, not 7 data bits, \
                 the device has parity off, not parity on"
                .into())
        );
    }

    #[test]
    fn the_cli_address_is_read_from_its_line() {
        assert_eq!(
            served_addr("rfc2217://127.0.0.1:40123 serves /dev/pts/7"),
            Some("127.0.0.1:40123".parse().unwrap())
        );
        assert_eq!(served_addr("rfc2217://127.0.0.1:40123"), None);
        assert_eq!(served_addr("listening on 127.0.0.1:40123 serves x"), None);
    }

    #[test]
    fn output_tails_and_byte_dumps_are_short() {
        assert_eq!(tail(b"a\n\nb\n c \nd\ne\n"), "b | c | d | e");
        assert_eq!(tail(b""), "");
        assert_eq!(hex_start(&[0xff, 0x0d, 0x00]), "ff 0d 00");
        assert_eq!(hex_start(&[0; 17]).matches("00").count(), 16);
        assert!(hex_start(&[0; 17]).ends_with(" ..."));
    }

    #[test]
    fn every_scenario_gets_a_cell_per_server() {
        let cells = every(Server::Mio, &Outcome::Missing(MISSING.into()));
        assert_eq!(cells.len(), SCENARIOS.len());
        assert!(cells
            .iter()
            .all(|cell| cell.peer == "pyserial-client/mio-server" && cell.part == Part::Live));
    }
}
