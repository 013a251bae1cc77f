#!/usr/bin/env python3
"""An RFC 2217 server built on pyserial 3.5's `serial.rfc2217.PortManager`.

Usage: pyserial_server.py --port N [--baudrate B] DEVICE

Serves DEVICE on 127.0.0.1:N to one client at a time (the next one waits in
the listen backlog) and prints `ready` on stdout once it listens. It is one of
the third-party peers of `cargo xtask conformance`: all Telnet and RFC 2217
handling is PortManager's; this file only moves bytes and adapts the device.

Per connection: DTR and RTS go up, a reader thread sends device data to the
client through `PortManager.escape`, client data goes to the device through
`PortManager.filter`, and a thread calls `check_modem_lines()` every second.
On disconnect DTR and RTS go down and the settings the device had when the
server started come back. An exception inside a connection (PortManager
raises on some malformed input) closes that connection, is reported on
stderr, and the server goes on.

A Linux pty has no modem lines and forces 8 data bits without parity. So
that PortManager can serve one anyway, the device is wrapped in a shim:
modem-line ioctls that fail with ENOTTY read as False or are ignored, and on
a pty the data size and parity are kept on the Python side only (termios is
written with 8N), so PortManager acknowledges the values a client asks for.
"""

import argparse
import errno
import os
import socket
import stat
import sys
import threading
import traceback

import serial
import serial.rfc2217

# Linux: UNIX98_PTY_SLAVE_MAJOR and the seven majors after it.
PTY_SUBSIDIARY_MAJORS = range(136, 144)
# How often the modem lines are polled, in seconds.
MODEM_POLL = 1.0
# How long one read from the device waits before checking for the end of
# the connection, in seconds.
READ_TIMEOUT = 0.1


def log(message):
    print("pyserial_server: " + message, file=sys.stderr, flush=True)


