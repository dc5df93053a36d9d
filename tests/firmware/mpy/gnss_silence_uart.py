"""A burst of NMEA (hex on stdin) read from a UART by a reader whose cycle
closes after 200 ms of silence: polled twice at once, then 150 ms later, then
60 ms more. Prints the epochs (and fix mode, then its second) after each step.
"""

import sys
from binascii import unhexlify

import clock
import gnss

burst = unhexlify(sys.stdin.read().strip())


class Uart:
    def __init__(self):
        self.data = bytearray(burst)

    def readinto(self, buf, n=None):
        if not self.data:
            return None
        n = min(len(buf) if n is None else n, len(self.data))
        for i in range(n):
            buf[i] = self.data[i]
        self.data = self.data[n:]
        return n


clk = clock.VirtualClock()
r = gnss.GnssReader(Uart(), clk)
r.epoch_gap_ms = 200
r.poll()
r.poll()
print(r.epochs, r.fix.mode)
clk.advance_ms(150)
r.poll()
print(r.epochs)
clk.advance_ms(60)
r.poll()
print(r.epochs, r.fix.mode, r.fix.second)
