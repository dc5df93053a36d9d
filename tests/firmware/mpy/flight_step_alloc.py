"""Bytes FlightComputer.step() allocates over 100 s armed under a drone,
100 s under the drogue and 100 s under the main (tests/support/int_stream.py);
prints the ARMED bytes, the phase before and after the drogue window, the
drogue window's bytes, then the same three for the main's window."""

import gc

from int_stream import feed, make


def measure():
    fc, clk, s, g, _outs = make("drop")
    feed(fc, clk, s, g, 400, 701200, 0, 1000)  # on the stand (hanging), 4 s
    assert fc.arm() is None
    feed(fc, clk, s, g, 300, 701200, 0, 1000)
    gc.collect()
    a = gc.mem_alloc()
    feed(fc, clk, s, g, 10000, 701200, 0, 1000)  # ARMED, 100 s
    armed = gc.mem_alloc() - a
    # drop: free fall then a steady 25 m/s descent (about 30 Pa/s at 3 km)
    feed(fc, clk, s, g, 300, 701200, -400, 0)
    feed(fc, clk, s, g, 2000, 698000, -300, 1000)
    ph = fc.phase
    gc.collect()
    a = gc.mem_alloc()
    feed(fc, clk, s, g, 10000, 692000, -300, 1000)  # under the drogue, 100 s
    drogue = armed, ph, fc.phase, gc.mem_alloc() - a
    # about 110 m above the ground: the main fires once the screen takes the
    # jump; then a 3 m/s descent (about 36 Pa/s), where the landing rules
    # (the averaged height's settling, band resets and holds) run every sample
    feed(fc, clk, s, g, 600, 1000000, 0, 1000)  # (and the screen reports the jump)
    ph = fc.phase
    gc.collect()
    a = gc.mem_alloc()
    feed(fc, clk, s, g, 10000, 1000000, 360, 1000)  # under the main, 100 s
    return drogue + (ph, fc.phase, gc.mem_alloc() - a)


print(*measure())
