"""`capsule flash`: compile and copy the firmware to a board, verify, restart."""

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

from host_tools.board.flash import MPY_ARCH, FlashError, available_boards, build_image, flash
from host_tools.board.targets import TARGETS, flash_arch
from host_tools.cli import UserError


def run(args):
    console = Console(stderr=True, soft_wrap=True)  # a message is one line, whatever the width
    if args.dry_run:
        try:
            image = build_image(args.board, args.config)
        except FlashError as exc:
            raise UserError(str(exc)) from None
        print(f"would copy to the board's flash ({args.board}):")
        for name in sorted(image):
            print(f"  {name:<28} {len(image[name]):7d} bytes")
        print(f"  {'total':<28} {sum(map(len, image.values())):7d} bytes")
        return 0
    if not args.port:
        raise UserError("--port is required (or --dry-run)")
    with Progress(
        TextColumn("[bold]flash[/] {task.description}"),
        BarColumn(),
        DownloadColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,  # no bar (nor the blank line it leaves) in a log
    ) as progress:
        task = progress.add_task("connecting", total=None)

        def on_progress(done, total, name):
            progress.update(task, completed=done, total=max(total, 1), description=name)

        try:
            result = flash(
                args.port,
                args.board,
                args.config,
                progress=on_progress,
                log=console.print,
                arch=args.arch or flash_arch(args.target),
            )
        except FlashError as exc:
            raise UserError(str(exc)) from None
    console.print(
        f"flashed [bold]{result['board']}[/] firmware to {args.port}"
        f" (MicroPython {result['micropython']}, mpy {result['mpy']}):"
        f" {len(result['copied'])} copied, {result['unchanged']} unchanged,"
        f" {len(result['removed'])} removed"
    )
    ready = result["ready"]
    console.print("board ready: phase={}".format(ready.get("phase", "?")))
    boot = result["boot"]
    for key in ("config_error", "error"):
        if key in boot:
            console.print(f"[yellow]board reports {key}: {boot[key]}[/]")
    if "config_error" in boot:
        console.print("[red]the board refuses to arm until its config is put right[/]")
        return 1
    return 0


def register(sub):
    p = sub.add_parser("flash", help="compile and copy the firmware to a board, verify, restart")
    p.add_argument("--port", help="serial port of the board (e.g. /dev/ttyACM0 or a vboard pty)")
    p.add_argument(
        "--board",
        default="sim",
        choices=available_boards(),
        help="board definition from boards/ (default %(default)s)",
    )
    p.add_argument(
        "--config",
        help="config.json to install (checked first with the firmware's schema: "
        "a file with a bad key is refused, exit 2)",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="show what would be copied; touch nothing"
    )
    p.add_argument(
        "--arch",
        choices=sorted(set(MPY_ARCH.values())),
        help="mpy-cross -march for the native code (default: what the board reports)",
    )
    p.add_argument(
        "--target",
        choices=TARGETS,
        help="the port is a `capsule vboard --target` board: qemu-m3 gets the Pico's"
        " armv6m native code (the Cortex-M3 runs it)",
    )
    p.set_defaults(func=run)
