"""The GNSS fix record shared by the parser, the beacon and the flight log.

One instance per receiver lives for the whole flight and is updated in place
(no allocation per sentence). Latitude and longitude are split into whole
degrees and a remainder in 1e-7 degree, because lon * 1e7 reaches 1.8e9, which
is a heap-allocated big integer on a 32-bit port (small ints there are below
2**30). Both parts carry the sign of the value: -12.3456789 is deg=-12,
e7r=-3456789.
"""

MODE_NONE = 0  # never had a fix
MODE_NO_FIX = 1  # receiver talking, no position
MODE_2D = 2
MODE_3D = 3

E7 = 10_000_000


class Fix:
    def __init__(self):
        self.clear()
        self.rx_ms = 0  # clock tick when the position was last updated
        self.has_position = False  # a position was ever received

    def clear(self):
        """Forget the current solution (not the last position)."""
        self.mode = MODE_NONE
        self.year = 0
        self.month = 0
        self.day = 0
        self.hour = 0
        self.minute = 0
        self.second = 0
        self.ms = 0
        self.lat_deg = 0
        self.lat_e7r = 0
        self.lon_deg = 0
        self.lon_e7r = 0
        self.alt_cm = 0  # above mean sea level
        self.alt_ok = False
        self.sats = 0
        self.hdop_c = 0  # HDOP * 100; 0 = unknown
        self.speed_cms = 0  # speed over ground, cm/s
        self.speed_ok = False
        self.course_cdeg = 0  # course over ground, 0.01 degree true
        self.course_ok = False

    def copy_from(self, o):
        for name in (
            "mode year month day hour minute second ms lat_deg lat_e7r lon_deg lon_e7r "
            "alt_cm alt_ok sats hdop_c speed_cms speed_ok course_cdeg course_ok rx_ms has_position"
        ).split():
            setattr(self, name, getattr(o, name))

    # Conveniences for formatting code outside the flight loop (they allocate floats).
    def lat(self):
        return self.lat_deg + self.lat_e7r / E7

    def lon(self):
        return self.lon_deg + self.lon_e7r / E7

    def age_ms(self, clock):
        return clock.diff_ms(clock.now_ms(), self.rx_ms)
