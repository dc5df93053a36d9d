"""Sample and fix inputs as a function of the sample index, for the flight
recorder's tests: signs, extremes (|v| up to 2**30 - 1, the largest small int
on a 32-bit port) and axis values beyond the logged range. Imported on both
interpreters: the firmware writes these inputs on MicroPython, the host
decoder's output is checked against them on CPython.
"""

BIG = (1 << 30) - 1


def sample_args(i):
    s = -1 if i % 2 else 1
    press = BIG if i % 11 == 3 else (-BIG if i % 11 == 4 else 1013250 - 37 * i)
    alt = s * (i * 12345 % BIG)
    speed = -BIG if i % 13 == 5 else s * i * 7
    accel = BIG if i % 13 == 6 else -i * 3
    ax = s * (i * 997 % 400000)
    ay = -5 if i % 3 == 0 else 1234 + i
    az = 15 * s
    vbatt = 70000 if i % 17 == 1 else (-1 if i % 17 == 2 else 3000 + i)
    pyro = i & 0x0F
    return (press, alt, speed, accel, ax, ay, az, vbatt, pyro)


def fix_fields(i):
    s = -1 if i % 2 else 1
    return {
        "mode": 3 if i % 4 else 2,
        "sats": i % 40,
        "lat_deg": s * (i % 91),
        "lat_e7r": s * (i * 7919 % 10000000),
        "lon_deg": -s * (i % 181),
        "lon_e7r": -s * (i * 104729 % 10000000),
        "alt_cm": -BIG if i % 5 == 1 else i * 1000,
        "alt_ok": i % 3 != 2,
        "speed_cms": 99999 if i % 7 == 0 else i,
        "speed_ok": True,
        "course_cdeg": i * 100 % 36000,
        "course_ok": i % 2 == 0,
        "hdop_c": 80 + i % 50,
        "year": 2026 if i >= 6 else 0,
        "month": 3,
        "day": 14,
        "hour": 23,
        "minute": 59,
        "second": 58,
        "ms": 250,
        "time_ok": i >= 6,
    }
