"""The fixed-point vertical filter (firmware/kalman.py) on MicroPython.

Oracles: the gain table is recomputed here with numpy (an independent
Riccati iteration on CPython); the integer prediction is compared with exact
constant-acceleration kinematics; tracking is checked against a known
trajectory with noise. Ranges are checked with extreme re-entry inputs
(120 km, 11 km/s, 200 g) through a guard that sees every intermediate.
"""

import json

import numpy as np
from mpy import run_mpy

from host_tools.firmware_files import TOOLS_DIR

# independent design parameters, restated (must match firmware/tools/flight_gains.py)
SIGMA_H = 1.0
SIGMA_A = 1.0
JERK_PSD = 100.0
JERK_PSD_BARO = 10.0  # the baro-only filter's calmer model


def _numpy_gains(dt, rows, q_psd=JERK_PSD):
    f = np.array([[1, dt, dt * dt / 2], [0, 1, dt], [0, 0, 1]])
    q = q_psd * np.array(
        [
            [dt**5 / 20, dt**4 / 8, dt**3 / 6],
            [dt**4 / 8, dt**3 / 3, dt**2 / 2],
            [dt**3 / 6, dt**2 / 2, dt],
        ]
    )
    h = np.zeros((len(rows), 3))
    for i, r in enumerate(rows):
        h[i, r] = 1.0
    r_noise = np.diag([SIGMA_H**2 if r == 0 else SIGMA_A**2 for r in rows])
    p = np.eye(3) * 100.0
    k = np.zeros((3, len(rows)))
    for _ in range(20000):
        pp = f @ p @ f.T + q
        s = h @ pp @ h.T + r_noise
        k_new = pp @ h.T @ np.linalg.inv(s)
        p = (np.eye(3) - k_new @ h) @ pp
        if np.max(np.abs(k_new - k)) < 1e-13:
            return k_new
        k = k_new
    return k


def test_gain_table_matches_an_independent_riccati_design():
    table = json.loads(
        run_mpy(
            "import kalman, json\nprint(json.dumps({str(k): v for k, v in kalman.GAINS.items()}))"
        )
    )
    for hz_text, row in table.items():
        dt = 1.0 / int(hz_text)
        both = _numpy_gains(dt, (0, 2))
        baro = _numpy_gains(dt, (0,), JERK_PSD_BARO)
        accel = _numpy_gains(dt, (2,))
        want = list(both[:, 0]) + list(both[:, 1]) + list(baro[:, 0]) + list(accel[:, 0])
        for got, w in zip(row, want):
            assert abs(got - w * 65536) <= 1.0, (hz_text, row, [round(x * 65536, 1) for x in want])
        assert all(abs(g) < 2**18 for g in row)  # the single-multiply bound


def test_gain_design_runs_on_micropython_and_reproduces_the_table():
    out = run_mpy(
        "import kalman, flight_gains\n"
        "print(flight_gains.gain_row(10) == kalman.GAINS[10], flight_gains.gain_row(50) == kalman.GAINS[50])",
        timeout=120,
        extra_path=[TOOLS_DIR],
    )
    assert out.split() == ["True", "True"]


def test_split_multiply_matches_exact_products():
    import random

    rng = random.Random(7)
    cases = [
        (rng.randint(-(2**24) + 1, 2**24 - 1), rng.randint(-(2**20) + 1, 2**20 - 1))
        for _ in range(400)
    ]
    cases += [(2**24 - 1, 2**20 - 1), (-(2**24) + 1, 2**20 - 1), (0, 12345), (4095, 151058)]
    out = run_mpy(
        f"import kalman, json\nprint(json.dumps([kalman.mul_q16(x, k) for x, k in {cases}]))"
    )
    for (x, k), got in zip(cases, json.loads(out)):
        exact = abs(x * k) // 65536 * (1 if x * k >= 0 else -1)  # truncated toward zero
        assert abs(got - exact) <= 4, (x, k, got, exact)


