"""A log at argv[1] of argv[2] samples argv[3] ms apart (flightlog_gen's
inputs, a fix every third sample, a fire event every tenth), on a clock that
wraps during the run; prints the recorder's stats."""

import sys

import clock
import fix
import flightlog
from flightlog_gen import fix_fields, sample_args

n, step_ms = int(sys.argv[2]), int(sys.argv[3])
c = clock.VirtualClock(clock.TICKS_PERIOD - 30 * 60000)  # wraps during the run
log = flightlog.FlightLog(
    sys.argv[1],
    c,
    board_name="capsule-7",
    fw_version="1.2.3-rc1",
    config_hash=123456789,
    block_bytes=1024,
    segment_blocks=64,
    segments=3,
)
assert log.open()
fx = fix.Fix()
for i in range(n):
    c.advance_ms(step_ms)
    if i % 3 == 0:
        for k, v in fix_fields(i).items():
            setattr(fx, k, v)
        fx.rx_ms = c.now_ms()
    assert log.record(i % 7, *sample_args(i), fx), i
    if i % 10 == 0:
        log.event(flightlog.EV_FIRE, i % 2, -i)
log.close()
print(log.stats())
