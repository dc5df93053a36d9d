"""A burst of NMEA (hex on stdin) fed to a reader without a UART, as the
sim link does, whose cycle closes after 200 ms of silence: polled 199 ms
later, then 1 ms more. Prints the epochs after each poll (and the fix mode).
"""

import sys
from binascii import unhexlify

import clock
import gnss

clk = clock.VirtualClock()
r = gnss.GnssReader(None, clk)
r.epoch_gap_ms = 200
data = unhexlify(sys.stdin.read().strip())
r.feed(data, len(data))
clk.advance_ms(199)
r.poll()
print(r.epochs)
clk.advance_ms(1)
r.poll()
print(r.epochs, r.fix.mode)
