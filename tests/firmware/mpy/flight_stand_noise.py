"""arm() after 4 s on the stand, for N accelerometers dispersed like a
campaign's noisiest: noise argv[2] mg RMS on each axis, a bias drawn with
30 mg sigma per axis, at the default 100 Hz. Prints N, then how many
refused and why (the refusal up to its value). Its own xorshift generator:
the rig seeds `random` for every capsule, so each stand would be the same."""

import math
import sys

from flight_helpers import Capsule, Rig, make_config

n = int(sys.argv[1])
noise_mg = float(sys.argv[2])
state = [2463534242]


def uniform():
    x = state[0]
    x ^= (x << 13) & 0xFFFFFFFF
    x ^= x >> 17
    x ^= (x << 5) & 0xFFFFFFFF
    state[0] = x
    return x / 4294967296.0


def gauss():
    u = uniform() or 1e-12
    return math.sqrt(-2.0 * math.log(u)) * math.cos(6.283185307 * uniform())


bias = [0.0, 0.0, 0.0]


def noisy(c, s):
    s.ax_mg = int(bias[0] + noise_mg * gauss())
    s.ay_mg = int(bias[1] + noise_mg * gauss())
    s.az_mg = int(1000.0 + bias[2] + noise_mg * gauss())


cfg = make_config()
refused = []
for _ in range(n):
    for i in range(3):
        bias[i] = 30.0 * gauss()
    cap = Capsule(h=90000.0, gamma_deg=-6.0, main_cda=6.0)
    cap.stand = True
    rig = Rig(cfg, cap, None, faults=noisy)
    rig.settle_on_stand(4.0)
    why = rig.fc.arm()
    if why is not None:
        refused.append(why)
print(n)
print(len(refused))
for why in refused:
    print(why)
