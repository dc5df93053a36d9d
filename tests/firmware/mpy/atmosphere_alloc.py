"""Bytes allocated over 20000 altimeter readings and standard altitudes."""

import gc

import atmosphere


def measure():
    alt = atmosphere.Altimeter(10, 101000)
    p = 1013250
    gc.collect()
    a = gc.mem_alloc()
    for i in range(20000):
        alt.agl_cm(p - i * 40)
        atmosphere.altitude_cm(p - i * 7, 0)
    return gc.mem_alloc() - a


print(measure())
