"""arm() after 4 s on the stand with a baro that returns garbage across its
range (300..1100 hPa, a new value each sample), then with one as noisy as the
envelope's noisiest (10 hPa RMS), then on a clean stand after one 100 hPa
spike: at once and 2.5 s later. Prints repr of each answer, a line each."""

import math

from flight_helpers import stand_rig

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


def garbage(c, s):
    s.press_dpa = 300000 + int(800000 * uniform())


def noisy(c, s):
    s.press_dpa += int(10000 * gauss())


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
rig.settle_on_stand(0.5)
print(repr(rig.fc.arm()))
rig.settle_on_stand(2.5)
print(repr(rig.fc.arm()))
