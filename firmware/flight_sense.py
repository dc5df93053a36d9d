"""Per-sample sensor screening for the sequencer: which baro and accelerometer
readings may be believed, and the numbers the sequencer needs from them.

Why: one bad reading (a bus glitch, a frozen register, a pressure spike at
the static port) must never fire anything by itself. Every sample passes
here first; a reading that fails a check is rejected and counted by reason,
and the sequencer simply goes on without it (backup timers still run).

Baro checks, in order: bus error (`baro_ok` false); pressure outside the
configured part's floor (config baro_min_pa; the MS5611's 10 mbar, about
31 km, by default; 300 hPa, about 9 km, for a BMP280 or BMP388, which read
their floor above it) up to 1200 mbar; stuck (bit-identical pressure for
_BARO_STUCK_MS while descending, when a falling capsule changes the pressure by
several dPa every sample); jump (height moved further from the last accepted
reading than _BARO_JUMP_CM plus BARO_MAX_RATE_CMS x elapsed time allow).

Accelerometer checks: bus error; any axis beyond _ACCEL_MAX_MG (more than any
part we fit reads, i.e. garbage); zero (exactly 0 on all three axes: a part
that lost power or was reset; a live one shows offset and noise); stuck
(bit-identical x, y, z for _ACCEL_STUCK_MS -- long, because a coarse high-g
part such as the ADXL375, 49 mg per bit, can repeat itself at rest). The raw
magnitude of every in-range reading is kept (`raw_ok`, `raw_mag_mg`) for the
one rule that may use a rejected reading: free fall in orbit, which a coarse
part reads as exact zeros.

Outputs of `update` (ints and bools, no allocation):
  baro_valid, alt_cm (height above the configured ground),
  accel_valid, mag_mg (magnitude of the specific force, orientation free),
  counters baro_bus, baro_range, baro_stuck, baro_jump, accel_bus,
  accel_range, accel_stuck, accel_zero.

Also `capsule_axis(cfg, s, axis)`: a board-frame reading rotated into the
capsule frame by the configured mounting (self-test and status only).
"""

import micropython
from micropython import const

from atmosphere import altitude_cm

_BARO_MIN_DPA = const(10000)  # 10 mbar: MS5611 range floor
_BARO_MAX_DPA = const(1200000)  # 1200 mbar: MS5611 range ceiling
_BARO_STUCK_MS = const(1000)
_BARO_JUMP_CM = const(1000)  # tolerance on top of the rate limit (noise, spikes pass below)
_BARO_MAX_RATE_CM_PER_MS = const(100)  # 1 km/s: no honest height change is faster
_BARO_SINCE_CAP_MS = const(1000000)
_ACCEL_MAX_MG = const(250000)
_ACCEL_STUCK_MS = const(5000)  # coarse high-g parts at rest can repeat for seconds
_SQUARE_SAFE_MG = const(18000)  # 3 * 18000**2 < 2**30: exact magnitude below 18 g

# rejection reasons, for events
_OK = const(0)
_BUS = const(1)
_RANGE = const(2)
_STUCK = const(3)
_JUMP = const(4)
_ZERO = const(5)
REASON_NAMES = ("ok", "bus", "range", "stuck", "jump", "zero")


