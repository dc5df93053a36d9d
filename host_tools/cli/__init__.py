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


# The command table: one adapter module, host_tools/cli/cmd_<name>.py, per
# subcommand, in help order.
COMMANDS = ("config", "console", "droptest", "flash", "gnss", "log", "preflight", "track", "vboard")


def commands():
    """The adapter modules of COMMANDS. Imported here, not at the top, because
    each adapter imports UserError from this module."""
    import importlib

    return tuple(importlib.import_module(f"host_tools.cli.cmd_{name}") for name in COMMANDS)


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
