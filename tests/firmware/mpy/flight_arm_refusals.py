"""arm() on the stand: before any sample, with both pyro channels open, on a
low battery, with the arm switch open, then with everything right (repr of
each answer; the last with the phase and whether the pyro bank is armed)."""

from flight_helpers import FAST, Capsule, Rig, make_config

cfg = make_config(**FAST)
cap = Capsule(h=0.0)
cap.stand = True
rig = Rig(cfg, cap, None, cont=False)
print(repr(rig.fc.arm()))
rig.settle_on_stand(2.5)
print(repr(rig.fc.arm()))
rig = Rig(cfg, cap, None)
rig.settle_on_stand(2.5)
rig.sample.vbatt_mv = 3300
print(repr(rig.fc.arm()))
rig.sample.vbatt_mv = 3900
print(repr(rig.fc.arm(False)))
print(repr(rig.fc.arm()), rig.fc.phase, rig.bank.armed)
