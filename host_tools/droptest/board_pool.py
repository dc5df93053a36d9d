"""Virtual boards that outlive a flight: a campaign worker flashes one board
once and flies every flight it is given on it.

Starting a virtual board per flight costs a pseudo-terminal pair, a relay
thread, a copy of the flashed image and mpremote's port set-up; flashing
costs far more. A kept board is handed back after each flight in the state
of a freshly flashed one, so a flight on it gives the events a fresh board
gives (tests/e2e/test_board_reuse.py compares them on every shipped
scenario):

1. its flash (a host directory: the virtual board's whole file system) is
   put back to the flashed image, byte for byte: the config the scenario
   changed, the flight record (`state.bin`), the flight log, anything else
   the flight wrote. The board is idle while this happens: in sim mode the
   firmware does nothing between the host's frames and commands;
2. a power cut (`#R`) restarts its interpreter as at power-on, so nothing
   a flight left in RAM (filter, beacon duty-cycle account, GNSS fix,
   console counters, the virtual clock) reaches the next one;
3. it must then say `ready` in SAFE, answer `status` disarmed in SAFE with
   a valid config and no faults, and every file of its manifest
   (`manifest.json`, written by the flasher) must still hash as flashed.
   What it said while booting is handed to the next flight first, as a
   fresh board's first lines.

A board failing any of these is stopped and dropped; the next flight gets a
new one. The emulated Cortex-M3 (`qemu-m3`) is not kept: its flash is the
board's RAM, saved over the host's image at every power cut, so step 1
cannot put it back; each of its flights boots a fresh copy of the flashed
image instead (a few seconds next to a flight of minutes there). The restart happens when a flight hands its board back, so the
interpreter that flew is reaped (and its CPU counted, flight_row.Meter)
within that flight.
"""

import atexit
import hashlib
import json
import shutil
import tempfile
import time
from pathlib import Path

from host_tools.board.flash import MANIFEST
from host_tools.board.targets import DEFAULT_TARGET

RESET_TIMEOUT_S = 30.0
DRAIN_S = 0.01  # a flight that ended drained its board: nothing more is coming

_KEPT = {}  # (firmware digest, target) -> KeptBoard, per process
NOT_KEPT = ("qemu-m3",)  # targets whose flash a reset cannot put back (see above)
_STOP_AT_EXIT = []  # atexit registered once


class ResetError(Exception):
    """A kept board did not come back as a freshly flashed one."""


def _files(root):
    """{relative path: Path} of every file under root."""
    return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}


def restore_flash(flash_dir, template):
    """Make flash_dir hold exactly the files of template (same bytes)."""
    flash_dir, template = Path(flash_dir), Path(template)
    want = _files(template)
    have = _files(flash_dir)
    for name, path in have.items():
        if name not in want:
            path.unlink()
    for name, src in want.items():
        dst = flash_dir / name
        data = src.read_bytes()
        if name not in have or dst.read_bytes() != data:
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(data)
    for d in sorted((p for p in flash_dir.rglob("*") if p.is_dir()), reverse=True):
        if not (template / d.relative_to(flash_dir)).is_dir():
            shutil.rmtree(d, ignore_errors=True)


