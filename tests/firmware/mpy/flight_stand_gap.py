"""A stand window needs readings all through it: time in which the board
read nothing (a loop stalled by a slow flash write or command, frames that
stopped coming) is not time the stand was watched. One clean upright
sample, then nothing for 2.5 s, then a capsule leaning 45 deg (z 707 mg,
within the window's per-sample 700 mg): arm() right after the first leaning
sample, then after 2.5 s more of them at the sample rate. Prints the repr
of both answers, one per line."""

from flight_helpers import stand_rig

lean = [False]


def shape(c, s):
    if lean[0]:
        s.ax_mg, s.ay_mg, s.az_mg = 707, 0, 707


rig = stand_rig(shape)
rig.settle_on_stand(0.1)  # one clean upright sample: a window starts
rig.clock.advance_ms(2500)  # the loop stalls; the capsule is tipped meanwhile
lean[0] = True
rig.settle_on_stand(0.1)
print(repr(rig.fc.arm()))
rig.settle_on_stand(2.5)
print(repr(rig.fc.arm()))
