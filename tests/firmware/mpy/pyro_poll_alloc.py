"""Heap growth of 20 000 polls of a pyro bank (one ms apart) through and
after a drogue pulse. Prints the bytes.
"""

import gc

from pyro_bank import bank


def measure():
    b, _outs, c = bank(pulse=50)
    b.arm()
    b.fire(0, 2)
    gc.collect()
    a = gc.mem_alloc()
    for _ in range(20000):
        c.advance_ms(1)
        b.poll()
    return gc.mem_alloc() - a


print(measure())
