"""An indicator driving recording pins on a virtual clock, for indicator tests.

Runs inside the MicroPython unix port (tests put tests/support on its path):
`ind` drives the TimedPins `led` and `buz` (timed_pin.py), which remember
each transition and the clock's time at it; `run(mode, ms)` polls the
indicator in `mode` once a virtual millisecond, as the flight loop does.
"""

import clock
import indicator
from timed_pin import TimedPin

clk = clock.VirtualClock(0)
led = TimedPin(clk)
buz = TimedPin(clk)
ind = indicator.Indicator(clk, led, buz)


def run(mode, ms):
    for _ in range(ms):
        ind.poll(mode)
        clk.advance_ms(1)
