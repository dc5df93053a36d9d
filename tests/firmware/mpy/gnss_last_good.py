"""Chunks of NMEA (hex, one a line on stdin) fed one second apart to the reader
of tests/support/gnss_reader_rig.py from 5 s on, then flushed. Prints "X",
the fix's mode and has_position, then the last good fix (mode, latitude,
altitude, reception time) and its age.
"""

import sys
from binascii import unhexlify

from gnss_reader_rig import clk, r

clk.set_ms(5000)
for chunk in sys.stdin.read().split():
    data = unhexlify(chunk)
    r.feed(data, len(data))
    clk.advance_ms(1000)
r.flush()
lg = r.last_good
print("X", r.fix.mode, r.fix.has_position, lg.mode, lg.lat_deg, lg.lat_e7r, lg.alt_cm, lg.rx_ms,
      r.last_good_age_ms())  # fmt: skip
