"""The read loops barometer driver tests run on MicroPython.

Runs inside the MicroPython unix port beside fake_bus.py: a driver is polled
as the flight loop polls it, the virtual clock advancing between reads, so the
three barometer test files say only what they check.
"""

import heap_probe


def runner(clk, s):
    """run(drv, ms, step_ms=1): read `drv` into `s` every step_ms for ms; the fresh readings."""

    def run(drv, ms, step_ms=1):
        fresh = 0
        for _ in range(ms // step_ms):
            clk.advance_ms(step_ms)
            if drv.read(s):
                fresh += 1
        return fresh

    return run


def through_bus_errors(run, bus, clk, drv, s, fails, reads, step_ms=1, warm_ms=100, after_ms=100):
    """Read for warm_ms, make the next `fails` bus transfers fail and read `reads` times
    step_ms apart, read for after_ms: baro_ok before, whether it was ever False while
    failing, the bus errors counted then, and baro_ok after."""
    run(drv, warm_ms)
    before = s.baro_ok
    bus.fail = fails
    oks = set()
    for _ in range(reads):
        clk.advance_ms(step_ms)
        drv.read(s)
        oks.add(s.baro_ok)
    errors = drv.bus_errors
    run(drv, after_ms)
    return before, False in oks, errors, s.baro_ok


def steady_alloc(run, drv, warm_ms, ms):
    """Bytes allocated and readings made over `ms` of reads, after `warm_ms` of them."""
    run(drv, warm_ms)
    n0 = drv.readings
    used = heap_probe.alloc_of(lambda: run(drv, ms))
    return used, drv.readings - n0
