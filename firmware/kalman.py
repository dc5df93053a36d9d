"""Vertical state estimator: altitude, vertical speed and vertical acceleration
from baro altitude and accelerometer, a fixed-gain Kalman filter in integers
in the manner of AltOS's ao_kalman.c.

Why: the sequencer's rules need a speed (transonic lockout, drogue-failure
detection, landing) and a smooth altitude (main deploy) at the sample rate,
without floats. The filter is the steady-state Kalman filter of a
constant-jerk model (state h, v, a; white jerk noise), so its gains are
constants that depend only on the sample period; they are tabulated below for
each supported rate, computed offline by `tools/flight_gains.py` (pure Python; the
tests recompute them independently with numpy).

One call per sample, `update(dt_ms, alt_cm, accel_cms2, mode)`: predict over
dt_ms, then correct with both sensors, baro only, accelerometer only
(altitude then runs open loop on the integrated acceleration) or nothing.

Integer contract (31-bit small ints on the board):
  * state is kept in mm, mm/s, mm/s2 (finer than the cm the rest of the
    firmware uses, so the gains act on sub-cm errors); `alt_cm`, `speed_cms`,
    `accel_cms2` are refreshed after every update;
  * limits: |h| < 2**29 mm (537 km), |v| <= 15 km/s, |a| <= 300 g; the
    prediction integrates in sub-steps of at most 20 ms carrying the
    remainders (the speed never drifts from truncation, the height by under
    1 mm per second), so (v0 + v1) * dt < 6.1e8 even at 15 km/s;
  * gains are Q16, all below 2**18; a gain times an innovation under 2**12
    is one product (< 2**30), larger innovations go through `mul_q16`, whose
    partial products stay below 2**22;
  * a baro innovation larger than _REJOIN_MM re-seeds the altitude instead of
    pulling the state (after a long lockout or a sensor outage), counted in
    `rejoins`.
Nothing here allocates after construction.
"""

import micropython
from array import array
from micropython import const

SUBSTEP_MS = const(20)
_MAX_DT_MS = const(1000)  # a longer gap is integrated as 1 s (the caller counts gaps)
_H_LIMIT_MM = const(0x1FFFFFFF)
V_LIMIT_MMS = const(15000000)  # 15 km/s
_A_LIMIT_MMS2 = const(2941995)  # 300 g
E_LIMIT = const(0x7FFFFF)  # innovation clamp for mul_q16 (|x| < 2**23)
FAST_E = const(4096)  # |innovation| below this: gain product in one multiply
_REJOIN_MM = const(200000)  # 200 m: beyond this the baro re-seeds altitude

# update modes: which measurements correct the prediction
NONE = const(0)
BARO = const(1)
ACCEL = const(2)
BOTH = const(3)

SAMPLE_RATES_HZ = (10, 20, 25, 50, 100, 200)

# The gain table (one row per sample rate) lives in kalman_gains: a filter is
# built at boot and on a config change, and needs only its own rate's row, so
# the table is imported for that and dropped (kalman.GAINS still reads it).


def _gain_row(sample_hz):
    import sys

    loaded = "kalman_gains" in sys.modules
    import kalman_gains

    try:
        return kalman_gains.GAINS[sample_hz]
    finally:
        if not loaded:
            sys.modules.pop("kalman_gains", None)


def __getattr__(name):
    """kalman.GAINS for tools and tests, loaded on access."""
    if name == "GAINS":
        return __import__("kalman_gains").GAINS
    raise AttributeError(name)


def mul_q16(x, k):
    """About x * k / 65536 (within 4) for |x| < 2**24 and |k| < 2**20, with no
    product reaching 2**22 (x and k are split in 12/12 and 10/10 bits).
    Truncates toward zero; no allocation."""
    neg = False
    if x < 0:
        x = -x
        neg = True
    if k < 0:
        k = -k
        neg = not neg
    xh = x >> 12
    xl = x & 0xFFF
    kh = k >> 10
    kl = k & 0x3FF
    r = ((xh * kh) << 6) + ((xh * kl) >> 4) + ((xl * kh) >> 6) + ((xl * kl) >> 16)
    return -r if neg else r


