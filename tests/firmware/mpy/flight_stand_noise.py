"""arm() after 4 s on the stand, for N accelerometers dispersed like a
campaign's noisiest: noise argv[2] mg RMS on each axis, a bias drawn with
30 mg sigma per axis, at the default 100 Hz. Prints N, then how many
refused and why (the refusal up to its value). Its own generator
(tests/support/xorshift.py): the rig seeds `random` for every capsule."""

import sys

from flight_helpers import Capsule, Rig, make_config
from xorshift import Xorshift

n = int(sys.argv[1])
noise_mg = float(sys.argv[2])
rng = Xorshift()
gauss = rng.gauss


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
