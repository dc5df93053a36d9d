"""The emulated Cortex-M board: MicroPython's bare-metal qemu port (Arm
MPS2-AN385, Cortex-M3) under qemu-system-arm, behind a pseudo-terminal that
behaves like a Pico on USB (`capsule vboard --target qemu-m3`).

Why a relay and not qemu's own pty: the firmware.elf runs neither boot.py nor
main.py and has no file system at boot, and a power cut must keep the flash.
So the client talks to pty A, whose path never changes; qemu's UART is a unix
socket the relay holds; at power-on and after every soft reset the relay
sends the ROM (qemu_rom.py) through the raw REPL, out of the client's sight:
it mounts LittleFS on the board's flash (RAM at FLASH_ADDR, outside the
heap; a soft reset keeps it) and runs boot.py and main.py as a Pico does,
boot.py alone after a soft reset from the raw REPL, as mpremote expects. When
the ROM is done, the client gets the REPL a board shows then (the friendly
banner, or the raw REPL prompt). What the client sends meanwhile goes to
the board only while boot.py or main.py runs (the ROM marks them); otherwise
it waits for that REPL, so the ROM's raw REPL never reads it.

A power cut (`#R` line from the client while not in the raw REPL, or
`power_cycle()`) stops the CPU wherever it is, saves the flash through qemu's
monitor (`pmemsave`) to DIR/flash.img, and starts qemu again with the image
loaded back at FLASH_ADDR; stopping the board saves it the same way. qemu
keeps no board time: use it for behaviour, memory and integer semantics.

Unlike a Pico, this port reads its UART only when the program does: Ctrl-C
is a plain byte to a running main.py (as on a board after kbd_intr(-1)) and
stops nothing. A tool takes the port from the firmware with its `repl`
command, as `capsule flash` and `capsule log pull` do on every board.
"""

import contextlib
import ctypes
import errno
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from host_tools.board.relayed_board import RelayedBoard
from host_tools.paths import QEMU_M3_FIRMWARE

QEMU = "qemu-system-arm"
MACHINE = "mps2-an385"
FLASH_ADDR = 0x21000000  # 16 MB of board RAM the port leaves alone (its ROMFS partition)
DEFAULT_LFS_KB = 1408  # a Pico's MicroPython file system
ROM = Path(__file__).with_name("qemu_rom.py")
ROM_END = b"\x00rom:end\x00"
SCRIPT_START = b"\x00rom:script\x00"  # the ROM runs boot.py or main.py: input goes in
SCRIPT_END = b"\x00rom:idle\x00"  # and no more: input waits for the REPL
RAW_END = b"\x04>"  # the raw REPL is done with the ROM's run, prompt ready
SOFT_REBOOT = b"MPY: soft reboot\r\n"
ROM_MARKERS = (ROM_END, SOFT_REBOOT, SCRIPT_START, SCRIPT_END)
RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n>"
FRIENDLY_BANNER = b'Type "help()" for more information.'
PROMPT = b">>> "
BOOT_TIMEOUT_S = 30.0
BOOT_POKE_S = 5.0  # no REPL prompt that long after a reset: ask for it again
REPL_POKE = b"\r\x03\x01"  # end a line, drop it, (re)enter the raw REPL
CONNECT_TIMEOUT_S = 10.0
INSTALL_HINT = (
    "qemu-system-arm not found: install it (Debian/Ubuntu: apt-get install qemu-system-arm)"
)


