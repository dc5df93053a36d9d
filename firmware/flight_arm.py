"""Sequencer commands on the stand: arm (with its self-test), disarm and
reconfigure.

Why a separate module: `flight.FlightComputer` imports it for the call and
drops it from `sys.modules` afterwards, so none of this is resident during
the flight (and `status` during the flight, in flight_cmds, does not pay for
it either). The functions take the FlightComputer as `self`. Everything here
allocates; none of it runs per sample.
"""

from flight import STAND_NONE
from flight_phase import ARMED, DESCENT, MAIN, SAFE, phase_name

# flight.py's constants of the same names (folded there at compile time)
_FLIGHT_MS_MAX = 0x3FFFFFFF
_RUN_MS_MAX = 0x3FFFFFFF
_ONE_G_MG = 1000
_FAULT_EVENT_MS = 5000


def arm(self, arm_input_ok=True, sample=None):
    """Arm for a new flight: None, or the reason it is refused. The self-test
    reads `sample` if given, else the last sample stepped, and the stand
    window the sequencer kept in SAFE."""
    if self.phase != SAFE:
        if not self.armed:  # landed (the pyro bank disarmed), beaconing
            return "disarm first: phase %s, not on the stand" % phase_name(self.phase)
        return "already armed (phase %s)" % phase_name(self.phase)
    if not arm_input_ok:
        return "arm switch open"
    saved_bits = self.pyro.fired_bits
    self.pyro.fired_bits = 0  # a new flight: fresh igniters, checked below
    # imported for the check and released after: its strings need not sit
    # in RAM for the whole flight
    import sys

    import selftest

    try:
        failures = selftest.check(
            self.cfg, sample if sample is not None else self.last_sample, self.pyro, self
        )
    finally:
        sys.modules.pop("selftest", None)
    if failures:
        self.pyro.fired_bits = saved_bits
        return "self-test: " + "; ".join(failures)
    one_g = self._g_sum_q4 >> 4  # averaged over the clean stand window
    new_flight(self)
    self.one_g_mg = one_g
    self.phase = ARMED
    self.armed = True
    self.pyro.arm()
    self.boots = 0
    self._save()
    self._event(
        "arm",
        (("mode", self.cfg.start_mode), ("one_g_mg", one_g), ("boots", self.boots)),
    )
    self._publish()
    return None


def reconfigure(self, cfg):
    """Take a changed configuration (only while disarmed): None or reason."""
    if self.armed or self.phase != SAFE:
        return "disarm first: configuration changes only in SAFE"
    import atmosphere
    import kalman
    from flight_sense import SensorScreen

    self.cfg = cfg
    self.kf = kalman.Kalman(cfg.sample_hz)
    self.altimeter = atmosphere.Altimeter(cfg.ground_elevation_m, cfg.sea_level_pa)
    self.screen = SensorScreen(self.altimeter, cfg.baro_min_dpa)
    self.pyro.pulse_ms = cfg.fire_pulse_ms
    new_estimator(self)
    self.stand_ms = STAND_NONE  # the mounting may have changed: a new stand window
    self.stand_bad_mg = STAND_NONE
    return None


def disarm(self, force=False):
    """Disarm: None, or the reason it is refused. Allowed in SAFE, ARMED,
    LANDED and BEACON; refused during DESCENT, DROGUE and MAIN (a stray
    command or a bouncing arm line must not lose the capsule); `force` is for
    a stand crew after a false start."""
    if self.phase == SAFE:
        return None
    if DESCENT <= self.phase <= MAIN and not force:
        return "descending (phase %s): disarm refused; `disarm force` on the stand only" % (
            phase_name(self.phase)
        )
    old = self.phase
    self.pyro.disarm()
    self.armed = False
    self.phase = SAFE
    # the stand window is kept in SAFE only: the capsule may have been moved,
    # turned over or flown since arming, so the next arm needs a new one
    self.stand_ms = STAND_NONE
    self.stand_bad_mg = STAND_NONE
    self._save()
    self._event("disarm", (("from", phase_name(old)), ("forced", 1 if force else 0)))
    self._publish()
    return None


def new_estimator(self):
    """What the filter knows; survives arming (the stand is the stand)."""
    self.speed_trusted = False
    self.kf_ready = False
    self._accel_vertical = not self.cfg.reentry_mode
    self.baro_run_ms = 0
    self.baro_age_ms = _RUN_MS_MAX
    self.meas_age_ms = 0
    self.accel_only_ms = 0


def new_flight(self):
    """What one flight decides; reset when a new flight is armed."""
    self.phase = SAFE
    self.armed = False
    self.flight_ms = 0  # since descent start, accumulated (wrap-free)
    self.drogue_ms = -1  # flight_ms when the drogue fired
    self.main_ms = -1
    self.landed_ms = -1
    self.one_g_mg = _ONE_G_MG
    self.settled = False  # reentry pulse over: accel is vertical
    self.pulse_seen = False  # entry pulse seen (or released, drop mode): the timers run
    self.baro_min_cm = _FLIGHT_MS_MAX  # lowest baro height in the entry (pitot peak)
    self.gnss_rx_ms = 0  # tick of the last GNSS epoch used
    self.gnss_have = False  # a 3D GNSS height has been taken in this flight
    self.gnss_ok = False  # ... and it is fresh
    self.gnss_alt_cm = 0  # above the configured ground
    self.gnss_down = False  # the last epoch was lower than the one before
    self.gnss_main_count = 0
    self.drogue_failed = False
    self.orbit_seen = False  # reentry: free fall seen since arming
    self.free_fall_ms = 0
    self.entry_run_ms = 0
    self.drop_run_ms = 0
    self.unloaded_ago_ms = _RUN_MS_MAX  # since |a| last read unloaded (ARMED)
    self.unloaded_run_ms = 0  # ... for how long it read so, on end, that time
    self.settle_run_ms = 0
    self.accel_dead_ms = 0
    self.fail_run_ms = 0
    self.land_run_ms = 0
    self.land_ref_cm = 0
    self.gnss_land_ref_cm = 0
    self.land_avg_q7 = 0  # under the main: the baro height averaged, times 2**7
    self.land_avg_ref_cm = 0
    self.land_avg_run_ms = -_RUN_MS_MAX  # no average yet (flight._watch_landing)
    self.main_alt_count = 0
    self.persist_ms = 0
    self._fault_quiet_ms = _FAULT_EVENT_MS
    self._rep_rejects = 0
