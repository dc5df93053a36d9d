"""Offline design of the Kalman gains in kalman.py (floats; never imported by
the flight loop, and kept apart so the board does not carry it in RAM).

`steady_gains(dt, rows)` iterates the discrete Riccati equation of the
constant-jerk model to its steady state; `gain_row(hz)` turns the three
measurement sets (both, baro only, accel only) into the Q16 tuple of
kalman_gains.GAINS; `print_gain_table()` prints the table to paste. Pure Python: it
runs on CPython and MicroPython alike (the tests run it on MicroPython and
compare with an independent numpy design on CPython).
"""

SIGMA_BARO_M = 1.0  # baro altitude noise, incl. gusts and port effects
SIGMA_ACCEL_M_S2 = 1.0  # vertical accel noise, incl. swing under a chute
JERK_PSD = 100.0  # m2/s5: how fast the true acceleration may change
# Baro alone sees the acceleration only through the second difference of a
# noisy height; a calmer model keeps its speed noise near 1 m/s rms for 1 m
# of baro noise (the landing rule needs well under 3 m/s).
JERK_PSD_BARO = 10.0
SAMPLE_RATES_HZ = (10, 20, 25, 50, 100, 200)


def _mat_mul(a, b):
    return [
        [sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))]
        for i in range(len(a))
    ]


def _transpose(a):
    return [list(r) for r in zip(*a)]


def _inverse_small(m):
    if len(m) == 1:
        return [[1.0 / m[0][0]]]
    a, b = m[0]
    c, d = m[1]
    det = a * d - b * c
    return [[d / det, -b / det], [-c / det, a / det]]


def steady_gains(dt, rows, sigma_h=SIGMA_BARO_M, sigma_a=SIGMA_ACCEL_M_S2, q=JERK_PSD, n=3000):
    """Steady-state Kalman gain (3 x len(rows)) of the constant-jerk model,
    iterating the discrete Riccati equation. rows: measured state indices,
    (0,) baro, (2,) accel, (0, 2) both."""
    f = [[1.0, dt, dt * dt / 2], [0.0, 1.0, dt], [0.0, 0.0, 1.0]]
    d2, d3, d4, d5 = dt**2, dt**3, dt**4, dt**5
    qm = [
        [q * d5 / 20, q * d4 / 8, q * d3 / 6],
        [q * d4 / 8, q * d3 / 3, q * d2 / 2],
        [q * d3 / 6, q * d2 / 2, q * dt],
    ]
    h = [[1.0 if j == r else 0.0 for j in range(3)] for r in rows]
    noise = {0: sigma_h * sigma_h, 2: sigma_a * sigma_a}
    p = [[100.0 if i == j else 0.0 for j in range(3)] for i in range(3)]
    ft = _transpose(f)
    ht = _transpose(h)
    k = None
    for _ in range(n):
        pp = _mat_mul(_mat_mul(f, p), ft)
        pp = [[pp[i][j] + qm[i][j] for j in range(3)] for i in range(3)]
        s = _mat_mul(_mat_mul(h, pp), ht)
        for i in range(len(rows)):
            s[i][i] += noise[rows[i]]
        k_old = k
        k = _mat_mul(_mat_mul(pp, ht), _inverse_small(s))
        if (
            k_old is not None
            and max(abs(k[i][j] - k_old[i][j]) for i in range(3) for j in range(len(rows))) < 1e-13
        ):
            break
        kh = _mat_mul(k, h)
        ikh = [[(1.0 if i == j else 0.0) - kh[i][j] for j in range(3)] for i in range(3)]
        p = _mat_mul(ikh, pp)
    return k


def gain_row(hz):
    """The GAINS entry for a rate, as Q16 ints (rounded)."""
    dt = 1.0 / hz
    both = steady_gains(dt, (0, 2))
    baro = steady_gains(dt, (0,), q=JERK_PSD_BARO)
    accel = steady_gains(dt, (2,))

    def q(x):
        return int(x * 65536 + (0.5 if x >= 0 else -0.5))

    return tuple(
        [q(both[i][0]) for i in range(3)]
        + [q(both[i][1]) for i in range(3)]
        + [q(baro[i][0]) for i in range(3)]
        + [q(accel[i][0]) for i in range(3)]
    )


def print_gain_table():
    for hz in SAMPLE_RATES_HZ:
        print("    %d: %s," % (hz, gain_row(hz)))