def describe(error):
    """`Type: message (at file:line)` for a one-line report."""
    frames = traceback.extract_tb(error.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        where = " (at {}:{})".format(os.path.basename(last.filename), last.lineno)
    return "{}: {}{}".format(type(error).__name__, error, where)


def is_pty(fd):
    mode = os.fstat(fd)
    return stat.S_ISCHR(mode.st_mode) and os.major(mode.st_rdev) in PTY_SUBSIDIARY_MAJORS


def without_modem_lines(read_or_set, default=None):
    """Runs a modem-line ioctl; a device without modem lines gives `default`."""
    try:
        return read_or_set()
    except OSError as error:
        if error.errno != errno.ENOTTY:
            raise
        return default


def modem_line(name):
    """serial.Serial's modem-line property `name`, reading False where the
    device has no modem lines."""
    read = getattr(serial.Serial, name).fget
    return property(lambda port: without_modem_lines(lambda: read(port), False))


class ShimmedSerial(serial.Serial):
    """A serial port that also works on a pty (see the module's docs)."""

    _pty = None

    def _reconfigure_port(self, force_update=False):
        if self._pty is None:
            self._pty = is_pty(self.fd)
        if not self._pty:
            return super()._reconfigure_port(force_update)
        # termios gets 8N (anything else makes tcsetattr fail on a pty);
        # the requested values stay in `_bytesize` / `_parity`.
        bytesize, parity = self._bytesize, self._parity
        self._bytesize, self._parity = serial.EIGHTBITS, serial.PARITY_NONE
        try:
            return super()._reconfigure_port(force_update)
        finally:
            self._bytesize, self._parity = bytesize, parity

    def _update_dtr_state(self):
        without_modem_lines(super()._update_dtr_state)

    def _update_rts_state(self):
        without_modem_lines(super()._update_rts_state)

    # CTS, DSR, RI and CD read as off where the device has no modem lines.
    cts, dsr, ri, cd = (modem_line(name) for name in ("cts", "dsr", "ri", "cd"))


class Connection:
    """What PortManager writes to: the client socket, shared by three threads."""

    def __init__(self, sock):
        self.sock = sock
        self.lock = threading.Lock()

    def write(self, data):
        with self.lock:
            self.sock.sendall(data)


class Session:
    """One client connection, from accept to close."""

    def __init__(self, device, sock, peer):
        self.device = device
        self.sock = sock
        self.peer = peer
        self.connection = Connection(sock)
        self.done = threading.Event()
        # PortManager is not thread safe: the socket reader and the modem
        # poller take turns.
        self.manager_lock = threading.Lock()
        self.manager = None

    def close(self, error=None):
        """Ends the session from any thread; `error` is reported once."""
        if error is not None and not self.done.is_set():
            log("closing the connection from {}: {}".format(self.peer, describe(error)))
        self.done.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.device.cancel_read()

    def run(self):
        self.device.dtr = True
        self.device.rts = True
        with self.manager_lock:
            self.manager = serial.rfc2217.PortManager(self.device, self.connection)
        threads = [
            threading.Thread(target=self.device_to_client, daemon=True),
            threading.Thread(target=self.poll_modem_lines, daemon=True),
        ]
        for thread in threads:
            thread.start()
        try:
            self.client_to_device()
        finally:
            self.close()
            for thread in threads:
                thread.join()

    def client_to_device(self):
        while not self.done.is_set():
            try:
                chunk = self.sock.recv(4096)
            except OSError as error:
                if not self.done.is_set() and error.errno not in (errno.ECONNRESET, errno.EPIPE):
                    self.close(error)
                return
            if not chunk:
                return
            try:
                with self.manager_lock:
                    data = b"".join(self.manager.filter(chunk))
                if data:
                    self.device.write(data)
            except Exception as error:  # noqa: BLE001 - any failure ends only this connection
                self.close(error)
                return

    def device_to_client(self):
        try:
            while not self.done.is_set():
                data = self.device.read(1)
                if not data:
                    continue
                waiting = self.device.in_waiting
                if waiting:
                    data += self.device.read(waiting)
                self.connection.write(b"".join(self.manager.escape(data)))
        except (BrokenPipeError, ConnectionResetError):
            self.close()
        except Exception as error:  # noqa: BLE001
            self.close(error)

    def poll_modem_lines(self):
        try:
            while not self.done.wait(MODEM_POLL):
                with self.manager_lock:
                    self.manager.check_modem_lines()
        except (BrokenPipeError, ConnectionResetError):
            self.close()
        except Exception as error:  # noqa: BLE001
            self.close(error)


def restore(device, settings):
    """Puts the device back as it was before the client came."""
    try:
        device.dtr = False
        device.rts = False
        if device.break_condition:
            device.break_condition = False
        device.apply_settings(settings)
    except Exception as error:  # noqa: BLE001
        log("cannot restore the device's settings: " + describe(error))


def serve(device, listener):
    settings = device.get_settings()
    while True:
        sock, address = listener.accept()
        peer = "{}:{}".format(*address[:2])
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            Session(device, sock, peer).run()
        except Exception as error:  # noqa: BLE001
            log("closing the connection from {}: {}".format(peer, describe(error)))
        finally:
            sock.close()
            restore(device, settings)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1")
    parser.add_argument("--baudrate", type=int, default=115200, help="initial speed")
    parser.add_argument("device", help="the serial device to serve, e.g. /dev/pts/3")
    args = parser.parse_args()

    try:
        device = ShimmedSerial(args.device, args.baudrate, timeout=READ_TIMEOUT)
    except (OSError, ValueError) as error:
        log("cannot open {}: {}".format(args.device, error))
        return 1
    try:
        listener = socket.create_server(("127.0.0.1", args.port))
    except OSError as error:
        log("cannot listen on 127.0.0.1:{}: {}".format(args.port, error))
        return 1
    print("ready", flush=True)
    try:
        serve(device, listener)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
