"""The configurator's poll against a receiver that never answers, on a clock
whose sleep_ms fails the run: an ACK for another message (CFG-RATE while
CFG-NAV5 is pending) and a NAK for CFG-MSG arrive first. Prints its state,
step, ACK and NAK counts, and whether the slowest of 50 polls (reader and
configurator) took under 20 ms.
"""

import time

import clock
import gnss
import ubx
from ubx_receiver_sim import SimReceiver


class NoSleepClock(clock.VirtualClock):
    def sleep_ms(self, ms):
        raise AssertionError("configurator slept")


clk = NoSleepClock()
rx = SimReceiver(default="silent")
reader = gnss.GnssReader(rx, clk)
cfg = ubx.UbxConfigurator(rx, clk, reader, "legacy")
cfg.start("descent")
rx._answer(1, (0x06, 0x08))  # ACK for CFG-RATE while CFG-NAV5 is pending
rx._answer(0, (0x06, 0x01))  # NAK for CFG-MSG
worst = 0
for _ in range(50):
    clk.advance_ms(10)
    t0 = time.ticks_us()
    reader.poll()
    cfg.poll()
    worst = max(worst, time.ticks_diff(time.ticks_us(), t0))
print(cfg.state, cfg._step, cfg.acks, cfg.naks, worst < 20000)
