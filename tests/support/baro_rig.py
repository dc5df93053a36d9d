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


def run_on_rig(body, *, module, addr, chip, start_ms=0):
    """Run `body` after the rig for driver `module`; `chip` constructs its fake."""
    rig = RIG.format(module=module, start_ms=start_ms, addr=addr, chip=chip)
    return run_mpy(rig + body, extra_path=[SUPPORT])


def compensate_on_mpy(module, cls, calibration, outputs, cases):
    """(verdict, *outputs) of driver `cls` for each (calibration words, raw, raw) case."""
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
