"""`capsule vboard`: run a virtual board and print its serial port."""

from host_tools.board.vboard import DEFAULT_HEAP, serve


def run(args):
    return serve(args.dir, args.heap, lfs_kb=args.lfs_kb)


def register(sub):
    p = sub.add_parser(
        "vboard",
        help="run the virtual board (MicroPython unix port on a pseudo-terminal)",
        description="Runs the MicroPython unix port behind a pseudo-terminal that behaves "
        "like a board on a serial port. Prints the port path, then runs until stopped.",
    )
    p.add_argument(
        "--dir", default=None, help="the board's flash file system (default: a temp dir)"
    )
    p.add_argument(
        "--heap", default=DEFAULT_HEAP, help="MicroPython heap size (default %(default)s)"
    )
    p.add_argument(
        "--lfs-kb",
        type=int,
        default=0,
        help="give the board a LittleFS flash of this size (KB) in DIR/flash.img "
        "instead of using DIR's files directly (a Pico has about 1400)",
    )
    p.set_defaults(func=run)
