"""An AXP battery reader with no chip, no battery and a dead bus.

Prints present() start() enable_rails() read_mv() with no chip on the bus,
then read_mv() with an AXP192 that reports no battery, then read_mv() and
whether errors were counted once the bus fails.
"""

import battery
import clock
import fake_bus

clk = clock.VirtualClock(0)
bus = fake_bus.FakeI2C()
b = battery.AxpBattery(bus, clk)
print(b.present(), b.start(), b.enable_rails(), b.read_mv())
c = bus.attach(0x34, fake_bus.FakeAXP192(4000))
b.start()
c.regs[0x01] = 0  # no battery connected
print(b.read_mv())
bus.fail_always = True
c.regs[0x01] = 0x20
print(b.read_mv(), b.errors > 0)
