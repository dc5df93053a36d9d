"""`capsule`: the host side of the capsule recovery electronics.

A command table in the manner of mpremote: every `cmd_<name>.py` module in this
package registers its own subcommand (`register(subparsers)`) and sets the
function that runs it, so adding a command never touches this file.
"""

import argparse
import importlib
import pkgutil
import sys

from . import __name__ as _pkg


class UserError(Exception):
    """An error a person can act on: printed as one line, exit status 2 (or .status)."""

    def __init__(self, message, status=2):
        super().__init__(message)
        self.status = status


def build_parser():
    parser = argparse.ArgumentParser(
        prog="capsule",
        description="Flash, test, talk to and track a sample-return capsule's recovery board.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    package = sys.modules[_pkg]
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            module = importlib.import_module(_pkg + "." + info.name)
            module.register(sub)
    return parser


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
