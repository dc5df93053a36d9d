"""The flight log's files on a board: list the segments, pull them (size and
CRC-32 computed on the board, checked here), delete them; and whether a
board's status lets its log be cleared.

Everything that talks to the board takes an object with a Board's raw-REPL
`exec(code, data_consumer=None) -> bytes`; the scripts it runs there are
self-contained, so a test can run them on the MicroPython unix port directly.
The pulled file is the board's segment files one after the other; the
decoder (protocol/flightlog.py) orders blocks by sequence number, so the file
order does not matter.
"""

import ast
import binascii
import zlib
from pathlib import Path

from host_tools.board.board import BoardError
from host_tools.paths import firmware_module

LOG_DIR = "log"  # where the firmware keeps its segments (FlightLog("log", ...))
READ_CHUNK = 1536  # bytes per base64 line sent by the board
_FP = firmware_module("flight_phase")
# ARMED up to MAIN, by name or number: a board in these phases may be flying
IN_FLIGHT_PHASES = {x for p in range(_FP.ARMED, _FP.LANDED) for x in (_FP.PHASE_NAMES[p], str(p))}

_BOARD_LIST = """
import os, binascii
def _fl_list(d):
    try:
        names = [e[0] for e in os.ilistdir(d)]
    except OSError:
        print(repr(None))
        return
    buf = bytearray(1024)
    mv = memoryview(buf)
    out = []
    for name in sorted(names):
        if not name.endswith('.fl'):
            continue
        crc = 0
        n = 0
        with open(d + '/' + name, 'rb') as f:
            while True:
                k = f.readinto(buf)
                if not k:
                    break
                crc = binascii.crc32(mv[:k], crc)
                n += k
        out.append((name, n, crc))
    print(repr(out))
_fl_list(%r)
del _fl_list
"""

_BOARD_READ = """
import binascii
def _fl_read(p, size):
    buf = bytearray(size)
    mv = memoryview(buf)
    with open(p, 'rb') as f:
        while True:
            k = f.readinto(buf)
            if not k:
                break
            print(binascii.b2a_base64(mv[:k]).decode(), end='')
_fl_read(%r, %d)
del _fl_read
"""

_BOARD_CLEAR = """
import os
def _fl_clear(d):
    n = 0
    try:
        names = [e[0] for e in os.ilistdir(d)]
    except OSError:
        names = []
    for name in names:
        if name.endswith('.fl'):
            os.remove(d + '/' + name)
            n += 1
    print(n)
_fl_clear(%r)
del _fl_clear
"""


# ------------------------------------------------------------ board side
def list_segments(board, log_dir=LOG_DIR):
    """[(name, size, crc32)] of the log's segment files, as the board sees them."""
    out = board.exec(_BOARD_LIST % log_dir)
    listing = ast.literal_eval(out.decode().strip())
    if listing is None:
        raise BoardError(f"the board has no log directory {log_dir!r}")
    return listing


def read_segment(board, path, on_bytes=None):
    """Bytes of one file, streamed as base64 lines; on_bytes(n) with the
    bytes received so far, as they arrive."""
    received = bytearray()

    def consume(data):
        received.extend(data)
        if on_bytes:
            on_bytes(len(received) * 3 // 4)

    board.exec(_BOARD_READ % (path, READ_CHUNK), data_consumer=consume)
    text = bytes(received).replace(b"\x04", b"")
    try:
        return b"".join(binascii.a2b_base64(line) for line in text.split() if line)
    except binascii.Error as exc:
        raise BoardError(f"garbled transfer of {path}: {exc}") from None


def previous_flight(out_dir):
    """The segment files a directory already holds (a previous pull), sorted."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    return sorted(p for p in out_dir.iterdir() if p.is_file() and p.suffix == ".fl")


def check_out_dir(out_dir, force=False):
    """Why `out_dir` cannot take a pulled log (a sentence), or None. It may
    not exist yet; an existing one must be a directory without a previous
    flight's segments, unless `force`."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        return f"{out_dir} is a file; --out takes a directory (created if missing)"
    old = previous_flight(out_dir)
    if old and not force:
        return (
            f"{out_dir} already holds a flight log ({len(old)} segment files, e.g. "
            f"{old[0].name}); choose another directory or --force to replace it"
        )
    return None


def pull_log(board, out_dir, log_dir=LOG_DIR, progress=None, retries=1, force=False):
    """Copy every segment into out_dir (created if missing), one file each,
    under its name on the board; verify each one's size and CRC-32 against
    what the board computed. Nothing is written unless every segment
    verified; with `force` a previous flight's segments there are replaced.
    Returns the listing. progress(done_bytes, total_bytes) as bytes arrive."""
    why = check_out_dir(out_dir, force)
    if why:
        raise FileExistsError(why)
    listing = list_segments(board, log_dir)
    total = sum(size for _, size, _ in listing)
    report = progress or (lambda done, total: None)
    parts = []
    done = 0
    for name, size, crc in listing:
        for attempt in range(retries + 1):
            data = read_segment(
                board, log_dir + "/" + name, lambda n, done=done: report(done + n, total)
            )
            if len(data) == size and zlib.crc32(data) == crc:
                break
            if attempt == retries:
                raise BoardError(
                    f"{name}: pulled {len(data)} bytes, CRC {zlib.crc32(data):08x}; "
                    f"the board has {size} bytes, CRC {crc:08x}"
                )
        done += size
        report(done, total)
        parts.append((name, data))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in previous_flight(out_dir):
        old.unlink()
    for name, data in parts:
        (out_dir / name).write_bytes(data)
    return listing


def clear_log(board, log_dir=LOG_DIR):
    """Delete the segment files; returns how many."""
    return int(board.exec(_BOARD_CLEAR % log_dir).decode().strip() or 0)


# ----------------------------------------------------- disarmed or not
def _truthy(value):
    return str(value).strip().lower() in {"1", "true", "yes", "on", "armed"}


def disarmed_reason(status):
    """None if the status says disarmed, else why not (a sentence)."""
    if status is None:
        return "the board did not answer `status`"
    phase = status.get("phase")
    armed = status.get("armed")
    if phase is None and armed is None:
        return "the status reply names neither phase nor armed"
    if armed is not None and _truthy(armed):
        return f"the board says armed={armed}"
    if phase is not None and str(phase).upper() in IN_FLIGHT_PHASES:
        return f"the board is in phase {phase}"
    return None
