"""Tick arithmetic across the 2**30 wrap and what it allocates.

A virtual clock starting 25 ms before TICKS_MAX advances 50 ms, one at a
time, with diff_ms/add_ms on each tick; prints "bytes sum now_ms": the heap
growth over the loop, the sum of the differences (14 a tick) and the clock's
reading after the wrap.
"""

import gc

import clock


def run():
    c = clock.VirtualClock(clock.TICKS_MAX - 25)
    t0 = c.now_ms()
    n = 0
    gc.collect()
    a = gc.mem_alloc()
    for _ in range(50):
        c.advance_ms(1)
        t = c.now_ms()
        n += c.diff_ms(t, t0) + clock.diff_ms(t0, t)
        n += clock.diff_ms(clock.add_ms(t, 7), clock.add_ms(t, -7))
    return gc.mem_alloc() - a, n, c.now_ms()


print(*run())
