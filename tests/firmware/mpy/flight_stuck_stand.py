"""An armed board on a still stand whose accelerometer sticks at a noisy 6 g
for 10 minutes; prints arm()'s answer, then the phase, whether an orbit was
seen and the drogue output's rising edges."""

import random

from flight_helpers import FAST, Capsule, Rig, make_config


def faults(c, s):
    s.az_mg = 6000 + random.randint(-30, 30)  # 6 g, noisy, on a still stand


cfg = make_config(**FAST)
cap = Capsule(h=0.0)
cap.stand = True
rig = Rig(cfg, cap, None)
rig.settle_on_stand(3.0)
print(rig.fc.arm())
rig.faults = faults
rig.settle_on_stand(600.0)
print(rig.fc.phase, rig.fc.orbit_seen, rig.outputs["drogue"].rises)
