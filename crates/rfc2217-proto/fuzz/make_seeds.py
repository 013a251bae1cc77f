#!/usr/bin/env python3
"""Writes the hand-made seeds of the `peer_input` corpus (`seed-*` files).

Each seed is an 8-byte driver header (see fuzz_targets/driver.rs) followed
by bytes a peer sends: what real servers and clients were seen sending
(/work/shared/peers/NOTES.md) and malformed input. Run from any directory:
    python3 crates/rfc2217-proto/fuzz/make_seeds.py
"""
import os

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
BINARY, ECHO, SGA, COM = 0, 1, 3, 44


def neg(verb, opt):
    return bytes([IAC, verb, opt])


def sb(opt, *payload):
    body = b"".join(p if isinstance(p, bytes) else bytes([p]) for p in payload)
    return bytes([IAC, SB, opt]) + body.replace(b"\xff", b"\xff\xff") + bytes([IAC, SE])


def cp(code, *value):
    return sb(COM, code, *value)


def header(data=0xFF, tx=0xFF, reads=(0, 0, 0), segment=0, clock=0, flags=0x01):
    return bytes([data, tx, *reads, segment, clock, flags])


# Header presets: plain one read, byte-by-byte with tiny buffers, odd splits
# with segments and a clock, everything on.
PLAIN = header()
BYTEWISE = header(data=0, tx=0, reads=(1, 1, 1), flags=0x1F)
SPLIT = header(data=6, tx=9, reads=(3, 0, 7), segment=11, clock=12, flags=0x5B)
ALL = header(data=63, tx=31, reads=(2, 5, 64), segment=29, clock=31, flags=0xFF)

ser2net_connect = (neg(WILL, SGA) + neg(DO, SGA) + neg(WILL, ECHO) + neg(DONT, ECHO)
                   + neg(DO, BINARY) + neg(WILL, BINARY) + neg(DO, COM))
sredird_connect = (neg(WILL, BINARY) + neg(DO, BINARY) + neg(WILL, ECHO) + neg(WILL, SGA)
                   + neg(DO, SGA) + neg(DO, COM))
sredird_triplet = cp(107, 0x66) + cp(107, 0x06) + cp(107, 0x00)
sredird_acks = (bytes([IAC, SB, COM, 101, 0, 1, 0xC2, 0, 0, 0, 0, 0, IAC, SE])
                + sredird_triplet + cp(102, 8) + cp(103, 1) + cp(104, 1)
                + cp(105, 1) + cp(105, 1) + cp(105, 5) + cp(105, 6) + cp(112, 3)
                + cp(111, 0xFF) + cp(110, 0x10) + cp(100, b"SRedird 2.2.1 /dev/pts/2"))
pyserial_server = (neg(WILL, ECHO) + neg(WILL, SGA) + neg(DO, BINARY) + neg(WILL, COM)
                   + neg(DO, COM) + cp(107, 0) + cp(107, 0) + cp(101, 0, 1, 0xC2, 0)
                   + cp(106, 0) + cp(107, 0xF0))
pyserial_client = (neg(DO, ECHO) + neg(WILL, SGA) + neg(DO, SGA) + neg(DO, COM)
                   + neg(WILL, COM) + neg(DO, BINARY) + neg(WILL, BINARY))
client_requests = (cp(0) + cp(0, b"pyserial") + cp(1, 0, 1, 0xC2, 0) + cp(1, 0, 0, 0, 0)
                   + cp(2, 8) + cp(2, 0) + cp(3, 1) + cp(3, 0) + cp(4, 1) + cp(4, 3)
                   + cp(5, 1) + cp(5, 8) + cp(5, 11) + cp(5, 4) + cp(5, 7) + cp(5, 99)
                   + cp(6, 0) + cp(6) + cp(7) + cp(7, 0) + cp(8) + cp(9)
                   + cp(10, 0xFF) + cp(11, 0xFF) + cp(12, 1) + cp(12, 3) + cp(12, 9))
server_replies = (cp(100) + cp(100, b"ser2net 4.6") + cp(101, 0, 0, 0x25, 0x80) + cp(101, 0x0E)
                  + cp(101, 0xFF, 0xFF, 0xFF, 0xFF) + cp(102, 7) + cp(103, 3) + cp(104, 2)
                  + cp(105, 9) + cp(105, 12) + cp(106, 0x60) + cp(107, 0xB1)
                  + cp(108) + b"held" + cp(109) + cp(110, 0) + cp(111, 0) + cp(112, 2))
nvt_data = (b"AT\r\nOK\r\0x\r" + b"\0\0y\xff\xff\xff\xff" + neg(WILL, BINARY)
            + b"bin\r\0\r\n\xff\xff" + neg(WONT, BINARY) + b"nvt\r\0!")
bad_framing = (bytes([IAC, SE]) + b"a" + bytes([IAC, 17]) + b"b"
               + b"".join(bytes([IAC, c]) for c in range(241, 250)) + b"c"
               + sb(24, 0, b"xterm") + b"d" + sb(COM) + b"e" + bytes([IAC, SB, COM, IAC, SE]))
