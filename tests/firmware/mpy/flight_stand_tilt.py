"""The upright check judges the stand window's average capsule z, not one
sample. argv[1] picks the stand:
  noisy  - upright, but every 7th sample reads z = 760 mg (a noisy part's
           low tail; within the window's per-sample 700 mg)
  leaning - every sample within the window's limits, but the average z is
           about 850 mg (below UPRIGHT_MG = 866): 900 and 760 mg alternating
           two to one
  tilted - a steady 35 deg lean: z = 819 mg, x = 574 mg
arm() is tried 21 times, each after 2.5 s on the stand (and for `noisy`
right after a low sample), disarming after each success. Prints the number of refusals, then the first refusal (or
None)."""

import sys

from flight_helpers import stand_rig

stand = sys.argv[1]
n = [0]


def shape(c, s):
    n[0] += 1
    if stand == "noisy":
        if n[0] % 7 == 0:
            s.ax_mg, s.ay_mg, s.az_mg = 0, 0, 760
    elif stand == "leaning":
        s.ax_mg, s.ay_mg = 0, 0
        s.az_mg = 760 if n[0] % 3 == 0 else 900
    elif stand == "tilted":
        s.ax_mg, s.ay_mg, s.az_mg = 574, 0, 819
    else:
        raise ValueError(stand)


rig = stand_rig(shape)
refusals = []
for _ in range(21):
    rig.settle_on_stand(2.5)  # a whole stand window (disarm starts a new one)
    if stand == "noisy":
        while n[0] % 7:  # arm right after one of the low samples
            rig.settle_on_stand(rig.period_ms / 1000)
    why = rig.fc.arm()
    if why is None:
        assert rig.fc.disarm() is None
    else:
        refusals.append(why)
print(len(refusals))
print(refusals[0] if refusals else None)
