"""Driver costs on the MicroPython unix port, through the fake chips of
tests/support/fake_bus.py (so bus time is the fakes', not an I2C bus's).

Figures:
- *_alloc_bytes_per_read: heap bytes allocated per read() in steady state
  (gc.mem_alloc over thousands of reads; 0 is the requirement).
- *_compensate_us: CPU time of one compensation; *_read_us: of one read()
  call that produced a new value (bus transfers with the fake chip, the
  next conversion started, compensation); *_poll_us: of a read() call that
  only found the conversion still running. Unix port on this machine.
- *_loop_iters: the same cost in empty `for` loop iterations measured in the
  same run, a unit that carries over to a board: multiply by the board's
  time per empty iteration (measure it there with the same loop) to
  estimate the cost on an RP2040 or ESP32.
- *_reads_per_s: new readings per second of CPU on this machine
  (1e6 / *_read_us); *_fresh_hz: readings per second the chip delivers
  with the default settings, polled every ms (for the MS5611 set by the
  datasheet conversion times at OSR 4096 with temperature every 4th
  conversion).
"""

import json
from pathlib import Path

from tests.support.mpy import run_mpy

TESTS = Path(__file__).resolve().parent.parent / "tests" / "support"

SCRIPT = """
import gc, time, json, sys
sys.modules["machine"] = None
import clock, sample, fake_bus, ms5611, bmp280, bmp3xx, adxl375, lis3dh, hw_real
clk = clock.VirtualClock(0)
s = sample.Sample()
PROM = [0, 40127, 36924, 23317, 23282, 33464, 28312, 4659]
TRIM280 = {"T1": 27504, "T2": 26435, "T3": -1000, "P1": 36477, "P2": -10685, "P3": 3024,
           "P4": 2855, "P5": 140, "P6": -7, "P7": 15500, "P8": -14600, "P9": 6000}
TRIM3 = {"T1": 27000, "T2": 19000, "T3": -7, "P1": -1500, "P2": -2000, "P3": 30, "P4": 0,
         "P5": 25000, "P6": 30000, "P7": 3, "P8": -6, "P9": 16000, "P10": 5, "P11": -60}
out = {}

def empty(n):
    for _ in range(n):
        pass

def us_per(fn, n):
    t0 = time.ticks_us()
    fn(n)
    return time.ticks_diff(time.ticks_us(), t0) / n

loop_us = us_per(empty, 1000000)
out["unix_empty_loop_ns"] = round(loop_us * 1000, 2)

def drive(drv, ms):
    fresh = 0
    for _ in range(ms):
        clk.advance_ms(1)
        if drv.read(s):
            fresh += 1
    return fresh

def allocated(fn, *args):
    # bytes allocated by fn(*args); measured inside a function so the
    # measurement itself stores no globals
    gc.collect()
    a = gc.mem_alloc()
    fn(*args)
    return gc.mem_alloc() - a

def timed_reads(drv, ms):
    # (us per read() call that produced a new value, us per other call)
    fresh_us = idle_us = 0
    fresh = idle = 0
    for _ in range(ms):
        clk.advance_ms(1)
        t0 = time.ticks_us()
        new = drv.read(s)
        dt = time.ticks_diff(time.ticks_us(), t0)
        if new:
            fresh_us += dt
            fresh += 1
        else:
            idle_us += dt
            idle += 1
    return fresh_us / max(fresh, 1), idle_us / max(idle, 1), fresh

def baro_figures(name, drv, ms):
    drive(drv, 200)
    out[name + "_alloc_bytes_per_read"] = allocated(drive, drv, ms) / ms
    fresh_us, idle_us, fresh = timed_reads(drv, ms)
    out[name + "_read_us"] = round(fresh_us, 2)
    out[name + "_poll_us"] = round(idle_us, 2)
    out[name + "_reads_per_s"] = round(1e6 / fresh_us)
    out[name + "_fresh_hz"] = round(fresh * 1000 / ms, 1)

# MS5611
bus = fake_bus.FakeI2C()
bus.attach(0x77, fake_bus.FakeMS5611(clk, PROM, 9085466, 8569150))
m = ms5611.MS5611(bus, clk)
baro_figures("ms5611", m, 20000)
def comp(n):
    for _ in range(n):
        m.compensate(9085466, 8569150)
def comp_cold(n):
    for _ in range(n):
        m.compensate(7000000, 7000000)  # about -30 degC: second-order branch
c_us = us_per(comp, 20000)
out["ms5611_compensate_us"] = round(c_us, 2)
out["ms5611_compensate_cold_us"] = round(us_per(comp_cold, 20000), 2)
out["ms5611_compensate_loop_iters"] = round(c_us / loop_us)

# BMP280 and BMP388: address, fake chip, driver, the raw pair compensated
for name, addr, chip, make, raw_t, raw_p in (
    ("bmp280", 0x76, fake_bus.FakeBMP280(TRIM280, 519888, 415148), bmp280.BMP280, 519888, 415148),
    ("bmp3xx", 0x77, fake_bus.FakeBMP3xx(TRIM3, 8300000, 6400000), bmp3xx.BMP3xx, 8300000, 6400000),
):
    bus = fake_bus.FakeI2C()
    bus.attach(addr, chip)
    drv = make(bus, clk)
    baro_figures(name, drv, 20000)
    def comp(n, drv=drv, raw_t=raw_t, raw_p=raw_p):
        for _ in range(n):
            drv.compensate(raw_t, raw_p)
    c_us = us_per(comp, 5000)
    out[name + "_compensate_us"] = round(c_us, 2)
    out[name + "_compensate_loop_iters"] = round(c_us / loop_us)

# Accelerometers: every read is a new sample
bus = fake_bus.FakeI2C()
bus.attach(0x53, fake_bus.FakeADXL375((1, 2, 20)))
bus.attach(0x18, fake_bus.FakeLIS3DH((1, 2, 83)))
for name, drv in (("adxl375", adxl375.ADXL375(bus)), ("lis3dh", lis3dh.LIS3DH(bus))):
    drv.read(s)
    def many(n, drv=drv):
        for _ in range(n):
            drv.read(s)
    out[name + "_alloc_bytes_per_read"] = allocated(many, 20000) / 20000
    r_us = us_per(many, 20000)
    out[name + "_read_us"] = round(r_us, 2)
    out[name + "_read_loop_iters"] = round(r_us / loop_us)

# A whole T-Beam board read (baro + two accels + battery + arm switch)
fm = fake_bus.FakeMachine()
sys.modules["machine"] = fm
fm.i2c_chips[0] = {0x77: fake_bus.FakeMS5611(clk, PROM, 9085466, 8569150),
                   0x53: fake_bus.FakeADXL375((0, 0, 21)), 0x18: fake_bus.FakeLIS3DH((0, 0, 83)),
                   0x34: fake_bus.FakeAXP192(3900)}
import tbeam
hw = hw_real.build(tbeam.BOARD, clk)
def hw_many(n):
    for _ in range(n):
        clk.advance_ms(1)
        hw.read(s)
hw_many(200)
out["hw_real_tbeam_alloc_bytes_per_read"] = allocated(hw_many, 20000) / 20000
r_us = us_per(hw_many, 20000)
out["hw_real_tbeam_read_us"] = round(r_us, 2)
out["hw_real_tbeam_read_loop_iters"] = round(r_us / loop_us)
print(json.dumps(out))
"""


def run():
    out = run_mpy(SCRIPT, extra_path=[TESTS], heap="1M", timeout=600)
    figures = json.loads(out.strip().split("\n")[-1])
    print(
        "  (unix port; *_loop_iters = cost in empty-loop iterations: multiply by a board's"
        " empty-loop time to estimate it there)"
    )
    return figures