overlong_sb = bytes([IAC, SB, COM, 100]) + b"A" * 100 + b"\xff\xff" * 10 + bytes([IAC, SE]) + b"after"
unterminated_sb = (bytes([IAC, SB, COM, 1, 0, 0, 0x25, 0x80]) + neg(WILL, BINARY) + b"data"
                   + bytes([IAC, SB, COM, 7, 0xF0]) + b"swallowed" + bytes([IAC, SE]) + b"tail")
unterminated_at_end = b"x" + bytes([IAC, SB, COM, 101, 0, 0])
iac_at_end = b"data\xff"
sb_at_end = b"data" + bytes([IAC, SB])
malformed = (cp(101, 0, 1) + cp(101) + cp(102) + cp(110) + cp(13, 1) + cp(99) + cp(113)
             + cp(200, 1) + cp(1, 0, 0, 0x25, 0x80) + cp(101, 0x02))
refusal = neg(DONT, COM) + neg(WONT, COM) + b"plain telnet" + neg(WILL, COM) + neg(DO, COM)
flapping = (neg(WILL, COM) + neg(WONT, COM)) * 6 + (neg(DO, BINARY) + neg(DONT, BINARY)) * 6 \
    + neg(WILL, 99) + neg(DO, 99) + neg(WONT, 99) + neg(DONT, 99)
sig_flood_client = cp(100) * 30 + b"z"
sig_flood_server = cp(0) * 30 + b"z"
request_flood = cp(1, 0, 1, 0xC2, 0) * 20 + neg(DO, 99) * 22 + cp(0) + b"\xff\xffq"
suspended = neg(DO, COM) + cp(108) + cp(8) + b"while suspended" + cp(109) + cp(9)
# A server suspended by its client queues modem and line notifications until
# its queue is full; then a request and the RESUME arrive in one read.
resume_respond = ((neg(WILL, COM) + cp(10, 0xFF) + cp(8) + b"xxx") + b"x" * 20 * 30
                  + cp(1, 0, 0, 0x25, 0x80) + cp(9) + b"yyyy")
long_signature = cp(100, b"S" * 63) + cp(100, b"S" * 64) + cp(0, b"C" * 63) + cp(0, b"C" * 64)

SEEDS = {
    "ser2net-connect": [PLAIN + ser2net_connect, SPLIT + ser2net_connect + neg(WILL, COM) + sredird_triplet],
    "sredird-connect": [PLAIN + sredird_connect + neg(WILL, COM) + sredird_triplet,
                        BYTEWISE + sredird_connect + neg(WILL, COM) + sredird_triplet],
    "sredird-acks": [PLAIN + sredird_connect + neg(WILL, COM) + sredird_acks,
                     ALL + sredird_connect + neg(WILL, COM) + sredird_acks],
    "pyserial-server": [PLAIN + pyserial_server, SPLIT + pyserial_server],
    "pyserial-client": [PLAIN + pyserial_client + client_requests, BYTEWISE + pyserial_client + client_requests],
    "client-requests": [PLAIN + neg(DO, COM) + client_requests, ALL + neg(WILL, COM) + client_requests],
    "server-replies": [PLAIN + neg(DO, COM) + server_replies, SPLIT + neg(WILL, COM) + server_replies],
    "nvt-data": [PLAIN + nvt_data, BYTEWISE + nvt_data],
    "bad-framing": [PLAIN + bad_framing, SPLIT + bad_framing],
    "overlong-sb": [PLAIN + overlong_sb, BYTEWISE + overlong_sb],
    "unterminated-sb": [PLAIN + unterminated_sb, SPLIT + unterminated_sb, PLAIN + unterminated_at_end],
    "iac-at-end": [PLAIN + iac_at_end, BYTEWISE + iac_at_end, PLAIN + sb_at_end],
    "malformed": [PLAIN + neg(DO, COM) + malformed, ALL + malformed],
    "refusal": [PLAIN + refusal, SPLIT + refusal],
    "flapping": [PLAIN + flapping, ALL + flapping],
    "signature-flood": [PLAIN + sig_flood_client, PLAIN + sig_flood_server,
                        header(flags=0x20) + sig_flood_server, header(flags=0x61) + sig_flood_client],
    "request-flood": [PLAIN + request_flood, header(flags=0x20) + request_flood, BYTEWISE + request_flood],
    "suspended": [header(segment=8, clock=40, flags=0x0B) + suspended, ALL + suspended],
    "resume-respond": [header(segment=20, flags=0x04) + resume_respond,
                       header(data=0, tx=3, reads=(7, 13, 1), segment=20, flags=0x1C) + resume_respond],
    "long-signature": [PLAIN + long_signature, header(flags=0x20) + long_signature],
    "timeouts": [header(segment=3, clock=20, flags=0x03) + sredird_connect,
                 header(segment=1, clock=255, flags=0xFF) + b"ab",
                 header(clock=40, flags=0x01)],
    "empty": [b"", PLAIN],
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "peer_input")
    os.makedirs(out, exist_ok=True)
    for name, inputs in SEEDS.items():
        for i, data in enumerate(inputs):
            with open(os.path.join(out, f"seed-{name}-{i}"), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
