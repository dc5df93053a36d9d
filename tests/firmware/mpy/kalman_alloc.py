"""Bytes the filter allocates over 20000 updates in every mode."""

import gc

import kalman


def measure():
    kf = kalman.Kalman(100)
    kf.reset(1000000, -3000, 0)
    gc.collect()
    a = gc.mem_alloc()
    for i in range(20000):
        kf.update(10, 1000000 - i * 30 + (i % 7) * 40, (i % 5) * 20, i & 3)
    return gc.mem_alloc() - a


print(measure())
