"""Every int attribute of the flight computer, its filter and its sensor
screen stays inside (-2**30, 2**30) (int_stream.RangeCheck asserts it) over days: 12.5 days
disarmed on the stand, then armed, and 12.5 days in orbit (vacuum, free
fall) as a sample-return capsule waits for its entry. The samples come a
minute apart (each step counts at most MAX_DT_MS), so the counters reach
the values a 100 Hz loop gives them in as many days. Prints the largest
magnitude seen and the final phase."""

from int_stream import RangeCheck, feed, make

check = RangeCheck()
DAYS_12_5_MIN = 18000


def minutes(fc, clk, s, n, press, acc_mg):
    for _ in range(n):
        clk.advance_ms(60000)
        s.t_ms = clk.now_ms()
        s.press_dpa = press
        s.ax_mg, s.ay_mg, s.az_mg = 3, -2, acc_mg
        fc.step(s)
        check(fc)


fc, clk, s, g, outs = make("reentry")
feed(fc, clk, s, g, 400, 1013250, 0, 1000, check)
minutes(fc, clk, s, DAYS_12_5_MIN, 1013250, 1000)  # on the stand, disarmed
feed(fc, clk, s, g, 400, 1013250, 0, 1000, check)
assert fc.arm() is None
minutes(fc, clk, s, DAYS_12_5_MIN, 0, 0)  # in orbit, armed
print(check.worst, fc.phase)
