"""clear() asked in flight (sample 30 of an entry phase) and again after
landing, then five records on the stand, into a log at argv[1]; prints both
answers and the segments then in use."""

import sys

import clock
import flightlog

c = clock.VirtualClock(0)
log = flightlog.FlightLog(sys.argv[1], c, block_bytes=512, segment_blocks=2, segments=4)
log.open()
for i in range(100):
    c.advance_ms(1000)
    log.record(2 if i < 60 else 5, i, 0, 0, 0, 0, 0, 0, 0, 0, None)
    if i == 30:
        print(log.clear())
print(log.clear())
for i in range(5):
    c.advance_ms(1000)
    log.record(0, 1000 + i, 0, 0, 0, 0, 0, 0, 0, 0, None)
log.close()
print(log.stats()["segments_used"])
