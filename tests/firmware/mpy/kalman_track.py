"""The filter on a known fall: at rest, -5 m/s2 for 4 s, then constant speed,
with deterministic uniform noise of a given rms on the baro height and the
acceleration.

argv: the mode's name in kalman (BOTH, BARO, ACCEL), sample rate Hz,
seconds, baro noise rms cm, accel noise rms cm/s2. Prints the rms and the
largest speed error (cm/s) over the last half and the final height error (cm).
"""

import random
import sys

import kalman

MODE = getattr(kalman, sys.argv[1])
HZ, SECONDS, NH, NA = (int(x) for x in sys.argv[2:6])
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