@micropython.viper
def isqrt(n: int, guess: int) -> int:
    """floor(sqrt(n)) for n < 2**30 (0 for n <= 0) by Newton's method from a
    guess (the previous magnitude: two or three divisions between samples).
    Native code: it runs every sample."""
    if n <= 0:
        return 0
    x = guess
    if x <= 0:
        x = 1
    x = (x + n // x) >> 1  # >= isqrt(n) for any guess > 0
    if x <= 0:
        x = 1
    while True:
        y = (x + n // x) >> 1
        if y >= x:
            return x
        x = y


def _abs(v):
    return -v if v < 0 else v


def capsule_axis(cfg, s, axis):
    """Capsule-frame acceleration (mg) along axis 0=x, 1=y, 2=z for sample s."""
    if axis == 0:
        src, sign = cfg.axis_x_src, cfg.axis_x_sign
    elif axis == 1:
        src, sign = cfg.axis_y_src, cfg.axis_y_sign
    else:
        src, sign = cfg.axis_z_src, cfg.axis_z_sign
    v = s.ax_mg if src == 0 else (s.ay_mg if src == 1 else s.az_mg)
    return sign * v


def magnitude_mg(x, y, z, guess=1000):
    ax, ay, az = _abs(x), _abs(y), _abs(z)
    m = ax if ax > ay else ay
    if az > m:
        m = az
    if m < _SQUARE_SAFE_MG:
        return isqrt(ax * ax + ay * ay + az * az, guess)
    ax >>= 4
    ay >>= 4
    az >>= 4
    return isqrt(ax * ax + ay * ay + az * az, guess >> 4) << 4


class SensorScreen:
    def __init__(self, altimeter, min_dpa=_BARO_MIN_DPA):
        self.min_dpa = min_dpa  # the configured part's floor (cfg.baro_min_dpa)
        self.offset_cm = altimeter.offset_cm  # sea-level (QNH) and ground offsets
        self.baro_valid = False
        self.baro_reason = _OK
        self.alt_cm = 0
        self.accel_valid = False
        self.accel_reason = _OK
        self.mag_mg = 1000  # |a| of the last valid reading
        self.raw_ok = False  # last reading read and in range, even if rejected
        self.raw_mag_mg = 1000  # its |a| (free fall in orbit reads 0 on a coarse part)
        self.rejects = 0  # every rejection, both sensors (cheap change detector)
        self.baro_bus = 0
        self.baro_range = 0
        self.baro_stuck = 0
        self.baro_jump = 0
        self.accel_bus = 0
        self.accel_range = 0
        self.accel_stuck = 0
        self.accel_zero = 0
        self._last_press = -1
        self._press_same_ms = 0
        self._ref_alt_cm = 0
        self._have_ref = False
        self._since_ref_ms = 0
        self._lx = 0
        self._ly = 0
        self._lz = 0
        self._accel_same_ms = 0

    def baro_rejects(self):
        return self.baro_bus + self.baro_range + self.baro_stuck + self.baro_jump

    def accel_rejects(self):
        return self.accel_bus + self.accel_range + self.accel_stuck + self.accel_zero

    def update(self, s, dt_ms, moving):
        """Screen sample s (dt_ms since the previous one). `moving`: the
        sequencer believes the capsule is descending, so a frozen pressure is
        a fault rather than a capsule sitting still. One method for both
        sensors: it runs every sample, and calls cost more than comparisons."""
        # --- baro ---
        self.baro_valid = False
        reason = _OK
        if self._since_ref_ms < _BARO_SINCE_CAP_MS:
            self._since_ref_ms += dt_ms
        p = s.press_dpa
        if not s.baro_ok:
            self.baro_bus += 1
            reason = _BUS
        elif p < self.min_dpa or p > _BARO_MAX_DPA:
            self.baro_range += 1
            reason = _RANGE
            self._last_press = -1
        else:
            if p == self._last_press:
                if self._press_same_ms < _BARO_STUCK_MS:  # up to the threshold: a small int
                    self._press_same_ms += dt_ms
                if moving and self._press_same_ms >= _BARO_STUCK_MS:
                    self.baro_stuck += 1
                    reason = _STUCK
            else:
                self._last_press = p
                self._press_same_ms = 0
            if reason == _OK:
                alt = altitude_cm(p, 0) - self.offset_cm
                if self._have_ref:
                    d = alt - self._ref_alt_cm
                    if d < 0:
                        d = -d
                    if d > _BARO_JUMP_CM + _BARO_MAX_RATE_CM_PER_MS * self._since_ref_ms:
                        self.baro_jump += 1
                        reason = _JUMP
                if reason == _OK:
                    self._have_ref = True
                    self._ref_alt_cm = alt
                    self._since_ref_ms = 0
                    self.alt_cm = alt
                    self.baro_valid = True
        if reason != _OK:
            self.rejects += 1
        self.baro_reason = reason
        # --- accelerometer ---
        self.accel_valid = False
        self.raw_ok = False
        reason = _OK
        x = s.ax_mg
        y = s.ay_mg
        z = s.az_mg
        if not s.accel_ok:
            self.accel_bus += 1
            reason = _BUS
        else:
            ax = -x if x < 0 else x
            ay = -y if y < 0 else y
            az = -z if z < 0 else z
            if ax > _ACCEL_MAX_MG or ay > _ACCEL_MAX_MG or az > _ACCEL_MAX_MG:
                self.accel_range += 1
                reason = _RANGE
            else:
                # |a| by Newton's method from the previous magnitude (two or
                # three divisions); squares of 18 g fit, above that 16 mg steps
                shift = 0
                if ax >= _SQUARE_SAFE_MG or ay >= _SQUARE_SAFE_MG or az >= _SQUARE_SAFE_MG:
                    shift = 4
                    ax >>= 4
                    ay >>= 4
                    az >>= 4
                n = ax * ax + ay * ay + az * az
                if n == 0:
                    self.raw_mag_mg = 0
                else:
                    self.raw_mag_mg = isqrt(n, self.raw_mag_mg >> shift) << shift
                self.raw_ok = True
                if n == 0:
                    # exactly zero on every axis: what a part that lost power
                    # or was reset reads; a live part shows offset and noise
                    self.accel_zero += 1
                    reason = _ZERO
                elif x == self._lx and y == self._ly and z == self._lz:
                    if self._accel_same_ms < _ACCEL_STUCK_MS:  # up to the threshold: a small int
                        self._accel_same_ms += dt_ms
                    if self._accel_same_ms >= _ACCEL_STUCK_MS:
                        self.accel_stuck += 1
                        reason = _STUCK
                else:
                    self._lx = x
                    self._ly = y
                    self._lz = z
                    self._accel_same_ms = 0
                if reason == _OK:
                    self.mag_mg = self.raw_mag_mg
                    self.accel_valid = True
        if reason != _OK:
            self.rejects += 1
        self.accel_reason = reason
