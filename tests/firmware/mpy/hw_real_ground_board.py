"""hw_real.build() on a ground board's resolved dictionary (JSON on stdin).

argv: the MS5611's PROM words. Prints the build errors, the non-pin objects
built ("kind id"), whether a radio was built with its CS and RESET pins'
initial levels, then the baro and accel (None: a ground board has none).
"""

import json
import sys

import hw_real
from hw_real_rig import Rig

rig = Rig(sys.argv[1:])
fm = rig.fm
hw = hw_real.build(json.loads(sys.stdin.read()), rig.clk)
print(hw.errors)
print(sorted(b[0] + " " + str(b[1]) for b in fm.built if b[0] != "Pin"))
print("radio", hw.radio is not None, fm.pins[17].init_value, fm.pins[20].init_value)
print("parts", hw.baro, hw.accel)
