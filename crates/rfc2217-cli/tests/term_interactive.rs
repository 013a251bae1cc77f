//! `rfc2217 term` on a terminal (a pseudo-terminal here): keys to the port
//! and back, the escape key's commands, and the terminal restored on the
//! way out.

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{wait, Serve, BINARY, WAIT};
use rustix::process::{kill_process, Pid, Signal};
use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
use rustix::termios::{tcgetattr, LocalModes};

/// `rfc2217 term URL` on a pseudo-terminal: we type on its master side and
/// read what it shows there.
struct Terminal {
    child: Child,
    master: File,
    /// The terminal's side, kept to look at its settings.
    slave: File,
    shown: Arc<Mutex<Vec<u8>>>,
}

impl Terminal {
    fn open(url: &str) -> Terminal {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
        grantpt(&master).unwrap();
        unlockpt(&master).unwrap();
        let name = ptsname(&master, Vec::new()).unwrap();
        let slave = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(name.to_str().unwrap())
            .unwrap();
        let stdio = || Stdio::from(slave.try_clone().unwrap());
        let child = Command::new(BINARY)
            .args(["term", url])
            .stdin(stdio())
            .stdout(stdio())
            .stderr(stdio())
            .spawn()
            .unwrap();
        let master = File::from(master);
        let shown = Arc::new(Mutex::new(Vec::new()));
        let mut screen = master.try_clone().unwrap();
        let seen = Arc::clone(&shown);
        thread::spawn(move || {
            let mut chunk = [0; 4096];
            while let Ok(n @ 1..) = screen.read(&mut chunk) {
                seen.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        });
        Terminal {
            child,
            master,
            slave,
            shown,
        }
    }

    fn shown(&self) -> String {
        String::from_utf8_lossy(&self.shown.lock().unwrap()).into_owned()
    }

    /// Waits until the terminal shows `text`.
    fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.shown().contains(text) {
            assert!(
                Instant::now() < deadline,
                "the terminal did not show {text:?}; it shows:\n{}",
                self.shown()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    fn type_in(&mut self, keys: &[u8]) {
        self.master.write_all(keys).unwrap();
    }

    /// The terminal is in line mode with echo, as before raw mode.
    fn is_cooked(&self) -> bool {
        let modes = tcgetattr(&self.slave).unwrap().local_modes;
        modes.contains(LocalModes::ICANON | LocalModes::ECHO)
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn keys_go_to_the_port_and_escape_commands_work() {
    let serve = Serve::loopback();
    let mut terminal = Terminal::open(serve.url());
    terminal.wait_for("Ctrl-] then:");
    assert!(!terminal.is_cooked(), "raw mode while running");
    terminal.type_in(b"hello\xff");
    terminal.wait_for("hello");
    terminal.type_in(b"\x1ds");
    terminal.wait_for("modem lines");
    terminal.type_in(b"\x1d+");
    terminal.wait_for("baud 19200");
    terminal.type_in(b"\x1dd");
    terminal.wait_for("DTR off");
    terminal.type_in(b"\x1dq");
    let status = wait(&mut terminal.child, WAIT).expect("q quits");
    assert!(status.success(), "{}", terminal.shown());
    assert!(terminal.is_cooked(), "the terminal is restored");
}

#[test]
fn the_terminal_is_restored_when_killed() {
    let serve = Serve::loopback();
    let mut terminal = Terminal::open(serve.url());
    terminal.wait_for("Ctrl-] then:");
    assert!(!terminal.is_cooked());
    kill_process(Pid::from_child(&terminal.child), Signal::TERM).unwrap();
    let status = wait(&mut terminal.child, WAIT).expect("SIGTERM ends it");
    assert!(!status.success());
    assert!(terminal.is_cooked(), "the terminal is restored");
}

#[test]
fn the_terminal_is_restored_when_the_server_goes() {
    let serve = Serve::loopback();
    let mut terminal = Terminal::open(serve.url());
    terminal.wait_for("Ctrl-] then:");
    drop(serve);
    let status = wait(&mut terminal.child, WAIT).expect("a closed connection ends it");
    assert!(!status.success());
    assert!(terminal.is_cooked(), "the terminal is restored");
    terminal.wait_for("rfc2217: the server closed the connection");
}
