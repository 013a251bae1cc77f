#!/usr/bin/env python3
"""pyserial 3.5's RFC 2217 client against one of our servers.

Run by `cargo xtask conformance` (the suite's conformance/src/pyserial/),
which serves a pty with the server under test and plays the equipment at
the pty's far end. This script is only the client: every check at the
device is made by the suite, asked over a line protocol.

    python3 pyserial_client.py URL TO_DEVICE FROM_DEVICE RECEIVED SCENARIO...

URL is the server's rfc2217:// URL without options; TO_DEVICE and
FROM_DEVICE are files holding the payloads of the two data scenarios;
RECEIVED is where the bytes read in `data-from-device` are written. The
scenarios run in the order given, each on a port of its own.

Each line printed on stdout is answered by the suite with one line on stdin,
`ok` or `fail TEXT`:

    scenario NAME           a scenario begins
    step TEXT               what the client does next (names later failures)
    failed TEXT             the step failed on the client's side
    note TEXT               an observation worth a line in the report
    expect FIELD=VALUE...   check the pty's settings: speed, data_bits,
                            parity, two_stop_bits, rts_cts, xon_xoff (flags
                            are 0 or 1)
    to-device N             start reading N bytes at the far end
    written                 all written: compare what arrived with TO_DEVICE
    from-device N           write FROM_DEVICE's N bytes at the far end
    read                    RECEIVED holds what arrived: compare it
    end NAME                the scenario is over
"""

import contextlib
import sys
import time

import serial

# How long one read() call waits for data.
READ_TIMEOUT = 0.5
# A transfer that makes no progress for this long has stalled.
STALL = 5.0
# Bytes per write() call: keeps what is in flight bounded.
CHUNK = 4096
# A modem line read with ?poll_modem that takes this long went unanswered:
# pyserial waits 3 s for the server's NOTIFY-MODEMSTATE, then quietly uses
# the value it has.
POLL_UNANSWERED = 2.0


def say(line):
    """Sends one line to the suite and returns its answer."""
    sys.stdout.write(" ".join(line.split()) + "\n")
    sys.stdout.flush()
    answer = sys.stdin.readline()
    if not answer:
        sys.exit("the suite stopped answering")
    return answer.rstrip("\n")


def describe(error):
    """An exception as the report shows it: its type and message."""
    return "{}: {}".format(type(error).__name__, error)


def attempt(step, action):
    """Runs `action` as the step `step`; reports an exception as a failure.
    Returns whether the step succeeded."""
    say("step " + step)
    try:
        action()
    except Exception as error:  # pylint: disable=broad-except
        say("failed " + describe(error))
        return False
    return True


def expect(**fields):
    """Asks the suite to check the pty's settings."""
    say("expect " + " ".join("{}={}".format(k, int(v)) for k, v in fields.items()))


def note(text):
    say("note " + text)


