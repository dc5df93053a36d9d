"""RAM a board spends on one driver set: run by bench/bench_driver_ram.py with
the drivers compiled by mpy-cross (as flashed) on MICROPYPATH.

argv: the driver set (a key of SETS), then how many names to intern first.
Prints the heap bytes in use after importing the set's modules, building
its drivers and reading them 300 times against the fake chips, less before.
Interning names first moves where the set's own names land in the string
pool: a name that needs a new pool chunk adds the whole chunk (hundreds of
bytes), so one figure can jump by a chunk while the code hardly changed.
"""

import gc
import sys

sys.modules["machine"] = None  # the drivers import it only for type comments
import clock
import fake_bus
import sample

TRIM280 = {
    "T1": 27504, "T2": 26435, "T3": -1000, "P1": 36477, "P2": -10685, "P3": 3024,
    "P4": 2855, "P5": 140, "P6": -7, "P7": 15500, "P8": -14600, "P9": 6000,
}  # fmt: skip
TRIM3 = {
    "T1": 27000, "T2": 19000, "T3": -7, "P1": -1500, "P2": -2000, "P3": 30, "P4": 0,
    "P5": 25000, "P6": 30000, "P7": 3, "P8": -6, "P9": 16000, "P10": 5, "P11": -60,
}  # fmt: skip
PROM = (0, 40127, 36924, 23317, 23282, 33464, 28312, 0)
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
bus.attach(0x76, fake_bus.FakeBMP280(TRIM280, 519888, 415148))
bus.attach(0x77, fake_bus.FakeBMP3xx(TRIM3, 8300000, 6400000))
bus2 = fake_bus.FakeI2C()  # the MS5611 at 0x77 too, on a bus of its own
bus2.attach(0x77, fake_bus.FakeMS5611(clk, PROM, 8077636, 8077636))
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
