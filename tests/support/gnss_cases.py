"""What GNSS tests build their input from and read a fix with.

`gpsd_corpus` is the real-receiver stream (every gpsd regression log in
shared/data/gpsd, concatenated without their leading '#' comment lines);
`nmea` writes a sentence with its checksum computed here, independently of
the firmware; FIX_FIELDS names the attributes of the firmware's Fix
(firmware/fix.py) that a published navigation cycle carries, in the order the
tests print and compare them; COUNTERS the reader's stream hygiene counters.
"""

from functools import reduce

FIX_FIELDS = [
    "mode",
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "ms",
    "lat_deg",
    "lat_e7r",
    "lon_deg",
    "lon_e7r",
    "alt_ok",
    "alt_cm",
    "sats",
    "hdop_c",
    "speed_ok",
    "speed_cms",
    "course_ok",
    "course_cdeg",
]
COUNTERS = [
    "good",
    "bad_checksum",
    "unknown",
    "overlong",
    "truncated",
    "bad_fields",
    "garbage",
    "ubx_frames",
    "ubx_bad",
    "epochs",
]


def nmea(body):
    """`$body*HH\\r\\n` as bytes (latin-1, so a test may put any byte in a field)."""
    raw = body.encode("latin-1")
    return b"$%s*%02X\r\n" % (raw, reduce(lambda a, b: a ^ b, raw, 0))


def gpsd_corpus(gpsd_dir):
    """Every *.log in `gpsd_dir` without its leading '#' comment lines, concatenated."""
    out = bytearray()
    for path in sorted(gpsd_dir.glob("*.log")):
        data = path.read_bytes()
        pos = 0
        while data.startswith(b"#", pos):
            pos = data.index(b"\n", pos) + 1
        out += data[pos:]
    return bytes(out)
