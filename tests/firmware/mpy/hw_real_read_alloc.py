"""What a T-Beam's hw.read() allocates: prints "bytes baro_ok accel_ok".

argv: the MS5611's PROM words. After 200 ms of reads (warm-up), the heap
growth over 3000 more, one a millisecond.
"""

import gc
import sys

import hw_real
import tbeam
from hw_real_rig import Rig

rig = Rig(sys.argv[1:])
s = rig.s
rig.fm.i2c_chips[0] = {0x77: rig.ms, 0x53: rig.adxl, 0x18: rig.lis, 0x34: rig.axp192}
hw = hw_real.build(tbeam.BOARD, rig.clk)


def measure():
    rig.run(hw, 200)
    gc.collect()
    m = gc.mem_alloc()
    rig.run(hw, 3000)
    return gc.mem_alloc() - m


print(measure(), s.baro_ok, s.accel_ok)
