# The virtual board's "ROM": what a MicroPython board does between reset and
# the REPL, run by the unix port (`micropython -i vboard_rom.py`).
#
# It makes the board's flash directory the whole file system (so `/main.py`
# means the flash, as on a board, and the host's files are out of reach), then
# runs boot.py and, unless this is a soft reset from the raw REPL, main.py
# (VBOARD_MODE "run", "raw"; "repl": neither, the interpreter is back at the
# REPL it was at, see vboard.py).
# Exceptions are printed as a board prints them; the REPL follows.
import os
import sys
import termios

import vfs

_flash = os.getenv("VBOARD_FLASH")
_mode = os.getenv("VBOARD_MODE")
_image_blocks = int(os.getenv("VBOARD_LFS_BLOCKS") or 0)


class _FlashImage:
    """A NOR flash chip in a host file: 4 KB erase blocks, as on a Pico.
    LittleFS on it behaves as on the board, power cuts included."""

    BLOCK = 4096

    def __init__(self, path, blocks):
        try:
            self.f = open(path, "r+b")
        except OSError:
            self.f = open(path, "w+b")
            erased = b"\xff" * self.BLOCK
            for _ in range(blocks):
                self.f.write(erased)
            self.f.flush()
        self.blocks = blocks

    def readblocks(self, n, buf, off=0):
        self.f.seek(n * self.BLOCK + off)
        self.f.readinto(buf)

    def writeblocks(self, n, buf, off=None):
        if off is None:  # whole-block write: erase first
            off = 0
        self.f.seek(n * self.BLOCK + off)
        self.f.write(buf)
        self.f.flush()

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.blocks
        if op == 5:  # block size
            return self.BLOCK
        if op == 6:  # erase
            self.f.seek(arg * self.BLOCK)
            self.f.write(b"\xff" * self.BLOCK)
            self.f.flush()
            return 0
        return 0


if _image_blocks:
    _dev = _FlashImage(_flash + "/flash.img", _image_blocks)
    vfs.umount("/")
    try:
        vfs.mount(vfs.VfsLfs2(_dev), "/")
    except OSError:
        vfs.VfsLfs2.mkfs(_dev)
        vfs.mount(vfs.VfsLfs2(_dev), "/")
else:
    vfs.umount("/")
    vfs.mount(vfs.VfsPosix(_flash), "/")
os.chdir("/")
sys.path[:] = ["", ".frozen", "/lib"]


_ISIG_READY = 'sys.stdout.write("\\x00vboard:isig\\x00")'


def _vboard_program(name):
    """[what it prints first, what runs it, its arguments] for boot.py or
    main.py, read and compiled now, before Ctrl-C can interrupt: a file that
    does not compile prints its error at its turn, as a board prints it."""
    try:
        os.stat(name)
    except OSError:
        return None
    try:
        with open(name) as f:
            source = f.read()
        return [None, exec, (compile(source, name, "exec"), globals())]
    except Exception as exc:
        return [None, sys.print_exception, (exc,)]


def _vboard_run(programs):
    for announce, run, args in programs:
        try:
            if announce is not None:
                exec(announce, globals())
            run(*args)
        except KeyboardInterrupt as exc:
            sys.print_exception(exc)
        except Exception as exc:
            sys.print_exception(exc)


# boot.py, then main.py unless this is a soft reset from the raw REPL; none
# after a Ctrl-C at the REPL ("repl"). The first prints the ready marker as
# its own line 1 (below).
_programs = []
for _name, _wanted in (("boot.py", _mode != "repl"), ("main.py", _mode == "run")):
    _program = _vboard_program(_name) if _wanted else None
    if _program:
        if not _programs:
            _program[0] = compile(_ISIG_READY, _name, "exec")
        _programs.append(_program)

# The relay starts us with Ctrl-C as a plain byte and holds the host's bytes,
# so nothing interrupts the start-up above, which on a board is over before
# its USB port answers. From here on Ctrl-C raises KeyboardInterrupt, as on a
# board (ISIG is 1 in Linux's c_lflag); the ready marker tells the relay,
# which then lets the host's bytes in and removes the marker from what the
# host sees. The first program prints the marker, as its own line 1, and
# from there to its code nothing branches: MicroPython raises a pending
# KeyboardInterrupt at a branch or in a write the signal cut short, so a
# Ctrl-C that comes once the host's bytes go in lands in the program (its
# traceback names it), as on a board, never in this script.
_tty = termios.tcgetattr(0)
_tty[3] |= 1
try:
    termios.tcsetattr(0, termios.TCSANOW, _tty)
    if not _programs:
        exec(_ISIG_READY)
    _vboard_run(_programs)
    # main.py may change the terminal (the sim board reads its console in
    # bulk); the REPL that follows needs it as it was
    termios.tcsetattr(0, termios.TCSANOW, _tty)
except KeyboardInterrupt:  # a Ctrl-C between the programs: the REPL takes it, as on a board
    termios.tcsetattr(0, termios.TCSANOW, _tty)
del _ISIG_READY, _vboard_program, _vboard_run, _programs, _name, _wanted, _program
del _flash, _mode, _image_blocks, _tty
