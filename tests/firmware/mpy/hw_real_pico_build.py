"""hw_real.build() on the Pico's board file: what it opens, and the watchdog.

argv: the MS5611's PROM words. Prints the build errors, each bus built
("kind id [(setting, value), ...]"), the pyro gates' initial levels, the
radio's state with its CS and RESET levels, whether the arm switch has a
pull-up, then whether a watchdog exists before and after two arming calls.
"""

import sys

import hw_real
import pico
from hw_real_rig import Rig

rig = Rig(sys.argv[1:])
fm = rig.fm
fm.i2c_chips[0] = {0x77: rig.ms, 0x53: rig.adxl}
fm.adc_values = {26: 30000, 27: 100, 28: 47000}
hw = hw_real.build(pico.BOARD, rig.clk)
print(hw.errors)
for kind, bus_id, settings in fm.built:
    if kind != "Pin":
        values = [
            (k, v if isinstance(v, int) else getattr(v, "id", v)) for k, v in settings.items()
        ]
        print(kind, bus_id, sorted(values))
print("gates", fm.pins[14].init_value, fm.pins[15].init_value)
print("radio", hw.radio.ok, fm.pins[17].init_value, fm.pins[20].init_value)
print("arm", fm.pins[13].pull == fm.Pin.PULL_UP)
print("wdt before arming", any(b[0] == "WDT" for b in fm.built))
hw.start_watchdog()
hw.start_watchdog()
print("wdt started", [b[2] for b in fm.built if b[0] == "WDT"])
