"""The GNSS fix record shared by the parser, the beacon and the flight log.

One instance per use (the parser's working epoch, the published fix, the last
good fix) lives for the whole flight and is updated in place: `clear()` and
`copy_from()` assign attributes that exist since `__init__`, so neither
allocates. They are written out field by field: a field-name table walked
with setattr/getattr measured more RAM on a 32-bit port (+80 B as a list,
+480 B as a tuple, whose names load as str objects) and a copy 15x slower.

Latitude and longitude are split into whole degrees and a remainder in 1e-7
degree, because lon * 1e7 reaches 1.8e9, which is a heap-allocated big integer
on a 32-bit port (small ints there are below 2**30). Both parts carry the sign
of the value: -12.3456789 is deg=-12, e7r=-3456789.

Every other field is a fixed-point integer with its scale in the name; a
`*_ok` flag says whether the epoch carried that value at all.
"""

from micropython import const

MODE_NONE = const(0)  # never had a fix
MODE_NO_FIX = const(1)  # receiver talking, no position
MODE_2D = const(2)
MODE_3D = const(3)

E7 = const(10_000_000)


class Fix:
    def __init__(self):
        self.rx_ms = 0  # clock tick when the epoch carrying this solution arrived
        self.has_position = False  # a position was ever received (sticky)
        self.clear()

    def clear(self):
        """Forget the current solution (not `has_position`, not `rx_ms`)."""
        self.mode = MODE_NONE
        self.year = 0  # 0 = date unknown
        self.month = 0
        self.day = 0
        self.hour = 0
        self.minute = 0
        self.second = 0
        self.ms = 0
        self.time_ok = False  # hour..ms came from the receiver this epoch
        self.lat_deg = 0
        self.lat_e7r = 0
        self.lon_deg = 0
        self.lon_e7r = 0
        self.alt_cm = 0  # above mean sea level
        self.alt_ok = False
        self.sats = 0  # satellites used in the solution
        self.hdop_c = 0  # HDOP * 100; 0 = unknown
        self.speed_cms = 0  # speed over ground, cm/s
        self.speed_ok = False
        self.course_cdeg = 0  # course over ground, 0.01 degree true
        self.course_ok = False

    def copy_from(self, o):
        """Copy every field of `o` (allocation-free: plain attribute stores)."""
        self.mode = o.mode
        self.year = o.year
        self.month = o.month
        self.day = o.day
        self.hour = o.hour
        self.minute = o.minute
        self.second = o.second
        self.ms = o.ms
        self.time_ok = o.time_ok
        self.lat_deg = o.lat_deg
        self.lat_e7r = o.lat_e7r
        self.lon_deg = o.lon_deg
        self.lon_e7r = o.lon_e7r
        self.alt_cm = o.alt_cm
        self.alt_ok = o.alt_ok
        self.sats = o.sats
        self.hdop_c = o.hdop_c
        self.speed_cms = o.speed_cms
        self.speed_ok = o.speed_ok
        self.course_cdeg = o.course_cdeg
        self.course_ok = o.course_ok
        self.rx_ms = o.rx_ms
        self.has_position = o.has_position

    def position_ok(self):
        """True if this record holds a 2-D or 3-D solution."""
        return self.mode >= MODE_2D

    # Conveniences for formatting code outside the flight loop (they allocate floats).
    def lat(self):
        return self.lat_deg + self.lat_e7r / E7

    def lon(self):
        return self.lon_deg + self.lon_e7r / E7

    def age_ms(self, clock):
        return clock.diff_ms(clock.now_ms(), self.rx_ms)
