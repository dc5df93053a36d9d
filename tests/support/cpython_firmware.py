"""Firmware modules imported on CPython.

Tests that run firmware arithmetic on guarded ints (drv_oracles.Small) or fuzz
a module with hypothesis import it on CPython: its folder (firmware/ or the
drivers' folder) is on sys.path only for the import.
"""

import importlib
import sys

from mpy import FIRMWARE


def import_firmware(name, folder=FIRMWARE):
    """The firmware module `name` from `folder`, imported on CPython."""
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(folder))