class Client:
    """The scenarios, one method each."""

    def __init__(self, url, to_device, from_device, received):
        self.url = url
        self.to_device = to_device
        self.from_device = from_device
        self.received = received

    @contextlib.contextmanager
    def port(self, options=""):
        """A port opened (as a step) at 115200 8N1; None if that failed."""
        opened = []

        def open_port():
            opened.append(
                serial.serial_for_url(self.url + options, baudrate=115200, timeout=READ_TIMEOUT)
            )

        attempt("open " + (options or "rfc2217://"), open_port)
        try:
            yield opened[0] if opened else None
        finally:
            if opened:
                attempt("close", opened[0].close)

    def open(self):
        with self.port() as port:
            if port:
                expect(speed=115200)

    def settings(self):
        with self.port() as port:
            if not port:
                return
            for baudrate in (9600, 57600, 115200):
                if attempt("baudrate {}".format(baudrate), lambda: setattr(port, "baudrate", baudrate)):
                    expect(speed=baudrate)
            for stopbits in (serial.STOPBITS_TWO, serial.STOPBITS_ONE):
                if attempt("stopbits {}".format(stopbits), lambda: setattr(port, "stopbits", stopbits)):
                    expect(two_stop_bits=stopbits == serial.STOPBITS_TWO)

    def datasize_parity(self):
        # pyserial keeps a rejected value and sends it again with every later
        # change: parity gets a port of its own.
        with self.port() as port:
            if port and attempt("bytesize 7", lambda: setattr(port, "bytesize", serial.SEVENBITS)):
                expect(data_bits=7)
        with self.port() as port:
            if port and attempt("parity E", lambda: setattr(port, "parity", serial.PARITY_EVEN)):
                expect(parity=True)

    def flow_control(self):
        with self.port() as port:
            if not port:
                return
            if attempt("rtscts on", lambda: setattr(port, "rtscts", True)):
                expect(rts_cts=True)
            # pyserial refuses rtscts and xonxoff together.
            attempt("rtscts off", lambda: setattr(port, "rtscts", False))
            if attempt("xonxoff on", lambda: setattr(port, "xonxoff", True)):
                expect(xon_xoff=True, rts_cts=False)
            if attempt("xonxoff off", lambda: setattr(port, "xonxoff", False)):
                expect(xon_xoff=False, rts_cts=False)

    def dtr_rts(self):
        with self.port() as port:
            if not port:
                return
            for line in ("dtr", "rts"):
                for state in (False, True):
                    attempt(
                        "{} {}".format(line, "on" if state else "off"),
                        lambda: setattr(port, line, state),
                    )
            note("a pty has no modem lines: only the acks of the DTR/RTS requests are checked")

    def break_(self):
        with self.port() as port:
            if port:
                attempt("send_break(0.25)", lambda: port.send_break(0.25))
                note("a pty shows no break at its far end: only the acks of BREAK on/off are checked")

    def purge(self):
        with self.port() as port:
            if port:
                attempt("reset_input_buffer", port.reset_input_buffer)
                attempt("reset_output_buffer", port.reset_output_buffer)

    def modem(self):
        with self.port() as port:
            if port:
                self.read_modem_lines(port, pause=0.0, suffix="")
        with self.port("?poll_modem") as port:
            if port:
                self.read_modem_lines(port, pause=0.35, suffix=" with ?poll_modem")

    @staticmethod
    def read_modem_lines(port, pause, suffix):
        """Reads CTS, DSR, RI and CD, `pause` seconds apart (past 0.3 s,
        ?poll_modem polls the server before each)."""
        values = {}
        for line in ("cts", "dsr", "ri", "cd"):
            time.sleep(pause)
            started = time.monotonic()
            if attempt("read " + line + suffix, lambda: values.__setitem__(line, getattr(port, line))):
                took = time.monotonic() - started
                if took > POLL_UNANSWERED:
                    say(
                        "failed took {:.1f} s: the modem-state poll was not answered "
                        "(pyserial waits 3 s, then uses the value it has)".format(took)
                    )
        if values:
            note(
                "modem lines read{}: {}".format(
                    suffix, " ".join("{}={}".format(k, int(v)) for k, v in values.items())
                )
            )

    def data_to_device(self):
        with open(self.to_device, "rb") as file:
            data = file.read()
        with self.port() as port:
            if not port:
                return

            def write_all():
                for start in range(0, len(data), CHUNK):
                    port.write(data[start : start + CHUNK])

            say("to-device {}".format(len(data)))
            attempt("write {} bytes".format(len(data)), write_all)
            say("written")

    def data_from_device(self):
        with open(self.from_device, "rb") as file:
            length = len(file.read())
        with self.port() as port:
            if not port:
                return
            received = bytearray()

            def read_all():
                last_progress = time.monotonic()
                while len(received) < length and time.monotonic() - last_progress < STALL:
                    chunk = port.read(length - len(received))
                    if chunk:
                        received.extend(chunk)
                        last_progress = time.monotonic()

            say("from-device {}".format(length))
            attempt("read {} bytes".format(length), read_all)
            with open(self.received, "wb") as file:
                file.write(received)
            say("read")


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    url, to_device, from_device, received = sys.argv[1:5]
    client = Client(url, to_device, from_device, received)
    for name in sys.argv[5:]:
        scenario = {
            "open": client.open,
            "settings": client.settings,
            "datasize-parity": client.datasize_parity,
            "flow-control": client.flow_control,
            "dtr-rts": client.dtr_rts,
            "break": client.break_,
            "purge": client.purge,
            "modem": client.modem,
            "data-to-device": client.data_to_device,
            "data-from-device": client.data_from_device,
        }.get(name)
        say("scenario " + name)
        if scenario is None:
            say("failed this script has no scenario " + name)
        else:
            try:
                scenario()
            except Exception as error:  # pylint: disable=broad-except
                say("step the script itself")
                say("failed " + describe(error))
        say("end " + name)


if __name__ == "__main__":
    main()
