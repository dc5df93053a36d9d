"""Three boots of the recorder at argv[1], each closed cleanly after 20
records (press_dpa = boot * 100 + i); prints each boot's session and segment."""

import sys

import clock
import flightlog

for boot in range(3):
    log = flightlog.FlightLog(
        sys.argv[1],
        clock.VirtualClock(5000 * boot),
        block_bytes=512,
        segment_blocks=16,
        segments=4,
    )
    log.open(reset_cause=boot + 10)
    for i in range(20):
        log._clock.advance_ms(1000)
        log.record(0, boot * 100 + i, 0, 0, 0, 0, 0, 1000, 3700, 0, None)
    log.close()
    print(log.stats()["session"], log.stats()["segment"])
