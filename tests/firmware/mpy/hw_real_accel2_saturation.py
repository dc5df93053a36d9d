"""Which accelerometer a T-Beam's sample takes its z from, before and after
the fine LIS3DH saturates.

argv: the MS5611's PROM words. Prints az_mg with the LIS3DH in range, then
with it saturated and the ADXL375 reading 408 counts.
"""

import sys

import hw_real
import tbeam
from hw_real_rig import Rig

rig = Rig(sys.argv[1:])
s = rig.s
rig.fm.i2c_chips[0] = {0x77: rig.ms, 0x53: rig.adxl, 0x18: rig.lis, 0x34: rig.axp192}
hw = hw_real.build(tbeam.BOARD, rig.clk)
hw.read(s)
print(s.az_mg)  # LIS3DH: 83 counts x 12 mg
rig.lis.set_counts(0, 0, 2047)
rig.adxl.set_raw(0, 0, 408)
hw.read(s)
print(s.az_mg)  # saturated LIS3DH -> ADXL375: 408 x 49 mg
