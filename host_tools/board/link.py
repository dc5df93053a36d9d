"""One class for talking to a board running the firmware over its serial
port: the virtual board and a real one are the same object to every tool.

It sends checksummed command lines, reads protocol lines (firmware/wire.py),
keeps the events it sees on the way, and turns every failure into a
LinkError a person can act on: no such port, port vanished, no reply, the
board is at a REPL instead of running the firmware.
"""

import contextlib
import os
import select
import time

import serial

from host_tools.protocol.lines import format_command, parse_line

DEFAULT_TIMEOUT_S = 5.0
READY_TIMEOUT_S = 15.0
HAND_OVER_TIMEOUT_S = 1.5  # a board at its REPL says nothing; the firmware answers at once
REPL_SETTLE_S = 0.2
READ_POLL_S = 0.05  # longest single wait for input (pyserial's read timeout before)


class LinkError(Exception):
    pass


class BoardLink:
    def __init__(self, port, timeout=DEFAULT_TIMEOUT_S, baudrate=115200, on_line=None):
        self.port = port
        self.timeout = timeout
        self.on_line = on_line  # callable(Line or None, raw bytes) for every line seen
        self.events = []
        self.noise = []  # lines that are not protocol lines (REPL text, garbage)
        self._buf = bytearray()
        try:
            self.ser = serial.Serial(port, baudrate, timeout=0.05, exclusive=True)
        except (serial.SerialException, OSError) as exc:
            raise LinkError(f"cannot open {port}: {exc}") from None
        # a POSIX port is read straight from its file descriptor (see _read_fd)
        fd = getattr(self.ser, "fd", None)
        self._fd = fd if isinstance(fd, int) and os.name == "posix" else None

    def close(self):
        self._fd = None
        with contextlib.suppress(Exception):  # closing a port that has gone away
            self.ser.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- bytes ----------------------------------------------------------------
    def write(self, data: bytes):
        try:
            self.ser.write(data)
        except (serial.SerialException, OSError) as exc:
            raise LinkError(f"lost {self.port} while writing: {exc}") from None

    def read_raw_line(self, deadline):
        """Next raw line (bytes, without CR LF), or None at the deadline."""
        while True:
            nl = self._buf.find(b"\n")
            if nl >= 0:
                raw = bytes(self._buf[:nl]).rstrip(b"\r")
                del self._buf[: nl + 1]
                return raw
            now = time.monotonic()
            if now >= deadline:
                return None
            try:
                if self._fd is not None:
                    chunk = self._read_fd(min(READ_POLL_S, deadline - now))
                else:
                    chunk = self.ser.read(self.ser.in_waiting or 1)
            except (serial.SerialException, OSError) as exc:
                raise LinkError(f"lost {self.port}: {exc} (board unplugged or reset?)") from None
            if chunk:
                self._buf += chunk

    def _read_fd(self, timeout_s):
        """What the port has within timeout_s, in one read (POSIX ports): a
        drop test reads a sync reply per batch, and pyserial's read(1) then
        read(in_waiting) costs twice the system calls."""
        readable, _, _ = select.select([self._fd], [], [], timeout_s)
        if not readable:
            return b""
        chunk = os.read(self._fd, 65536)
        if not chunk:
            # readable but empty: the port has gone (as pyserial reports it)
            raise serial.SerialException("device reports readiness to read but returned no data")
        return chunk

    def pending_text(self):
        return bytes(self._buf)

    def lines(self, timeout=None):
        """Yield protocol lines until `timeout` seconds pass without one."""
        timeout = self.timeout if timeout is None else timeout
        while True:
            raw = self.read_raw_line(time.monotonic() + timeout)
            if raw is None:
                return
            line = self._note(raw)
            if line is not None:
                yield line

    def _note(self, raw):
        line = parse_line(raw)
        if self.on_line:
            self.on_line(line, raw)
        if line is None:
            if raw.strip():
                self.noise.append(raw)
        elif line.kind == "EVT":
            self.events.append(line)
        return line

    # -- commands -------------------------------------------------------------
    def command(self, text, timeout=None):
        """Send one command; return its OK/ERR reply line."""
        name = text.split()[0].lower()
        self.write(format_command(text))
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            raw = self.read_raw_line(deadline)
            if raw is None:
                tail = (b"\n".join(self.noise[-3:]) + self.pending_text()).decode(errors="replace")
                if ">>>" in tail:
                    raise LinkError(
                        f"{self.port} is at the MicroPython REPL, not running the firmware "
                        f"(run `capsule flash --port {self.port}` or soft-reset it)"
                    )
                if self.noise:
                    raise LinkError(
                        "no valid reply to {!r} from {}; it said: {!r}".format(
                            text, self.port, self.noise[-1][:80].decode(errors="replace")
                        )
                    )
                raise LinkError(f"no reply to {text!r} from {self.port} within {timeout:.0f} s")
            line = self._note(raw)
            if line is not None and line.kind in ("OK", "ERR") and line.name in (name, "line"):
                return line

    def stop_firmware(self, timeout=HAND_OVER_TIMEOUT_S):
        """Before a raw-REPL tool (mpremote: flash, log pull) takes the port:
        ask a running firmware to stop with the checksummed `repl` command.
        The firmware ignores Ctrl-C while armed or in flight (and on a real
        board always), so mpremote's opening Ctrl-C alone no longer gets in.

        Returns True when the firmware handed over, False when nothing
        answered (the board is at its REPL already, or in its boot window).
        Raises LinkError when the firmware refuses (armed, in flight)."""
        self.write(format_command("repl"))
        deadline = time.monotonic() + timeout
        while True:
            raw = self.read_raw_line(deadline)
            if raw is None:
                return False
            line = self._note(raw)
            if line is None:
                if raw.startswith(b">>>") or b">>> " in self.pending_text():
                    return False  # the friendly REPL answered the line itself
                continue
            if line.kind in ("OK", "ERR") and line.name in ("repl", "line"):
                if line.kind == "OK":
                    time.sleep(REPL_SETTLE_S)  # the firmware closes its log, the REPL starts
                    return True
                if line.name == "line":
                    continue  # the line met noise: no firmware state changed
                if "unknown command" in line.get("msg", ""):
                    return False  # an older firmware: mpremote's Ctrl-C stops it
                raise LinkError(
                    f"the firmware on {self.port} will not stop: {line.get('msg', '?')} "
                    "(disarm it first; a flying board keeps its console)"
                )

    def wait_event(self, name, timeout=READY_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while True:
            raw = self.read_raw_line(deadline)
            if raw is None:
                return None
            line = self._note(raw)
            if line is not None and line.kind == "EVT" and line.name == name:
                return line

    def start_firmware(self, timeout=READY_TIMEOUT_S):
        """From the REPL (or a running firmware): soft-reset and wait for `ready`."""
        self.write(b"\r\x03\x03")
        time.sleep(0.1)
        self.write(b"\x02\x04")  # leave a raw REPL if in one, then soft reset
        ready = self.wait_event("ready", timeout)
        if ready is None:
            raise LinkError(f"{self.port} did not report ready after a soft reset")
        return ready


def hand_over(port, timeout=HAND_OVER_TIMEOUT_S):
    """`BoardLink.stop_firmware` on `port` (opened and closed here): True
    when a running firmware handed the port over to its REPL."""
    with BoardLink(port, timeout=timeout) as link:
        return link.stop_firmware(timeout)
