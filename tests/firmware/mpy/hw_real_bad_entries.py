"""hw_real.build() on a Pico board file with a bad entry for each part.

argv: the MS5611's PROM words. Prints each build error, then the pyro
channels built and the baro, accel, battery and GNSS UART (None when
refused), then baro_ok accel_ok vbatt_mv after one read.
"""

import sys

import hw_real
import pico
from hw_real_rig import Rig

rig = Rig(sys.argv[1:])
s = rig.s
board = dict(pico.BOARD)
board["baro"] = {"driver": "ms5612", "bus": "i2c0"}
board["accel"] = {"driver": "adxl375", "bus": "i2c9"}
board["battery"] = {"driver": "adc", "pin": 28, "divider": 55.0}
board["pyro"] = {"drogue": {"pin": 14}, "main": {}}
board["gnss"] = {"driver": "ublox", "uart": "uart7"}
hw = hw_real.build(board, rig.clk)
for e in hw.errors:
    print(e)
print(sorted(hw.pyro_outputs), hw.baro, hw.accel, hw.battery, hw.gnss_uart)
hw.read(s)
print(s.baro_ok, s.accel_ok, s.vbatt_mv)
