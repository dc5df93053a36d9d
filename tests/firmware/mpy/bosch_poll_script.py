"""drv_wide.bosch_read driven by a scripted chip part, one output line a read.

argv: the part's period_ms. stdin: a JSON list of [step_ms, init_result,
convert_result]: the clock
advances step_ms, then read() runs once; if it calls the chip's part, the
part answers with the given result: "ok", "bad" (False) or "bus" (OSError).
Each line: fresh, sample.press_dpa, sample.baro_ok, readings, bus_errors,
data_errors, inits, converts (the part's calls so far).
"""

import json
import sys

import clock
import drv_wide
import sample


class ScriptedPart:
    """The chip's part of a Bosch driver, answering as the script says."""

    read = drv_wide.bosch_read

    def __init__(self, clk, period_ms):
        self._clock = clk
        self.period_ms = period_ms
        self.press_dpa = self.readings = self.bus_errors = self.data_errors = 0
        drv_wide.bosch_poll_init(self)
        self.answer = "ok"
        self.inits = self.converts = 0  # calls of the part

    def _answer(self):
        if self.answer == "bus":
            raise OSError(5)
        return self.answer == "ok"

    def _init_chip(self, now):
        self.inits += 1
        return self._answer()

    def _convert(self):
        self.converts += 1
        ok = self._answer()
        if ok:
            self.press_dpa = 1000 + self.converts
        return ok


clk = clock.VirtualClock(0)
s = sample.Sample()
part = ScriptedPart(clk, int(sys.argv[1]))
for step_ms, init_answer, convert_answer in json.loads(sys.stdin.read()):
    clk.advance_ms(step_ms)
    part.answer = init_answer if part._state == 0 else convert_answer
    fresh = part.read(s)
    print(
        int(fresh),
        s.press_dpa,
        int(s.baro_ok),
        part.readings,
        part.bus_errors,
        part.data_errors,
        part.inits,
        part.converts,
    )
