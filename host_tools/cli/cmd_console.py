"""`capsule console`: talk to the firmware on a board.

With --cmd it sends one command, prints the decoded reply and exits (0 on OK,
1 when the board answers ERR, 2 when there is no valid answer). Without it,
an interactive terminal: decoded, coloured events and replies as they come,
commands typed at the prompt, everything appended to a log file.
"""

import sys
import threading
import time

from rich.console import Console

from host_tools.board.board import Board, BoardError
from host_tools.cli import user_errors
from host_tools.protocol.lines import format_command

STYLE = {"EVT": "cyan", "OK": "green", "ERR": "bold red", "TLM": "dim"}
IMPORTANT_EVENTS = {"fire": "bold magenta", "phase": "bold yellow", "fault": "bold red"}


def describe(line):
    fields = " ".join(f"{k}={v}" for k, v in line.fields.items())
    return f"{line.kind:<3} {line.t_ms / 1000.0:9.3f} s  {line.name:<8} {fields}"


def style_of(line):
    if line.kind == "EVT" and line.name in IMPORTANT_EVENTS:
        return IMPORTANT_EVENTS[line.name]
    return STYLE.get(line.kind, "")


def one_command(args, out):
    with user_errors(BoardError), Board(args.port, timeout=args.timeout) as target:
        send = target.command_starting if args.start else target.command
        reply = send(args.cmd)
    if args.raw:
        print(reply.raw)
    else:
        out.print(describe(reply), style=style_of(reply), highlight=False)
    return 0 if reply.kind == "OK" else 1


def interactive(args, out):
    log = open(args.log, "a") if args.log else None  # noqa: SIM115 (closed when the session ends)
    stop = threading.Event()
    pending = [0]  # commands sent and not yet answered

    def on_line(line, raw):
        if line is not None and line.kind in ("OK", "ERR"):
            pending[0] = max(0, pending[0] - 1)
        text = raw.decode(errors="replace")
        if log:
            log.write(f"{time.time():.3f} {text}\n")
            log.flush()
        if line is None:
            if text.strip():
                out.print(text, style="dim", highlight=False, markup=False)
        else:
            out.print(describe(line), style=style_of(line), highlight=False, markup=False)

    with user_errors(BoardError):
        target = Board(args.port, on_line=on_line)

    def reader():
        while not stop.is_set():
            try:
                for _ in target.lines(timeout=0.2):
                    pass
            except BoardError as exc:
                out.print(str(exc), style="bold red")
                stop.set()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    out.print(f"connected to {args.port} — type commands (help), Ctrl-D to quit", style="bold")
    try:
        with user_errors(BoardError):  # the port went away while writing
            for text in sys.stdin:
                if stop.is_set():
                    break
                if text.strip():
                    pending[0] += 1
                    # checksummed as the tools send it: the board runs a command
                    # that changes its state only with a valid *HH
                    target.write(format_command(text))
        # input ended (Ctrl-D or a pipe): let the last replies arrive first
        deadline = time.monotonic() + args.timeout
        while pending[0] and not stop.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        thread.join(timeout=1)
        target.close()
        if log:
            log.close()
    return 0


def run(args):
    out = Console()
    if args.cmd:
        return one_command(args, out)
    return interactive(args, out)


def register(sub):
    p = sub.add_parser("console", help="talk to the firmware over the serial port")
    p.add_argument("--port", required=True, help="serial port of the board")
    p.add_argument("--cmd", help="send one command, print the reply, exit")
    p.add_argument(
        "--timeout", type=float, default=5.0, help="reply timeout, s (default %(default)s)"
    )
    p.add_argument("--raw", action="store_true", help="print the reply line as the board sent it")
    p.add_argument(
        "--no-start",
        dest="start",
        action="store_false",
        help="do not soft-reset a board found at the REPL",
    )
    p.add_argument("--log", help="append everything received to this file")
    p.set_defaults(func=run)
