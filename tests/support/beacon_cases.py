"""Shared inputs for the packet-format tests: fixes to format on MicroPython.

`fix_cases()` returns dicts of Fix fields (degrees split into deg + 1e-7
remainder with a common sign, as fix.py stores them): hand-picked edges plus a
seeded random batch. `build_on_mpy()` formats them all in one MicroPython run
and returns the packets as bytes.
"""

import binascii
import json
import random

from mpy import SUPPORT, run_mpy

E7 = 10_000_000


def split_deg(e7: int) -> tuple[int, int]:
    """Total 1e-7 degrees -> (deg, e7r) with the sign on both, as fix.py keeps them."""
    sign = -1 if e7 < 0 else 1
    a = abs(e7)
    return sign * (a // E7), sign * (a % E7)


def make_fix(lat_e7, lon_e7, alt_cm=12345, alt_ok=True, sats=9, mode=3, hms=(12, 34, 56), day=7):
    lat_deg, lat_e7r = split_deg(lat_e7)
    lon_deg, lon_e7r = split_deg(lon_e7)
    return {
        "mode": mode, "lat_deg": lat_deg, "lat_e7r": lat_e7r, "lon_deg": lon_deg,
        "lon_e7r": lon_e7r, "alt_cm": alt_cm, "alt_ok": alt_ok, "sats": sats, "hour": hms[0],
        "minute": hms[1], "second": hms[2], "day": day, "hdop_c": 110,
    }  # fmt: skip


def fix_cases(n_random=300, seed=7):
    edges = [
        make_fix(0, 0),
        make_fix(-1, -1),  # just south and west of 0,0
        make_fix(900_000_000, 1_800_000_000),
        make_fix(-900_000_000, -1_800_000_000),
        make_fix(899_999_999, 1_799_999_999),
        make_fix(-899_999_999, -1_799_999_999),
        make_fix(491_000_000 - 1, 1_799_999_999),  # minutes round up to the next degree
        make_fix(-338_123_456, 1_512_000_000, alt_cm=-1234),  # below sea level
        make_fix(123_456_789, -456_789_012, alt_cm=3_000_000),  # 30 km (a fix under the drogue)
        make_fix(515_000_000, -1_250_000, alt_cm=0, sats=0),
        make_fix(355_000_000, 1_395_000_000, alt_ok=False, mode=2),
    ]
    rnd = random.Random(seed)
    cases = list(edges)
    for _ in range(n_random):
        cases.append(
            make_fix(
                rnd.randint(-900_000_000, 900_000_000),
                rnd.randint(-1_800_000_000, 1_800_000_000),
                alt_cm=rnd.randint(-50_000, 4_000_000),
                alt_ok=rnd.random() > 0.1,
                sats=rnd.randint(0, 30),
                hms=(rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59)),
                day=rnd.randint(1, 31),
            )
        )
    return cases


BUILD = """
import json, binascii, fix, aprs, ukhas, sbd
class Cfg:
    callsign = %(callsign)r
    ssid = %(ssid)r
    batt_low_mv = 3400
cfg = Cfg()
fmt = %(ctor)s
cases = json.loads(%(cases)r)
f = fix.Fix()
for c in cases:
    pos = None
    if c is not None:
        for k in c:
            setattr(f, k, c[k])
        pos = f
    n = fmt.build(pos, %(age)s, %(phase)d, %(vbatt)d, %(seq)d)
    print(binascii.hexlify(fmt.buf[:n]).decode())
print("FAULT", fmt.cfg_fault if hasattr(fmt, "cfg_fault") else False)
"""


def build_on_mpy(ctor, cases, age=3, phase=4, vbatt=3712, seq=42, callsign="N0CALL", ssid=11):
    """Format every case (None = no position) with `ctor`; returns (packets, cfg_fault)."""
    code = BUILD % {
        "callsign": callsign, "ssid": ssid, "ctor": ctor, "cases": json.dumps(cases),
        "age": age, "phase": phase, "vbatt": vbatt, "seq": seq,
    }  # fmt: skip
    lines = run_mpy(code).strip().splitlines()
    fault = lines[-1].split()[1] == "True"
    return [binascii.unhexlify(x) for x in lines[:-1]], fault


def lat_of(c):
    return c["lat_deg"] + c["lat_e7r"] / E7


def lon_of(c):
    return c["lon_deg"] + c["lon_e7r"] / E7


ALLOC = """
import fix, aprs, ukhas, sbd, heap_probe
class Cfg:
    callsign = "N0CALL"
    ssid = 11
    batt_low_mv = 3400
fmt = %s
f = fix.Fix()
f.mode = 3; f.lat_deg = -33; f.lat_e7r = -8123456; f.lon_deg = 151; f.lon_e7r = 2093456
f.alt_cm = 123456; f.alt_ok = True; f.sats = 11; f.hour = 23; f.minute = 59; f.second = 58
def burst():
    for i in range(200):
        f.lon_e7r = 2093456 + i * 997
        f.alt_cm = 123456 - i * 50
        fmt.build(f, i, 4 + i %% 3, 3300 + i, 1000 + i)
    fmt.build(None, -1, 6, 3300, 5)
burst()
print(heap_probe.alloc_of(burst))
"""


def alloc_per_201_packets(ctor):
    return int(run_mpy(ALLOC % ctor, extra_path=[SUPPORT]).strip().splitlines()[-1])
