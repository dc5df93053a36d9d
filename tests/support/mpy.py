"""Run firmware code on the real MicroPython unix port.

Tests import `run_mpy` to execute a snippet (or a file) with `firmware/` and
`boards/` on MicroPython's import path, exactly as those modules sit on a
board's flash. Output is returned as text; a non-zero exit raises with the
interpreter's own traceback so a failing firmware test reads like one.

Which interpreter: the 64-bit unix port ("unix64", the default) or the 32-bit
one from ../shared/micropython-32bit ("unix32": a board's word size, small
ints below 2**30). tests/conftest.py runs every module that calls MicroPython
on each port `--mpy` names, through `use_port`.
"""

import os
import subprocess
from pathlib import Path

import pytest

from host_tools.firmware_files import DRIVERS_DIR, MICROPYTHON_PATH
from host_tools.paths import MICROPYTHON_UNIX32, micropython_executable, micropython_unix32

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware"
BOARDS = ROOT / "boards"
DRIVERS = DRIVERS_DIR
SUPPORT = ROOT / "tests" / "support"  # fakes and helpers that run on MicroPython too
# MicroPython test scripts, run with file=; first on their import path, so named unlike
# any firmware module
SCRIPTS = ROOT / "tests" / "firmware" / "mpy"
SHARED = ROOT.parent / "shared"
# tests that read the corpus beside the checkout (../shared/data) skip without it
needs_corpus = pytest.mark.skipif(
    not (SHARED / "data").is_dir(), reason=f"no corpus: {SHARED / 'data'} is missing"
)


PORTS = ("unix64", "unix32")
_port = "unix64"


def port_missing(name):
    """Why port `name` cannot run here, or None when it can."""
    if name == "unix32" and not MICROPYTHON_UNIX32.is_file():
        return f"no 32-bit MicroPython: {MICROPYTHON_UNIX32} is missing"
    return None


def use_port(name):
    """Run MicroPython code from now on with port `name` ("unix64" or "unix32")."""
    global _port
    if name not in PORTS:
        raise ValueError(f"unknown MicroPython port {name!r} (known: {', '.join(PORTS)})")
    _port = name


def current_port():
    return _port


def micropython_path():
    try:
        return micropython_unix32() if _port == "unix32" else micropython_executable()
    except FileNotFoundError as exc:
        raise RuntimeError(str(exc)) from None


class MicroPythonError(AssertionError):
    pass


def run_mpy(
    code=None, *, file=None, args=(), heap="256K", timeout=120, extra_path=(), stdin=None, cwd=None
):
    """Run `code` (or `file` with `args` as its sys.argv[1:]) on MicroPython; return stdout."""
    path = [*map(str, MICROPYTHON_PATH), str(BOARDS), *map(str, extra_path)]
    env = dict(os.environ, MICROPYPATH=":".join(path + [".frozen"]))
    cmd = [micropython_path(), "-X", "heapsize=" + heap]
    cmd += [str(file), *map(str, args)] if file else ["-c", code]
    proc = subprocess.run(
        cmd,
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env=env,
        cwd=cwd,
        text=stdin is None or isinstance(stdin, str),
        check=False,
    )
    out = proc.stdout if isinstance(proc.stdout, str) else proc.stdout.decode(errors="replace")
    err = proc.stderr if isinstance(proc.stderr, str) else proc.stderr.decode(errors="replace")
    if proc.returncode != 0:
        raise MicroPythonError(
            f"micropython exited {proc.returncode}\n--- stdout ---\n{out[-4000:]}"
            f"\n--- stderr ---\n{err[-4000:]}"
        )
    return out
