"""What a virtual board runs on (`--target` of `capsule vboard` and `capsule
droptest`): the 64-bit unix port (the default, fastest), the 32-bit unix port
(a board's word size: small ints below 2**30, 32-bit viper words), or the
emulated Cortex-M3 board under qemu (Thumb native code, a 192 KB heap, a
LittleFS flash that power cuts keep). Each is started the same way and has a
`.port` that mpremote and every capsule command use as a board on USB.
"""

from host_tools.paths import micropython_unix32

TARGETS = ("unix64", "unix32", "qemu-m3")
DEFAULT_TARGET = "unix64"
UNIX32_HEAP = "192K"  # a Pico's MicroPython heap, objects of the same size
# native code for the emulated board is the Pico's (armv6m Thumb), which the
# Cortex-M3 runs, not the armv7em the qemu port reports
FLASH_ARCH = {"qemu-m3": "armv6m"}


def flash_arch(target):
    """mpy-cross -march for `capsule flash` on this target; None: what the board reports."""
    return FLASH_ARCH.get(target)


def make_board(target=DEFAULT_TARGET, flash_dir=None, heap=None, lfs_kb=0, log=None):
    """An unstarted virtual board of `target` (call `.start()`, then `.port`).
    lfs_kb: the flash's size; for the unix ports 0 means the directory itself.
    The board's `.target` is `target`, its `.interpreter` what it runs."""
    board = _board_of(target, flash_dir, heap, lfs_kb, log)
    board.target = target
    return board


def _board_of(target, flash_dir, heap, lfs_kb, log):
    if target == "qemu-m3":
        from host_tools.board.qemu_board import DEFAULT_LFS_KB, QemuBoard

        return QemuBoard(flash_dir, lfs_kb=lfs_kb or DEFAULT_LFS_KB, log=log)
    from host_tools.board.vboard import DEFAULT_HEAP, VirtualBoard

    if target == "unix32":
        return VirtualBoard(
            flash_dir, heap=heap or UNIX32_HEAP, micropython=micropython_unix32(), log=log,
            lfs_kb=lfs_kb,
        )  # fmt: skip
    if target != "unix64":
        raise ValueError(f"unknown target {target!r} (known: {', '.join(TARGETS)})")
    return VirtualBoard(flash_dir, heap=heap or DEFAULT_HEAP, log=log, lfs_kb=lfs_kb)


def describe(link, board):
    """Mark `link` (the Board talking to virtual board `board`) with what the
    board is: `.target` and `.interpreter`, which a flight's result keeps."""
    link.target = getattr(board, "target", "")
    link.interpreter = board.interpreter
    return link
