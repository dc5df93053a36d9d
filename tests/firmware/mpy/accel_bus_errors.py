"""An accelerometer driver through bus errors, and with no chip on its bus.

argv: the driver's module and class, the chip's I2C address, the fake chip's
class in fake_bus. Prints accel_ok after a good read; accel_ok and the bus
errors after 8 reads on a dead bus; accel_ok and whether the chip was
configured again once the bus returns; then present(), read() and accel_ok
of the driver on an empty bus.
"""

import sys

import fake_bus
import sample

module, cls, addr, fake = sys.argv[1:]
make = getattr(__import__(module), cls)
bus = fake_bus.FakeI2C()
s = sample.Sample()
c = bus.attach(int(addr), getattr(fake_bus, fake)())
drv = make(bus)
drv.read(s)
print(s.accel_ok)
bus.fail_always = True
for _ in range(8):
    drv.read(s)
print(s.accel_ok, drv.bus_errors)
bus.fail_always = False
n_writes = len(c.writes)
drv.read(s)
print(s.accel_ok, len(c.writes) > n_writes)
empty = make(fake_bus.FakeI2C())
print(empty.present(), empty.read(s), s.accel_ok)
