"""The screen's integer square roots on MicroPython (native code) against
CPython's math.isqrt: every guess, the whole 30-bit range, and the
magnitudes the screen reports sample after sample."""

import json
import math
import random

from mpy import run_mpy


def test_isqrt_is_exact_from_any_guess_over_the_30_bit_range():
    rnd = random.Random(7)
    ns = [0, -5, 1, 2, 3, 4, 15, 16, 17, (1 << 30) - 1, (1 << 15) ** 2, (1 << 15) ** 2 - 1]
    ns += [rnd.randrange(1, 1 << 30) for _ in range(300)]
    guesses = [-3, 0, 1, 2, 1000, 32767, 1 << 20]
    out = run_mpy(
        "import flight_sense, json\n"
        f"ns = {ns!r}\n"
        f"gs = {guesses!r}\n"
        "print(json.dumps([[flight_sense.isqrt(n, g) for g in gs] for n in ns]))\n"
    )
    for n, row in zip(ns, json.loads(out), strict=True):
        want = math.isqrt(n) if n > 0 else 0
        assert row == [want] * len(guesses), n


def test_screen_magnitude_follows_the_readings_exactly_below_18_g_and_within_16_mg_above():
    rnd = random.Random(11)
    readings = []
    for i in range(400):
        scale = 1000 if i < 200 else 150000  # on the stand, then an entry pulse
        readings.append([rnd.randint(-scale, scale) for _ in range(3)])
    out = run_mpy(
        "import flight_sense, atmosphere, sample, json\n"
        "sc = flight_sense.SensorScreen(atmosphere.Altimeter(0))\n"
        "s = sample.Sample()\n"
        "s.press_dpa = 1013250\n"
        "s.baro_ok = True\n"
        "s.accel_ok = True\n"
        "out = []\n"
        f"for x, y, z in {readings!r}:\n"
        "    s.ax_mg, s.ay_mg, s.az_mg = x, y, z\n"
        "    sc.update(s, 10, False)\n"
        "    out.append(sc.raw_mag_mg)\n"
        "print(json.dumps(out))\n"
    )
    for (x, y, z), got in zip(readings, json.loads(out), strict=True):
        exact = math.sqrt(x * x + y * y + z * z)
        if max(abs(x), abs(y), abs(z)) < 18000:
            assert got == math.isqrt(x * x + y * y + z * z)
        else:
            # each axis loses up to 15 mg to the 16 mg steps, the root one step more
            assert -16 * (math.sqrt(3) + 1) <= got - exact <= 0, (x, y, z, got, exact)
