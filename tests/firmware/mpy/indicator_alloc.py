"""What the indicator's poll() and mode changes allocate: prints the bytes.

An indicator on output pins that record nothing, channel 0 with continuity,
polled once a virtual millisecond for 3000 ms in each of the armed, fault
and beacon modes; the heap growth of a second such run after a first one.
"""

import clock
import heap_probe
import indicator

MODES = (indicator.MODE_ARMED, indicator.MODE_FAULT, indicator.MODE_BEACON)


class Quiet:
    def value(self, v):
        pass


clk = clock.VirtualClock(0)
ind = indicator.Indicator(clk, Quiet(), Quiet())
ind.set_continuity(0, True)


def many():
    for m in MODES:
        for _ in range(3000):
            ind.poll(m)
            clk.advance_ms(1)


many()
print(heap_probe.alloc_of(many))
