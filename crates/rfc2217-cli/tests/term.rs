//! `rfc2217 term` in pipe mode (stdin not a terminal), through `serve` on
//! loop://.

mod common;

use common::{run, Serve};

/// `len` bytes that cover every value, 0xFF (IAC) included.
fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[test]
fn pipes_64_kib_through_the_loopback_byte_exact() {
    let serve = Serve::loopback();
    let sent = noise(64 * 1024);
    assert!(sent.contains(&0xFF));
    let term = run(&["term", serve.url(), "--linger", "1"], &sent);
    assert!(term.status.success(), "{}", term.stderr);
    assert_eq!(term.stdout.len(), sent.len());
    assert!(term.stdout == sent, "the echo differs");
}

#[test]
fn settings_flags_open_the_port_with_them() {
    let serve = Serve::loopback();
    let term = run(
        &[
            "term",
            serve.url(),
            "--baud",
            "115200",
            "--parity",
            "even",
            "--dtr",
            "off",
            "--linger",
            "0.2",
        ],
        b"AT\r",
    );
    assert!(term.status.success(), "{}", term.stderr);
    assert_eq!(term.stdout, b"AT\r");
    let wrong = run(&["term", serve.url(), "--parity", "mark"], b"");
    assert!(!wrong.status.success());
    assert!(wrong.stderr.contains("can be set with `rfc2217 ctl` only"));
}

#[test]
fn a_bad_url_is_one_line() {
    let term = run(&["term", "tcp://127.0.0.1:2217"], b"");
    assert!(!term.status.success());
    assert_eq!(
        term.stderr,
        "rfc2217: `tcp://127.0.0.1:2217` is not an rfc2217:// URL \
         (expected rfc2217://HOST:PORT[?OPTION[&OPTION...]])\n"
    );
}
