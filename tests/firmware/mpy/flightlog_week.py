"""A flight and a week of beacon recorded into the log directory argv[1].

An hour on the stand, the descent at 10 Hz, an hour landed, then a loop every
10 s for a week; each record's press_dpa is its call number. Prints the call
numbers at entry and at the start of the beacon phase, the total, and the
recorder's full / dropped / protected / recycled counters.
"""

import sys

import clock
import fix
import flightlog

c = clock.VirtualClock(0)
log = flightlog.FlightLog(sys.argv[1], c, block_bytes=1024, segment_blocks=8, segments=24)
log.open()
fx = fix.Fix()
n = 0


def run(phase, seconds, step_ms):
    global n
    for _ in range(seconds * 1000 // step_ms):
        c.advance_ms(step_ms)
        if c.now_ms() % 1000 < step_ms:
            fx.mode = 3
            fx.rx_ms = c.now_ms()
        log.record(phase, n, 0, 0, 0, 0, 0, 1000, 3700, 0, fx)
        n += 1


run(1, 3600, 100)  # an hour armed on the stand, 10 Hz loop
d0 = n
run(2, 60, 100)  # entry
run(3, 180, 100)  # drogue
run(4, 120, 100)  # main
run(5, 300, 100)  # landed
d1 = n
run(6, 7 * 86400, 10000)  # a week of beacon, one loop every 10 s
st = log.stats()
log.close()
print(
    d0,
    d1,
    n,
    st["full"],
    st["records_dropped"],
    st["segments_protected"],
    st["segments_recycled"],
)
