"""One boot of the recorder at argv[1]: 40 entry-phase samples from index
argv[2] (flightlog_gen's inputs); prints the session and the segment written."""

import sys

import clock
import flightlog
from flightlog_gen import sample_args

start = int(sys.argv[2])
log = flightlog.FlightLog(
    sys.argv[1], clock.VirtualClock(0), block_bytes=512, segment_blocks=8, segments=4
)
log.open()
for i in range(start, start + 40):
    log._clock.advance_ms(40)
    log.record(2, *sample_args(i), None)
log.close()
print(log.stats()["session"], log.stats()["segment"])
