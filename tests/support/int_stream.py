"""A flight computer fed a noisy integer sample stream, for allocation and
range checks of FlightComputer.step().

Runs inside the MicroPython unix port beside flight_helpers.py. The noise
generator uses integers only, so the stream itself allocates nothing.
"""

import clock
import flight
import pyro
from flight_helpers import FAST, Events, FakeOutput, make_config
from sample import Sample


class NullStore:
    writes = 0

    def load(self):
        return None

    def save(self, rec):
        return True


class Gen:
    def __init__(self):
        self.x = 12345

    def noise(self, amp):
        self.x = (self.x * 75 + 74) % 65537  # ZX81 LCG: every product below 2**30
        return self.x % (2 * amp + 1) - amp


def make(start_mode, clock_start=clock.TICKS_PERIOD - 3000):
    """A 100 Hz flight computer in `start_mode`: (fc, clock, sample, noise, outputs)."""
    over = dict(FAST)
    over["sample_hz"] = 100
    over["start_mode"] = start_mode
    cfg = make_config(**over)
    clk = clock.VirtualClock(clock_start)
    outs = {"drogue": FakeOutput("drogue"), "main": FakeOutput("main")}
    bank = pyro.PyroBank(outs, clk, cfg.fire_pulse_ms)
    fc = flight.FlightComputer(cfg, clk, bank, Events(), NullStore())
    return fc, clk, Sample(), Gen(), outs


def feed(fc, clk, s, g, n, press, dpress, acc_mg, check=None):
    """n steps 10 ms apart: pressure from `press` changing by dpress/100 a step, z
    acceleration acc_mg, with noise; check(fc) after each when given."""
    for i in range(n):
        clk.advance_ms(10)
        s.t_ms = clk.now_ms()
        s.press_dpa = press + i * dpress // 100 + g.noise(20)
        s.baro_ok = True
        s.ax_mg = g.noise(30)
        s.ay_mg = g.noise(30)
        s.az_mg = acc_mg + g.noise(30)
        s.accel_ok = True
        s.vbatt_mv = 3900
        s.arm_input = True
        fc.step(s)
        if check is not None:
            check(fc)


class RangeCheck:
    """check(fc): every int attribute of the flight computer, its filter and
    its sensor screen is inside (-2**30, 2**30), a small int on a 32-bit
    board (asserted); `worst` is the largest magnitude seen."""

    LIM = 1 << 30

    def __init__(self):
        self.worst = 0

    def __call__(self, fc):
        for obj in (fc, fc.kf, fc.screen):
            for k, v in obj.__dict__.items():
                if type(v) is int:
                    assert -self.LIM < v < self.LIM, (k, v)
                    self.worst = max(self.worst, abs(v))
