"""Heap growth of 50 SX127x packets (send, poll, 100 ms, poll) after a
warm-up packet, measured twice. Prints JSON [bytes of the second measure,
packets the driver sent, packets the chip transmitted, register-protocol
violations].
"""

import gc
import json

from sx127x_rig import start

clk, chip, radio = start()
radio.init()
buf = bytearray(120)
for i in range(120):
    buf[i] = 65 + i % 26


def cycle(k):
    radio.send(buf, 60 + k % 40)
    radio.poll()
    clk.advance_ms(100)
    radio.poll()


def measure():
    cycle(0)
    gc.collect()
    a = gc.mem_alloc()
    for k in range(50):
        cycle(k)
    return gc.mem_alloc() - a


measure()
print(json.dumps([measure(), radio.sent, chip.tx_count, chip.violations]))
