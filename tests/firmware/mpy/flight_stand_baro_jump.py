"""arm() after 4 s on the stand with a baro that returns garbage across its
range (300..1100 hPa, a new value each sample), then with one as noisy as the
envelope's noisiest (10 hPa RMS), then on a clean stand after one 100 hPa
spike: at once and 2.5 s later. Prints repr of each answer, a line each."""

from flight_helpers import stand_rig
from xorshift import Xorshift

rng = Xorshift()


def garbage(c, s):
    s.press_dpa = 300000 + int(800000 * rng.uniform())


def noisy(c, s):
    s.press_dpa += int(10000 * rng.gauss())


spike = [0]


def one_spike(c, s):
    if spike[0]:
        spike[0] = 0
        s.press_dpa -= 100000  # 100 hPa lower, once


for faults in (garbage, noisy):
    rig = stand_rig(faults)
    rig.settle_on_stand(4.0)
    print(repr(rig.fc.arm()))
rig = stand_rig(one_spike)
rig.settle_on_stand(3.0)
spike[0] = 1
for wait_s in (0.5, 2.5):  # the spike's window broken, then a new one whole
    rig.settle_on_stand(wait_s)
    print(repr(rig.fc.arm()))
