"""The drogue fired in DESCENT with a 300 ms pulse that spans the tick wrap,
polled every 10 ms for 400 ms, then fired again. Prints JSON [first refusal,
second refusal, the output's state after each poll, its edges, fired bits].
"""

import json

import clock
from pyro_bank import bank

b, o, c = bank(start=clock.TICKS_PERIOD - 120, pulse=300)  # the pulse spans the wrap
b.arm()
first = b.fire(0, 2)
on = []
for _ in range(40):
    c.advance_ms(10)
    b.poll()
    on.append(o["drogue"].on)
second = b.fire(0, 2)
print(json.dumps([first, second, on, o["drogue"].edges, b.fired_bits]))
