"""A T-Beam built by hw_real with its AXP192 power chip.

argv: the MS5611's PROM words. Prints the build errors and the power chip's
model, the AXP192's LDO enable bits (0x12 & 0x0C) and LDO2/3 voltage
register, then after 1.1 s of reads vbatt_mv baro_ok press_dpa, and the
ADCs built.
"""

import sys

import hw_real
import tbeam
from hw_real_rig import Rig

rig = Rig(sys.argv[1:])
fm, s, axp192 = rig.fm, rig.s, rig.axp192
fm.i2c_chips[0] = {0x77: rig.ms, 0x53: rig.adxl, 0x18: rig.lis, 0x34: axp192}
hw = hw_real.build(tbeam.BOARD, rig.clk)
print(hw.errors, hw.power.model_name)
print(axp192.regs[0x12] & 0x0C, axp192.regs[0x28])
rig.run(hw, 1100)
print(s.vbatt_mv, s.baro_ok, s.press_dpa)
print([b for b in fm.built if b[0] == "ADC"])
