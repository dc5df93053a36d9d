"""A month of 1/min beacon records into a log at argv[1], with the latest
possible date, extreme fix and sample values (flightlog_gen) and a clock
about to wrap; prints the largest int attribute of the recorder seen, its
uptime and its UTC date and time."""

import sys

import clock
import fix
import flightlog
from flightlog_gen import sample_args

c = clock.VirtualClock(clock.TICKS_PERIOD - 1)
log = flightlog.FlightLog(
    sys.argv[1], c, block_bytes=512, segment_blocks=8, segments=6, config_hash=(1 << 30) - 1
)
log.open()
fx = fix.Fix()
fx.mode = 3
fx.year, fx.month, fx.day = 9999, 12, 31
fx.hour, fx.minute, fx.second, fx.ms = 23, 59, 60, 999
fx.time_ok = True
fx.lat_deg, fx.lat_e7r, fx.lon_deg, fx.lon_e7r = -90, -9999999, -180, -9999999
worst = 0
for i in range(31 * 24 * 60):
    c.advance_ms(60000)
    fx.rx_ms = c.now_ms()
    log.record(6, *sample_args(i), fx)
    if i % 1000 == 0 or i < 10:
        for v in log.__dict__.values():
            if isinstance(v, int) and not isinstance(v, bool):
                worst = max(worst, abs(v))
print(worst, log._up_s, log._utc_date, log._utc_time)
