"""A packet (hex on stdin) sent from a 200-byte buffer whose tail must not be
sent, on the SX127x chip model with DIO0 wired: polled at once and 100 ms
later. Prints JSON [started, busy after send, the two poll results, busy at
the end, the FIFO length and bytes the chip transmitted, its DIO0 mapping,
mode, violations and the last one, packets the driver sent].
"""

import json
import sys
from binascii import unhexlify

from sx127x_rig import start

clk, chip, radio = start()
radio.init()
pkt = unhexlify(sys.stdin.read().strip())
buf = bytearray(200)
buf[0 : len(pkt)] = pkt
for i in range(len(pkt), 200):
    buf[i] = 0xEE  # beyond n: must not be sent
started = radio.send(buf, len(pkt))
busy_after_send = radio.busy()
r1 = radio.poll()
clk.advance_ms(100)
r2 = radio.poll()
print(json.dumps([started, busy_after_send, r1, r2, radio.busy(), chip.tx_len,
                  list(chip.tx_packet[:chip.tx_len]), chip.tx_regs[0x40] >> 6, chip.mode(),
                  chip.violations, chip.last_violation, radio.sent]))  # fmt: skip
