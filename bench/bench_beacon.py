"""Beacon packets on the real MicroPython unix port: allocation and build rate.

One packet = one `build()` of a format into its preallocated buffer, for a
moving fix (position, altitude, age, sequence change every packet) so no
digit string repeats. The formats are the ones the firmware sends: LoRa APRS
uncompressed and compressed, UKHAS (with its CRC16), Iridium SBD binary.

Figures:
  beacon_alloc_bytes_per_packet   heap bytes per packet after warm-up, over
                                  every format (gc.mem_alloc before/after)
  beacon_packets_per_s            packets built per second, all formats mixed
  beacon_<fmt>_packets_per_s      the same per format
  beacon_poll_idle_us             one Beacon.poll() with nothing due (the
                                  flight loop's cost while waiting for the slot)
  beacon_poll_alloc_bytes         heap bytes over a simulated 20 min of polls
                                  (main chute, landing, fix lost) incl. packets
  beacon_heap_bytes               heap held by one Beacon (its fix copy and
                                  duty-cycle log; the formats' buffers, ~100-200
                                  bytes each, not included)
  beacon_packets_per_s_pico_estimate  unix figure / 75 (MicroPython bytecode
                                  runs ~50-100x slower on a 125 MHz RP2040 than
                                  on a desktop core; 75 is the middle)
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))

PICO_FACTOR = 75
PACKETS = 3000

PROGRAM = """
import gc, json, time, clock, fix, aprs, ukhas, sbd, beacon
import beacon_params as P

class Cfg:
    callsign = "N0CALL"
    ssid = 11
    lora_freq_khz = 433775
    duty_cycle_permille = 1000
    beacon_descent_s = 5
    beacon_landed_s = 30
    beacon_slow_s = 300
    beacon_slow_after_s = 600
    batt_low_mv = 3400

cfg = Cfg()
f = fix.Fix()
f.mode = 3; f.lat_deg = -33; f.lat_e7r = -8123456; f.lon_deg = 151; f.lon_e7r = 2093456
f.alt_cm = 123456; f.alt_ok = True; f.sats = 11; f.hour = 23; f.minute = 59; f.second = 58
FORMATS = (("aprs", aprs.AprsFormat(cfg)), ("aprs_compressed", aprs.AprsFormat(cfg, compressed=True)),
           ("ukhas", ukhas.UkhasFormat(cfg)), ("sbd", sbd.SbdFormat(cfg)))
N = %(n)d

def burst(fmt, n):
    for i in range(n):
        f.lon_e7r = 2093456 + i * 997
        f.alt_cm = 123456 - i * 50
        fmt.build(f, i, 4, 3300 + i %% 900, i)

def measure(fmt):
    # locals only: a new global inside the window would grow the module dict
    burst(fmt, 10)
    gc.collect()
    a = gc.mem_alloc()
    t0 = time.ticks_us()
    burst(fmt, N)
    dt = time.ticks_diff(time.ticks_us(), t0)
    return gc.mem_alloc() - a, dt

res = {}
total_alloc = 0
total_t = 0
for name, fmt in FORMATS:
    alloc, dt = measure(fmt)
    total_alloc += alloc
    total_t += dt
    res[name] = N * 1000000 // dt

class Radio:
    def send(self, b, n): return True
    def busy(self): return False
    def poll(self): pass
    def airtime_ms(self, n): return 100

clk = clock.VirtualClock(0)
gc.collect()
h0 = gc.mem_alloc()
bcn = beacon.Beacon(cfg, clk, f, None, Radio(), [fmt for _, fmt in FORMATS])
gc.collect()
heap = gc.mem_alloc() - h0
def flight(ms, phase, gnss=True):
    t = 0
    while t < ms:
        if gnss and t %% 1000 == 0:
            f.rx_ms = clk.now_ms()
        bcn.poll(phase, 3900)
        clk.advance_ms(20)
        t += 20
def polls():
    flight(60000, P.MAIN)
    gc.collect()
    a = gc.mem_alloc()
    flight(300000, P.MAIN)
    flight(300000, P.LANDED)
    f.mode = fix.MODE_NO_FIX
    flight(600000, P.LANDED, gnss=False)
    return gc.mem_alloc() - a
poll_alloc = polls()
# idle poll: landed, slow rate, between slots
f.mode = 3
t0 = time.ticks_us()
for i in range(10000):
    bcn.poll(P.LANDED, 3900)
idle_us = time.ticks_diff(time.ticks_us(), t0) / 10000
print(json.dumps(dict(per_format=res, alloc=total_alloc, n=N * len(FORMATS), t_us=total_t,
                      poll_alloc=poll_alloc, idle_us=idle_us, sent=bcn.sent, heap=heap)))
"""


def run():
    from mpy import run_mpy

    out = run_mpy(PROGRAM % {"n": PACKETS}, timeout=300)
    r = json.loads(out.strip().splitlines()[-1])
    per_s = r["n"] * 1_000_000 // max(1, r["t_us"])
    figures = {
        "beacon_alloc_bytes_per_packet": r["alloc"] / r["n"],
        "beacon_packets_per_s": per_s,
    }
    for name, rate in r["per_format"].items():
        figures[f"beacon_{name}_packets_per_s"] = rate
    figures["beacon_poll_idle_us"] = round(r["idle_us"], 2)
    figures["beacon_poll_alloc_bytes"] = r["poll_alloc"]
    figures["beacon_heap_bytes"] = r["heap"]
    figures["beacon_packets_per_s_pico_estimate"] = per_s // PICO_FACTOR
    print(
        f"  ({r['n']} packets; {r['sent']} sent by the scheduler over a simulated 21 min; "
        f"pico estimate = unix / {PICO_FACTOR})"
    )
    return figures
