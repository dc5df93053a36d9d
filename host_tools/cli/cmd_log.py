"""`capsule log`: pull the flight log off a board, decode it, plot it, clear it.

    capsule log pull --port PORT --out DIR [--force]   copy every segment into DIR, check
                                              size and CRC-32
    capsule log decode FILE [--csv OUT] [--capture FILE]   summary; samples, fixes, events
                                              as CSV; the fixes as a capture for `track`
    capsule log plot FILE --out DIR           altitude/speed, acceleration, battery, track
    capsule log clear --port PORT [--yes]     only when the board says it is disarmed

Talking to the board stops the firmware (Ctrl-C, raw REPL); `pull` and
`clear` restart it afterwards (soft reset, then wait for its `ready` event),
whatever went wrong in between, unless --no-restart: a capsule must not be
left sitting at a REPL. A firmware that does not come back is exit status 1.

The board is reached through a Board (host_tools/board/board.py: its raw
REPL), so a real board and the virtual board (`capsule vboard`) are the same
to this module; what is done with the log's files on the board is
host_tools/board/logfiles.py.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from host_tools.board import logfiles
from host_tools.board.board import Board, BoardError
from host_tools.cli import UserError, user_errors

FILES = "touching the board's files"  # completes "not ...: <why the firmware refused>"


@contextlib.contextmanager
def _board(args):
    """The Board on --port; its errors (while open) as UserError."""
    with user_errors(BoardError), Board(args.port, baudrate=args.baud) as target:
        yield target


def restart_firmware(target, console):
    """Soft-reset the board into the firmware: a board left at its REPL
    after a pull would fly with nothing running. False when it did not come back."""
    try:
        ready = target.start_firmware()
        console.print(f"firmware restarted: phase={ready.fields.get('phase', '?')}")
        return True
    except BoardError as exc:
        console.print(f"[red]the firmware did not restart ({exc}): reset the board[/red]")
        return False


@contextlib.contextmanager
def _at_raw_repl(target, args, console, restarted):
    """The raw REPL for the block; afterwards, whatever happened in it, back
    to the friendly REPL and (unless --no-restart) the firmware started again.
    restarted[0] is False when the firmware did not come back."""
    target.enter_raw_repl(FILES)
    try:
        yield
    finally:
        with contextlib.suppress(BoardError):
            target.leave_raw_repl()
        if args.restart:
            restarted[0] = restart_firmware(target, console)


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

    out = Path(args.out)
    why = logfiles.check_out_dir(out, args.force)  # before the board is touched
    if why:
        raise UserError(why)
    console = Console()
    restarted = [True]
    with _board(args) as target, _at_raw_repl(target, args, console, restarted):
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("pull", total=None)
            try:
                listing = logfiles.pull_log(
                    target,
                    out,
                    args.dir,
                    lambda done, total: progress.update(task, completed=done, total=total),
                    force=args.force,
                )
            except OSError as exc:  # the local directory: not writable, disk full
                raise UserError(f"cannot write {out}: {exc.strerror or exc}") from None
        if not listing:
            console.print(f"the board's {args.dir}/ holds no log segments; {out}/ is empty")
        else:
            total = sum(size for _, size, _ in listing)
            console.print(
                f"pulled {len(listing)} segments, {total} bytes, size and CRC-32 verified"
            )
            log = decode_path(out)
            console.print(
                f"{log.blocks} blocks, {len(log.records)} samples, {len(log.events)} events; "
                f"{log.stopped_text()} -> {out}/"
            )
    return 0 if restarted[0] else 1


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

    capture = Path(args.capture) if args.capture else None
    if capture is not None and not capture.parent.resolve().is_dir():
        raise UserError(f"--capture {capture}: directory {capture.parent} does not exist")
    call = _capture_call(args) if capture is not None else None
    log = _decode(args.file)
    console = Console()
    console.print(summary_table(log))
    if args.csv:
        for p in write_csv(log, args.csv):
            console.print(f"wrote {p}")
    if capture is not None:
        from host_tools.protocol.log_capture import LogCaptureError, capture_lines

        base, _, ssid = call.partition("-")
        with user_errors(LogCaptureError):
            lines = capture_lines(log, base, int(ssid or 0))
        capture.write_text("".join(line + "\n" for line in lines))
        console.print(
            f"capture {capture}: {len(lines)} packets from {call} (the logged fixes, one per "
            f"5 s, as the firmware's APRS encoder builds them); `capsule track {capture}` reads it",
            markup=False,
        )
        if not lines:
            console.print("the log holds no GNSS fix with a position", style="yellow")
    return 0 if log.ok else 1


def _capture_call(args):
    from host_tools.track import default_call, parse_call

    try:
        call = parse_call(args.call) if args.call else default_call()
    except ValueError as exc:
        raise UserError(f"--call {exc}") from None
    return call if "-" in call else call + "-0"


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
    import sys

    from rich.console import Console
    from rich.prompt import Confirm

    if not args.yes and not sys.stdin.isatty():
        raise UserError("no terminal to confirm on: give --yes to delete the board's flight log")
    console = Console()
    restarted = [True]
    with _board(args) as target:
        with user_errors(BoardError, prefix="not clearing the log: "):
            reply = target.command_starting("status")
        status = dict(reply.fields) if reply.kind == "OK" else None
        why = logfiles.disarmed_reason(status)
        if why:
            raise UserError(f"not clearing the log on {args.port}: {why} (it must say disarmed)")
        shown = " ".join(f"{k}={v}" for k, v in status.items() if k in ("phase", "armed"))
        console.print(f"board on {args.port}: {shown}")
        try:
            sure = args.yes or Confirm.ask(
                f"Delete the flight log in {args.dir}/ on the board?", console=console
            )
        except EOFError:
            sure = False
        if not sure:
            console.print("kept")
            return 1
        with _at_raw_repl(target, args, console, restarted):
            n = logfiles.clear_log(target, args.dir)
            console.print(f"deleted {n} segment files")
    return 0 if restarted[0] else 1


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
        q.add_argument(
            "--dir", default=logfiles.LOG_DIR, help="log directory on the board (default: log)"
        )
        q.add_argument(
            "--no-restart",
            dest="restart",
            action="store_false",
            help="leave the board at its REPL afterwards (default: restart the firmware)",
        )

    q = sub.add_parser("pull", help="copy the log off the board, verifying size and CRC")
    board_args(q)
    q.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="directory for the segment files (created if missing; `log decode DIR` reads it)",
    )
    q.add_argument(
        "--force", action="store_true", help="replace a previous flight's segments in DIR"
    )
    q.set_defaults(func=run_pull)

    q = sub.add_parser("decode", help="print a summary; optionally write CSV")
    q.add_argument("file", help="pulled log file, or a directory of seg*.fl files")
    q.add_argument("--csv", help="samples CSV; fixes and events go beside it")
    q.add_argument(
        "--capture",
        metavar="FILE",
        help="write the logged fixes as the beacon's APRS packets (time-stamped `EVT tx` "
        "lines), a capture `capsule track FILE` reads",
    )
    q.add_argument(
        "--call",
        metavar="CALL-SSID",
        help="callsign for --capture's packets (default: the firmware's default)",
    )
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
