"""The filter under re-entry extremes (120 km, 11 km/s, up to 30 g, every
mode and step) and nonsense input: every state value and the intermediates
of the next prediction and gain products stay below 2**30 (asserted here);
prints the largest state value seen."""

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
kf.reset(12000000, -1100000, -19620)  # 120 km, 11 km/s down, 2 g
check(kf)
for alt, acc in ((12000000, 196200), (-500000, -196200), (12500000, 294000), (0, -294000)):
    for mode in (kalman.BOTH, kalman.BARO, kalman.ACCEL, kalman.NONE):
        for dt in (1, 10, 100, 1000, 60000):
            kf.update(dt, alt, acc, mode)
            check(kf)
kf.reset(2**40, 2**40, 2**40)  # nonsense in: clamped
check(kf)
g = max(max(abs(x) for x in row) for row in kalman.GAINS.values())
assert g < 2**18 and (kalman.FAST_E - 1) * g < LIM
assert kalman.E_LIMIT < 2**24
print(worst)
