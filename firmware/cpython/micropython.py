"""CPython stand-in for MicroPython's built-in `micropython` module, so that
host tools and tests can import firmware modules unchanged (never flashed:
host_tools/firmware_files.py puts this folder on CPython's sys.path).

Firmware modules keep `from micropython import const` as the only import:
on a board mpy-cross folds `const()` at compile time only when it comes from
`micropython`, so a shared fallback module on the board would cost RAM.
"""

import builtins


def const(x):
    return x


def viper(f):
    return f


def native(f):
    return f


def kbd_intr(ch):
    pass


# Inside a viper function the pointer casts are built-in names; as plain
# Python they return the buffer itself, which indexes the same way.
def _ptr(buf):
    return buf


for _name in ("ptr8", "ptr16", "ptr32"):
    if not hasattr(builtins, _name):
        setattr(builtins, _name, _ptr)
