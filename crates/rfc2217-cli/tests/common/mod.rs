//! Runs the built `rfc2217` binary with bounded waits: a server on a free
//! port for the other commands, and commands that must end in time.

#![allow(dead_code, unreachable_pub)] // each test file uses a part

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{kill_process, Pid, Signal};

/// The binary under test.
pub const BINARY: &str = env!("CARGO_BIN_EXE_rfc2217");

/// The longest any command may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// What a finished command printed.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Finished {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs `rfc2217 ARGS` with `stdin` as its input; fails the test if it
/// takes longer than [`WAIT`].
pub fn run(args: &[&str], stdin: &[u8]) -> Finished {
    let mut child = Command::new(BINARY)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let feeder = thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let status = wait(&mut child, WAIT).unwrap_or_else(|| {
        let _ = child.kill();
        panic!("rfc2217 {args:?} did not finish within {WAIT:?}");
    });
    feeder.join().unwrap();
    Finished {
        status,
        stdout: stdout.join().unwrap(),
        stderr: String::from_utf8_lossy(&stderr.join().unwrap()).into_owned(),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// The child's exit status, if it exits within `limit`.
pub fn wait(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        thread::sleep(Duration::from_millis(10));
    }
    None
}

/// A running `rfc2217 serve`, killed when dropped.
pub struct Serve {
    child: Child,
    /// The URL of each port, as `serve` printed them.
    pub urls: Vec<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Serve {
    /// `rfc2217 serve --listen 127.0.0.1:0`: loop:// on a free port.
    pub fn loopback() -> Serve {
        Serve::start(&["--listen", "127.0.0.1:0"], 1)
    }

    /// `rfc2217 serve ARGS`, once it has printed the URLs of its `ports`.
    pub fn start(args: &[&str], ports: usize) -> Serve {
        let mut child = Command::new(BINARY)
            .arg("serve")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut pipe = child.stderr.take().unwrap();
        let log = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut chunk = [0; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                log.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        });
        let (lines, printed) = mpsc::channel();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let mut serve = Serve {
            child,
            urls: Vec::new(),
            stderr,
        };
        while serve.urls.len() < ports {
            let line = printed
                .recv_timeout(WAIT)
                .unwrap_or_else(|_| panic!("serve printed no URL; its log:\n{}", serve.log()));
            let url = line.split_whitespace().next().unwrap_or_default();
            assert!(url.starts_with("rfc2217://"), "{line}");
            serve.urls.push(url.to_owned());
        }
        serve
    }

    /// The first port's URL.
    pub fn url(&self) -> &str {
        &self.urls[0]
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Waits until it has logged `text`.
    pub fn wait_for_log(&self, text: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.log().contains(text) {
            assert!(
                Instant::now() < deadline,
                "serve did not log {text:?}; its log:\n{}",
                self.log()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends it `signal` and returns its exit status.
    pub fn stop(mut self, signal: Signal) -> ExitStatus {
        let pid = Pid::from_child(&self.child);
        kill_process(pid, signal).unwrap();
        wait(&mut self.child, WAIT).expect("serve stops on a signal")
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
