"""A fake `machine` and the chips a board may carry, for hw_real.build() tests.

Runs inside the MicroPython unix port (tests put tests/support on its path).
`Rig(ms5611)` puts a fake `machine` in sys.modules (hw_real imports it
inside build()), makes a virtual clock, a sample and the fake chips a board
file may name: an MS5611 holding `ms5611` (its 8 PROM words, then D1 and D2:
the datasheet's worked example reads 1000.09 mbar), an ADXL375, a LIS3DH and an AXP192; a test places them on a
bus through `rig.fm.i2c_chips`. `rig.run(hw, ms)` reads the hardware once a
millisecond, as the flight loop does.
"""

import sys

import clock
import fake_bus
import sample


class Rig:
    def __init__(self, ms5611):
        self.fm = fake_bus.FakeMachine()
        sys.modules["machine"] = self.fm
        self.clk = clock.VirtualClock(0)
        words = [int(w) for w in ms5611]
        self.ms = fake_bus.FakeMS5611(self.clk, words[:8], words[8], words[9])
        self.adxl = fake_bus.FakeADXL375((0, 0, 21))
        self.lis = fake_bus.FakeLIS3DH((0, 0, 83))
        self.axp192 = fake_bus.FakeAXP192(3900)
        self.s = sample.Sample()

    def run(self, hw, ms_total):
        for _ in range(ms_total):
            self.clk.advance_ms(1)
            hw.read(self.s)