def _gain(e, k):
    # one multiply when the product is known to stay below 2**30
    if -FAST_E < e < FAST_E:
        return (e * k) >> 16
    return mul_q16(e, k)


class Kalman:
    def __init__(self, sample_hz=100):
        # Q16 gains in kalman_gains.GAINS' order: both (h, v, a <- e_h; h, v, a <- e_a),
        # baro only (h, v, a), accel only (h, v, a)
        self._g = array("i", _gain_row(sample_hz))
        self.rejoins = 0
        self.reset(0, 0, 0)

    def reset(self, alt_cm, speed_cms=0, accel_cms2=0):
        self.h_mm = _clamp(alt_cm * 10, _H_LIMIT_MM)
        self.v_mms = _clamp(speed_cms * 10, V_LIMIT_MMS)
        self.a_mms2 = _clamp(accel_cms2 * 10, _A_LIMIT_MMS2)
        self._h_rem = 0  # remainders of the exact integration (mm*2000, mm/s*1000)
        self._v_rem = 0
        self.alt_cm = self.h_mm // 10
        self.speed_cms = self.v_mms // 10
        self.accel_cms2 = self.a_mms2 // 10

    @micropython.viper
    def update(self, dt_ms: int, alt_cm: int, accel_cms2: int, mode: int):
        """Predict over dt_ms, then correct with the measurements `mode` names
        (NONE, BARO, ACCEL, BOTH; the unused argument is ignored).

        Native code (viper): it runs every sample. Machine-word arithmetic
        is safe because every product stays below 2**30 (module docstring);
        the gains come from the array `_g` (non-negative words), the state
        from and back to the attributes."""
        g = ptr32(self._g)
        h = int(self.h_mm)
        v = int(self.v_mms)
        a = int(self.a_mms2)
        h_rem = int(self._h_rem)
        v_rem = int(self._v_rem)
        if dt_ms > _MAX_DT_MS:
            dt_ms = _MAX_DT_MS
        while dt_ms > 0:
            # constant-acceleration steps of at most SUBSTEP_MS, exact in
            # integers: v += a*dt/1000 and h += (v0 + v1)/2 * dt/1000 with
            # the remainders carried (|a*dt| < 6e7, (v0 + v1)*dt < 6.1e8)
            step = dt_ms
            if step > SUBSTEP_MS:
                step = SUBSTEP_MS
            v0 = v
            n = a * step + v_rem
            v = v0 + n // 1000
            v_rem = n % 1000
            if v > V_LIMIT_MMS:
                v = V_LIMIT_MMS
                v_rem = 0
            elif v < -V_LIMIT_MMS:
                v = -V_LIMIT_MMS
                v_rem = 0
            n = (v0 + v) * step + h_rem
            h = h + n // 2000
            h_rem = n % 2000
            dt_ms -= step
            if dt_ms > 0:  # between sub-steps (the end is clamped below)
                if h > _H_LIMIT_MM:
                    h = _H_LIMIT_MM
                elif h < -_H_LIMIT_MM:
                    h = -_H_LIMIT_MM
        eh = 0
        ea = 0
        large = False  # an innovation too large for one multiply per gain
        if mode & BARO:
            eh = alt_cm * 10 - h
            if eh < -_REJOIN_MM or eh > _REJOIN_MM:
                # too far to be noise: after a lockout or an outage the
                # sensor is right and the prediction is stale
                h = alt_cm * 10
                h_rem = 0
                self.rejoins = int(self.rejoins) + 1
                eh = 0
            if mode == BOTH:
                ea = accel_cms2 * 10 - a
                if -FAST_E < eh < FAST_E and -FAST_E < ea < FAST_E:
                    h += ((eh * int(g[0])) >> 16) + ((ea * int(g[3])) >> 16)
                    v += ((eh * int(g[1])) >> 16) + ((ea * int(g[4])) >> 16)
                    a += ((eh * int(g[2])) >> 16) + ((ea * int(g[5])) >> 16)
                else:
                    large = True
            elif -FAST_E < eh < FAST_E:
                h += (eh * int(g[6])) >> 16
                v += (eh * int(g[7])) >> 16
                a += (eh * int(g[8])) >> 16
            else:
                large = True
        elif mode == ACCEL:
            ea = accel_cms2 * 10 - a
            if -FAST_E < ea < FAST_E:
                h += (ea * int(g[9])) >> 16
                v += (ea * int(g[10])) >> 16
                a += (ea * int(g[11])) >> 16
            else:
                large = True
        if large:
            # rare (a jolt, a re-entry pulse): the split multiplies in bytecode
            # keep this native code small (it sits in RAM on a board)
            self.h_mm = h
            self.v_mms = v
            self.a_mms2 = a
            self._h_rem = h_rem
            self._v_rem = v_rem
            self._correct_large(eh, ea, mode)
            return
        if h > _H_LIMIT_MM:
            h = _H_LIMIT_MM
        elif h < -_H_LIMIT_MM:
            h = -_H_LIMIT_MM
        if v > V_LIMIT_MMS:
            v = V_LIMIT_MMS
        elif v < -V_LIMIT_MMS:
            v = -V_LIMIT_MMS
        if a > _A_LIMIT_MMS2:
            a = _A_LIMIT_MMS2
        elif a < -_A_LIMIT_MMS2:
            a = -_A_LIMIT_MMS2
        self.h_mm = h
        self.v_mms = v
        self.a_mms2 = a
        self._h_rem = h_rem
        self._v_rem = v_rem
        self.alt_cm = h // 10
        self.speed_cms = v // 10
        self.accel_cms2 = a // 10

    def _correct_large(self, eh, ea, mode):
        """The correction of update() when an innovation is at least FAST_E:
        gain products through the split multiply (partial products < 2**22)."""
        h = self.h_mm
        v = self.v_mms
        a = self.a_mms2
        g = self._g
        if mode == BOTH:
            if not -E_LIMIT <= ea <= E_LIMIT:
                ea = E_LIMIT if ea > 0 else -E_LIMIT
            h += mul_q16(eh, g[0]) + mul_q16(ea, g[3])
            v += mul_q16(eh, g[1]) + mul_q16(ea, g[4])
            a += mul_q16(eh, g[2]) + mul_q16(ea, g[5])
        elif mode == BARO:
            h += mul_q16(eh, g[6])
            v += mul_q16(eh, g[7])
            a += mul_q16(eh, g[8])
        else:
            if not -E_LIMIT <= ea <= E_LIMIT:
                ea = E_LIMIT if ea > 0 else -E_LIMIT
            h += _gain(ea, g[9])
            v += _gain(ea, g[10])
            a += _gain(ea, g[11])
        h = _clamp(h, _H_LIMIT_MM)
        v = _clamp(v, V_LIMIT_MMS)
        a = _clamp(a, _A_LIMIT_MMS2)
        self.h_mm = h
        self.v_mms = v
        self.a_mms2 = a
        self.alt_cm = h // 10
        self.speed_cms = v // 10
        self.accel_cms2 = a // 10

    def coast(self, stop=False):
        """No measurement for a while: stop extrapolating the acceleration
        (and, with stop, the speed too)."""
        self.a_mms2 = 0
        self.accel_cms2 = 0
        if stop:
            self.v_mms = 0
            self.speed_cms = 0
            self._v_rem = 0


def _clamp(x, lim):
    if x > lim:
        return lim
    if x < -lim:
        return -lim
    return x
