"""A barometer driver test body run on MicroPython on its rig.

The rig is what every barometer test starts from: a virtual clock, a fake I2C
bus with the chip attached, a sample, `run(drv, ms)` (baro_loop.py) and the
`baro_loop` and `heap_probe` helpers; the body then builds the driver and
prints what the test checks. And `compensate_on_mpy`, a driver's
compensation of many cases in one MicroPython run (mpy/compensate.py).
"""

import json

from mpy import SCRIPTS, SUPPORT, run_mpy

RIG = """
import gc, clock, sample, fake_bus, baro_loop, heap_probe, {module}
clk = clock.VirtualClock({start_ms})
bus = fake_bus.FakeI2C()
chip = bus.attach({addr:#x}, fake_bus.{chip})
s = sample.Sample()
run = baro_loop.runner(clk, s)
"""

# driver module: its class, the attribute holding its calibration words, the
# address its chip answers at, the fake chip's constructor (over the values a
# test gives it) and the clock's start
DRIVERS = {
    "bmp280": ("BMP280", "trim", 0x76, "FakeBMP280({!r}, {}, {})", 0),
    "bmp3xx": ("BMP3xx", "trim", 0x77, "FakeBMP3xx({!r}, {}, {}, {})", 0),
    "ms5611": ("MS5611", "prom", 0x77, "FakeMS5611(clk, {!r}, {}, {})", 1000),
}


def run_on_rig(module, body, *chip_values):
    """Run `body` after the rig for driver `module`, its fake chip made from `chip_values`."""
    _, _, addr, chip, start_ms = DRIVERS[module]
    rig = RIG.format(module=module, start_ms=start_ms, addr=addr, chip=chip.format(*chip_values))
    return run_mpy(rig + body, extra_path=[SUPPORT])


def compensate_on_mpy(module, outputs, cases, names=None):
    """(verdict, *outputs) of driver `module` for each (calibration, raw, raw) case; a
    calibration given as a dict is put in the order of `names`."""
    cls, calibration, *_ = DRIVERS[module]
    if names:
        cases = [([words[k] for k in names], a, b) for words, a, b in cases]
    out = run_mpy(
        file=SCRIPTS / "compensate.py",
        args=[module, cls, calibration, *outputs],
        stdin=json.dumps(cases),
    )
    return [tuple(map(int, line.split())) for line in out.split("\n") if line]


REFUSAL = """
import {module}
try:
    {module}.{call}
except ValueError as e:
    print("refused:", e)
"""


def refusal_on_mpy(module, call):
    """What driver `module` says refusing `call` (its constructor with bad settings)."""
    return run_mpy(REFUSAL.format(module=module, call=call))