def test_prediction_is_exact_constant_acceleration_kinematics():
    # 1 g for 6.4 s from rest in uneven steps: v = a t to the mm/s; h = a t^2 / 2
    # within 1 mm per second (the speed is whole mm/s, its remainder carried)
    out = run_mpy(
        """
import kalman
kf = kalman.Kalman(100)
kf.reset(100000, 0, 981)   # 1 km, at rest, +981 cm/s2
t = 0
for dt in [7, 13, 10, 3, 20, 1, 250, 9] * 20 + [100]:
    kf.update(dt, 0, 0, kalman.NONE)
    t += dt
print(t, kf.h_mm, kf.v_mms)
"""
    )
    t_ms, h_mm, v_mms = (int(x) for x in out.split())
    a = 9810  # mm/s2
    assert v_mms == a * t_ms // 1000
    assert abs(h_mm - (1000000 + a * t_ms * t_ms // 2000000)) <= t_ms // 1000 + 1


def _track(mode, sample_hz, noise_h_cm, noise_a_cms2, seconds):
    """Run the filter on a known fall (at rest, -5 m/s2 for 4 s, then constant
    speed) with deterministic uniform noise of the given rms; return the rms
    and the largest speed error (cm/s) over the last half, and the final
    height error (cm)."""
    params = f"import kalman\nMODE = {mode}\nHZ = {sample_hz}\nSECONDS = {seconds}\n"
    params += f"NH = {noise_h_cm}\nNA = {noise_a_cms2}\n"
    out = run_mpy(
        params
        + """
import kalman, random
random.seed(3)
kf = kalman.Kalman(HZ)
dt = 1000 // HZ
h = 300000.0
v = 0.0
kf.reset(300000, 0, 0)
se = 0.0
n = 0
worst = 0
for i in range(SECONDS * HZ):
    a = -500.0 if i < 4 * HZ else 0.0
    v += a * dt / 1000
    h += v * dt / 1000
    z = int(h + NH * (random.random() - 0.5) * 3.46)
    am = int(a + NA * (random.random() - 0.5) * 3.46)
    kf.update(dt, z, am, MODE)
    if i >= SECONDS * HZ // 2:
        e = kf.speed_cms - v
        se += e * e
        n += 1
        worst = max(worst, abs(e))
print(int((se / n) ** 0.5), int(worst), kf.alt_cm - int(h))
"""
    )
    return [int(x) for x in out.split()]


def test_filter_tracks_a_fall_with_both_sensors_and_with_baro_alone():
    # 1 m rms baro noise, 0.5 m/s2 rms accel noise
    for mode, rms_max in (("kalman.BOTH", 30), ("kalman.BARO", 120)):
        for hz in (20, 100):
            rms, worst, dh = _track(mode, hz, 100, 50, 16)
            assert rms < rms_max, (mode, hz, rms)
            assert worst < 3 * rms_max, (mode, hz, worst)
            assert abs(dh) < 150, (mode, hz, dh)  # within 1.5 m


def test_accelerometer_alone_carries_the_speed():
    # from a correct start, integrating the measured acceleration only
    _, worst, _ = _track("kalman.ACCEL", 100, 0, 20, 6)
    assert worst < 30


def test_reentry_extremes_keep_every_value_below_2_pow_30():
    out = run_mpy(
        """
import kalman
LIM = 1 << 30
worst = 0
def check(kf):
    global worst
    for x in (kf.h_mm, kf.v_mms, kf.a_mms2, kf._h_rem, kf._v_rem):
        if abs(x) > worst:
            worst = abs(x)
        assert abs(x) < LIM, x
    # the intermediates of the next prediction and gain products
    for dt in (1, kalman.SUBSTEP_MS):
        assert abs(kf.a_mms2 * dt + kf._v_rem) < LIM
        assert abs(2 * kalman.V_LIMIT_MMS * dt + 2000) < LIM
kf = kalman.Kalman(10)
kf.reset(12000000, -1100000, -19620)     # 120 km, 11 km/s down, 2 g
check(kf)
for alt, acc in ((12000000, 196200), (-500000, -196200), (12500000, 294000), (0, -294000)):
    for mode in (kalman.BOTH, kalman.BARO, kalman.ACCEL, kalman.NONE):
        for dt in (1, 10, 100, 1000, 60000):
            kf.update(dt, alt, acc, mode)
            check(kf)
kf.reset(2**40, 2**40, 2**40)            # nonsense in: clamped
check(kf)
g = max(max(abs(x) for x in row) for row in kalman.GAINS.values())
assert g < 2**18 and (kalman.FAST_E - 1) * g < LIM
assert kalman.E_LIMIT < 2**24
print(worst)
"""
    )
    assert 0 < int(out) < 2**30


def test_update_allocates_nothing():
    out = run_mpy(
        """
import gc, kalman
def measure():
    kf = kalman.Kalman(100)
    kf.reset(1000000, -3000, 0)
    gc.collect()
    a = gc.mem_alloc()
    for i in range(20000):
        kf.update(10, 1000000 - i * 30 + (i % 7) * 40, (i % 5) * 20, i & 3)
    return gc.mem_alloc() - a
print(measure())
"""
    )
    assert int(out) == 0


# -- the native update against the filter written as plain Python ------------------
def _reference_update(st, g, dt, alt_cm, acc_cms2, mode):
    """One update of the fixed-gain filter on CPython, from the module
    docstring's contract: st = [h, v, a, h_rem, v_rem, rejoins] (mm, mm/s,
    mm/s2), g = the 12 Q16 gains. Written for clarity, not speed."""
    sub, lim_h, lim_v, lim_a = 20, 0x1FFFFFFF, 15000000, 2941995
    e_lim, fast, rejoin = 0x7FFFFF, 4096, 200000

    def clamp(x, m):
        return max(-m, min(m, x))

    def mul(x, k):  # the split multiply: |x*k/2**16| truncated toward zero
        q = (abs(x) >> 12) * (abs(k) >> 10) << 6
        q += ((abs(x) >> 12) * (abs(k) & 0x3FF)) >> 4
        q += ((abs(x) & 0xFFF) * (abs(k) >> 10)) >> 6
        q += ((abs(x) & 0xFFF) * (abs(k) & 0x3FF)) >> 16
        return q if (x < 0) == (k < 0) else -q

    def gain(e, k):
        return (e * k) >> 16 if abs(e) < fast else mul(e, k)

    h, v, a, hr, vr, rj = st
    dt = min(dt, 1000)
    while dt > 0:
        step = min(dt, sub)
        n = a * step + vr
        v1 = v + n // 1000
        vr = n % 1000
        if abs(v1) > lim_v:
            v1, vr = clamp(v1, lim_v), 0
        n = (v + v1) * step + hr
        h, hr, v = h + n // 2000, n % 2000, v1
        dt -= step
        if dt > 0:
            h = clamp(h, lim_h)
    if mode & 1:
        eh = alt_cm * 10 - h
        if abs(eh) > rejoin:
            h, hr, rj, eh = alt_cm * 10, 0, rj + 1, 0
        if mode == 3:
            ea = acc_cms2 * 10 - a
            if abs(eh) < fast and abs(ea) < fast:
                dh, dv, da = ((eh * g[i]) >> 16 for i in range(3))
                h, v, a = h + dh, v + dv, a + da
                dh, dv, da = ((ea * g[i]) >> 16 for i in range(3, 6))
            else:
                ea = clamp(ea, e_lim)
                h, v, a = h + mul(eh, g[0]), v + mul(eh, g[1]), a + mul(eh, g[2])
                dh, dv, da = (mul(ea, g[i]) for i in range(3, 6))
        else:
            dh, dv, da = (gain(eh, g[i]) for i in range(6, 9))
        h, v, a = h + dh, v + dv, a + da
    elif mode == 2:
        ea = clamp(acc_cms2 * 10 - a, e_lim)
        h, v, a = h + gain(ea, g[9]), v + gain(ea, g[10]), a + gain(ea, g[11])
    st[:] = [clamp(h, lim_h), clamp(v, lim_v), clamp(a, lim_a), hr, vr, rj]


def test_native_update_matches_the_filter_written_in_plain_python():
    import random

    rnd = random.Random(5)
    runs = []
    for _ in range(12):
        hz = rnd.choice([10, 20, 25, 50, 100, 200])
        h0 = rnd.randint(-100000, 12000000)
        steps = []
        for _ in range(250):
            far = rnd.random() < 0.1
            steps.append(
                (
                    rnd.choice([0, 1, 5, 10, 20, 21, 40, 45, 100, 999, 1000, 5000]),
                    h0 + (rnd.randint(-300000, 300000) if far else rnd.randint(-500, 500)),
                    rnd.randint(-300000, 300000) if far else rnd.randint(-2000, 2000),
                    rnd.randint(0, 3),
                )
            )
        runs.append((hz, h0, steps))
    out = run_mpy(
        "import kalman, json\n"
        f"runs = {runs!r}\n"
        "res = []\n"
        "for hz, h0, steps in runs:\n"
        "    kf = kalman.Kalman(hz)\n"
        "    kf.reset(h0, 0, 0)\n"
        "    for dt, alt, acc, mode in steps:\n"
        "        kf.update(dt, alt, acc, mode)\n"
        "        res.append([kf.h_mm, kf.v_mms, kf.a_mms2, kf._h_rem, kf._v_rem, kf.rejoins,\n"
        "                    kf.alt_cm, kf.speed_cms, kf.accel_cms2])\n"
        "print(json.dumps(res))\n",
        heap="4M",
    )
    got = iter(json.loads(out))
    gains = {hz: list(g) for hz, g in _gains_table().items()}
    for hz, h0, steps in runs:
        st = [h0 * 10, 0, 0, 0, 0, 0]
        for dt, alt, acc, mode in steps:
            _reference_update(st, gains[hz], dt, alt, acc, mode)
            want = st + [st[0] // 10, st[1] // 10, st[2] // 10]
            assert next(got) == want, (hz, dt, alt, acc, mode)


def _gains_table():
    """The firmware's gain table (checked against an independent design above)."""
    out = run_mpy(
        "import kalman, json\nprint(json.dumps({str(k): v for k, v in kalman.GAINS.items()}))"
    )
    return {int(k): v for k, v in json.loads(out).items()}
