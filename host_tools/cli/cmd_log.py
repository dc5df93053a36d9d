"""`capsule log`: pull the flight log off a board, decode it, plot it, clear it.

    capsule log pull --port PORT --out FILE   copy every segment, check size and CRC-32
    capsule log decode FILE [--csv OUT]       summary; samples, fixes, events as CSV
    capsule log plot FILE --out DIR           altitude/speed, acceleration, battery, track
    capsule log clear --port PORT [--yes]     only when the board says it is disarmed

Talking to the board stops the firmware (Ctrl-C, raw REPL); `pull` and
`clear` restart it afterwards (soft reset, then wait for its `ready` event)
unless --no-restart: a capsule must not be left sitting at a REPL.

The board is reached through mpremote's serial transport (raw REPL), so a real
board and the virtual board (`capsule vboard`) are the same to this module.
Everything that talks to a board takes an object with mpremote's
`exec(code, data_consumer=None) -> bytes`; the scripts it runs there are
self-contained, so a test can run them on the MicroPython unix port directly.
The pulled FILE is the board's segment files one after the other; the decoder
orders blocks by sequence number, so the file order does not matter.
"""

from __future__ import annotations

import ast
import binascii
import zlib
from pathlib import Path

from host_tools.cli import UserError
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
        raise UserError(f"the board has no log directory {log_dir!r}")
    return listing


