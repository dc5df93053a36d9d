"""A seeded xorshift32 generator for MicroPython test scripts that need their
own stream of draws: the flight rig seeds `random` for every capsule, so draws
from `random` would repeat from one stand to the next."""

import math


class Xorshift:
    def __init__(self, seed=2463534242):
        self.state = seed

    def uniform(self):
        """A draw in [0, 1)."""
        x = self.state
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.state = x
        return x / 4294967296.0

    def gauss(self):
        """A standard normal draw (Box-Muller)."""
        u = self.uniform() or 1e-12
        return math.sqrt(-2.0 * math.log(u)) * math.cos(6.283185307 * self.uniform())
