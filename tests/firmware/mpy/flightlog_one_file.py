"""120 entry-phase samples (flightlog_gen's inputs) into one segment file of
512-byte blocks at argv[1]."""

import sys

import clock
import flightlog
from flightlog_gen import sample_args

c = clock.VirtualClock(0)
log = flightlog.FlightLog(sys.argv[1], c, block_bytes=512, segment_blocks=64, segments=3)
log.open()
for i in range(120):
    c.advance_ms(40)
    log.record(2, *sample_args(i), None)
log.close()
