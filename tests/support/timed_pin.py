"""An output pin that remembers when it changed, for indicator tests.

Runs inside the MicroPython unix port: the buzzer and LED patterns are read
back as a person hears and sees them, from the pin transitions and the
virtual clock's time at each.
"""


class TimedPin:
    def __init__(self, clk):
        self.clk = clk
        self.level = 0
        self.edges = []  # (t_ms, level) on every change

    def value(self, v):
        if v != self.level:
            self.level = v
            self.edges.append((self.clk.now_ms(), v))


def pulses(pin, t0, t1):
    """(start, length) of each high pulse of `pin` that starts in [t0, t1), start from t0."""
    out = []
    start = None
    for t, v in pin.edges:
        if v and t0 <= t < t1:
            start = t
        elif not v and start is not None:
            out.append((start - t0, t - start))
            start = None
    return out
