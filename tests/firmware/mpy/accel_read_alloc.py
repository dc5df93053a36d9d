"""What the ADXL375 and LIS3DH drivers' reads allocate: prints the bytes.

Both chips on one fake bus; after one read each (warm-up), the heap growth
over 2000 more reads of each.
"""

import gc

import adxl375
import fake_bus
import lis3dh
import sample

bus = fake_bus.FakeI2C()
s = sample.Sample()
bus.attach(0x53, fake_bus.FakeADXL375((100, 200, -300)))
bus.attach(0x18, fake_bus.FakeLIS3DH((100, 200, -300)))
a = adxl375.ADXL375(bus)
b = lis3dh.LIS3DH(bus)


def measure():
    a.read(s)
    b.read(s)
    gc.collect()
    m = gc.mem_alloc()
    for _ in range(2000):
        a.read(s)
        b.read(s)
    return gc.mem_alloc() - m


print(measure())
