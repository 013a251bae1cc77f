//! `rfc2217 serve`: loop:// on a free port, logs, signals, several ports,
//! the config file and its errors.

mod common;

use std::fs;
use std::net::TcpListener;
use std::path::PathBuf;

use common::{run, Serve};
use rustix::process::Signal;

/// A config file of this test's own, removed when dropped.
struct ConfigFile(PathBuf);

impl ConfigFile {
    fn new(name: &str, text: &str) -> ConfigFile {
        let dir = std::env::temp_dir().join(format!("rfc2217-cli-{}-{name}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ports.toml");
        fs::write(&path, text).unwrap();
        ConfigFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for ConfigFile {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(self.0.parent().unwrap());
    }
}

#[test]
fn logs_clients_and_settings_and_exits_0_on_sigterm() {
    // The default log level shows clients and every setting change.
    let serve = Serve::start(&["--listen", "127.0.0.1:0"], 1);
    let ctl = run(&["ctl", serve.url(), "baud=19200"], b"");
    assert!(ctl.status.success(), "{}", ctl.stderr);
    serve.wait_for_log("connected; serving loop://");
    serve.wait_for_log("SET-BAUDRATE 19200, in use: SET-BAUDRATE 19200");
    serve.wait_for_log("disconnected: the client closed the connection");
    assert!(serve.stop(Signal::TERM).success());
}

#[test]
fn sigint_stops_it_too() {
    let serve = Serve::loopback();
    assert!(serve.stop(Signal::INT).success());
}

#[test]
fn each_device_gets_a_listener_and_open_addresses_are_warned_about() {
    let serve = Serve::start(&["loop://", "loop://", "--listen", "0.0.0.0:0"], 2);
    assert_ne!(serve.urls[0], serve.urls[1]);
    serve.wait_for_log("no authentication or encryption");
    let local = serve.urls[1].replace("0.0.0.0", "127.0.0.1");
    assert!(run(&["probe", &local], b"").status.success());
}

#[test]
fn a_config_file_gives_each_port_its_options() {
    let config = ConfigFile::new(
        "options",
        r#"
        [[port]]
        device = "loop://"
        listen = "127.0.0.1:0"
        signature = "bench 3"
        baud = 115200

        [[port]]
        device = "loop://"
        listen = "127.0.0.1:0"
        second-client = "kick-old"
        "#,
    );
    let serve = Serve::start(&["--config", config.path()], 2);
    let probe = run(&["probe", "--json", serve.url()], b"");
    assert!(probe.status.success(), "{}", probe.stderr);
    let report: serde_json::Value = serde_json::from_slice(&probe.stdout).unwrap();
    assert_eq!(report["signature"], "bench 3");
    let probe = run(&["probe", "--json", &serve.urls[1]], b"");
    let report: serde_json::Value = serde_json::from_slice(&probe.stdout).unwrap();
    assert!(report["signature"].as_str().unwrap().ends_with("loop://"));
}

#[test]
fn a_bad_config_file_is_named_with_its_line_and_field() {
    let config = ConfigFile::new(
        "bad",
        "[[port]]\ndevice = \"loop://\"\nlisten = \"127.0.0.1:0\"\nparity = \"evn\"\n",
    );
    let serve = run(&["serve", "--config", config.path()], b"");
    assert!(!serve.status.success());
    assert_eq!(
        serve.stderr.trim_end(),
        format!(
            "rfc2217: {}:4: port[0].parity: unknown parity `evn` (expected none, odd, even, mark, space)",
            config.path()
        )
    );
}

#[test]
fn an_address_in_use_is_named_with_its_line() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let config = ConfigFile::new(
        "taken",
        &format!("[[port]]\ndevice = \"loop://\"\nlisten = \"{addr}\"\n"),
    );
    let serve = run(&["serve", "--config", config.path()], b"");
    assert!(!serve.status.success());
    let expected = format!(
        "rfc2217: {}:3: port[0].listen: cannot listen on {addr}: ",
        config.path()
    );
    assert!(serve.stderr.starts_with(&expected), "{}", serve.stderr);
}

#[test]
fn a_missing_config_file_is_named() {
    let serve = run(&["serve", "--config", "/nonexistent/ports.toml"], b"");
    assert!(!serve.status.success());
    assert!(serve
        .stderr
        .starts_with("rfc2217: /nonexistent/ports.toml: "));
}
