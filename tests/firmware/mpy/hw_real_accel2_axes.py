"""The second accelerometer's axes mapped into the primary one's frame.

argv: the MS5611's PROM words. A T-Beam board whose accel2 axes are
"-y+x+z" (capsule x = -LIS y, y = +LIS x); with the LIS3DH at (10, 20, 30)
counts prints ax_mg ay_mg az_mg.
"""

import sys

import hw_real
import tbeam
from hw_real_rig import Rig

rig = Rig(sys.argv[1:])
s = rig.s
rig.fm.i2c_chips[0] = {0x77: rig.ms, 0x53: rig.adxl, 0x18: rig.lis}
board = dict(tbeam.BOARD)
board["battery"] = None
board["accel"] = dict(board["accel"], axes="+x+y+z")
board["accel2"] = dict(board["accel2"], axes="-y+x+z")  # capsule x = -LIS y, y = +LIS x
hw = hw_real.build(board, rig.clk)
rig.lis.set_counts(10, 20, 30)
hw.read(s)
print(s.ax_mg, s.ay_mg, s.az_mg)
