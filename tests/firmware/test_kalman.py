"""The fixed-point vertical filter (firmware/kalman.py) on MicroPython.

Oracles: the gain table is recomputed here with numpy (an independent
Riccati iteration on CPython); the integer prediction is compared with exact
constant-acceleration kinematics; tracking is checked against a known
trajectory with noise. Ranges are checked with extreme re-entry inputs
(120 km, 11 km/s, 200 g) through a guard that sees every intermediate.
"""

import json

import numpy as np
from mpy import SCRIPTS, run_mpy

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
    table = _gains_table()
    for hz, row in table.items():
        dt = 1.0 / hz
        both = _numpy_gains(dt, (0, 2))
        baro = _numpy_gains(dt, (0,), JERK_PSD_BARO)
        accel = _numpy_gains(dt, (2,))
        want = list(both[:, 0]) + list(both[:, 1]) + list(baro[:, 0]) + list(accel[:, 0])
        for got, w in zip(row, want):
            assert abs(got - w * 65536) <= 1.0, (hz, row, [round(x * 65536, 1) for x in want])
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
    out = run_mpy(file=SCRIPTS / "kalman_kinematics.py")
    t_ms, h_mm, v_mms = (int(x) for x in out.split())
    a = 9810  # mm/s2
    assert v_mms == a * t_ms // 1000
    assert abs(h_mm - (1000000 + a * t_ms * t_ms // 2000000)) <= t_ms // 1000 + 1


def _track(mode, sample_hz, noise_h_cm, noise_a_cms2, seconds):
    """Run the filter (mode BOTH, BARO or ACCEL) on a known fall (at rest, -5 m/s2 for 4 s, then constant
    speed) with deterministic uniform noise of the given rms; return the rms
    and the largest speed error (cm/s) over the last half, and the final
    height error (cm)."""
    out = run_mpy(
        file=SCRIPTS / "kalman_track.py",
        args=[mode, sample_hz, seconds, noise_h_cm, noise_a_cms2],
    )
    return [int(x) for x in out.split()]


def test_filter_tracks_a_fall_with_both_sensors_and_with_baro_alone():
    # 1 m rms baro noise, 0.5 m/s2 rms accel noise
    for mode, rms_max in (("BOTH", 30), ("BARO", 120)):
        for hz in (20, 100):
            rms, worst, dh = _track(mode, hz, 100, 50, 16)
            assert rms < rms_max, (mode, hz, rms)
            assert worst < 3 * rms_max, (mode, hz, worst)
            assert abs(dh) < 150, (mode, hz, dh)  # within 1.5 m


def test_accelerometer_alone_carries_the_speed():
    # from a correct start, integrating the measured acceleration only
    _, worst, _ = _track("ACCEL", 100, 0, 20, 6)
    assert worst < 30


def test_reentry_extremes_keep_every_value_below_2_pow_30():
    out = run_mpy(file=SCRIPTS / "kalman_extremes.py")
    assert 0 < int(out) < 2**30


def test_update_allocates_nothing():
    out = run_mpy(file=SCRIPTS / "kalman_alloc.py")
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
    out = run_mpy(file=SCRIPTS / "kalman_runs.py", stdin=json.dumps(runs), heap="4M")
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
