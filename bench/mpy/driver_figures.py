"""Driver figures on MicroPython: bench/bench_drivers.py runs this and reads the
JSON line it prints last (its docstring says what each figure means)."""

import gc
import json
import sys
import time

sys.modules["machine"] = None
import adxl375  # the drivers import after the machine stand-in
import bmp3xx
import bmp280
import clock
import fake_bus
import hw_real
import lis3dh
import ms5611
import sample

clk = clock.VirtualClock(0)
s = sample.Sample()
# the chips' values (bench_drivers.chip_values()), on stdin as JSON
EX = json.loads(sys.stdin.read())
PROM, D1, D2 = EX["ms5611_prom"], EX["ms5611_d1"], EX["ms5611_d2"]
TRIM280, ADC_T, ADC_P = EX["bmp280_trim"], EX["bmp280_adc_t"], EX["bmp280_adc_p"]
TRIM3, UT3, UP3 = EX["bmp3_trim"], EX["bmp3_ut"], EX["bmp3_up"]
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
bus.attach(0x77, fake_bus.FakeMS5611(clk, PROM, D1, D2))
m = ms5611.MS5611(bus, clk)
baro_figures("ms5611", m, 20000)


def comp(n, d1=D1, d2=D2):  # the raw pair local, as a literal would cost
    for _ in range(n):
        m.compensate(d1, d2)


def comp_cold(n):
    for _ in range(n):
        m.compensate(7000000, 7000000)  # about -30 degC: second-order branch


c_us = us_per(comp, 20000)
out["ms5611_compensate_us"] = round(c_us, 2)
out["ms5611_compensate_cold_us"] = round(us_per(comp_cold, 20000), 2)
out["ms5611_compensate_loop_iters"] = round(c_us / loop_us)

# BMP280 and BMP388: address, fake chip, driver, the raw pair compensated
for name, addr, chip, make, raw_t, raw_p in (
    ("bmp280", 0x76, fake_bus.FakeBMP280(TRIM280, ADC_T, ADC_P), bmp280.BMP280, ADC_T, ADC_P),
    ("bmp3xx", 0x77, fake_bus.FakeBMP3xx(TRIM3, UT3, UP3), bmp3xx.BMP3xx, UT3, UP3),
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
fm.i2c_chips[0] = {
    0x77: fake_bus.FakeMS5611(clk, PROM, D1, D2),
    0x53: fake_bus.FakeADXL375((0, 0, 21)),
    0x18: fake_bus.FakeLIS3DH((0, 0, 83)),
    0x34: fake_bus.FakeAXP192(3900),
}
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
