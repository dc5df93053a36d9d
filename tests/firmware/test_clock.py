"""The clock contract, run on MicroPython: differences survive the 2**30 wrap."""

from mpy import SCRIPTS, run_mpy


def test_virtual_clock_diff_is_correct_across_the_wrap():
    out = run_mpy(
        """
import clock
c = clock.VirtualClock(clock.TICKS_PERIOD - 5)
t0 = c.now_ms()
c.advance_ms(10)
print(c.now_ms(), c.diff_ms(c.now_ms(), t0), c.diff_ms(t0, c.now_ms()))
print(clock.diff_ms(clock.add_ms(t0, 123456), t0))
"""
    )
    assert out.split() == ["5", "10", "-10", "123456"]


def test_ticks_clock_matches_time_ticks_diff():
    out = run_mpy(
        """
import clock, time
c = clock.TicksClock()
a = c.now_ms(); time.sleep_ms(20); b = c.now_ms()
d = c.diff_ms(b, a)
print(20 <= d < 1000)
"""
    )
    assert out.strip() == "True"


def test_tick_arithmetic_across_the_wrap_allocates_nothing():
    # on a 32-bit port an intermediate of 2**30 or more is a big integer
    # (heap); ticks near the wrap must never make one
    out = run_mpy(file=SCRIPTS / "clock_wrap_alloc.py")
    alloc, n, now = (int(x) for x in out.split())
    assert (alloc, n, now) == (0, 50 * 14, 24)
