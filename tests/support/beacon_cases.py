"""Shared inputs for the packet-format tests: fixes to format on MicroPython.

`fix_cases()` returns dicts of Fix fields (degrees split into deg + 1e-7
remainder with a common sign, as fix.py stores them): hand-picked edges plus a
seeded random batch. `build_on_mpy()` formats them all in one MicroPython run
(tests/firmware/mpy/beacon_format_build.py) and returns the packets as bytes.
"""

import binascii
import json
import random

from mpy import SCRIPTS, SUPPORT, run_mpy

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


def build_on_mpy(ctor, cases, age=3, phase=4, vbatt=3712, seq=42, callsign="N0CALL", ssid=11):
    """Format every case (None = no position) with `ctor`; returns (packets, cfg_fault)."""
    job = {
        "ctor": ctor, "callsign": callsign, "ssid": ssid, "cases": cases,
        "age": age, "phase": phase, "vbatt": vbatt, "seq": seq,
    }  # fmt: skip
    out = run_mpy(
        file=SCRIPTS / "beacon_format_build.py", stdin=json.dumps(job), extra_path=[SUPPORT]
    )
    lines = out.strip().splitlines()
    fault = lines[-1].split()[1] == "True"
    return [binascii.unhexlify(x) for x in lines[:-1]], fault


def lat_of(c):
    return c["lat_deg"] + c["lat_e7r"] / E7


def lon_of(c):
    return c["lon_deg"] + c["lon_e7r"] / E7


def alloc_per_201_packets(ctor):
    out = run_mpy(file=SCRIPTS / "beacon_format_alloc.py", args=[ctor], extra_path=[SUPPORT])
    return int(out.strip().splitlines()[-1])
