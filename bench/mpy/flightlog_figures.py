"""Flight-log figures on MicroPython, in a folder argv[1]: bench/bench_flightlog.py
runs this and reads the lines it prints (its docstring says what each is)."""

import gc
import os
import sys
import time

import clock
import fix
import flightlog

TMP = sys.argv[1]

c = clock.VirtualClock(0)
fx = fix.Fix()


def step(log, i, phase, dt_ms):
    c.advance_ms(dt_ms)
    if i % 25 == 0:
        fx.mode = 3
        fx.rx_ms = c.now_ms()
        fx.lat_e7r = i
    return log.record(phase, 1013250 - i, i, -i, 981, i, -i, 1000, 3700, 3, fx)


# allocation per record, with block writes
log = flightlog.FlightLog(TMP + "/a", c, segment_blocks=10000, segments=3)
log.open()
for i in range(500):
    step(log, i, 2, 40)
gc.collect()
a = gc.mem_alloc()
n = 5000
for i in range(500, 500 + n):
    step(log, i, 2, 40)
print("alloc_per_record", (gc.mem_alloc() - a) / n, log.stats()["blocks_written"])
log.close()

# allocation kept per segment rotation
log = flightlog.FlightLog(TMP + "/r", c, block_bytes=512, segment_blocks=1, segments=4)
log.open()
for i in range(200):
    step(log, i, 6, 60000)
gc.collect()
gc.disable()  # count the garbage made, not what is left after a collection
a = gc.mem_alloc()
r0 = log.stats()["blocks_written"]
for i in range(200, 1700):
    step(log, i, 6, 60000)
rot = log.stats()["blocks_written"] - r0
print("alloc_per_rotation", (gc.mem_alloc() - a) / max(1, rot))
gc.enable()
log.close()


# logging calls a second over n steps of a phase (the helper's decimation argument)
def calls_per_s(sub, n, phase, every):
    log = flightlog.FlightLog(TMP + sub, c, segment_blocks=10000, segments=3)
    log.open()
    t0 = time.ticks_us()
    for i in range(n):
        step(log, i, phase, every)
    dt = time.ticks_diff(time.ticks_us(), t0)
    log.close()
    return n * 1000000 / dt


print("records_per_s", calls_per_s("/s", 20000, 2, 40))  # at the descent rate
print("decimated_per_s", calls_per_s("/d", 50000, 6, 10))


# flash bytes per minute of a phase: 100 Hz loop, 1 Hz fix
def bytes_per_minute(phase, minutes, tag):
    log = flightlog.FlightLog(TMP + "/m" + tag, c, segment_blocks=10000, segments=3)
    log.open()
    log.record(phase, 0, 0, 0, 0, 0, 0, 0, 0, 0, fx)
    log.flush()
    size0 = os.stat(TMP + "/m" + tag + "/seg000.fl")[6]
    for i in range(minutes * 6000):
        c.advance_ms(10)
        if i % 100 == 0:
            fx.rx_ms = c.now_ms()
        log.record(phase, i, 0, 0, 0, 0, 0, 0, 0, 0, fx)
    st = log.stats()
    written = os.stat(TMP + "/m" + tag + "/seg000.fl")[6] - size0
    # whole blocks written plus the buffered part, at the block's packing
    per_block = (st["block_bytes"] - 16) // 32
    print(
        "bytes_per_minute",
        tag,
        (written + st["records_buffered"] * st["block_bytes"] / per_block) / minutes,
    )
    log.close()


bytes_per_minute(2, 5, "descent")
bytes_per_minute(3, 5, "chute")
bytes_per_minute(6, 600, "beacon")

# CRC of a 4 KB block
buf = bytearray(4096)
out = flightlog.array("H", (0, 0))
for impl in ("native", "python"):
    f = flightlog.crc32_into_native if impl == "native" else flightlog.crc32_into_py
    reps = 200 if impl == "native" else 20
    t0 = time.ticks_us()
    for _ in range(reps):
        f(buf, 4092, out)
    print("crc_us", impl, time.ticks_diff(time.ticks_us(), t0) / reps)
