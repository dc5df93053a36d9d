"""`capsule console`: talk to the firmware on a board.

With --cmd it sends one command, prints the decoded reply and exits (0 on OK,
1 when the board answers ERR, 2 when there is no valid answer). Without it,
an interactive terminal: decoded, coloured events and replies as they come,
scrolled above the prompt; commands typed with line editing and history
(prompt_toolkit; the history is kept in --history), only printable text sent
to the board; `help` lists every command with its usage, `help CMD` asks the
board for one; everything received is appended to --log. From a pipe the
commands are read line by line.

Each line starts with the host's clock when it arrived (the board's own
time, ms since boot or the virtual board's simulated clock, is `t=`).
"""

import os
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from rich.console import Console

from host_tools.board.board import Board, BoardError
from host_tools.cli import user_errors
from host_tools.paths import firmware_module
from host_tools.protocol.lines import format_command

STYLE = {"EVT": "cyan", "OK": "green", "ERR": "bold red", "TLM": "dim"}
IMPORTANT_EVENTS = {"fire": "bold magenta", "phase": "bold yellow", "fault": "bold red"}
MAX_COMMAND = 120  # the firmware's console line buffer holds more; a person types less


def describe(line, when=None):
    """One line for a person: the host's arrival time, kind, the board's
    time, name, fields."""
    when = when or datetime.now()
    fields = " ".join(f"{k}={v}" for k, v in line.fields.items())
    return (
        f"{when:%H:%M:%S.%f}"[:-3]
        + f"  {line.kind:<3} t={line.t_ms / 1000.0:<9.3f} {line.name:<8} {fields}"
    )


def usage_text(names=None):
    """Each command with its usage (firmware/cmd_usage.py), for `help`."""
    usage = firmware_module("cmd_usage").USAGE
    names = names or sorted(usage)
    width = max(len(usage[n][0]) for n in names if n in usage)
    return "\n".join(
        f"  {usage[n][0]:<{width}}  {usage[n][1]}" if n in usage else f"  {n}" for n in names
    )


def check_typed(text):
    """The command as it goes to the board, or raise ValueError: printable
    ASCII only (a stray escape sequence or control byte never reaches it)."""
    text = text.strip()
    bad = [c for c in text if not (32 <= ord(c) < 127)]
    if bad:
        raise ValueError(f"not sent: {bad[0]!a} is not a printable character")
    if "*" in text:
        raise ValueError("not sent: '*' starts the checksum, which the console adds itself")
    if len(text) > MAX_COMMAND:
        raise ValueError(f"not sent: longer than {MAX_COMMAND} characters")
    return text


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
            return
        out.print(describe(line), style=style_of(line), highlight=False, markup=False)
        if line.kind == "OK" and line.name == "help" and "commands" in line.fields:
            names = [n for n in line.fields["commands"].split(",") if n]
            out.print(usage_text(names), highlight=False, markup=False)

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

    def send(text):
        try:
            text = check_typed(text)
        except ValueError as exc:
            out.print(str(exc), style="yellow", highlight=False, markup=False)
            return
        if text:
            pending[0] += 1
            # checksummed as the tools send it: the board runs a command
            # that changes its state only with a valid *HH
            target.write(format_command(text))

    thread = threading.Thread(target=reader, daemon=True)
    try:
        with user_errors(BoardError):  # the port went away while writing
            if sys.stdin.isatty() and sys.stdout.isatty():
                _prompt_loop(args, out, send, stop, thread)
            else:
                thread.start()
                for text in sys.stdin:
                    if stop.is_set():
                        break
                    send(text)
        # input ended (Ctrl-D or a pipe): let the last replies arrive first
        deadline = time.monotonic() + args.timeout
        while pending[0] and not stop.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        if thread.is_alive():
            thread.join(timeout=1)
        target.close()
        if log:
            log.close()
    return 0


def _prompt_loop(args, out, send, stop, thread):
    """Line editing and history (prompt_toolkit); the board's lines are
    printed above the prompt while a command is being typed."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import WordCompleter
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.patch_stdout import patch_stdout

    history = InMemoryHistory()
    if args.history:
        try:
            path = Path(args.history).expanduser()
            path.parent.mkdir(parents=True, exist_ok=True)
            history = FileHistory(str(path))
        except OSError as exc:
            out.print(f"history not kept ({exc.strerror}): {args.history}", style="yellow")
    words = sorted(firmware_module("cmd_usage").USAGE)
    session = PromptSession(history=history, completer=WordCompleter(words, sentence=True))
    with patch_stdout(raw=True):
        # rich writes through the patched stdout, above the prompt
        out.file = sys.stdout
        out.print(
            f"connected to {args.port}: type a command (help lists them, Tab completes, "
            "arrows edit and recall); Ctrl-D quits",
            style="bold",
        )
        thread.start()
        while not stop.is_set():
            try:
                text = session.prompt(f"{os.path.basename(args.port)}> ")
            except KeyboardInterrupt:
                continue  # Ctrl-C clears the line, as in a shell
            except EOFError:
                break
            send(text)


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
    p.add_argument(
        "--history",
        default=os.path.join("~", ".cache", "capsule", "console_history"),
        help="file keeping the commands typed (default %(default)s; '' keeps none)",
    )
    p.set_defaults(func=run)
