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


def failing_reads(bus, clk, drv, s, fails, reads, step_ms=1):
    """Make the next `fails` bus transfers fail, read `reads` times: was baro_ok ever False?"""
    bus.fail = fails
    oks = set()
    for _ in range(reads):
        clk.advance_ms(step_ms)
        drv.read(s)
        oks.add(s.baro_ok)
    return False in oks


def steady_alloc(run, drv, warm_ms, ms):
    """Bytes allocated and readings made over `ms` of reads, after `warm_ms` of them."""
    run(drv, warm_ms)
    n0 = drv.readings
    used = heap_probe.alloc_of(lambda: run(drv, ms))
    return used, drv.readings - n0
