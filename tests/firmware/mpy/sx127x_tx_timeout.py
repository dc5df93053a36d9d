"""A 40-byte packet sent on an SX127x model that never finishes transmitting:
polled at its air time, then past TX_TIMEOUT_MARGIN_MS, then once more.
Prints JSON [air time ms, the three poll results, busy, tx_timeouts, chip mode].
"""

import json

import sx127x
from sx127x_rig import start

clk, chip, radio = start(tx_ms=None)
radio.init()
radio.send(b"x" * 40, 40)
air = radio.last_airtime_ms
res = []
clk.advance_ms(air)
res.append(radio.poll())
clk.advance_ms(sx127x.TX_TIMEOUT_MARGIN_MS + 1)
res.append(radio.poll())
res.append(radio.poll())
print(json.dumps([air, res, radio.busy(), radio.tx_timeouts, chip.mode()]))