def read_segment(board, path, on_bytes=None):
    """Bytes of one file, streamed as base64 lines; on_bytes(n) as they arrive."""
    received = bytearray()

    def consume(data):
        received.extend(data)
        if on_bytes:
            on_bytes(len(data) * 3 // 4)

    board.exec(_BOARD_READ % (path, READ_CHUNK), data_consumer=consume)
    text = bytes(received).replace(b"\x04", b"")
    try:
        return b"".join(binascii.a2b_base64(line) for line in text.split() if line)
    except binascii.Error as exc:
        raise UserError(f"garbled transfer of {path}: {exc}") from None


def pull_log(board, out_path, log_dir=LOG_DIR, progress=None, retries=1):
    """Copy every segment into out_path (concatenated); verify each one's
    size and CRC-32 against what the board computed. Returns the listing."""
    listing = list_segments(board, log_dir)
    total = sum(size for _, size, _ in listing)
    task = progress.add_task("pull", total=total) if progress else None
    parts = []
    done = 0
    for name, size, crc in listing:
        for attempt in range(retries + 1):
            data = read_segment(
                board,
                log_dir + "/" + name,
                (lambda n: progress.advance(task, n)) if progress else None,
            )
            if len(data) == size and zlib.crc32(data) == crc:
                break
            if progress:
                progress.update(task, completed=done)
            if attempt == retries:
                raise UserError(
                    f"{name}: pulled {len(data)} bytes, CRC {zlib.crc32(data):08x}; "
                    f"the board has {size} bytes, CRC {crc:08x}"
                )
        done += size
        if progress:
            progress.update(task, completed=done)
        parts.append(data)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(b"".join(parts))
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


def board_status(port):
    """Fields of the firmware's reply to `status` (starting the firmware first
    if the board sits at its REPL), or None if it gives no OK reply."""
    from host_tools.board.link import BoardLink, LinkError

    try:
        with BoardLink(port) as link:
            try:
                reply = link.command("status")
            except LinkError as exc:
                if "REPL" not in str(exc):
                    raise
                link.start_firmware()
                reply = link.command("status")
    except LinkError as exc:
        raise UserError(f"not clearing the log: {exc}") from None
    return dict(reply.fields) if reply.kind == "OK" else None


def restart_firmware(port, console):
    """Soft-reset the board into the firmware: a board left at its REPL
    after a pull would fly with nothing running."""
    from host_tools.board.link import BoardLink, LinkError

    try:
        with BoardLink(port) as link:
            ready = link.start_firmware()
        console.print(f"firmware restarted: phase={ready.fields.get('phase', '?')}")
    except LinkError as exc:
        console.print(f"[red]the firmware did not restart ({exc}): reset the board[/red]")


# ------------------------------------------------------------ commands
def open_board(port, baud):
    """The board's raw REPL (host_tools.board.repl), errors as UserError."""
    from host_tools.board.repl import ReplError, open_raw_repl

    try:
        return open_raw_repl(port, "touching the board's files", baudrate=baud)
    except ReplError as exc:
        raise UserError(str(exc)) from None


def _transport_errors():
    from host_tools.board.repl import TRANSPORT_ERRORS

    return TRANSPORT_ERRORS


def run_pull(args):
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from host_tools.protocol.flightlog import decode_path

    console = Console()
    t = open_board(args.port, args.baud)
    try:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            listing = pull_log(t, args.out, args.dir, progress)
        t.exit_raw_repl()
    except _transport_errors() as exc:
        raise UserError(f"transfer from {args.port} failed: {exc}") from None
    finally:
        t.close()
    if not listing:
        console.print(f"the board's {args.dir}/ holds no log segments; wrote an empty {args.out}")
        if args.restart:
            restart_firmware(args.port, console)
        return 0
    total = sum(size for _, size, _ in listing)
    console.print(f"pulled {len(listing)} segments, {total} bytes, size and CRC-32 verified")
    log = decode_path(args.out)
    console.print(
        f"{log.blocks} blocks, {len(log.records)} samples, {len(log.events)} events; "
        f"{log.stopped_text()} -> {args.out}"
    )
    if args.restart:
        restart_firmware(args.port, console)
    return 0


def summary_table(log):
    from rich.table import Table

    from host_tools.protocol.flightlog import phase_name

    table = Table(title="flight log", show_header=False)
    h = log.header
    if h:
        table.add_row("board", h.board_name)
        table.add_row("firmware", h.fw_version)
        table.add_row("config hash", f"{h.config_hash:08x}")
    start_utc = log.utc_at(0.0)
    if start_utc is not None:
        table.add_row("UTC at t = 0", start_utc.isoformat(timespec="seconds") + "Z")
    table.add_row("sessions (boots)", ", ".join(str(s) for s in sorted(log.headers)) or "-")
    table.add_row("blocks", f"{log.blocks} of {log.block_bytes} B, {len(log.seq_gaps)} seq gaps")
    table.add_row(
        "samples / fixes / events", f"{len(log.records)} / {len(log.fixes)} / {len(log.events)}"
    )
    if log.records:
        table.add_row("time span", f"{log.records[0].t_s:.1f} .. {log.records[-1].t_s:.1f} s")
        table.add_row("max altitude", f"{max(r.alt_cm for r in log.records) / 100:.1f} m")
    for t, p in log.phase_changes():
        table.add_row(f"  phase at {t:.1f} s", phase_name(p))
    for e in log.events:
        if e.code in (2, 3, 4):
            table.add_row(f"  event at {e.t_s:.1f} s", e.describe())
    table.add_row("integrity", log.stopped_text())
    for d in log.damage[1:6]:
        table.add_row("  also", str(d))
    return table


def _decode(path):
    from host_tools.protocol.flightlog import decode_path

    path = Path(path)
    if not path.exists():
        raise UserError(f"no such log file: {path}")
    log = decode_path(path)
    if not log.blocks:
        where = f" ({log.stopped_at})" if log.stopped_at else ""
        raise UserError(f"{path} holds no valid flight-log block{where}")
    return log


def run_decode(args):
    from rich.console import Console

    from host_tools.protocol.flightlog import write_csv

    log = _decode(args.file)
    console = Console()
    console.print(summary_table(log))
    if args.csv:
        for p in write_csv(log, args.csv):
            console.print(f"wrote {p}")
    return 0 if log.ok else 1


def run_plot(args):
    from rich.console import Console

    from host_tools.plots import plot_flight_log

    log = _decode(args.file)
    files = plot_flight_log(log, args.out)
    console = Console()
    for p in files:
        console.print(f"wrote {p}")
    if not files:
        console.print("no samples to plot")
    return 0


def run_clear(args):
    from rich.console import Console
    from rich.prompt import Confirm

    console = Console()
    status = board_status(args.port)
    why = disarmed_reason(status)
    if why:
        raise UserError(f"not clearing the log on {args.port}: {why} (it must say disarmed)")
    shown = " ".join(f"{k}={v}" for k, v in status.items() if k in ("phase", "armed"))
    console.print(f"board on {args.port}: {shown}")
    if not args.yes and not Confirm.ask(
        f"Delete the flight log in {args.dir}/ on the board?", console=console
    ):
        console.print("kept")
        return 1
    t = open_board(args.port, args.baud)
    try:
        n = clear_log(t, args.dir)
        t.exit_raw_repl()
    except _transport_errors() as exc:
        raise UserError(f"talking to {args.port} failed: {exc}") from None
    finally:
        t.close()
    console.print(f"deleted {n} segment files")
    if args.restart:
        restart_firmware(args.port, console)
    return 0


def register(subparsers):
    p = subparsers.add_parser(
        "log",
        help="pull, decode, plot or clear the board's flight log",
        description=__doc__.split("\n\n")[1],
    )
    sub = p.add_subparsers(dest="log_command", metavar="ACTION")

    def board_args(q):
        q.add_argument("--port", required=True, help="serial port of the board (or vboard pty)")
        q.add_argument("--baud", type=int, default=115200)
        q.add_argument("--dir", default=LOG_DIR, help="log directory on the board (default: log)")
        q.add_argument(
            "--no-restart",
            dest="restart",
            action="store_false",
            help="leave the board at its REPL afterwards (default: restart the firmware)",
        )

    q = sub.add_parser("pull", help="copy the log off the board, verifying size and CRC")
    board_args(q)
    q.add_argument("--out", required=True, help="file to write (the segments concatenated)")
    q.set_defaults(func=run_pull)

    q = sub.add_parser("decode", help="print a summary; optionally write CSV")
    q.add_argument("file", help="pulled log file, or a directory of seg*.fl files")
    q.add_argument("--csv", help="samples CSV; fixes and events go beside it")
    q.set_defaults(func=run_decode)

    q = sub.add_parser("plot", help="plot altitude, speed, acceleration, battery, track")
    q.add_argument("file", help="pulled log file, or a directory of seg*.fl files")
    q.add_argument("--out", required=True, help="directory for the PNG files")
    q.set_defaults(func=run_plot)

    q = sub.add_parser("clear", help="delete the log (only when the board says disarmed)")
    board_args(q)
    q.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    q.set_defaults(func=run_clear)

    def no_action(args):
        p.print_help()
        return 2

    p.set_defaults(func=no_action)
