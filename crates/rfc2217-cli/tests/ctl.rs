//! `rfc2217 ctl`: sets and queries against `serve` on loop://, and its
//! errors.

mod common;

use common::{run, Serve};

#[test]
fn prints_the_value_in_use_for_each_key() {
    let serve = Serve::loopback();
    let ctl = run(
        &[
            "ctl",
            serve.url(),
            "baud=115200",
            "parity=even",
            "data-bits=7",
            "stop-bits=2",
            "flow=rtscts",
            "dtr=off",
            "rts=?",
            "break=0.05",
            "purge=both",
            "baud=?",
            "parity=?",
        ],
        b"",
    );
    assert!(ctl.status.success(), "{}", ctl.stderr);
    // RTS stays as the port had it (off): ctl opens without touching it.
    assert_eq!(
        ctl.stdout(),
        "baud=115200\nparity=even\ndata-bits=7\nstop-bits=2\nflow=rtscts\ndtr=off\n\
         rts=off\nbreak=off\npurge=both\nbaud=115200\nparity=even\n"
    );
}

#[test]
fn a_mistake_is_caught_before_connecting() {
    // Nothing listens on port 1: the key is named, not the connection.
    let ctl = run(&["ctl", "rfc2217://127.0.0.1:1", "speed=9600"], b"");
    assert!(!ctl.status.success());
    assert!(ctl.stderr.contains("unknown key `speed`"), "{}", ctl.stderr);
}

#[test]
fn an_unreachable_server_is_one_line() {
    let ctl = run(&["ctl", "rfc2217://127.0.0.1:1", "baud=?"], b"");
    assert!(!ctl.status.success());
    assert!(
        ctl.stderr
            .starts_with("rfc2217: cannot connect to 127.0.0.1:1"),
        "{}",
        ctl.stderr
    );
    assert_eq!(ctl.stderr.lines().count(), 1);
}
