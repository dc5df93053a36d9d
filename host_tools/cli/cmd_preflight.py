"""`capsule preflight --port PORT [--config FILE]`: go/no-go on the stand.

One screen: firmware version and build, board, phase, config (against FILE),
self-test (sensors, mounting, pyro continuity per channel), battery, log
space in minutes of descent, GNSS fix and satellites, radio settings and
duty cycle, the beacon's first packet. Every NO-GO line says what to do.
Read-only (host_tools/board/preflight.py). Exit status: 0 GO, 1 NO-GO,
2 bad input or no usable board.
"""

from host_tools import config_file
from host_tools.cli import user_errors

STYLE = {"GO": "green", "NO-GO": "bold red", "INFO": "cyan"}


def run(args):
    from rich.console import Console

    from host_tools.board import preflight
    from host_tools.board.board import Board, BoardError

    if args.config:
        with user_errors(config_file.ConfigFileError):
            config_file.read(args.config)
    with user_errors(BoardError), Board(args.port) as board:
        items = preflight.run(board, args.config, check_build=not args.no_build_check)
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(width=160, highlight=False)
    for item in items:
        style = STYLE[item.status]
        console.print(f"[{style}]{item.status:<6}[/] {item.name:<12} {item.detail}", soft_wrap=True)
        if item.todo:
            console.print(f"{'':6} {'':12} -> {item.todo}", soft_wrap=True)
    verdict = preflight.verdict(items)
    console.print(f"[{STYLE[verdict]}]{verdict}[/] {args.port}")
    return 0 if verdict == "GO" else 1


def register(sub):
    p = sub.add_parser("preflight", help="go/no-go: one screen of what the board says about itself")
    p.add_argument("--port", required=True, help="serial port of the board")
    p.add_argument("--config", help="config file the board must run (capsule config check first)")
    p.add_argument(
        "--no-build-check",
        action="store_true",
        help="do not compare the board's build with this checkout (saves compiling it)",
    )
    p.set_defaults(func=run)
