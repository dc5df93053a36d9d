"""The Iridium SBD sender under test on MicroPython, on a virtual clock.

Runs inside the MicroPython unix port beside beacon_fakes/fake_iridium.py:
`Rig` holds the simulated modem (logging every command with its time) and
the sender on its UART; `run` is the flight loop polling the sender and
`report` prints one JSON line with the sender's counters, what the modem
delivered and the commands it received.
"""

import json

import clock
import iridium
from fake_iridium import FakeModem

MSG = bytes(range(100, 131))  # 31 bytes, the SBD beacon's size


class Rig:
    def __init__(self, echo=True):
        self.clk = clock.VirtualClock(5000)
        self.log = []
        self.modem = FakeModem(self.clk, log=self.log, echo=echo)
        self.ird = iridium.Iridium(self.modem.uart, self.clk)

    def run(self, max_ms, step=100):
        # the flight loop: one poll per iteration, time moves between iterations
        ird = self.ird
        t = 0
        polls = 0
        while ird.busy() and t < max_ms:
            ird.poll()
            polls += 1
            self.clk.advance_ms(step)
            t += step
        return polls

    def report(self, **extra):
        ird = self.ird
        modem = self.modem
        d = {
            "sent": ird.sent,
            "failed": ird.failed,
            "timeouts": ird.timeouts,
            "errors": ird.errors,
            "no_signal": ird.no_signal,
            "bad_checksum": ird.bad_checksum,
            "result": ird.result,
            "busy": ird.busy(),
            "delivered": modem.delivered,
            "last": list(modem.last_delivered[: modem.last_delivered_len]),
            "sbdix": list(ird.sbdix),
            "commands": [c for _, c in self.log],
            "times": [t for t, _ in self.log],
        }
        d.update(extra)
        print(json.dumps(d))
