"""Sensor faults for the closed-loop flights of tests/firmware/test_flight.py.

Each is a `faults(capsule, sample)` hook that `flight_helpers.fly()` calls
after the capsule model has written a sample and before the flight computer
reads it. Runs on MicroPython (the tests put tests/support on its path).
"""

import math
import random

from flight_helpers import standard_atmosphere


def waves_without_impact(c, s):
    """A soft splashdown: on the water, 1 g and the swell, no impact spike."""
    if c.landed_t is not None:
        s.az_mg = 1000 + random.randint(-60, 60)


def coarse_quiet_accelerometer(c, s):
    """An ADXL375-like part (49 mg a bit) without noise: exact zeros in orbit,
    the same reading again and again under the chutes."""
    if not c.stand:
        s.ax_mg = 0
        s.ay_mg = 0
        s.az_mg = int(c.force_g * 1000.0 / 49.0) * 49


def accelerometer_reads_zeros(c, s):
    """A dead accelerometer that reads zeros once the drop test starts."""
    if c.t > 0.0:
        s.ax_mg = 0
        s.ay_mg = 0
        s.az_mg = 0


def stagnation_pressure(c, s):
    """A static port that reads half the dynamic pressure on top of the static
    one (0.5 q Pa is 5 q dPa)."""
    if not c.stand and c.landed_t is None:
        _, rho = standard_atmosphere(c.h)
        q = 0.5 * rho * (c.vx * c.vx + c.vz * c.vz)
        s.press_dpa += int(5.0 * q)


_frozen_dpa = [None]


def baro_stuck_below_20_km(c, s):
    """The barometer repeats its first reading below 20 km for the rest of the flight."""
    if c.h < 20000.0 and not c.stand:
        if _frozen_dpa[0] is None:
            _frozen_dpa[0] = s.press_dpa
        s.press_dpa = _frozen_dpa[0]


def baro_spikes(c, s):
    """Km-sized spikes in one sample of ten, +-30 Pa of noise in the others."""
    if not c.stand and random.random() < 0.1:
        s.press_dpa += random.randint(-300000, 300000)
    elif not c.stand:
        s.press_dpa += random.randint(-300, 300)


def baro_out_of_range_and_bus_errors(c, s):
    """In flight, one sample in ten reads 0, one 500 kPa, one a bus error."""
    if c.stand:
        return
    r = random.random()
    if r < 0.1:
        s.press_dpa = 0
    elif r < 0.2:
        s.press_dpa = 5000000
    elif r < 0.3:
        s.baro_ok = False


def noisy_baro_soft_landing(sigma_pa, step_pa=0):
    """A faults hook: once off the stand the baro reads with Gaussian noise
    of sigma_pa (the envelope's baro_noise_pa fault), rounded to step_pa steps
    when given (a whole-hPa part); the touchdown is soft (1 g and noise, no
    impact spike), so only the steady rules can tell the landing."""

    def faults(c, s):
        if c.stand:
            return
        p = s.press_dpa + 10.0 * sigma_pa * gauss_normal()
        if step_pa:
            p = round(p / (10 * step_pa)) * 10 * step_pa
        s.press_dpa = int(p)
        if c.landed_t is not None:
            s.az_mg = 1000 + random.randint(-60, 60)

    return faults


class GnssFix:
    """A 1 Hz 3D GNSS fix (the fields flight.py reads) with sigma_m of
    Gaussian noise on its height: `tick(c, s)` publishes a new epoch of the
    capsule's height each second of capsule time (rx_ms: the sample's tick)."""

    mode = 3  # fix.MODE_3D
    alt_ok = True

    def __init__(self, sigma_m):
        self.sigma_m = sigma_m
        self.rx_ms = 0
        self.alt_cm = 0
        self._next_s = 0.0

    def tick(self, c, s):
        if c.t >= self._next_s:
            self._next_s = c.t + 1.0
            self.rx_ms = s.t_ms
            self.alt_cm = int(100.0 * (c.h + self.sigma_m * gauss_normal()))


def gauss_normal():
    """A standard normal draw (Box-Muller)."""
    u = 1.0 - random.random()  # in (0, 1]: log(u) is finite
    return math.sqrt(-2.0 * math.log(u)) * math.cos(2.0 * math.pi * random.random())


def baro_dies_with_gnss(fix, dies_agl_m=None, dies_after_touchdown_s=None):
    """A faults hook: the baro reads clean (but for two seconds of bus errors
    under the drogue at 2 km, where the GNSS height stands in) until it dies
    below dies_agl_m or dies_after_touchdown_s after the touchdown; `fix` gets
    its epochs; the touchdown is soft (no impact spike)."""

    def faults(c, s):
        if c.stand:
            return
        fix.tick(c, s)
        if "drogue" in c.deployed and 1950.0 < c.h < 2000.0:
            s.baro_ok = False
        if c.landed_t is not None:
            s.az_mg = 1000 + random.randint(-60, 60)
        if dies_agl_m is not None and c.h < dies_agl_m:
            s.baro_ok = False
        down_s = c.t - c.landed_t if c.landed_t is not None else -1.0
        if dies_after_touchdown_s is not None and down_s > dies_after_touchdown_s:
            s.baro_ok = False

    return faults
