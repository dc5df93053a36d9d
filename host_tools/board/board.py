"""One board, reached through its serial port: a Pico or an ESP32 on USB, or
the virtual board's pseudo-terminal (`capsule vboard`). Every tool that talks
to a board holds a `Board`; a real board and the virtual one are the same
object to all of them.

One port handle, opened by mpremote's `SerialTransport`, carries both ways
of speaking to the board:

- the firmware's protocol lines (firmware/wire.py): checksummed commands,
  their OK/ERR replies, the events seen on the way (`command`, `lines`,
  `wait_event`, `read_raw_line`, `write`);
- the raw REPL, through mpremote's own code (`enter_raw_repl`, `exec`,
  `eval`, the `fs_*` file operations, `leave_raw_repl`), for the flasher and
  `capsule log pull/clear`.

Between the two: `hand_over` asks a running firmware to stop (the
checksummed `repl` command, refused in flight), `start_firmware` soft-resets
into the firmware and waits for its `ready` event, and `power_cut` drops the
power of a board that takes the `#R` line (the virtual board).

Every failure is a `BoardError` whose text a person can act on: no such
port, port vanished, no reply, the board is at a REPL instead of running the
firmware, the firmware refuses to stop, not a MicroPython board.
"""

import ast
import contextlib
import errno as errno_codes
import io
import os
import select
import stat
import sys
import threading
import time

import serial
from mpremote.transport import TransportError, TransportExecError
from mpremote.transport_serial import SerialTransport

from host_tools.protocol.frames import RESET_FRAME
from host_tools.protocol.lines import format_command, parse_line

DEFAULT_TIMEOUT_S = 5.0
READY_TIMEOUT_S = 15.0
HAND_OVER_TIMEOUT_S = 1.5  # a board at its REPL says nothing; the firmware answers at once
REPL_SETTLE_S = 0.2
READ_POLL_S = 0.05  # longest single wait for input while reading protocol lines
# each of mpremote's three raw-REPL waits; with the hand-over's wait a silent
# or foreign device is given up on well inside 10 s
RAW_REPL_TIMEOUT_S = 8
QUIET_RAW_REPL_TIMEOUT_S = 4  # when the hand-over heard nothing but its own echo
PROGRESS_AFTER_S = 2.0  # a wait longer than this says what it waits for
# how long one of mpremote's reads may wait for the board: on a
# pseudo-terminal it reads without asking what is waiting, so a silent board
# would otherwise block it forever; a board under load still answers in time
RAW_READ_TIMEOUT_S = 5.0


class BoardError(Exception):
    """The board cannot be reached, or does not answer as it must (message
    for the user). errno: the board's own OSError number, when a file
    operation failed on the board (ENOENT, ENOSPC)."""

    def __init__(self, message, errno=None):
        super().__init__(message)
        self.errno = errno


