"""The virtual board: the MicroPython unix port behind a pseudo-terminal that
behaves like a board on a USB serial port.

Why a relay and not the interpreter on the pty directly: a board survives a
soft reset (Ctrl-D) and keeps its port, while the unix port's REPL *exits* on
Ctrl-D. So the client talks to pty A, whose path never changes; the
interpreter runs on pty B as its controlling terminal; a relay thread copies
bytes between them, and when the interpreter exits it prints what a board
prints (``MPY: soft reboot``) and re-spawns it: into the raw REPL (boot.py
only) when the reset came from the raw REPL, as mpremote expects, or through
boot.py and main.py otherwise. Unmodified mpremote and pyserial then work
without ``resume``.

Terminal modes on pty B copy a board's USB-CDC link: no echo, no line
editing, no CR/LF translation, but Ctrl-C still interrupts (ISIG), so a
running main.py gets KeyboardInterrupt exactly as on a board. The firmware
clears ISIG while it is armed or in flight (firmware/hw_sim.py: on the unix
port `micropython.kbd_intr(-1)` would let SIGINT kill the interpreter), and
0x03 is then an ordinary byte, as after kbd_intr(-1) on a board.

A power cut (`#R` line from the client while not in the raw REPL, or
`power_cycle()`) kills the interpreter with SIGKILL mid-whatever and restarts
it like power-on.
"""

import errno
import fcntl
import os
import select
import signal
import subprocess
import termios
import threading
import time
import tty
from pathlib import Path

from host_tools.board.relayed_board import RelayedBoard
from host_tools.paths import micropython_executable

# A Pico has ~190 KB of MicroPython heap on a 32-bit machine; the unix port's
# objects are 64-bit, about twice the size, so the whole firmware at boot
# takes ~140 KB here (~75 KB on a Pico). 192 KB left config changes on a
# fragmented heap short of memory; 256 KB keeps a Pico's proportions.
DEFAULT_HEAP = "256K"
ROM = Path(__file__).with_name("vboard_rom.py")
SOFT_REBOOT = b"MPY: soft reboot\r\n"
RAW_BANNER = b"raw REPL; CTRL-B to exit"
FRIENDLY_BANNER = b'Type "help()" for more information.'
PROMPT = b">>> "
ISIG_READY = b"\x00vboard:isig\x00"  # printed by vboard_rom.py once Ctrl-C interrupts
CLIENT_BUFFER_MAX = 1 << 20  # bytes held for a slow client before the board blocks
RESPAWN_BACKOFF_S = 1.0  # a board that crashes at once is restarted at most this often
INTERRUPT = b"\x03"
UNREAD_MAX = 1 << 16  # bytes kept behind a Ctrl-C for an interpreter it ends
INTERRUPT_SETTLE_S = 0.5  # longest wait for a Ctrl-C to land before later bytes follow


def _board_terminal_mode(fd):
    """Raw, with Ctrl-C as the only signal character. ISIG stays off until the
    ROM script turns it on, so an early Ctrl-C cannot kill a starting interpreter."""
    tty.setraw(fd)
    attrs = termios.tcgetattr(fd)
    cc = attrs[6]
    cc[termios.VINTR] = b"\x03"
    for name in ("VQUIT", "VSUSP"):
        cc[getattr(termios, name)] = b"\x00"  # _POSIX_VDISABLE: no other signal chars
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


def _write_some(fd, pending):
    """Write what the non-blocking `fd` takes now of `pending` (a bytearray)
    and drop that from it; a full or hung-up pty takes nothing."""
    try:
        n = os.write(fd, pending)
        del pending[:n]
    except OSError as exc:
        if exc.errno not in (errno.EAGAIN, errno.EIO):
            raise


def _nonblocking(fd):
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)


