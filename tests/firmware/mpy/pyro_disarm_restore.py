"""A drogue pulse cut by disarming, and a new bank told after a reset that the
main already fired, then asked to fire it. Prints JSON [drogue output still on
after disarm, refusal of the main, the main output's edges, fired bits].
"""

import json

from pyro_bank import bank

b, o, _ = bank()
b.arm()
b.fire(0, 2)
b.disarm()
cut = o["drogue"].on
b2, o2, _ = bank()
b2.restore_fired(0b10)  # the main fired before a reset
b2.arm()
why = b2.fire(1, 3)
print(json.dumps([cut, why, o2["main"].edges, b2.fired_bits]))
