"""A T-Beam v1.2 (AXP2101 power chip) built from the same board file.

argv: the MS5611's PROM words. After 10 ms of reads prints the build errors,
the power chip's model, the AXP2101's ALDO2/ALDO3 enable bits and vbatt_mv.
"""

import sys

import fake_bus
import hw_real
import tbeam
from hw_real_rig import Rig

rig = Rig(sys.argv[1:])
axp2101 = fake_bus.FakeAXP2101(4100)
rig.fm.i2c_chips[0] = {0x77: rig.ms, 0x53: rig.adxl, 0x18: rig.lis, 0x34: axp2101}
hw = hw_real.build(tbeam.BOARD, rig.clk)
rig.run(hw, 10)
print(hw.errors, hw.power.model_name, axp2101.regs[0x90] & 0x06, rig.s.vbatt_mv)
