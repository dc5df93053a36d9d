"""Records and events with bad values (None, a float, a string, a non-fix, an
unknown phase or event) between good ones, into a log at argv[1]; prints the
recorder's bad_input count."""

import sys

import clock
import flightlog

c = clock.VirtualClock(0)
log = flightlog.FlightLog(sys.argv[1], c, block_bytes=512, segment_blocks=8, segments=3)
log.open()
c.advance_ms(50)
log.record(2, 1, 2, 3, 4, 5, 6, 7, 8, 0, None)
c.advance_ms(50)
log.record(2, None, 2, 3, 4, 5, 6, 7, 8, 0, None)
c.advance_ms(50)
log.record(2, 1.5, "x", 3, 4, 5, 6, 7, 8, 0, None)
c.advance_ms(50)
log.record(2, 9, 2, 3, 4, 5, 6, 7, 8, 0, object())
c.advance_ms(50)
log.event("fire", 1, 2)
log.event(2, None, 2)
c.advance_ms(2000)
log.record(99, 10, 2, 3, 4, 5, 6, 7, 8, 0, None)
log.close()
print(log.stats()["bad_input"])
