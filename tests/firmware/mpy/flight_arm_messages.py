"""What an arming refusal tells the stand crew about the stand window. arm()
after 1 s on the stand: from boot; after one sample whose pressure read
115 000 Pa (not a ground pressure); after one accelerometer bus error; after
a disarm (an unsteady sample from before arming is history). Then once the
capsule has landed and beacons (disarmed, not on the stand). Prints the
repr of each answer, one per line."""

from flight_helpers import stand_rig

bad = [None]


def shape(c, s):
    if bad[0] == "baro":
        s.press_dpa = 1150000
    elif bad[0] == "accel":
        s.accel_ok = False
    bad[0] = None  # one sample only


rig = stand_rig(shape)
fc = rig.fc
rig.settle_on_stand(1.0)
print(repr(fc.arm()))
for what in ("baro", "accel"):
    bad[0] = what
    rig.settle_on_stand(1.0)
    print(repr(fc.arm()))
rig.settle_on_stand(2.5)
assert fc.arm() is None and fc.disarm() is None
rig.settle_on_stand(1.0)
print(repr(fc.arm()))
rig.settle_on_stand(2.5)
assert fc.arm() is None
fc._enter(5, "steady")  # down: LANDED, the pyro bank disarmed
rig.settle_on_stand(0.1)  # -> BEACON
print(repr(fc.arm()), fc.phase, fc.armed)