def _why_not_open(port, baudrate, exc=None):
    """Why `port` cannot be opened, in words (mpremote only says "failed to
    access", pyserial gives errno text): no such port, busy (and who holds
    it), not a serial port, no permission."""
    if not os.path.exists(port):
        return "no such port"
    try:
        mode = os.stat(port).st_mode
    except OSError as err:
        return err.strerror or str(err)
    if not stat.S_ISCHR(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "a file"
        return f"it is {kind}, not a serial port"
    if exc is None:
        try:
            serial.Serial(port, baudrate, exclusive=True).close()
        except (serial.SerialException, OSError) as err:
            exc = err
        else:
            return "the port could not be opened"
    code = getattr(exc, "errno", None)
    text = str(exc)
    if code in (errno_codes.EAGAIN, errno_codes.EBUSY) or "exclusively lock" in text:
        holders = _lock_holders(port)
        who = f" ({holders})" if holders else ""
        return (
            f"the port is busy: another program has it open{who}; close it (a terminal, "
            "mpremote, another capsule command) and try again"
        )
    if code == errno_codes.EACCES:
        return "permission denied (on Linux: add yourself to the dialout group, then log in again)"
    if code == errno_codes.ENOTTY or "Inappropriate ioctl" in text:
        return "it is not a serial port (a device that is not a terminal)"
    return text


def _lock_holders(port):
    """'PID n name' of the processes holding a lock on `port` (Linux /proc/locks)."""
    try:
        st = os.stat(port)
        with open("/proc/locks") as f:
            rows = f.read().splitlines()
    except OSError:
        return ""
    want = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    out = []
    for row in rows:
        f = row.split()
        if len(f) > 5 and f[5] == want and f[4].isdigit():
            try:
                with open(f"/proc/{f[4]}/comm") as c:
                    name = c.read().strip()
            except OSError:
                name = "?"
            out.append(f"PID {f[4]} {name}")
    return ", ".join(dict.fromkeys(out))


def _stderr(text):
    print(text, file=sys.stderr, flush=True)


class Board:
    """A board on `port` (a serial device or a pty path), opened at once."""

    def __init__(
        self,
        port,
        timeout=DEFAULT_TIMEOUT_S,
        baudrate=115200,
        on_line=None,
        on_close=None,
        say=_stderr,
    ):
        self.port = port
        self.say = say  # callable(text): progress of a wait longer than PROGRESS_AFTER_S
        self.timeout = timeout
        self.on_line = on_line  # callable(Line or None, raw bytes) for every line seen
        self.on_close = on_close  # callable() after the port is closed (stop a virtual board)
        self.events = []
        self.noise = []  # lines that are not protocol lines (REPL text, garbage)
        self._buf = bytearray()
        # a virtual board behind the port: which target and interpreter
        # (board/targets.describe); None for a board on a real port
        self.target = None
        self.interpreter = None
        try:
            self.transport = SerialTransport(port, baudrate=baudrate, timeout=RAW_READ_TIMEOUT_S)
        except (TransportError, OSError) as exc:
            cause = exc.__cause__ or exc.__context__ if isinstance(exc, TransportError) else exc
            reason = _why_not_open(port, baudrate, cause)
            raise BoardError(f"cannot open {port}: {reason}") from None
        self.ser = self.transport.serial
        # a POSIX port is read straight from its file descriptor (see _read_fd)
        fd = getattr(self.ser, "fd", None)
        self._fd = fd if isinstance(fd, int) and os.name == "posix" else None

    def close(self):
        self._fd = None
        with contextlib.suppress(Exception):  # closing a port that has gone away
            self.transport.close()
        on_close, self.on_close = self.on_close, None
        if on_close:
            on_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- bytes ----------------------------------------------------------------
    def write(self, data: bytes):
        try:
            self.ser.write(data)
        except (serial.SerialException, OSError) as exc:
            raise BoardError(f"lost {self.port} while writing: {exc}") from None

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
                wait = min(READ_POLL_S, deadline - now)
                chunk = self._read_fd(wait) if self._fd is not None else self._read_waiting(wait)
            except (serial.SerialException, OSError) as exc:
                raise BoardError(f"lost {self.port}: {exc} (board unplugged or reset?)") from None
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

    def _read_waiting(self, timeout_s):
        """What the port holds, or after timeout_s b"" (other systems: the
        port's own read timeout is mpremote's, far longer than a poll)."""
        n = self.ser.in_waiting
        if n:
            return self.ser.read(n)
        time.sleep(timeout_s)
        return b""

    def pending_text(self):
        return bytes(self._buf)

    @contextlib.contextmanager
    def waiting(self, what, limit_s):
        """Say what the block waits for once it has taken PROGRESS_AFTER_S,
        then every few seconds, so a person sees a slow board is not a hang."""
        done = threading.Event()
        start = time.monotonic()

        def tell():
            wait = PROGRESS_AFTER_S
            while not done.wait(wait):
                took = time.monotonic() - start
                self.say(f"... {what} ({took:.0f} s, gives up after {limit_s:.0f} s)")
                wait = 3.0

        if limit_s > PROGRESS_AFTER_S and self.say:
            threading.Thread(target=tell, daemon=True).start()
        try:
            yield
        finally:
            done.set()

    # -- protocol lines ----------------------------------------------------------
    def lines(self, timeout=None):
        """Yield protocol lines until `timeout` seconds pass without one."""
        timeout = self.timeout if timeout is None else timeout
        while True:
            seen = self._next_line(time.monotonic() + timeout)
            if seen is None:
                return
            if seen[1] is not None:
                yield seen[1]

    def _next_line(self, deadline):
        """(raw bytes, protocol Line or None) of the next line, noted as
        events or noise; None at the deadline."""
        raw = self.read_raw_line(deadline)
        if raw is None:
            return None
        line = parse_line(raw)
        if self.on_line:
            self.on_line(line, raw)
        if line is None:
            if raw.strip():
                self.noise.append(raw)
        elif line.kind == "EVT":
            self.events.append(line)
        return raw, line

    def _next_of(self, deadline, kinds, names):
        """The next protocol line of one of `kinds` named one of `names`, or
        None at the deadline."""
        while True:
            seen = self._next_line(deadline)
            if seen is None:
                return None
            line = seen[1]
            if line is not None and line.kind in kinds and line.name in names:
                return line

    def command(self, text, timeout=None):
        """Send one command; return its OK/ERR reply line."""
        name = text.split()[0].lower()
        self.write(format_command(text))
        timeout = self.timeout if timeout is None else timeout
        # the reply to it, or to a line the board could not read
        with self.waiting(f"waiting for {self.port} to answer {name!r}", timeout):
            reply = self._next_of(time.monotonic() + timeout, ("OK", "ERR"), (name, "line"))
        if reply is None:
            raise BoardError(self._why_no_reply(text, timeout))
        return reply

    def _why_no_reply(self, text, timeout):
        tail = (b"\n".join(self.noise[-3:]) + self.pending_text()).decode(errors="replace")
        if ">>>" in tail:
            return (
                f"{self.port} is MicroPython without this firmware running (it is at its "
                f"REPL): flash it with `capsule flash --board BOARD --port {self.port}`"
            )
        if self.noise:
            said = self.noise[-1][:80].decode(errors="replace")
            if said.strip() == format_command(text).decode(errors="replace").strip():
                return (
                    f"{self.port} echoes back what it is sent: not a board running this "
                    "firmware (a loopback, a modem or a terminal?)"
                )
            return f"no valid reply to {text!r} from {self.port}; it said: {said!r}"
        return (
            f"no reply to {text!r} from {self.port} within {timeout:.0f} s: the device is "
            "silent (is it the board, powered, and at this baud rate?)"
        )

    def command_starting(self, text, timeout=None):
        """`command`, and when the board sits at its REPL instead of running
        the firmware, start the firmware and send it once more."""
        try:
            return self.command(text, timeout)
        except BoardError as exc:
            if "REPL" not in str(exc):
                raise
        self.start_firmware()
        return self.command(text, timeout)

    def wait_event(self, name, timeout=READY_TIMEOUT_S):
        return self._next_of(time.monotonic() + timeout, ("EVT",), (name,))

    # -- firmware and REPL ---------------------------------------------------------
    def hand_over(self, timeout=HAND_OVER_TIMEOUT_S):
        """Before the raw REPL: ask a running firmware to stop with the
        checksummed `repl` command. The firmware ignores Ctrl-C while armed
        or in flight (and on a real board always), so mpremote's opening
        Ctrl-C alone does not get in.

        Returns True when the firmware handed over, False when nothing
        answered (the board is at its REPL already, or in its boot window).
        Raises BoardError when the firmware refuses (armed, in flight).

        A firmware that talks meanwhile reads the command once it gets to
        its console: after its `boot` event (it is starting, on a loaded
        machine or after a reset) it has READY_TIMEOUT_S, and any other line
        gives it `timeout` more. Declaring "no firmware" while one is
        starting would send mpremote's raw-REPL bytes into a firmware that
        ignores them."""
        self.write(format_command("repl"))
        start = time.monotonic()
        deadline = start + timeout
        while True:
            seen = self._next_line(deadline)
            if seen is None:
                return False
            raw, line = seen
            if line is None:
                if raw.startswith(b">>>") or b">>> " in self.pending_text():
                    return False  # the friendly REPL answered the line itself
                continue
            if line.kind not in ("OK", "ERR") or line.name not in ("repl", "line"):
                # a firmware talks: it reads the command once at its console
                wait = READY_TIMEOUT_S if line.name == "boot" else timeout
                deadline = min(start + READY_TIMEOUT_S, max(deadline, time.monotonic() + wait))
                continue
            if line.kind == "OK":
                time.sleep(REPL_SETTLE_S)  # the firmware closes its log, the REPL starts
                return True
            if line.name == "line":
                continue  # the line met noise: no firmware state changed
            if "unknown command" in line.get("msg", ""):
                return False  # an older firmware: mpremote's Ctrl-C stops it
            raise BoardError(
                f"the firmware on {self.port} will not stop: {line.get('msg', '?')} "
                "(disarm it first; a flying board keeps its console)"
            )

    def enter_raw_repl(self, purpose):
        """Stop the firmware (`hand_over`) and enter the raw REPL after a soft
        reset. `purpose` completes "not ...: <why>" when the firmware refuses
        to hand over (e.g. "flashing")."""
        noise_before = len(self.noise)
        try:
            handed = self.hand_over()
        except BoardError as exc:
            raise BoardError(f"not {purpose}: {exc}") from None
        # a silent or echoing device is given up on sooner (inside 10 s in all)
        echo = format_command("repl").strip()
        heard = [n for n in self.noise[noise_before:] if n.strip() and n.strip() != echo]
        quiet = not handed and not heard and not self._buf.strip()
        limit = QUIET_RAW_REPL_TIMEOUT_S if quiet else RAW_REPL_TIMEOUT_S
        self._buf.clear()  # from here on mpremote reads the port
        said = io.StringIO()  # mpremote prints what it got instead of the banner
        try:
            with (
                contextlib.redirect_stdout(said),
                self.waiting(f"opening the raw REPL on {self.port}", 3 * limit),
            ):
                self.transport.enter_raw_repl(soft_reset=True, timeout_overall=limit)
        except TransportError:
            raise BoardError(self._why_no_raw_repl(said.getvalue().strip(), limit)) from None
        except Exception as exc:  # noqa: BLE001 (mpremote raises anything from a bad port: one line for the user)
            raise BoardError(f"{self.port}: {exc}") from None

    def _why_no_raw_repl(self, said, limit):
        """mpremote printed the bytes it got (a bytes repr) instead of the banner."""
        try:
            got = ast.literal_eval(said.splitlines()[-1]) if said else b""
        except (ValueError, SyntaxError):
            got = said.encode()
        if not isinstance(got, bytes):
            got = str(got).encode()
        if not got.strip():
            return (
                f"{self.port} is silent: no MicroPython REPL answered within "
                f"{limit} s (is it the board, powered, and at this baud rate?)"
            )
        if not got.strip(b"\r\n\x01\x02\x03\x04"):
            return (
                f"{self.port} echoes back what it is sent: not a MicroPython board "
                "(a loopback, a modem or a terminal?)"
            )
        return (
            f"{self.port} does not answer like a MicroPython board (no raw REPL; it said "
            f"{got[-80:]!r}); is MicroPython installed, and is this the right port?"
        )

    def leave_raw_repl(self):
        """Back to the friendly REPL (`start_firmware` then boots the firmware)."""
        with self._raw_errors("leaving the raw REPL"):
            self.transport.exit_raw_repl()

    def start_firmware(self, timeout=READY_TIMEOUT_S):
        """From the REPL (or a running firmware): soft-reset and wait for
        `ready`. A board whose soft reset ends at its REPL is MicroPython
        without this firmware, or a firmware that failed to start: its
        traceback goes into the error."""
        self.write(b"\r\x03\x03")
        time.sleep(0.1)
        self.write(b"\x02\x04")  # leave a raw REPL if in one, then soft reset
        deadline = time.monotonic() + timeout
        rebooted = False
        after = []  # what the board said since its soft reboot
        with self.waiting(f"waiting for the firmware on {self.port} to start", timeout):
            while True:
                now = time.monotonic()
                if now >= deadline:
                    raise BoardError(
                        f"{self.port} did not report ready within {timeout:.0f} s of a soft reset"
                        + (f"; it said: {after[-1][:80]!r}" if after else "")
                    )
                seen = self._next_line(min(deadline, now + 0.25))
                if seen is not None:
                    raw, line = seen
                    if line is not None and line.kind == "EVT" and line.name == "ready":
                        return line
                    if b"soft reboot" in raw:
                        rebooted, after = True, []
                        continue
                    if rebooted:
                        after.append(raw.decode(errors="replace"))
                if rebooted and (
                    self.pending_text().rstrip().endswith(b">>>")
                    or (after and after[-1].startswith(">>>"))
                ):
                    after += self.pending_text().decode(errors="replace").splitlines()
                    raise BoardError(self._why_at_repl(after))

    def _why_at_repl(self, after):
        text = [
            t.rstrip()
            for t in after
            if t.strip()
            and not t.startswith((">>>", "MicroPython ", 'Type "help()"'))  # the REPL's banner
        ]
        for i, t in enumerate(text):
            if t.startswith("Traceback"):
                trace = "\n".join("  " + x for x in text[i:])
                return f"the firmware on {self.port} failed to start:\n{trace}"
        return (
            f"{self.port} is MicroPython without this firmware (a soft reset ends at its "
            f"REPL): flash it with `capsule flash --board BOARD --port {self.port}`"
        )

    def power_cut(self):
        """Drop the board's power (the `#R` line: the virtual board kills its
        interpreter wherever it is and boots again)."""
        self.write(RESET_FRAME)

    # -- raw REPL: code and files (mpremote) -----------------------------------------
    @contextlib.contextmanager
    def _raw_errors(self, what):
        """mpremote's exceptions as BoardError: a file error on the board
        keeps its errno; Python errors on the board keep their last line."""
        try:
            yield
        except TransportExecError as exc:
            last = (exc.error_output.strip().splitlines() or ["?"])[-1]
            raise BoardError(f"{what} on {self.port} failed: {last}") from None
        except TransportError as exc:
            raise BoardError(f"{what} on {self.port} failed: {exc}") from None
        except (serial.SerialException, OSError) as exc:
            raise BoardError(f"{what} on {self.port} failed: {exc}", errno=exc.errno) from None

    def exec(self, code, data_consumer=None, timeout_s=10):
        """Run `code` in the raw REPL; what it printed (bytes). timeout_s: the
        longest the board may stay silent (a long measurement prints late)."""
        with self._raw_errors("running code"):
            out, err = self.transport.exec_raw(code, timeout=timeout_s, data_consumer=data_consumer)
            if err:
                raise TransportExecError(out, err.decode(errors="replace"))
            return out

    def eval(self, expression):
        with self._raw_errors("evaluating " + expression[:40]):
            return self.transport.eval(expression)

    def fs_readfile(self, name):
        with self._raw_errors("reading " + name):
            return self.transport.fs_readfile(name)

    def fs_writefile(self, name, data, chunk_size=256, progress_callback=None):
        with self._raw_errors("writing " + name):
            self.transport.fs_writefile(
                name, data, chunk_size=chunk_size, progress_callback=progress_callback
            )

    def fs_rmfile(self, name):
        with self._raw_errors("removing " + name):
            self.transport.fs_rmfile(name)
