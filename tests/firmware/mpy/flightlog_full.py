"""Drogue records (press_dpa = call number) into a ring of three small
segments at argv[1] until every segment holds descent; prints the recorder's
full flag, records dropped and segments protected."""

import sys

import clock
import flightlog

c = clock.VirtualClock(0)
log = flightlog.FlightLog(sys.argv[1], c, block_bytes=512, segment_blocks=2, segments=3)
log.open()
for i in range(400):
    c.advance_ms(100)
    log.record(3, i, 0, 0, 0, 0, 0, 1000, 3700, 0, None)
st = log.stats()
print(st["full"], st["records_dropped"], st["segments_protected"])
