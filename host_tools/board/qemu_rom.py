# The emulated Cortex-M board's "ROM": what a Pico's MicroPython does between
# reset and the REPL, which MicroPython's bare-metal qemu port leaves out. The
# host sends it through the raw REPL at every power-on and soft reset
# (host_tools/board/qemu_board.py), followed by one call line:
# `_rom_boot(FLASH_ADDR, BLOCKS, RUN_MAIN)`.
#
# The board's flash is RAM outside MicroPython's heap, at FLASH_ADDR (the
# host saves it at a power cut and loads it back at the next power-on): it
# gets a LittleFS file system with 4 KB erase blocks as on a Pico, mounted at
# /, then boot.py runs, and main.py unless the reset came from the raw REPL.
# Copies go through a viper loop over raw addresses, so a block read or write
# allocates nothing, like a Pico's flash driver in C.
import os
import sys

import micropython
import uctypes
import vfs


@micropython.viper
def _rom_copy(dst: int, src: int, n: int):
    d = ptr8(dst)  # noqa: F821 (viper built-in)
    s = ptr8(src)  # noqa: F821
    for i in range(n):
        d[i] = s[i]


@micropython.viper
def _rom_fill(dst: int, n: int):
    d = ptr8(dst)  # noqa: F821
    for i in range(n):
        d[i] = 0xFF


class _RamFlash:
    def __init__(self, addr, blocks):
        self.addr = addr
        self.blocks = blocks
        self.copy = _rom_copy  # held here: the ROM's names leave __main__ after boot
        self.fill = _rom_fill

    def readblocks(self, n, buf, off=0):
        self.copy(uctypes.addressof(buf), self.addr + n * 4096 + off, len(buf))

    def writeblocks(self, n, buf, off=0):
        self.copy(self.addr + n * 4096 + off, uctypes.addressof(buf), len(buf))

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.blocks
        if op == 5:  # block size
            return 4096
        if op == 6:  # erase
            self.fill(self.addr + arg * 4096, 4096)
        return 0


def _rom_run(name):
    try:
        os.stat(name)
    except OSError:
        return
    # the host passes the client's input on only while a script runs (it may
    # read it); otherwise it waits for the REPL the client gets, not the raw
    # REPL the ROM runs in
    sys.stdout.write("\x00rom:script\x00")
    try:
        with open(name) as f:
            source = f.read()
        exec(compile(source, name, "exec"), globals())
    except SystemExit:
        raise  # machine.soft_reset(): the board reboots
    except BaseException as exc:  # a board prints what stopped main.py, then the REPL
        sys.print_exception(exc)
    sys.stdout.write("\x00rom:idle\x00")


def _rom_boot(addr, blocks, run_main):
    dev = _RamFlash(addr, blocks)
    try:
        fs = vfs.VfsLfs2(dev, progsize=256)
    except OSError:
        vfs.VfsLfs2.mkfs(dev, progsize=256)
        fs = vfs.VfsLfs2(dev, progsize=256)
    vfs.mount(fs, "/")
    os.chdir("/")
    sys.path[:] = ["", "/lib"]
    _rom_run("boot.py")
    if run_main:
        _rom_run("main.py")
