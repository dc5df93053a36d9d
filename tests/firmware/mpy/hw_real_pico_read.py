"""A Pico built by hw_real reading its baro, accelerometer, battery and switch.

argv: the MS5611's PROM words. After 300 ms of reads prints the sample
(baro_ok press_dpa accel_ok ax ay az vbatt_mv arm_input), the drogue and
main channels' continuity, the main gate's level once fired, then arm_input
and present() with the key switch closed.
"""

import sys

import hw_real
import pico
from hw_real_rig import Rig

rig = Rig(sys.argv[1:])
fm, s = rig.fm, rig.s
fm.i2c_chips[0] = {0x77: rig.ms, 0x53: rig.adxl}
fm.adc_values = {26: 30000, 27: 100, 28: 47000}
hw = hw_real.build(pico.BOARD, rig.clk)
rig.run(hw, 300)
print(s.baro_ok, s.press_dpa, s.accel_ok, s.ax_mg, s.ay_mg, s.az_mg, s.vbatt_mv, s.arm_input)
print(hw.pyro_outputs["drogue"].continuity(), hw.pyro_outputs["main"].continuity())
hw.pyro_outputs["main"].set(True)
print(fm.pins[15].level)
fm.pins[13].level = 0  # key switch closed (active low)
hw.read(s)
print(s.arm_input, hw.present())