def manifest_mismatches(flash_dir):
    """Names in the board's manifest.json whose file is missing or hashes
    otherwise (the flasher's SHA-256); ['manifest.json'] without one."""
    flash_dir = Path(flash_dir)
    try:
        manifest = json.loads((flash_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return [MANIFEST]
    bad = []
    for name, digest in manifest.items():
        try:
            data = (flash_dir / name).read_bytes()
        except OSError:
            bad.append(name)
            continue
        if hashlib.sha256(data).hexdigest() != digest:
            bad.append(name)
    return bad


class KeptBoard:
    """One virtual board on a copy of a flashed image, kept for many flights."""

    def __init__(self, template, target=DEFAULT_TARGET):
        from host_tools.board.board import Board
        from host_tools.board.targets import describe, make_board
        from host_tools.droptest.runner import REPLY_TIMEOUT_S

        self.template = Path(template)
        self.tmp = Path(tempfile.mkdtemp(prefix="droptest-kept-"))
        self.flash_dir = self.tmp / "flash"
        shutil.copytree(self.template, self.flash_dir)
        self.vboard = make_board(target, flash_dir=self.flash_dir).start()
        self.flights = 0
        try:
            self.board = describe(Board(self.vboard.port, timeout=REPLY_TIMEOUT_S), self.vboard)
        except BaseException:
            self.stop()
            raise
        self.in_use = False
        self.boot_lines = []  # what the board said on its last restart, up to `ready`

    def lease(self):
        """The board for one flight; closing the lease hands it back."""
        self.in_use = True
        return _Lease(self)

    def reset(self):
        """Back to a freshly flashed board (see the module docstring); raises
        ResetError when it does not come back so."""
        restore_flash(self.flash_dir, self.template)
        board = self.board
        # what the last flight left unread (an aborted run) is not the boot's
        while board.read_raw_line(time.monotonic() + DRAIN_S) is not None:
            pass
        board.events.clear()
        board.noise.clear()
        said = []
        board.on_line = lambda line, raw: said.append(raw)
        try:
            board.power_cut()
            ready = board.wait_event("ready", RESET_TIMEOUT_S)
        finally:
            board.on_line = None
        self.boot_lines = said
        if ready is None:
            raise ResetError("no `ready` after the power cut")
        if ready.get("phase") != "SAFE":
            raise ResetError(f"ready in {ready.get('phase')}, not SAFE")
        status = board.command("status", RESET_TIMEOUT_S)
        want = {"phase": "SAFE", "armed": "0", "config": "ok", "loop_faults": "0"}
        off = {k: status.get(k) for k, v in want.items() if str(status.get(k)) != v}
        if status.kind != "OK" or off:
            raise ResetError(f"status after reset: {off or status.kind}")
        bad = manifest_mismatches(self.flash_dir)
        if bad:
            raise ResetError("firmware files changed: " + ", ".join(bad[:5]))

    def stop(self):
        board = getattr(self, "board", None)
        if board is not None:
            board.close()
        self.vboard.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


class _Lease:
    """What a flight holds: the kept board's link (write, read_raw_line,
    power_cut, command ...); close() resets the board for the next flight,
    or drops it when it does not come back."""

    def __init__(self, kept):
        self._kept = kept
        self.port = kept.board.port
        # the boot lines the reset read: a fresh board's first flight hears them
        self._unread = list(kept.boot_lines)

    def __getattr__(self, name):
        return getattr(self._kept.board, name)

    def read_raw_line(self, deadline):
        if self._unread:
            return self._unread.pop(0)
        return self._kept.board.read_raw_line(deadline)

    def close(self):
        kept, self._kept = self._kept, None
        if kept is None:
            return
        kept.flights += 1
        kept.in_use = False
        try:
            kept.reset()
        except Exception:  # noqa: BLE001 - a board that does not come back is replaced, not fatal
            _drop(kept)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _drop(kept):
    for key, k in list(_KEPT.items()):
        if k is kept:
            del _KEPT[key]
    kept.stop()


def _stop_all():
    for kept in list(_KEPT.values()):
        _drop(kept)


def reused_board(log=None, target=DEFAULT_TARGET):
    """A board factory for runner.run_scenario: this process's kept virtual
    board of `target` (board/targets.py) with the current firmware (flashed
    once per process, firmware version and target), started on first use."""
    from host_tools.droptest.runner import _firmware_digest, _flashed_template, open_board

    key = (_firmware_digest(), target)
    kept = _KEPT.get(key)
    if target in NOT_KEPT or (kept is not None and kept.in_use):
        # not kept, or a second flight at once in this process (threads): a board of its own
        return open_board(log=log, reuse_flash=True, target=target)
    if kept is not None and not kept.vboard.running:
        _drop(kept)
        kept = None
    if kept is None:
        if not _STOP_AT_EXIT:
            atexit.register(_stop_all)
            _STOP_AT_EXIT.append(True)
        kept = _KEPT[key] = KeptBoard(_flashed_template(log or (lambda *a: None), target), target)
    return kept.lease()
