"""Disarm, then arm again: the stand window the sequencer kept before arming
says nothing about the capsule now. Armed upright after 3 s on the stand,
then turned over to a 35 deg lean while armed (z 819 mg: every sample within
the window's per-sample limits), disarmed and armed again at once, 1 s later
and 2.5 s later. Prints the repr of the four arm() results, one per line."""

from flight_helpers import stand_rig

lean = [False]


def shape(c, s):
    if lean[0]:
        s.ax_mg, s.ay_mg, s.az_mg = 574, 0, 819


rig = stand_rig(shape)
rig.settle_on_stand(3.0)
print(repr(rig.fc.arm()))
lean[0] = True
rig.settle_on_stand(1.0)
assert rig.fc.disarm() is None
print(repr(rig.fc.arm()))
rig.settle_on_stand(1.0)
print(repr(rig.fc.arm()))
rig.settle_on_stand(1.5)
print(repr(rig.fc.arm()))
