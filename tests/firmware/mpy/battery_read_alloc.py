"""What the AXP2101 and ADC battery readers allocate: prints "bytes vbatt_ok".

Both read once a millisecond for 1000 ms; the heap growth of a second such
run after a first one (warm-up), and whether vbatt_mv was set.
"""

import gc

import battery
import clock
import fake_bus
import sample

clk = clock.VirtualClock(0)
s = sample.Sample()
bus = fake_bus.FakeI2C()
bus.attach(0x34, fake_bus.FakeAXP2101(3700))
a = battery.AxpBattery(bus, clk, period_ms=1)
a.start()
d = battery.AdcBattery(fake_bus.FakeADC(value_u16=40000), clk, 3000, 3300, period_ms=1)


def measure():
    gc.collect()
    m = gc.mem_alloc()
    for _ in range(1000):
        clk.advance_ms(1)
        a.read(s)
        d.read(s)
    return gc.mem_alloc() - m


measure()
print(measure(), s.vbatt_mv > 0)
