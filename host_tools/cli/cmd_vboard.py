"""`capsule vboard`: run a virtual board and print its serial port."""

import signal
import sys
import threading

from host_tools.board.qemu_board import QemuBoardError
from host_tools.board.targets import DEFAULT_TARGET, TARGETS, make_board
from host_tools.board.vboard import DEFAULT_HEAP
from host_tools.cli import UserError


def run(args):
    heap = args.heap if args.target != "qemu-m3" else None
    try:
        board = make_board(args.target, args.dir, heap=heap, lfs_kb=args.lfs_kb).start()
    except (OSError, ValueError, QemuBoardError) as exc:
        raise UserError(str(exc)) from None
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(board.port, file=sys.stdout, flush=True)
    try:
        while not stop.is_set() and board.running:
            stop.wait(0.2)
    finally:
        board.stop()
    return 0


def register(sub):
    p = sub.add_parser(
        "vboard",
        help="run a virtual board (MicroPython on a pseudo-terminal)",
        description="Runs MicroPython behind a pseudo-terminal that behaves like a board on a "
        "serial port: the unix port (64- or 32-bit) or the emulated Cortex-M3 board under "
        "qemu. Prints the port path, then runs until stopped.",
    )
    p.add_argument(
        "--target",
        default=DEFAULT_TARGET,
        choices=TARGETS,
        help="unix64: the unix port (default); unix32: the 32-bit unix port from "
        "../shared/micropython-32bit (a board's word size); qemu-m3: MicroPython's qemu "
        "port on an emulated Cortex-M3 (qemu-system-arm), flash kept in DIR/flash.img",
    )
    p.add_argument(
        "--dir", default=None, help="the board's flash file system (default: a temp dir)"
    )
    p.add_argument(
        "--heap",
        default=None,
        help=f"MicroPython heap size of a unix target (default {DEFAULT_HEAP}; unix32 192K);"
        " the qemu board has 192 KB",
    )
    p.add_argument(
        "--lfs-kb",
        type=int,
        default=0,
        help="give the board a LittleFS flash of this size (KB) in DIR/flash.img "
        "instead of using DIR's files directly (a Pico has about 1400; qemu-m3 always "
        "has one, 1408 by default)",
    )
    p.set_defaults(func=run)
