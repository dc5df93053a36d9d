"""A pyro bank (firmware/pyro.py) on MicroPython with outputs that record
what the bank does to them, for the interlock tests.

`bank()` returns the bank, its outputs by channel name (each `Out` keeps its
state, its 0/1 edges and the continuity it reports) and its virtual clock.
"""

import clock
import pyro


class Out:
    def __init__(self, cont=True):
        self.on = False
        self.cont = cont
        self.edges = []

    def set(self, on):
        if on != self.on:
            self.edges.append(1 if on else 0)
        self.on = on

    def continuity(self):
        return self.cont


def bank(start=0, pulse=500, cont=None):
    """Channels drogue, main and cutter, a pulse of `pulse` ms, the clock at
    `start`; `cont` maps a channel to the continuity its output reports."""
    cont = cont or {}
    outs = {n: Out(cont.get(n, True)) for n in ("main", "drogue", "cutter")}
    c = clock.VirtualClock(start)
    return pyro.PyroBank(outs, c, pulse), outs, c
