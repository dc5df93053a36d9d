"""`capsule`: the host side of the capsule recovery electronics.

The top host layer (see ARCHITECTURE.md): argument parsing and one thin
adapter module per subcommand. `COMMANDS` is the command table, in the manner
of mpremote's main.py: each `cmd_<name>.py` registers its own arguments
(`register(subparsers)`) and sets the function that runs it; a new command is
one module plus one line here.
"""

import argparse
import contextlib
import sys


class UserError(Exception):
    """An error a person can act on: printed as one line, exit status 2 (or .status)."""

    def __init__(self, message, status=2):
        super().__init__(message)
        self.status = status


@contextlib.contextmanager
def user_errors(*kinds, prefix="", status=2):
    """Exceptions of `kinds` (a lower layer's errors, whose text a person can
    act on) leave the block as a UserError with that text after `prefix`."""
    try:
        yield
    except kinds as exc:
        raise UserError(prefix + str(exc), status) from None


def build_parser():
    parser = argparse.ArgumentParser(
        prog="capsule",
        description="Flash, test, talk to and track a sample-return capsule's recovery board.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in commands():
        module.register(sub)
    return parser


def commands():
    """The command table: one adapter module per subcommand, in help order.
    Imported here, not at the top, because each adapter imports UserError from
    this module."""
    from host_tools.cli import (
        cmd_config,
        cmd_console,
        cmd_droptest,
        cmd_flash,
        cmd_gnss,
        cmd_log,
        cmd_preflight,
        cmd_track,
        cmd_vboard,
    )

    return (
        cmd_config,
        cmd_console,
        cmd_droptest,
        cmd_flash,
        cmd_gnss,
        cmd_log,
        cmd_preflight,
        cmd_track,
        cmd_vboard,
    )


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        status = args.func(args)
    except UserError as exc:
        print(f"capsule {args.command}: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print(f"capsule {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0 if status is None else int(status)


if __name__ == "__main__":
    sys.exit(main())