def _die_with_parent():
    """In the child before qemu starts: a host that dies (killed, crashed)
    takes its board with it, instead of leaving qemu running the firmware."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: stop() still ends qemu


def _marker_start(buf, markers):
    """How many bytes at the end of `buf` may be the start of one of `markers`
    (held back until the next read says; a whole line is never held)."""
    for n in range(min(len(buf), max(map(len, markers)) - 1), 0, -1):
        if any(m.startswith(buf[-n:]) for m in markers):
            return n
    return 0


class QemuBoardError(Exception):
    pass


def qemu_missing():
    """Why the emulated board cannot start here, or None."""
    if shutil.which(QEMU) is None:
        return INSTALL_HINT
    if not QEMU_M3_FIRMWARE.is_file():
        return f"no qemu MicroPython firmware: {QEMU_M3_FIRMWARE} is missing"
    return None


def rom_source(blocks, run_main):
    """What the relay types into the raw REPL: the ROM and the call that boots."""
    call = (
        f"\n_rom_boot({FLASH_ADDR:#x}, {blocks}, {1 if run_main else 0})\n"
        "del _rom_boot, _rom_run, _RamFlash, _rom_copy, _rom_fill\n"
        f"sys.stdout.write({ROM_END.decode()!r})\n"
    )
    return ROM.read_text() + call


class QemuBoard(RelayedBoard):
    """MicroPython's bare-metal qemu port as a Cortex-M board on a pseudo-terminal."""

    def __init__(self, flash_dir=None, lfs_kb=DEFAULT_LFS_KB, log=None, firmware=None):
        missing = qemu_missing() if firmware is None else None
        if missing:
            raise QemuBoardError(missing)
        self.firmware = Path(firmware or QEMU_M3_FIRMWARE)
        self._init_relayed(flash_dir, "qemu-board-", log)
        self.image = self.flash_dir / "flash.img"
        self.blocks = (int(lfs_kb) + 3) // 4
        self.power_cuts = 0
        self._sockdir = tempfile.mkdtemp(prefix="qemu-m3-")  # short paths for unix sockets
        self._proc = None
        self._uart = None
        self._tail = b""
        self._to_client = bytearray()
        self._to_board = bytearray()
        self._held = bytearray()  # client bytes that wait while the ROM boots
        # boot: the ROM is being typed (output hidden); rom: boot.py/main.py
        # run (output shown); tail: the ROM's raw-REPL ending (hidden); run: relay
        self._state = "boot"
        self._boot_buf = b""
        self._return_raw = False
        self._rom_sent = False
        self._script_running = False
        self._boot_poke_at = 0.0

    # -- lifecycle -----------------------------------------------------------
    def start(self):
        self._open_port()
        # qemu is started (and restarted) by the relay thread alone: it dies
        # with that thread (_die_with_parent), so it is saved and stopped there
        powered = threading.Event()
        failure = []
        self._thread = threading.Thread(
            target=self._relay, args=(powered, failure), name="qemu-board-relay", daemon=True
        )
        self._thread.start()
        powered.wait()
        if failure:
            self._thread.join()
            self.stop()
            raise failure[0]
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)
        self._power_off(save=True)  # when the relay could not
        shutil.rmtree(self._sockdir, ignore_errors=True)
        self._close_port()

    @property
    def interpreter(self):
        """What this board runs: qemu's machine and the MicroPython firmware."""
        return f"{QEMU} -machine {MACHINE} -kernel {self.firmware}"

    # -- qemu ------------------------------------------------------------------
    def _power_on(self):
        uart_path = os.path.join(self._sockdir, "uart")
        self._monitor_path = os.path.join(self._sockdir, "monitor")
        for p in (uart_path, self._monitor_path):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(p)
        cmd = [
            QEMU, "-machine", MACHINE, "-display", "none", "-semihosting",
            "-chardev", f"socket,id=uart,path={uart_path},server=on,wait=on",
            "-serial", "chardev:uart",
            "-monitor", f"unix:{self._monitor_path},server=on,wait=off",
            "-kernel", str(self.firmware),
        ]  # fmt: skip
        if self.image.is_file():
            cmd += ["-device", f"loader,file={self.image},addr={FLASH_ADDR:#x},force-raw=on"]
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 (prctl only)
        )
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(uart_path)
                break
            except OSError:
                s.close()
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    err = self._proc.stderr.read().decode(errors="replace").strip()
                    raise QemuBoardError(f"qemu did not start: {err or 'no UART socket'}")
                time.sleep(0.02)
        s.setblocking(False)
        self._uart = s
        self._enter_boot()
        self._raw = False
        self._to_board.clear()

    def _monitor(self, *commands):
        """Run HMP commands on qemu's monitor, each waiting for the next prompt."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as m:
            m.settimeout(10)
            m.connect(self._monitor_path)
            buf = b""
            for cmd in (None, *commands):
                if cmd is not None:
                    m.sendall(cmd.encode() + b"\n")
                    buf = b""
                while b"(qemu) " not in buf:
                    chunk = m.recv(4096)
                    if not chunk:
                        return
                    buf += chunk

    def _power_off(self, save):
        """The board loses power: with `save`, its flash goes to DIR/flash.img first."""
        if self._proc is None:
            return
        if save and self._proc.poll() is None:
            tmp = self.image.with_suffix(".tmp")
            try:
                self._monitor("stop", f'pmemsave {FLASH_ADDR:#x} {self.blocks * 4096} "{tmp}"')
                if tmp.is_file() and tmp.stat().st_size == self.blocks * 4096:
                    os.replace(tmp, self.image)
            except OSError as exc:
                if self.log:
                    self.log(f"flash not saved: {exc}")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=5)
        self._proc = None
        if self._uart is not None:
            self._uart.close()
            self._uart = None

    # -- what the board prints ---------------------------------------------------
    def _send_client(self, data):
        if data:
            self._to_client += data

    def _enter_boot(self):
        self._state = "boot"
        self._boot_buf = b""
        self._rom_sent = False
        self._script_running = False
        self._boot_poke_at = time.monotonic() + BOOT_POKE_S

    def _boot_output(self, data):
        """The ROM is being typed: wait for a REPL, enter the raw one, send the ROM.

        The ROM goes in only at a raw prompt that is the last thing printed;
        a prompt with more behind it (the board answering bytes that reached
        it before the reset) asks for a fresh raw prompt (Ctrl-A)."""
        self._boot_buf += data
        buf = self._boot_buf
        if not self._rom_sent:
            if buf.endswith(RAW_PROMPT):
                self._to_board += rom_source(self.blocks, not self._return_raw).encode() + b"\x04"
                self._rom_sent = True
                self._boot_buf = b""
            elif PROMPT in buf or RAW_PROMPT in buf:
                self._to_board += b"\x01"
                self._boot_buf = b""
                self._boot_poke_at = time.monotonic() + BOOT_POKE_S
            return
        at = buf.find(b"OK")
        if at >= 0:
            self._state = "rom"
            self._boot_buf = b""
            self._rom_output(buf[at + 2 :])

    def _rom_output(self, data):
        """boot.py and main.py run: the client sees their output, up to the ROM's end."""
        buf = self._boot_buf + data
        while True:
            found = [(buf.find(m), m) for m in ROM_MARKERS]
            found = [(at, m) for at, m in found if at >= 0]
            if not found:
                break
            at, marker = min(found)
            rest = buf[at + len(marker) :]
            if marker == SOFT_REBOOT:  # machine.soft_reset() in main.py
                self._send_client(buf[: at + len(marker)])
                self._soft_reset(raw=False, rest=rest)
                return
            self._send_client(buf[:at])
            if marker == ROM_END:
                self._state = "tail"
                self._boot_buf = b""
                self._tail_output(rest)
                return
            self._script_running = marker == SCRIPT_START
            if self._script_running:  # what waited during boot is the script's to read
                self._to_board += self._held
                self._held.clear()
            buf = rest
        keep = _marker_start(buf, ROM_MARKERS)  # a marker split over reads
        self._send_client(buf[: len(buf) - keep])
        self._boot_buf = buf[len(buf) - keep :]

    def _tail_output(self, data):
        """The raw REPL ends the ROM's run ("\\x04\\x04>"): hidden; then the REPL
        the client gets. After a soft reset from the raw REPL it is the raw
        prompt mpremote waits for; otherwise the friendly REPL (Ctrl-B)."""
        self._boot_buf += data
        if RAW_END not in self._boot_buf:
            return
        self._boot_buf = b""
        if self._return_raw:
            self._raw = True
            self._send_client(RAW_PROMPT)
        else:
            self._to_board += b"\x02"
            self._raw = False
        self._state = "run"
        self._to_board += self._held
        self._held.clear()

    def _run_output(self, data):
        window = self._tail + data
        raw_at = window.rfind(RAW_PROMPT[:-1])
        friendly_at = window.rfind(FRIENDLY_BANNER)
        if raw_at >= 0 or friendly_at >= 0:
            self._raw = raw_at > friendly_at
        at = window.find(SOFT_REBOOT)
        if at >= 0:  # the marker may have begun in the last read
            end = at + len(SOFT_REBOOT) - len(self._tail)
            self._send_client(data[:end])
            self._soft_reset(raw=self._raw, rest=data[end:])
            return
        self._tail = window[-64:]
        self._send_client(data)

    def _soft_reset(self, raw, rest):
        """The board reboots: bytes not yet sent to it wait for its REPL, as
        a board's USB keeps what it has not read across a soft reset."""
        self.resets += 1
        self._enter_boot()
        self._return_raw = raw
        self._tail = b""
        self._held[:0] = self._to_board
        self._to_board.clear()
        if self.log:
            self.log(f"soft reset #{self.resets}")
        if rest:
            self._board_output(rest)

    def _board_output(self, data):
        if self._state == "boot":
            self._boot_output(data)
        elif self._state == "rom":
            self._rom_output(data)
        elif self._state == "tail":
            self._tail_output(data)
        else:
            self._run_output(data)

    # -- what the client sends -----------------------------------------------------
    def _client_input(self, data):
        """Bytes from the client: a `#R` line (outside the raw REPL) cuts the
        power; while the ROM is typed, runs no script (boot.py, main.py) or
        ends, input waits, as a board's USB buffers what arrives during its
        boot: the raw REPL the ROM runs in must not read it."""
        data = self._cut_at_power_line(data)
        if self._state in ("boot", "tail") or (self._state == "rom" and not self._script_running):
            self._held += data
            return
        self._to_board += data

    def _power_cut(self):
        self._power_off(save=True)
        self.resets += 1
        self.power_cuts += 1
        self._to_board.clear()
        self._held.clear()
        self._return_raw = False
        self._input_tail = b"\n"
        if self.log:
            self.log(f"power cut #{self.resets}")
        self._power_on()

    def _poke_stalled_boot(self):
        """Before the ROM goes in, a reset whose prompt was missed would wait
        forever: after BOOT_POKE_S without one, ask the REPL again (nothing
        typed yet can be harmed)."""
        if self._state == "boot" and not self._rom_sent and time.monotonic() >= self._boot_poke_at:
            if self.log:
                self.log(f"no REPL prompt after a reset: {self._boot_buf[-80:]!r}")
            self._to_board += REPL_POKE
            self._boot_buf = b""
            self._boot_poke_at = time.monotonic() + BOOT_POKE_S

    # -- the relay -----------------------------------------------------------------
    def _relay(self, powered, failure):
        try:
            self._power_on()
        except (QemuBoardError, OSError) as exc:
            failure.append(exc)
            return
        finally:
            powered.set()
        try:
            self._relay_loop()
        finally:
            self._power_off(save=True)

    def _relay_loop(self):
        client_fd = self._client_fd
        while not self._stop.is_set():
            with self._lock:
                cut, self._cut_requested = self._cut_requested, False
            if cut:
                self._power_cut()
            self._poke_stalled_boot()
            uart = self._uart
            poller = select.poll()
            poller.register(client_fd, select.POLLIN | (select.POLLOUT if self._to_client else 0))
            poller.register(uart, select.POLLIN | (select.POLLOUT if self._to_board else 0))
            events = dict(poller.poll(50))
            cev = events.get(client_fd, 0)
            bev = events.get(uart.fileno(), 0)
            client_present = not cev & select.POLLHUP
            if not client_present:
                self._to_client.clear()  # nobody has the port open: output is lost, as on USB
            if cev & select.POLLIN:
                data = self._read_client()
                if data:
                    self._client_input(data)
            if bev & select.POLLIN:
                try:
                    data = uart.recv(65536)
                except BlockingIOError:
                    data = b""
                except OSError:
                    data = None
                if data:
                    self._board_output(data)
                elif data is not None and self._proc is not None and self._proc.poll() is not None:
                    self._power_cut()  # qemu ended (machine.reset() on this port): power on again
                    continue
            if self._to_board:
                try:
                    n = uart.send(self._to_board)
                    del self._to_board[:n]
                except BlockingIOError:
                    pass
            if self._to_client and client_present:
                try:
                    n = os.write(client_fd, self._to_client)
                    del self._to_client[:n]
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EIO):
                        raise
            if not client_present and not self._to_board and not bev:
                time.sleep(0.005)  # POLLHUP returns at once: do not spin
