"""`capsule config`: check a config file with the firmware's own schema,
compare it with a board, back a board's config up and restore it.

    capsule config check FILE [--board NAME]   every bad key at once; exit 2 if any
    capsule config diff --port PORT FILE       board against file; exit 1 if they differ
    capsule config pull --port PORT --out FILE what the board runs, as a file
    capsule config push --port PORT FILE       replace the board's config (checked first)

Exit status: 0 ok, 1 the check failed (the board differs, runs a config it
rejected, or rejected the pushed file), 2 bad input or no usable board.
"""

from pathlib import Path

from host_tools import config_file
from host_tools.cli import UserError, user_errors


def _read(path, board=None):
    with user_errors(config_file.ConfigFileError):
        return config_file.read(path, board)


def _board(port):
    from host_tools.board.board import Board, BoardError

    with user_errors(BoardError):
        return Board(port)


def _board_errors():
    from host_tools.board.board import BoardError

    return user_errors(BoardError)


def run_check(args):
    data = _read(args.file, args.board)
    where = f" for board {args.board}" if args.board else ""
    print(f"{args.file}: ok{where} ({len(data)} keys set, the others at their defaults)")
    return 0


def run_diff(args):
    from host_tools.board.board_config import read_config

    data = _read(args.file)
    with _board(args.port) as board, _board_errors():
        loaded = read_config(board)
    want = config_file.effective(data)
    changes = config_file.diff(loaded.values, want)
    for key, on_board, in_file in changes:
        print(f"{key:<24} board={on_board!r:<14} file={in_file!r}")
    status = 0
    if loaded.errors:
        print(f"the board rejected {len(loaded.errors)} entries of its config:")
        for e in loaded.errors:
            print(f"  {e}")
        status = 1
    if changes:
        print(f"{len(changes)} keys differ (`capsule config push --port {args.port} {args.file}`)")
        status = 1
    elif not loaded.errors:
        print(f"the board runs {args.file} (every key the same)")
    return status


def run_pull(args):
    from host_tools.board.board_config import read_config

    with _board(args.port) as board, _board_errors():
        loaded = read_config(board)
    if loaded.errors:
        raise UserError(
            "the board rejected entries of its config, so what it runs is not what was "
            "given: " + "; ".join(loaded.errors) + " (push a corrected file)",
            status=1,
        )
    Path(args.out).write_text(config_file.dumps(loaded.values))
    print(f"{args.out}: {len(loaded.values)} keys from {args.port}")
    return 0


def run_push(args):
    from host_tools.board.board_config import ConfigRejected, write_config

    data = _read(args.file)
    with _board(args.port) as board, _board_errors(), user_errors(ConfigRejected, status=1):
        write_config(board, data, "pushing a config")
    print(f"{args.port} runs {args.file} ({len(data)} keys set; firmware restarted)")
    return 0


def register(sub):
    p = sub.add_parser("config", help="check a config file; compare, back up, restore a board's")
    cs = p.add_subparsers(dest="config_command", metavar="SUBCOMMAND", required=True)
    c = cs.add_parser(
        "check", help="check a config file with the firmware's schema (exit 2 if bad)"
    )
    c.add_argument("file")
    c.add_argument("--board", help="the board it is for (from boards/)")
    c.set_defaults(func=run_check)
    d = cs.add_parser("diff", help="compare a board's config with a file (exit 1 if they differ)")
    d.add_argument("--port", required=True)
    d.add_argument("file")
    d.set_defaults(func=run_diff)
    pl = cs.add_parser("pull", help="write the config a board runs to a file (backup)")
    pl.add_argument("--port", required=True)
    pl.add_argument("--out", required=True)
    pl.set_defaults(func=run_pull)
    ps = cs.add_parser("push", help="replace a board's config with a file (checked first)")
    ps.add_argument("--port", required=True)
    ps.add_argument("file")
    ps.set_defaults(func=run_push)
