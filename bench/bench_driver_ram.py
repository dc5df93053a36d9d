"""RAM a board spends on its sensor drivers, on both word sizes.

Method: the drivers compiled by mpy-cross into a temporary directory (the
bytecode a board loads into its heap), then for each driver set a fresh
interpreter imports the set's modules, builds its drivers on the fake chips
of tests/support/fake_bus.py and reads them 300 times: gc.mem_alloc() after
a gc.collect(), less before (bench/mpy/driver_ram.py). The string pool grows
in chunks, so whether the set's names fit in the chunk already there moves
the figure by a chunk; each set is measured 21 times with 0, 3, .. 60 other
names interned first, and the least (no new chunk: the modules, code,
objects and state) is the figure, the most (a new chunk) printed beside it.
Resolution: drivers that did not change read up to 64 B apart between two
checkouts (where earlier allocations left the heap's free blocks), so compare
figures that differ by more than that.

Figures: driver_ram_bytes_<set> (64-bit unix port) and
driver_ram_bytes_<set>_32bit (the 32-bit one, a board's word size; left out
without ../shared/micropython-32bit). Sets: each barometer and
accelerometer alone and each family's two together (bmp280 and bmp3xx share
drv_wide and its polling machine).
"""

import json
import subprocess
import tempfile
from pathlib import Path

from bench.bench_drivers import chip_values
from host_tools.board.flash import compile_file
from host_tools.paths import micropython_executable, micropython_unix32

ROOT = Path(__file__).resolve().parent.parent
DRIVERS = ROOT / "firmware" / "drivers"
MODULES = [
    *(DRIVERS / f"{m}.py" for m in ("adxl375", "bmp280", "bmp3xx", "drv_wide", "lis3dh", "ms5611")),
    ROOT / "firmware" / "clock.py",
    ROOT / "firmware" / "sample.py",
    ROOT / "tests" / "support" / "fake_bus.py",
]
SCRIPT = Path(__file__).resolve().parent / "mpy" / "driver_ram.py"
SETS = ("bmp280", "bmp3xx", "bosch_both", "ms5611", "adxl375", "lis3dh", "accel_both")
SHIFTS = range(0, 61, 3)


def _measure(micropython, lib, name, chips):
    values = []
    for k in SHIFTS:
        r = subprocess.run(
            [micropython, "-X", "heapsize=1M", str(SCRIPT), name, str(k)],
            env={"MICROPYPATH": str(lib)},
            input=chips,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        used, readings = map(int, r.stdout.split())
        if not readings:
            raise RuntimeError(f"driver set {name} read nothing: {r.stdout}{r.stderr}")
        values.append(used)
    return min(values), max(values)


def run():
    ports = [("", micropython_executable())]
    try:
        ports.append(("_32bit", micropython_unix32()))
    except FileNotFoundError as exc:
        print(f"  (32-bit figures left out: {exc})")
    out = {}
    chips = json.dumps(chip_values())
    with tempfile.TemporaryDirectory(prefix="bench-driver-ram-") as tmp:
        lib = Path(tmp)
        for src in MODULES:
            compile_file(src, lib, src.stem + ".mpy")
        for suffix, exe in ports:
            for name in SETS:
                least, most = _measure(exe, lib, name, chips)
                out[f"driver_ram_bytes_{name}{suffix}"] = least
                print(
                    f"  {name}{suffix}: {least} B ({most} B when its names need a new pool chunk)"
                )
    return out
