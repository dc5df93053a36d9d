"""RAM a board spends on one driver set: run by bench/bench_driver_ram.py with
the drivers compiled by mpy-cross (as flashed) on MICROPYPATH.

argv: the driver set (a key of SETS), then how many names to intern first;
stdin: the fake chips' values as JSON (bench_drivers.chip_values()).
Prints the heap bytes in use after importing the set's modules, building
its drivers and reading them 300 times against the fake chips, less before.
Interning names first moves where the set's own names land in the string
pool: a name that needs a new pool chunk adds the whole chunk (hundreds of
bytes), so one figure can jump by a chunk while the code hardly changed.
"""

import gc
import json
import sys

sys.modules["machine"] = None  # the drivers import it only for type comments
import clock
import fake_bus
import sample

# the chips' values (bench_drivers.chip_values()), on stdin as JSON
EX = json.loads(sys.stdin.read())
# set -> the (module, class, needs the clock) of each driver in it
SETS = {
    "bmp280": (("bmp280", "BMP280", True),),
    "bmp3xx": (("bmp3xx", "BMP3xx", True),),
    "bosch_both": (("bmp280", "BMP280", True), ("bmp3xx", "BMP3xx", True)),
    "ms5611": (("ms5611", "MS5611", True),),
    "adxl375": (("adxl375", "ADXL375", False),),
    "lis3dh": (("lis3dh", "LIS3DH", False),),
    "accel_both": (("adxl375", "ADXL375", False), ("lis3dh", "LIS3DH", False)),
}

clk = clock.VirtualClock(0)
s = sample.Sample()
bus = fake_bus.FakeI2C()
bus.attach(0x76, fake_bus.FakeBMP280(EX["bmp280_trim"], EX["bmp280_adc_t"], EX["bmp280_adc_p"]))
bus.attach(0x77, fake_bus.FakeBMP3xx(EX["bmp3_trim"], EX["bmp3_ut"], EX["bmp3_up"]))
bus2 = fake_bus.FakeI2C()  # the MS5611 at 0x77 too, on a bus of its own
bus2.attach(0x77, fake_bus.FakeMS5611(clk, EX["ms5611_prom"], EX["ms5611_d1"], EX["ms5611_d2"]))
bus.attach(0x53, fake_bus.FakeADXL375((1, 2, 20)))
bus.attach(0x18, fake_bus.FakeLIS3DH((1, 2, 83)))
parts = SETS[sys.argv[1]]
for i in range(int(sys.argv[2])):
    getattr(s, "interned_first_%d" % i, None)  # interns the name
drivers = []


def build():
    for module, cls, with_clock in parts:
        make = getattr(__import__(module), cls)
        b = bus2 if module == "ms5611" else bus
        drivers.append(make(b, clk) if with_clock else make(b))
    for _ in range(300):
        clk.advance_ms(1)
        for d in drivers:
            d.read(s)


gc.collect()
before = gc.mem_alloc()
build()
gc.collect()
print(gc.mem_alloc() - before, sum(d.readings for d in drivers))
