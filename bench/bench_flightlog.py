"""Flight recorder on the real MicroPython unix port: allocation per record,
records per second, flash bytes per minute of each phase, CRC cost.

Figures:
  log_alloc_bytes_per_record        heap bytes per logged sample (with a fix
                                    record every 25 samples and the block
                                    writes, 4 KB blocks, no segment rotation)
  log_alloc_bytes_per_segment_rotation  garbage made by closing one segment
                                    file and opening the next (file object and
                                    its buffer), once per SEGMENT_BLOCKS blocks
  log_records_per_s                 logged samples per second (unix port,
                                    DESCENT rate, block writes to a tmp dir)
  log_records_per_s_pico_estimate   that / 75 (MicroPython on a 125 MHz RP2040
                                    runs bytecode 50-100x slower than a
                                    desktop core; flash erase time not included)
  log_decimated_calls_per_s         record() calls per second when the phase's
                                    rate says skip (stand, beacon)
  log_bytes_per_descent_minute      flash bytes per minute in DESCENT (the
                                    fastest phase: 25 Hz cap) with a 100 Hz loop
                                    and a 1 Hz GNSS fix
  log_bytes_per_chute_minute        the same under drogue or main (10 Hz)
  log_bytes_per_beacon_day          the same in the beacon phase, per day
  log_descent_minutes_per_mb        minutes of DESCENT-rate logging per MB
  log_block_fill_s_descent          seconds to fill a 4 KB block in DESCENT:
                                    the most a power cut can lose
  log_crc_us_per_4kb_native         viper CRC-32 of a block (unix port)
  log_crc_us_per_4kb_python         pure-Python fallback (unix port)
"""

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))

from mpy import run_mpy

PICO_SLOWDOWN = 75

SCRIPT = r"""
import gc, os, time, clock, flightlog, fix

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
    print("bytes_per_minute", tag, (written + st["records_buffered"] * st["block_bytes"] / per_block) / minutes)
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
"""


def run():
    with tempfile.TemporaryDirectory() as tmp:
        out = run_mpy(f"TMP = {tmp!r}\n" + SCRIPT, timeout=600)
    figures = {}
    per_min = {}
    crc = {}
    for line in out.splitlines():
        parts = line.split()
        if parts[0] == "alloc_per_record":
            figures["log_alloc_bytes_per_record"] = float(parts[1])
        elif parts[0] == "alloc_per_rotation":
            figures["log_alloc_bytes_per_segment_rotation"] = round(float(parts[1]))
        elif parts[0] == "records_per_s":
            figures["log_records_per_s"] = round(float(parts[1]))
        elif parts[0] == "decimated_per_s":
            figures["log_decimated_calls_per_s"] = round(float(parts[1]))
        elif parts[0] == "bytes_per_minute":
            per_min[parts[1]] = float(parts[2])
        elif parts[0] == "crc_us":
            crc[parts[1]] = float(parts[2])
    figures["log_records_per_s_pico_estimate"] = round(figures["log_records_per_s"] / PICO_SLOWDOWN)
    figures["log_bytes_per_descent_minute"] = round(per_min["descent"])
    figures["log_bytes_per_chute_minute"] = round(per_min["chute"])
    figures["log_bytes_per_beacon_day"] = round(per_min["beacon"] * 1440)
    figures["log_descent_minutes_per_mb"] = round(1e6 / per_min["descent"], 1)
    figures["log_block_fill_s_descent"] = round(4096 / (per_min["descent"] / 60), 1)
    figures["log_crc_us_per_4kb_native"] = round(crc["native"], 1)
    figures["log_crc_us_per_4kb_python"] = round(crc["python"], 1)
    return figures


if __name__ == "__main__":
    for k, v in run().items():
        print(f"{k:40s} {v}")
