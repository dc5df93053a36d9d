"""What both virtual boards are to a client: a pseudo-terminal opened by path,
as a board's USB serial port, with a flash directory behind it and a relay
thread between the two that also works the power switch.

`VirtualBoard` (the MicroPython unix port) and `QemuBoard` (the emulated
Cortex-M3) differ only in what the relay talks to; the port, the flash
directory, the power switch and the lifecycle are this one class.
"""

import errno
import os
import tempfile
import threading
import tty
from pathlib import Path

from host_tools.protocol.frames import RESET_FRAME


class RelayedBoard:
    """A board on a pseudo-terminal. `start()` returns self; `.port` is the path."""

    def _init_relayed(self, flash_dir, tmp_prefix, log):
        self._tmp = None
        if flash_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix=tmp_prefix)
            flash_dir = self._tmp.name
        self.flash_dir = Path(flash_dir).resolve()
        self.flash_dir.mkdir(parents=True, exist_ok=True)
        self.log = log  # optional callable(str) for diagnostics
        self.port = None
        self.resets = 0  # soft resets and power cuts
        self._client_fd = None
        self._stop = threading.Event()
        self._thread = None
        self._lock = threading.Lock()
        self._cut_requested = False  # read and cleared by the relay thread
        self._raw = False  # the board is in its raw REPL (no power-cut lines there)
        self._input_tail = b"\n"  # the stream starts at a line start

    def _open_port(self):
        master, slave = os.openpty()
        self.port = os.ttyname(slave)
        tty.setraw(slave)
        os.close(slave)  # the client opens it by path; no client = POLLHUP on master
        os.set_blocking(master, False)
        self._client_fd = master

    def _cut_at_power_line(self, data):
        """Find a power-cut line (`#R`) in what the client sends, outside the
        raw REPL: ask the relay for the cut and return what came before it.

        `#R` counts only at the start of a line: the byte before it is a
        newline, or the stream's start. `_input_tail` holds the last three
        bytes sent (b"\n" at the start), so a marker split over writes is
        found, and one whose line started in an earlier write is not."""
        if self._raw:
            self._input_tail = b"\n"
            return data
        window = self._input_tail + data
        at = window.find(RESET_FRAME, 1)
        while at >= 0 and window[at - 1 : at] != b"\n":
            at = window.find(RESET_FRAME, at + 1)
        if at >= 0:
            with self._lock:
                self._cut_requested = True
            self._input_tail = b"\n"
            return data[: max(0, len(data) - (len(window) - at))]
        self._input_tail = window[-3:]
        return data

    def _read_client(self):
        """What the client wrote: b"" when nothing is there or nobody has the
        port open (EIO on a pty's master when its other side is closed)."""
        try:
            return os.read(self._client_fd, 65536)
        except OSError as exc:
            if exc.errno not in (errno.EIO, errno.EAGAIN):
                raise
            return b""

    def _close_port(self):
        if self._client_fd is not None:
            os.close(self._client_fd)
            self._client_fd = None
        if self._tmp:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def power_cycle(self):
        """Cut power now: what runs stops wherever it is, the flash is kept,
        then the board powers on again (done by the relay thread)."""
        with self._lock:
            self._cut_requested = True

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive()
