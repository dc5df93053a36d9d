"""The largest intermediate values of the NMEA and UBX parsers' integer
arithmetic, computed from their own limits, one a column: each must stay
below 2**30 (a small int on a 32-bit board).
"""

import gnss_nav as v
import gnss_nmea as n

print(
    n.DIGITS_MAX * 10 + 9,  # num(): one more digit
    n.KNOTS_MAX_MKN * 463 + 4500,  # knots -> cm/s
    n.KMH_MAX_MKMH + 18,  # km/h -> cm/s
    59 * 10_000_000 + 9_999_999 + 30,  # angle(): minutes in 1e-7 + rounding
    32767 * 512,  # e7_i32()
    78124 * 128 + 65535 + 10_000_000,  # e7_i32()
    v.PVT_ALT_MAX_MM + 5,
    v.PVT_SPEED_MAX_MM_S + 5,
    v.HEAD_MAX + 500,
    v.PVT_NANO_MAX + 500_000,
    ((23 * 60 + 59) * 60 + 60) * 1000 + 1000,
    n.EMPTY,
    n.BAD,
)
