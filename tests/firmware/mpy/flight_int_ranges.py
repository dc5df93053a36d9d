"""Every int attribute of the flight computer, its filter and its sensor
screen stays inside (-2**30, 2**30) (int_stream.RangeCheck asserts it) over a re-entry at the
extremes: vacuum, 249 g, fast pressure sweeps, saturated axes. Prints the
largest magnitude seen and the final phase."""

from int_stream import RangeCheck, feed, make

check = RangeCheck()
fc, clk, s, g, outs = make("reentry")
feed(fc, clk, s, g, 400, 1013250, 0, 1000, check)
assert fc.arm() is None
feed(fc, clk, s, g, 500, 0, 0, 0, check)  # orbit: vacuum, free fall
feed(fc, clk, s, g, 3000, 20000, 3, 249000, check)  # 249 g on z, baro near 31 km
feed(fc, clk, s, g, 2000, 11000, 50000, 1000, check)  # pressure sweeping up fast
for acc in (-250000, 250000, 0):
    s.ax_mg = s.ay_mg = s.az_mg = acc
    feed(fc, clk, s, g, 100, 1199999, -20000, acc, check)  # saturated, all axes
print(check.worst, fc.phase)
