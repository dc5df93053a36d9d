"""Reaching a board from a test the way a user does: mpremote's command line,
or pyserial reading until a marker."""

import subprocess
import sys
import time
from pathlib import Path

MPREMOTE = [str(Path(sys.executable).parent / "mpremote")]


def mpremote(port, *args, timeout=30):
    return subprocess.run(
        MPREMOTE + ["connect", port, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def read_until(ser, marker, timeout=10):
    end = time.time() + timeout
    data = b""
    while time.time() < end:
        data += ser.read(ser.in_waiting or 1)
        if marker in data:
            return data
    raise AssertionError(f"did not see {marker!r} in {data[-500:]!r} (open={ser.is_open})")