class VirtualBoard(RelayedBoard):
    """The MicroPython unix port as a board on a pseudo-terminal."""

    def __init__(self, flash_dir=None, heap=DEFAULT_HEAP, micropython=None, log=None, lfs_kb=0):
        """lfs_kb: 0 = the flash is the directory itself (files visible on the
        host); N = a LittleFS file system on an N KB flash image in the
        directory (`flash.img`), as on a board."""
        self._init_relayed(flash_dir, "vboard-flash-", log)
        self.heap = heap
        self.lfs_blocks = (int(lfs_kb) + 3) // 4
        self.micropython = micropython or micropython_executable()
        self._child = None
        self._child_fd = None
        self._enter_raw_on_prompt = False
        self._tail = b""
        self._to_child = bytearray()
        self._to_client = bytearray()
        self._after_interrupt = bytearray()  # bytes held back behind a Ctrl-C
        self._holding = False  # a Ctrl-C went in: what follows waits for the prompt
        self._interrupt_deadline = 0.0
        # bytes written behind the last Ctrl-C: if it ends the interpreter,
        # they were never read (None: more than UNREAD_MAX, it read on)
        self._sent_after_interrupt = None
        self._starting = b""  # output before the ROM's ready marker; input is held
        self._input_held = False
        self._last_spawn = 0.0

    # -- lifecycle -----------------------------------------------------------
    def start(self):
        self._open_port()
        self._spawn(raw=False)
        self._thread = threading.Thread(target=self._relay, name="vboard-relay", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        self._kill_child()
        self._close_port()

    @property
    def interpreter(self):
        """What this board runs: the MicroPython executable."""
        return str(self.micropython)

    # -- the interpreter -----------------------------------------------------
    def _spawn(self, raw, crashed=False, mode=None):
        master, slave = os.openpty()
        _board_terminal_mode(slave)
        env = dict(os.environ)
        env.update(
            VBOARD_FLASH=str(self.flash_dir),
            VBOARD_MODE=mode or ("raw" if raw else "run"),
            VBOARD_LFS_BLOCKS=str(self.lfs_blocks),
            MICROPYPATH=".frozen",
        )

        def make_controlling_tty():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            # Ctrl-C reaches the interpreter as SIGINT, as on a board's REPL,
            # even if this process runs with it blocked (a library's thread
            # mask, inherited by the child)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])

        wait = RESPAWN_BACKOFF_S - (time.monotonic() - self._last_spawn)
        if crashed and wait > 0:
            time.sleep(wait)
        self._last_spawn = time.monotonic()
        self._child = subprocess.Popen(
            [self.micropython, "-X", "heapsize=" + self.heap, "-i", str(ROM)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            preexec_fn=make_controlling_tty,  # noqa: PLW1509 (no thread runs yet: the relay starts after)
            close_fds=True,
            env=env,
            cwd=str(self.flash_dir),
        )
        os.close(slave)
        _nonblocking(master)
        self._child_fd = master
        self._raw = False
        self._enter_raw_on_prompt = raw
        self._tail = b""
        self._starting = b""  # output before the ROM's ready marker; input is held
        self._input_held = True

    def _kill_child(self):
        if self._child is not None:
            try:
                os.killpg(self._child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self._child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self._child = None
        if self._child_fd is not None:
            os.close(self._child_fd)
            self._child_fd = None

    def _restart(self, power_cut):
        was_raw = self._raw and not power_cut
        status = None if self._child is None else self._child.poll()
        # The unix port turns Ctrl-C into KeyboardInterrupt only while it runs
        # code; between two REPL lines (printing a traceback, the prompt) the
        # signal ends the process. A board's REPL shrugs a Ctrl-C off there,
        # so the interpreter comes back at its REPL: no boot.py, no main.py,
        # no soft-reboot banner, the bytes behind the Ctrl-C still to come.
        interrupted = status == -signal.SIGINT and not power_cut
        crashed = status not in (None, 0) and not interrupted
        self._kill_child()
        self.resets += 1
        unread = bytearray()
        if interrupted:  # nothing behind the Ctrl-C that ended it was read
            unread += self._sent_after_interrupt or b""
            unread += self._to_child
        unread += self._after_interrupt
        self._to_child[:] = unread
        self._after_interrupt.clear()
        self._holding = False
        self._sent_after_interrupt = None
        if not power_cut and not interrupted:
            self._send_client(SOFT_REBOOT)
        self._spawn(raw=was_raw, crashed=crashed, mode="repl" if interrupted else None)
        if self.log:
            why = (
                "power cut" if power_cut else "Ctrl-C at the REPL" if interrupted else "soft reset"
            )
            self.log(f"restart #{self.resets} ({why})")

    # -- the relay -----------------------------------------------------------
    def _send_client(self, data):
        if len(self._to_client) < CLIENT_BUFFER_MAX:
            self._to_client += data

    def _watch_output(self, data):
        """Track the REPL mode from what the interpreter prints; returns what the host sees."""
        if self._input_held:
            self._starting += data
            at = self._starting.find(ISIG_READY)
            if at < 0:
                return b""
            data = self._starting[:at] + self._starting[at + len(ISIG_READY) :]
            self._starting = b""
            self._input_held = False
            # what came while it started goes in now that a Ctrl-C interrupts:
            # a Ctrl-C in it is judged as if it arrived this moment
            waiting = bytes(self._to_child)
            self._to_child.clear()
            self._to_child += self._hold_after_interrupt(waiting)
        window = self._tail + data
        raw_at = window.rfind(RAW_BANNER)
        friendly_at = window.rfind(FRIENDLY_BANNER)
        if raw_at >= 0 or friendly_at >= 0:
            self._raw = raw_at > friendly_at
        # a prompt printed now, not one still in the tail from before
        prompt = PROMPT in window[max(0, len(self._tail) - len(PROMPT) + 1) :]
        self._release_after_interrupt(prompt)
        if self._enter_raw_on_prompt and prompt:
            self._enter_raw_on_prompt = False
            self._to_child += b"\x01"
        self._tail = window[-64:]
        return data

    def _hold_after_interrupt(self, data):
        """A board takes Ctrl-C out of the stream the moment it arrives, so the
        bytes behind it (mpremote's Ctrl-A) reach the REPL. Here Ctrl-C is a
        signal that lands at the next bytecode, and a running program could
        read those bytes first; so they wait until the REPL prompt appears,
        in this write or the next ones (mpremote writes its Ctrl-A apart).

        While the interpreter starts, its input waits and goes in at once
        when Ctrl-C starts to interrupt (the ROM's ready marker); what a
        Ctrl-C in it does is known only then, so it is judged then."""
        if self._input_held:
            return data
        if self._holding:
            self._after_interrupt += data
            return b""
        at = data.rfind(INTERRUPT)
        if at < 0 or self._raw or not self._child_interrupts():
            return data
        self._holding = True
        self._after_interrupt += data[at + 1 :]
        self._interrupt_deadline = time.monotonic() + INTERRUPT_SETTLE_S
        return data[: at + 1]

    def _child_interrupts(self):
        """Whether Ctrl-C interrupts the interpreter now: its terminal's ISIG
        flag, which the firmware clears while armed or in flight (then 0x03
        is an ordinary byte, and nothing behind it is held back)."""
        try:
            return bool(termios.tcgetattr(self._child_fd)[3] & termios.ISIG)
        except (OSError, termios.error, TypeError):
            return True

    def _release_after_interrupt(self, prompt_seen):
        if self._holding and (prompt_seen or time.monotonic() >= self._interrupt_deadline):
            self._to_child += self._after_interrupt
            self._after_interrupt.clear()
            self._holding = False

    def _watch_input(self, data):
        """What the client sends, held behind a Ctrl-C, up to a power-cut line."""
        return self._cut_at_power_line(self._hold_after_interrupt(data))

    def _write_child(self):
        """Write what the interpreter's terminal takes; keep what went in
        behind the last Ctrl-C. Whether a Ctrl-C becomes a signal is decided
        when the terminal takes it in, by its ISIG flag then, which the REPL
        turns on and off around every line: the relay's look at the flag
        (`_child_interrupts`) can be outdated. A signal that ends the
        interpreter is known for sure, and then it read nothing behind it."""
        pending = bytes(self._to_child)
        _write_some(self._child_fd, self._to_child)
        written = pending[: len(pending) - len(self._to_child)]
        at = written.rfind(INTERRUPT)
        if at >= 0:
            self._sent_after_interrupt = bytearray(written[at + 1 :])
        elif self._sent_after_interrupt is not None:
            self._sent_after_interrupt += written
            if len(self._sent_after_interrupt) > UNREAD_MAX:
                self._sent_after_interrupt = None

    def _write_client(self):
        _write_some(self._client_fd, self._to_client)

    def _relay(self):
        # One poll object for the life of the relay, its masks changed only
        # when they change; and what is read is written on at once when the
        # other side can take it (non-blocking: EAGAIN leaves it for POLLOUT).
        # A drop test moves a batch and its sync reply through here about 150
        # times a second, and every wakeup of this thread takes the GIL from
        # the drop test's own thread.
        poller = select.poll()
        client_fd = self._client_fd
        client_mask = select.POLLIN
        poller.register(client_fd, client_mask)
        child_fd = None
        child_mask = 0
        client_present = False
        while not self._stop.is_set():
            if self._cut_requested:
                with self._lock:
                    cut, self._cut_requested = self._cut_requested, False
            else:
                cut = False
            self._release_after_interrupt(False)
            if cut:
                self._restart(power_cut=True)
            mask = select.POLLIN | (select.POLLOUT if self._to_client else 0)
            if mask != client_mask:
                poller.modify(client_fd, mask)
                client_mask = mask
            mask = 0
            if len(self._to_client) < CLIENT_BUFFER_MAX // 2:
                mask |= select.POLLIN
            if self._to_child and not self._input_held:
                mask |= select.POLLOUT
            mask = mask or select.POLLIN
            if self._child_fd != child_fd:
                if child_fd is not None:
                    poller.unregister(child_fd)
                child_fd = self._child_fd
                poller.register(child_fd, mask)
                child_mask = mask
            elif mask != child_mask:
                poller.modify(child_fd, mask)
                child_mask = mask
            cev = bev = 0
            for fd, ev in poller.poll(50):
                if fd == client_fd:
                    cev = ev
                else:
                    bev = ev

            if cev & select.POLLHUP:
                # Nobody has the port open: what the board prints is lost, as on USB.
                client_present = False
                self._to_client.clear()
            else:
                client_present = True
            if cev & select.POLLIN:
                data = self._read_client()
                if data:
                    self._to_child += self._watch_input(data)
                    if self._to_child and not self._input_held and not self._cut_requested:
                        self._write_child()
                        if not self._to_child:
                            bev &= ~select.POLLOUT
            if client_present and self._to_client and cev & select.POLLOUT:
                self._write_client()

            if bev & select.POLLIN:
                try:
                    data = os.read(child_fd, 65536)
                except OSError:
                    data = b""
                if data:
                    data = self._watch_output(data)
                    if client_present and data:
                        self._send_client(data)
                        self._write_client()
                    continue
                bev |= select.POLLHUP
            if bev & select.POLLOUT and self._to_child and not self._input_held:
                self._write_child()
            if bev & (select.POLLHUP | select.POLLERR) and not bev & select.POLLIN:
                if self._child is not None and self._child.poll() is None:
                    try:
                        self._child.wait(timeout=0.5)
                    except subprocess.TimeoutExpired:
                        continue
                self._restart(power_cut=False)
            elif not client_present and not self._to_child:
                time.sleep(0.005)  # POLLHUP returns at once: do not spin
