"""arm() after five garbage accelerometer frames (6180, 2704, 733 mg) on a
clean stand: at once, 1.7 s later and 0.5 s after that (repr of each, the last
with the phase), then the 1 g the arm event took."""

from flight_helpers import stand_rig

bad = [0]


def garbage(c, s):
    if bad[0] > 0:
        bad[0] -= 1
        s.az_mg = (6180, 2704, 733)[bad[0] % 3]


rig = stand_rig(garbage)
rig.settle_on_stand(3.0)
bad[0] = 5
rig.settle_on_stand(0.5)
print(repr(rig.fc.arm()))
rig.settle_on_stand(1.7)
print(repr(rig.fc.arm()))
rig.settle_on_stand(0.5)
print(repr(rig.fc.arm()), rig.fc.phase)
for n, d in rig.events.log:
    if n == "arm":
        print(d["one_g_mg"])
