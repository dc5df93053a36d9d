"""Time for the firmware, read through one object so a drop test can run a
20-minute descent in seconds.

Every time in the firmware is a *tick* in milliseconds that wraps like
`time.ticks_ms()` on a microcontroller (period 2**30 on rp2/esp32). Code never
subtracts ticks directly: it calls `diff_ms(later, earlier)`, which is correct
across the wrap. The virtual clock wraps at the same period on purpose, so the
wrap is exercised on the unix port too (where `ticks_ms` wraps at 2**62).
"""

import time

TICKS_PERIOD = 1 << 30
TICKS_MAX = TICKS_PERIOD - 1
TICKS_HALF = TICKS_PERIOD >> 1


# Tick arithmetic keeps every intermediate inside a 32-bit port's small ints
# (-2**30 .. 2**30 - 1): `ticks + delta` or `later - earlier + TICKS_HALF`
# may reach 2**30 near the wrap, a big integer that allocates. Adding
# TICKS_HALF modulo 2**30 flips bit 29, so it is an XOR instead.


def diff_ms(later, earlier):
    """Signed difference of two ticks in ms (same contract as time.ticks_diff)."""
    return (((later - earlier) ^ TICKS_HALF) & TICKS_MAX) - TICKS_HALF


def add_ms(ticks, delta_ms):
    """`ticks` + `delta_ms` (|delta_ms| < 2**29), wrapped like the ticks."""
    return ((ticks - TICKS_HALF + delta_ms) & TICKS_MAX) ^ TICKS_HALF


class TicksClock:
    """The board's own millisecond timer."""

    virtual = False

    def now_ms(self):
        return time.ticks_ms() & TICKS_MAX

    def diff_ms(self, later, earlier):
        return time.ticks_diff(later, earlier)

    def sleep_ms(self, ms):
        time.sleep_ms(ms)


class VirtualClock:
    """Time that moves only when the drop-test host says so (each sample frame
    carries its time). `sleep_ms` advances nothing: a virtual board is paced by
    its samples, not by the wall."""

    virtual = True

    def __init__(self, start_ms=0):
        self._now = start_ms & TICKS_MAX

    def now_ms(self):
        return self._now

    def set_ms(self, ticks):
        self._now = ticks & TICKS_MAX

    def advance_ms(self, delta_ms):
        self._now = ((self._now - TICKS_HALF + delta_ms) & TICKS_MAX) ^ TICKS_HALF  # add_ms

    def diff_ms(self, later, earlier):
        return (((later - earlier) ^ TICKS_HALF) & TICKS_MAX) - TICKS_HALF  # diff_ms

    def sleep_ms(self, ms):
        pass
