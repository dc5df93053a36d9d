"""A GNSS reader on a virtual clock that prints each published cycle.

Runs inside the MicroPython unix port (tests put tests/support on its path):
`show` prints an `F` line per navigation cycle (the fields in the order of
gnss_cases.FIX_FIELDS, then rx_ms), `counts` a `C` line with the reader's
counters (gnss_cases.COUNTERS), `feed_file` feeds a whole file at once.
"""

import clock
import gnss

clk = clock.VirtualClock(1000)
r = gnss.GnssReader(None, clk)


def show(rd):
    f = rd.fix
    print(
        "F",
        f.mode,
        f.year,
        f.month,
        f.day,
        f.hour,
        f.minute,
        f.second,
        f.ms,
        f.lat_deg,
        f.lat_e7r,
        f.lon_deg,
        f.lon_e7r,
        int(f.alt_ok),
        f.alt_cm,
        f.sats,
        f.hdop_c,
        int(f.speed_ok),
        f.speed_cms,
        int(f.course_ok),
        f.course_cdeg,
        f.rx_ms,
    )


r.on_epoch = show


def feed_file(path):
    with open(path, "rb") as fh:
        data = fh.read()
    r.feed(data, len(data))


def counts():
    print(
        "C",
        r.good,
        r.bad_checksum,
        r.unknown,
        r.overlong,
        r.truncated,
        r.bad_fields,
        r.garbage,
        r.ubx_frames,
        r.ubx_bad,
        r.epochs,
    )
