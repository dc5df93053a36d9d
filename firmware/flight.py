"""The flight sequencer: one state machine from power-on to the beacon.

    SAFE -> ARMED -> DESCENT -> DROGUE -> MAIN -> LANDED -> BEACON

Why this shape: like AltOS's ao_flight.c, the whole sequence is one function
(`_decide`) read top to bottom, one block per phase, each with the condition
that leaves it and why. Sensor screening (flight_sense.py), the filter
(kalman.py), the pyro interlocks (pyro.py) and the persisted record
(persist.py) live in their own modules; this one only reads their outputs.

What it promises:
  * `step(sample)` once per sensor sample allocates nothing in steady state
    (events, 1 Hz record writes during the descent and fault reports do);
  * nothing fires unless armed, in a phase that allows the channel, once per
    flight; a single bad reading fires nothing (it is screened out first);
  * every transition and fire is an event with the values that caused it;
  * a reset at any point resumes the flight from the persisted record: same
    phase, fired channels never again, timers continued (see `_restore`).

The rules (thresholds are config keys, fixed point, see config_schema.py;
each rule is written once, as a comment next to its code in `_decide` and the
`_watch_*` / `_chute_due` methods it calls):
  ARMED -> DESCENT: g-switch after orbital free fall (reentry), free fall
    (drop), or a sustained descent rate (either mode).
  The entry (reentry mode): no height rule opens anything until the pulse
    was seen and is over (`_watch_entry`); the flight clock and the backup
    timers start at the pulse (drop mode: at the release); free fall after
    the pulse is a skip back out and waits for the next one.
  DROGUE / MAIN: at their heights above the ground, descending, not too fast
    (`_chute_due`); the GNSS height when the baro does not read; backup
    timers only when no working baro reads above the deploy height. Below
    the main's height already (too fast for the drogue, or released there):
    both at once, once descending (a trusted speed; a drop released climbing
    waits for apogee).
  LANDED: steady readings, an impact, or a timeout, in every phase once the
    entry is over (`_watch_landing`); landing disarms the pyro bank.
  BEACON: right after LANDED is recorded; stays until disarmed.

Filter inputs: the baro height when screened valid; the accelerometer as
vertical acceleration |a| - 1 g (1 g calibrated at arming) once the baro has
established the speed and the fall is near-vertical (drop mode always,
reentry once the pulse is over, when the filter also starts afresh). Without
a baro the speed is not believed after ACCEL_ONLY_MAX_MS (bias drift). Time
is the samples' own ticks, differenced wrap-safe.

Disarm: allowed in SAFE, ARMED, LANDED and BEACON. Refused during DESCENT,
DROGUE and MAIN: a stray command (or a bouncing arm line) must not lose the
capsule; `disarm(force=True)` exists for a stand crew after a false start.

Resets: the record is written at every transition and fire (before the
output goes high: the igniter current is the likeliest brown-out), and every
PERSIST_PERIOD_MS during the descent. On boot the flight clock resumes from
the record plus RESUME_MARGIN_MS (the record may be one period old, plus the
boot itself): backup timers run a little early rather than late -- a main
slightly high is recoverable, a main late is not. The record also keeps the
beacon's last known position (flight_cmds.keep_position), written with it.
"""

from micropython import const

import atmosphere
import flight_phase
import kalman
import persist
import pyro
from flight_phase import PHASE_NAMES, phase_name
from flight_sense import REASON_NAMES, SensorScreen, capsule_axis

__all__ = ("PHASE_NAMES", "FlightComputer", "build")

# baro fused this long (filter converged) before its speed is believed
_SPEED_TRUST_MS = const(2000)
_BARO_GAP_MS = const(300)  # a longer baro gap restarts that count
_BARO_FRESH_MS = const(500)  # a height counts as measured if baro was fused this recently
_NO_MEAS_MS = const(1000)  # no measurement at all this long: the speed is no longer known
_ACCEL_ONLY_MAX_MS = const(60000)  # accel alone carries the speed this long (bias drift)
_PULSE_SEEN_MG = const(2500)  # reentry: the entry pulse is under way (every entry peaks > 8 g)
_SETTLE_MG = const(2000)  # reentry: a seen pulse is over once |a| stays below this ...
_SETTLE_MIN_MG = const(700)  # ... and above this (below it the capsule is in free fall again) ...
_SETTLE_MS = const(1000)  # ... this long
_PULSE_BARO_RISE_CM = const(50000)  # dead accel: the pulse seen as a 500 m climb of the baro height
# dead accel: pulse over after this long descending below baro_max_speed
_BARO_SETTLE_MS = const(10000)
# an entry pulse is over within this (the shallowest take ~3 min): the drogue
# timer waits for it unless the pulse's end was seen
_PULSE_MAX_MS = const(300000)
_DESCENDING_CMS = const(300)  # chutes fire only while the capsule descends at least this fast
_GNSS_FRESH_MS = const(3000)  # a GNSS height counts this long after its epoch arrived
_GNSS_MAIN_EPOCHS = const(2)  # consecutive 3D fixes at or below main_deploy
_GNSS_3D = const(3)  # fix.MODE_3D
# an impact counts only within 300 m of the ground (if the baro reads)
_IMPACT_MAX_CM = const(30000)
_TROPOPAUSE_CM = const(1100000)
_SPEED_DOUBLING_CM = const(880000)  # above the tropopause
_SPEED_SCALE_TOP_CM = const(4000000)  # 40 km
_ORBIT_FREE_FALL_MS = const(2000)  # reentry: free fall this long arms the g-switch
_ACCEL_DEAD_MS = const(5000)  # no valid accel this long: judge the entry (or a drop) by the baro
_FREEFALL_MG = const(300)
_UNLOADED_MG = const(700)  # |a| below this: not hanging on a line or standing
_UNLOADED_RECENT_MS = const(60000)  # ... seen this recently for a descent-rate start
_UNLOADED_MIN_MS = const(300)  # ... for this long on end (a release: seconds; a gust: a sample)
_DROP_WEAK_MS = const(8000)  # the descent rate held this long after shorter unloading
_LANDED_BAND_CM = const(1500)  # +-15 m: a whole-hPa baro's count, GNSS noise
_LANDED_ACCEL_MG = const(500)
_LANDED_SPEED_CMS = const(300)
_MAIN_SETTLE_MS = const(10000)  # opening shock is not an impact
_IMPACT_MG = const(4000)
_LANDED_TIMEOUT_MS = const(1800000)  # 30 min under the main: down, whatever the sensors say
_LANDED_AVG_SHIFT = const(7)  # under the main: the baro height averaged over 2**7 samples,
_LANDED_AVG_SETTLE_N = const(512)  # believed 4 time constants after its seed (2 % left)
_LANDED_MAIN_MIN_MS = const(20000)  # under the main: the noisy heights' rules hold this long
_LANDED_GNSS_MAIN_BAND_CM = const(2500)  # under the main: +-25 m for the GNSS height
_PERSIST_PERIOD_MS = const(1000)
_BEACON_PERSIST_MS = const(60000)
# RESUME_MARGIN_MS (resume after a reset): flight_cmds.py; BOOT_GAP_MS: persist.py
_MAX_DT_MS = const(60000)  # longest gap between steps counted by the timers
_FLIGHT_MS_MAX = const(0x3FFFFFFF)  # the largest small int on a 32-bit board
_RUN_MS_MAX = const(0x3FFFFFFF)
# the flight clock and every ms counter stop at about 12.4 days: a counter
# below this takes one more step (at most MAX_DT_MS) and stays below 2**30
_RUN_CAP_MS = const(_RUN_MS_MAX - _MAX_DT_MS)
_FAULT_EVENT_MS = const(5000)  # sensor fault reports at most this often
_ONE_G_MG = const(1000)
# a plausible stand, every sample of the window before arming (SAFE)
_STAND_MIN_DPA = const(300000)  # 300 mbar: no ground pressure is lower
_STAND_MAX_DPA = const(1100000)
_STAND_TOL_MG = const(300)  # per sample: 1 g +- this (noise and a coarse part's steps pass)
_STAND_Z_MG = const(700)  # per sample: gravity this much along capsule +z (about 45 deg)
_STAND_WINDOW_MS = const(2000)
# per sample: pressure within this of the window's first reading. A stand
# moves well under 1 hPa in the window and a very noisy part (10 hPa RMS)
# stays inside; a baro returning garbage across its range does not
_STAND_PRESS_TOL_DPA = const(80000)  # 80 hPa, about 700 m
# readings further apart than this: the stand was not watched in between (a
# stalled loop, frames that stopped), so a new window starts
STAND_GAP_MS = const(500)
STAND_NONE = const(-2)  # stand_ms after a disarm or a config change: no window yet
STAND_JUMP = const(-1)  # stand_bad_why: the pressure jumped (the accelerometer read well)
STAND_LIMITS = (
    _STAND_MIN_DPA, _STAND_MAX_DPA, _STAND_TOL_MG, _STAND_Z_MG, _STAND_WINDOW_MS,
    _STAND_PRESS_TOL_DPA,
)  # fmt: skip
# flight_phase numbering, folded in at compile time (checked below)
_SAFE = const(0)
_ARMED = const(1)
_DESCENT = const(2)
_DROGUE = const(3)
_MAIN = const(4)
_LANDED = const(5)
_BEACON = const(6)
# kalman.NONE / BARO / ACCEL (same values): folded in at compile time, no
# module attribute lookup per sample
_KF_NONE = const(0)
_KF_BARO = const(1)
_KF_ACCEL = const(2)

# transition / fire reasons are string literals (interned: no allocation in the loop)


if (
    flight_phase.SAFE,
    flight_phase.ARMED,
    flight_phase.DESCENT,
    flight_phase.DROGUE,
    flight_phase.MAIN,
    flight_phase.LANDED,
    flight_phase.BEACON,
) != (_SAFE, _ARMED, _DESCENT, _DROGUE, _MAIN, _LANDED, _BEACON):
    raise ImportError("flight: phase numbering differs from flight_phase")


def _abs(v):
    return -v if v < 0 else v


def _cmd(name, fc, *args, module="flight_cmds"):
    """Run <module>.<name>(fc, *args): code for boot and commands only,
    imported for the call and dropped afterwards so it is not resident in
    flight."""
    import sys

    loaded = module in sys.modules
    impl = __import__(module)
    try:
        return getattr(impl, name)(fc, *args)
    finally:
        if not loaded:
            sys.modules.pop(module, None)


class FlightComputer:
    def __init__(self, cfg, clock, pyro_bank, events, store):
        self.cfg = cfg
        self.clock = clock
        self.pyro = pyro_bank
        self.events = events
        self.store = store
        self.kf = kalman.Kalman(cfg.sample_hz)
        self.altimeter = atmosphere.Altimeter(cfg.ground_elevation_m, cfg.sea_level_pa)
        self.screen = SensorScreen(self.altimeter, cfg.baro_min_dpa)
        self.rec = persist.FlightRecord()
        self.ch_drogue = pyro_bank.index("drogue")
        self.ch_main = pyro_bank.index("main")
        self.last_sample = None  # the sample object last stepped (for arm's self-test)
        self.gnss_fix = None  # the GNSS receiver's published fix (set by the app), or None
        self.position_source = None  # the beacon (flight_cmds.keep_position)
        self._last_t = 0
        self._have_t = False
        self.boots = 0
        _cmd("new_estimator", self, module="flight_arm")
        _cmd("new_flight", self, module="flight_arm")
        self._g_sum_q4 = _ONE_G_MG << 4
        self._z_sum_q4 = _ONE_G_MG << 4  # the same window's capsule z (the upright check)
        # clean stand this long (-1: the last sample was not; STAND_NONE: no
        # sample since a disarm or a config change); a new window starts at
        # the next clean sample
        self.stand_ms = -1
        # the last unclean sample for the refusal message: |a| (-1: not read;
        # STAND_NONE: none since boot, a disarm or a config change), capsule
        # z, the screen's verdict on the accelerometer (flight_sense reason),
        # pressure (-1: not read)
        self.stand_bad_mg = STAND_NONE
        self.stand_bad_z = 0
        self.stand_bad_why = 0
        self.stand_bad_dpa = 0
        self.stand_ref_dpa = 0  # the window's first pressure (the jump check)
        self._restore()
        self._publish()

    # --- state --------------------------------------------------------------

    def _publish(self):
        kf = self.kf
        self.alt_cm = kf.alt_cm
        self.speed_cms = kf.speed_cms
        self.accel_cms2 = kf.accel_cms2
        self.pyro_bits = self.pyro.fired_bits

    # --- the loop -------------------------------------------------------------

    def step(self, s):
        """One sensor sample: screen, filter, decide, persist, end pulses.
        Allocates nothing unless something happens (event, record write).

        Time is the sample's tick (the app stamps it from the clock when it
        reads the sensors): the filter and every timer advance by the ticks
        between consecutive samples, wrap-safe through clock.diff_ms."""
        dt = 0
        if self._have_t:
            dt = self.clock.diff_ms(s.t_ms, self._last_t)
            if dt < 0:
                dt = 0  # a sample from the past: counts no time
            elif dt > _MAX_DT_MS:
                dt = _MAX_DT_MS
        self._last_t = s.t_ms
        self._have_t = True
        self.last_sample = s
        phase = self.phase
        if phase >= _DESCENT and self.pulse_seen and self.flight_ms < _RUN_CAP_MS:
            # the flight clock (and the backup timers on it) start at the
            # entry pulse, or at the release in drop mode
            self.flight_ms += dt
        sc = self.screen
        # a frozen pressure is a fault only while the capsule must be falling
        # (under the main too: a frozen baro would read as landed, and the
        # descent would be logged and beaconed as a landing); once down, the
        # impact says so if a coarse part then reads frozen
        sc.update(s, dt, _DESCENT <= phase <= _MAIN)
        # --- feed the filter the measurements it may believe (written out
        # here, not called: it runs every sample) ---
        kf = self.kf
        # the accelerometer refines a speed the baro has established; alone it
        # only carries that speed (baro loss) for ACCEL_ONLY_MAX_MS
        accel_v = sc.accel_valid and self._accel_vertical and self.speed_trusted
        baro = sc.baro_valid
        mode = _KF_NONE
        if baro:
            mode = _KF_BARO
            if not self.kf_ready:
                # first height after boot, entry, settle or restore: take it as
                # is and keep the speed (a jump in height is not a speed)
                kf.reset(sc.alt_cm, kf.speed_cms, 0)
                self.kf_ready = True
        vacc = 0
        if accel_v:
            mode |= _KF_ACCEL
            # specific force magnitude minus the calibrated 1 g, as vertical (up +)
            vacc = (sc.mag_mg - self.one_g_mg) * 981 // 1000
        kf.update(dt, sc.alt_cm, vacc, mode)
        if baro:
            self.baro_age_ms = 0
            self.meas_age_ms = 0
            self.accel_only_ms = 0
            if self.baro_run_ms < _RUN_CAP_MS:
                self.baro_run_ms += dt
            if self.baro_run_ms >= _SPEED_TRUST_MS:
                self.speed_trusted = True
        else:
            if self.baro_age_ms < _RUN_CAP_MS:
                self.baro_age_ms += dt
                if self.baro_age_ms > _BARO_GAP_MS:
                    self.baro_run_ms = 0
            if accel_v:
                self.meas_age_ms = 0
                self.accel_only_ms += dt
                if self.accel_only_ms > _ACCEL_ONLY_MAX_MS:
                    self.speed_trusted = False
                    self.accel_only_ms = 0
            else:
                self.meas_age_ms += dt
                if self.meas_age_ms > _NO_MEAS_MS:
                    # blind: the speed is no longer known; stop extrapolating (the
                    # rules that need a speed wait, the backup timers decide, and
                    # the logged height does not drift off to nonsense)
                    self.speed_trusted = False
                    kf.coast(stop=True)
                    self.meas_age_ms = 0
        if _DESCENT <= phase <= _MAIN and self.gnss_fix is not None:
            self._gnss_height(s.t_ms)
        self._decide(s, dt)
        if phase >= _DESCENT and phase != _LANDED:
            # the flight clock is recorded about once a second while the
            # timers run, once a minute while beaconing; never per sample
            self.persist_ms += dt
            ps = self.position_source
            if self.persist_ms >= (_PERSIST_PERIOD_MS if phase <= _MAIN else _BEACON_PERSIST_MS):
                self._save()
            elif ps is not None and ps.position_unsaved:
                self._save()  # the first position: kept before it goes on air
        if self._fault_quiet_ms < _FAULT_EVENT_MS:
            self._fault_quiet_ms += dt
        elif sc.rejects != self._rep_rejects:
            self._report_faults()
        bank = self.pyro
        if bank.on_bits:
            bank.poll()
        kf = self.kf
        self.alt_cm = kf.alt_cm
        self.speed_cms = kf.speed_cms
        self.accel_cms2 = kf.accel_cms2
        self.pyro_bits = bank.fired_bits

    # --- the state machine ----------------------------------------------------

    def _decide(self, s, dt):
        cfg = self.cfg
        sc = self.screen
        kf = self.kf
        phase = self.phase
        baro_fresh = self.baro_age_ms <= _BARO_FRESH_MS
        # main-altitude debounce: consecutive accepted baro samples at or below
        # main_deploy (rejected samples neither count nor reset)
        if sc.baro_valid and phase >= _DESCENT:
            if sc.alt_cm <= cfg.main_deploy_cm:
                if self.main_alt_count < 1000:
                    self.main_alt_count += 1
            else:
                self.main_alt_count = 0

        if phase == _SAFE:
            # Disarmed: nothing can fire. Leaves only through arm(), whose
            # self-test needs a clean stand window: every sample for
            # STAND_WINDOW_MS a ground pressure read within STAND_PRESS_TOL of
            # the window's first (a noisy baro's spikes are the screen's
            # business in flight; garbage is not), |a| = 1 g +- STAND_TOL_MG and
            # gravity along capsule +z (Genesis); the 1 g calibration and the
            # self-test's upright check average that window only (one noisy
            # sample must not refuse a good stand). A bad sample restarts it
            # (and is kept for the refusal message), and so does a gap of
            # more than STAND_GAP_MS since the last reading: time not watched
            # is no clean stand, and two readings would make a whole window.
            z = capsule_axis(cfg, s, 2)
            new_window = self.stand_ms < 0 or dt > STAND_GAP_MS
            if (
                s.baro_ok
                and _STAND_MIN_DPA <= s.press_dpa <= _STAND_MAX_DPA
                and (new_window or _abs(s.press_dpa - self.stand_ref_dpa) <= _STAND_PRESS_TOL_DPA)
                and sc.accel_valid
                and _abs(sc.mag_mg - _ONE_G_MG) <= _STAND_TOL_MG
                and z >= _STAND_Z_MG
            ):
                if new_window:
                    self.stand_ms = 0
                    self.stand_ref_dpa = s.press_dpa
                    self._g_sum_q4 = sc.mag_mg << 4
                    self._z_sum_q4 = z << 4
                else:
                    self._g_sum_q4 += sc.mag_mg - (self._g_sum_q4 >> 4)
                    self._z_sum_q4 += z - (self._z_sum_q4 >> 4)
                    if self.stand_ms < _RUN_CAP_MS:
                        self.stand_ms += dt
            else:
                self.stand_ms = -1
                self.stand_bad_mg = sc.raw_mag_mg if sc.raw_ok else -1
                self.stand_bad_z = z
                self.stand_bad_why = sc.accel_reason
                self.stand_bad_dpa = s.press_dpa if s.baro_ok else -1
                if (
                    not (new_window or sc.accel_reason)
                    and s.baro_ok
                    and _STAND_MIN_DPA <= s.press_dpa <= _STAND_MAX_DPA
                    and _abs(s.press_dpa - self.stand_ref_dpa) > _STAND_PRESS_TOL_DPA
                ):
                    self.stand_bad_why = STAND_JUMP
            return

        if phase == _ARMED:
            # Waiting on the stand, in orbit or under a drone. Leaves when the
            # descent starts (see the module docstring for the rules); written
            # out here, not called: it runs every sample while armed.
            if cfg.reentry_mode and not self.orbit_seen and sc.raw_ok:
                # a capsule meets the atmosphere after free fall in orbit: the
                # g-switch closes only once that was seen, so an accelerometer
                # that goes bad on the stand (1 g) cannot start the sequence.
                # Raw readings count here: a coarse part reads exact zeros in
                # orbit, which the screen rejects as a dead part.
                if sc.raw_mag_mg <= _FREEFALL_MG:
                    self.free_fall_ms += dt
                    if self.free_fall_ms >= _ORBIT_FREE_FALL_MS:
                        self.orbit_seen = True
                        self._save()
                        self._event("orbit_free_fall", (("accel_mg", sc.raw_mag_mg),))
                else:
                    self.free_fall_ms = 0
            if sc.accel_valid:  # rejected samples neither count nor reset
                if cfg.reentry_mode:
                    hit = self.orbit_seen and sc.mag_mg >= cfg.entry_mg
                else:
                    hit = sc.mag_mg <= _FREEFALL_MG
                if hit:
                    self.entry_run_ms += dt
                    if self.entry_run_ms >= cfg.entry_ms:
                        self._enter(_DESCENT, "g_switch" if cfg.reentry_mode else "free_fall")
                        return
                else:
                    self.entry_run_ms = 0
            # the descent rate needs the accelerometer to agree: unloaded
            # (free fall, a tumbling release) within UNLOADED_RECENT_MS, or
            # no valid reading at all -- a payload swinging under a balloon
            # reads 1 g while a coarse baro's steps look like a fall. That
            # window runs on the baro's time only: a release above the baro's
            # ceiling (a burst at 20 km, a BMP280 blind above 9 km) is the
            # last the accelerometer can tell, and by the time the baro reads
            # again the fall has long been at terminal speed, loaded at 1 g.
            # How long the descent rate must hold depends on how well the
            # accelerometer agreed: entry_ms after UNLOADED_MIN_MS or more
            # unloaded on end (a release's free fall or tumble), or with no
            # accelerometer; DROP_WEAK_MS after a sample or two only -- a
            # gust at the tropopause dips |a| that far on the way up (with a
            # noisy whole-hPa baro, a 1 s "fall" started a balloon's descent
            # at 9.9 km), and so does a light capsule dropped into wind, whose
            # drag never lets |a| fall far below 1 g but whose descent lasts
            if sc.raw_ok and sc.raw_mag_mg < _UNLOADED_MG:
                # raw: a coarse part reads zeros falling
                if self.unloaded_ago_ms > 0:
                    self.unloaded_run_ms = dt  # a new run (the last one's length is kept)
                elif self.unloaded_run_ms < _UNLOADED_MIN_MS:
                    self.unloaded_run_ms += dt
                self.unloaded_ago_ms = 0
            elif baro_fresh and self.unloaded_ago_ms < _RUN_CAP_MS:
                self.unloaded_ago_ms += dt
            if sc.accel_valid:
                self.accel_dead_ms = 0
            elif self.accel_dead_ms < _ACCEL_DEAD_MS:
                self.accel_dead_ms += dt
            if (
                baro_fresh
                and self.speed_trusted
                and -kf.speed_cms >= cfg.drop_speed_cms
                and (
                    self.unloaded_ago_ms <= _UNLOADED_RECENT_MS
                    or self.accel_dead_ms >= _ACCEL_DEAD_MS
                )
            ):
                self.drop_run_ms += dt
                if self.drop_run_ms >= (
                    cfg.entry_ms
                    if self.unloaded_run_ms >= _UNLOADED_MIN_MS
                    or self.accel_dead_ms >= _ACCEL_DEAD_MS
                    else _DROP_WEAK_MS
                ):
                    self._enter(_DESCENT, "descent_rate")
                    return
            else:
                self.drop_run_ms = 0
            return

        if phase == _DESCENT:
            # Entry or drop under way; only the drogue may fire. In reentry
            # mode nothing may open until the entry pulse has been seen and
            # is over (`_watch_entry`): until then the baro reads stagnation
            # pressure, a "height" many km below the capsule, and its decay
            # after peak heating reads as a climb.
            if cfg.reentry_mode:
                self._watch_entry(sc, kf, dt, baro_fresh)
            if self.settled and self._chute_due(
                baro_fresh, cfg.drogue_deploy_cm, cfg.drogue_max_speed_cms
            ):
                # low enough, descending, and slow enough for the drogue to
                # survive opening
                self._fire(
                    self.ch_drogue, _DROGUE, "gnss_altitude" if not baro_fresh else "altitude"
                )
            elif (
                self.settled
                and self.main_alt_count >= cfg.main_debounce_n
                and not (self.speed_trusted and kf.speed_cms > -_DESCENDING_CMS)
            ):
                # already at the main's altitude without a drogue (never
                # slow enough for it, or released there): the drogue now, the
                # main right after -- but not while a trusted speed says the
                # capsule still climbs or hangs (a drop released climbing):
                # a canopy opened upward fouls the capsule, so it waits for
                # the fall after apogee
                self._fire(self.ch_drogue, _DROGUE, "below_main_altitude")
            elif (
                self.flight_ms >= cfg.drogue_backup_ms
                and (self.settled or self.flight_ms >= cfg.drogue_backup_ms + _PULSE_MAX_MS)
                and not self._baro_above(baro_fresh, cfg.drogue_deploy_cm)
            ):
                # the heights could not decide by now: a timer backs them up.
                # It never overrides a barometer that reads above the drogue's
                # altitude, and never fires inside the entry pulse unless the
                # pulse's end went unseen for PULSE_MAX_MS more
                self._fire(self.ch_drogue, _DROGUE, "backup_timer")
            elif self.settled:
                self._watch_landing(sc, kf, dt, baro_fresh)
            return

        if phase == _DROGUE:
            # Under the drogue (or should be); only the main may fire.
            if self.main_alt_count >= cfg.main_debounce_n and (
                self.drogue_failed
                or not self.speed_trusted
                or -kf.speed_cms <= cfg.main_max_speed_cms
                or sc.alt_cm * 2 <= cfg.main_deploy_cm
            ):
                # main altitude, debounced over accepted baro samples; if
                # still faster than main_max_speed under a working drogue it
                # waits to slow down, down to half the main's altitude at most
                self._fire(self.ch_main, _MAIN, "altitude")
                return
            if not baro_fresh and self.gnss_main_count >= _GNSS_MAIN_EPOCHS:
                # no barometer: the GNSS height, over consecutive fixes
                self._fire(self.ch_main, _MAIN, "gnss_altitude")
                return
            if not self.drogue_failed:
                # drogue failed if the descent rate stays above what a drogue
                # gives at this height for drogue_fail_s (OSIRIS-REx 2023);
                # the main still waits for its altitude: without a drogue the
                # capsule is at terminal speed, where opening high buys nothing
                if self.speed_trusted:
                    if -kf.speed_cms > self._fail_speed_cms():
                        self.fail_run_ms += dt
                    else:
                        self.fail_run_ms = 0
                if self.fail_run_ms >= cfg.drogue_fail_ms:
                    self.drogue_failed = True
                    self._event("drogue_failed", self._values("drogue_failed"))
                    self._save()
            if self.flight_ms - self.drogue_ms >= cfg.main_backup_ms and not self._baro_above(
                baro_fresh, cfg.main_deploy_cm
            ):
                # the heights could not decide by now: the main is due
                self._fire(self.ch_main, _MAIN, "backup_timer")
                return
            self._watch_landing(sc, kf, dt, baro_fresh)
            return

        if phase == _MAIN:
            # Under the main. Leaves when the capsule is down.
            self._watch_landing(sc, kf, dt, baro_fresh)
            return

        if phase == _LANDED:
            # The pyro bank was disarmed on entry and the landing recorded:
            # from here on the board only beacons.
            self._enter(_BEACON, "landing_recorded")
            return

        # BEACON: nothing left to decide until a person disarms the board.

    # --- the rules _decide reads (one call per sample at most) -----------------

    def _watch_entry(self, sc, kf, dt, baro_fresh):
        """Reentry: is the entry pulse over? Seen first: |a| above
        PULSE_SEEN_MG (or, with a dead accelerometer, the baro height climbing
        PULSE_BARO_RISE_CM above its lowest: the pitot pressure falling after
        peak dynamic pressure). Over: |a| back between SETTLE_MIN_MG and
        SETTLE_MG for SETTLE_MS (near-vertical fall, below about Mach 1.5 in
        every entry of the envelope), or with a dead accelerometer a steady
        baro descent below baro_max_speed for BARO_SETTLE_MS. Free fall after
        the pulse, over or not, is a skip back out of the atmosphere: wait for
        the next. Runs every sample of DESCENT in reentry mode."""
        if self.pulse_seen and sc.raw_ok and sc.raw_mag_mg <= _FREEFALL_MG:
            # free fall after a pulse, even once it looked over (|a| passes
            # the settle band on the way out): skipped out of the atmosphere.
            # Raw readings count: a coarse part reads exact zeros here.
            self.free_fall_ms += dt
            if self.free_fall_ms >= _ORBIT_FREE_FALL_MS:
                # the timers and the height rules wait for the next pulse
                self.pulse_seen = False
                self.settled = False
                self._accel_vertical = False
                self.flight_ms = 0
                self.baro_min_cm = _FLIGHT_MS_MAX
                self._event("skip_out", self._values(None))
                self._save()
                return
        else:
            self.free_fall_ms = 0
        if self.settled:
            return
        if sc.baro_valid and not self.pulse_seen:
            if sc.alt_cm < self.baro_min_cm:
                self.baro_min_cm = sc.alt_cm
            elif sc.alt_cm - self.baro_min_cm > _PULSE_BARO_RISE_CM and not sc.accel_valid:
                self._pulse("baro_rise")
        if sc.accel_valid:
            self.accel_dead_ms = 0
            m = sc.mag_mg
            if not self.pulse_seen:
                if m >= _PULSE_SEEN_MG:
                    self._pulse("g_pulse")
                return
            if _SETTLE_MIN_MG <= m < _SETTLE_MG:
                self.settle_run_ms += dt
            else:
                self.settle_run_ms = 0
            if self.settle_run_ms >= _SETTLE_MS:
                self._settle(0)
            return
        if self.accel_dead_ms < _ACCEL_DEAD_MS:
            self.accel_dead_ms += dt
            return
        v = kf.speed_cms
        if (
            self.pulse_seen
            and baro_fresh
            and self.speed_trusted
            and -self.cfg.baro_max_speed_cms < v < -_DESCENDING_CMS
        ):
            self.settle_run_ms += dt
            if self.settle_run_ms >= _BARO_SETTLE_MS:
                self._settle(1)
        else:
            self.settle_run_ms = 0

    def _pulse(self, why):
        self.pulse_seen = True
        self.flight_ms = 0
        self.free_fall_ms = 0
        self.settle_run_ms = 0
        self._save()
        self._event("entry_pulse", self._values(why))

    def _settle(self, accel_dead):
        # what the filter made of the pulse is worthless (stagnation pressure
        # and horizontal deceleration): start again from the next baro height,
        # and believe its speed only after SPEED_TRUST_MS
        self.settled = True
        self._accel_vertical = True
        self.kf.reset(self.kf.alt_cm, 0, 0)
        self.kf_ready = False
        self.speed_trusted = False
        self.baro_run_ms = 0
        f = [("accel_dead", accel_dead)]
        f.extend(self._values(None))
        self._event("entry_settled", f)
        self._save()

    def _chute_due(self, baro_fresh, deploy_cm, max_speed_cms):
        """At or below deploy_cm and descending (slower than max_speed_cms):
        by the filter while the baro reads, else by fresh GNSS fixes."""
        if baro_fresh:
            v = self.kf.speed_cms
            return (
                self.speed_trusted
                and self.kf.alt_cm <= deploy_cm
                and -max_speed_cms < v < -_DESCENDING_CMS
            )
        return self.gnss_ok and self.gnss_down and self.gnss_alt_cm <= deploy_cm

    def _baro_above(self, baro_fresh, height_cm):
        """A working barometer says the capsule is above height_cm (or is
        counting the main's height): a backup timer must not fire then
        (timers back up, they never lead)."""
        return baro_fresh and (self.screen.alt_cm > height_cm or self.main_alt_count > 0)

    def _fail_speed_cms(self):
        """drogue_fail_speed (a sea-level figure) scaled to the air at the
        current height: a working drogue falls faster in thin air."""
        # sqrt(rho0 / rho) of the 1976 atmosphere: linear to 1.69 at the
        # tropopause (11 km), then doubling every 8.8 km (within 8 % to 40 km,
        # checked in the tests); every product stays below 2**30
        fail = self.cfg.drogue_fail_speed_cms
        h = self.kf.alt_cm + self.cfg.ground_elevation_cm
        if h <= 0:
            return fail
        if h <= _TROPOPAUSE_CM:
            return fail + fail * 69 // 100 * (h // 1000) // (_TROPOPAUSE_CM // 1000)
        if h > _SPEED_SCALE_TOP_CM:
            h = _SPEED_SCALE_TOP_CM
        x = h - _TROPOPAUSE_CM
        v = (fail * 169 // 100) << (x // _SPEED_DOUBLING_CM)
        return v + v * (x % _SPEED_DOUBLING_CM // 1000) // (_SPEED_DOUBLING_CM // 1000)

    def _watch_landing(self, sc, kf, dt, baro_fresh):
        """Down, in any phase once the entry is over: baro height (GNSS height
        without a baro) within +-LANDED_BAND_CM, speed under LANDED_SPEED_CMS and |a| within 1 g +-
        LANDED_ACCEL_MG for landed_s (waves on a splashdown stay inside); or
        an impact (|a| >= IMPACT_MG) MAIN_SETTLE_MS after the last fire (an
        opening shock is no impact) within IMPACT_MAX_CM of the ground if the
        baro reads; or LANDED_TIMEOUT_MS under the main. Under the main only
        (the main is out: disarming leaves nothing unfired), noisy heights
        have their own rules, each held LANDED_MAIN_MIN_MS at least: the GNSS
        height in a wider band, and the baro height averaged (see below).
        Landing disarms the pyro bank."""
        steady = baro_fresh
        if sc.baro_valid:
            d = sc.alt_cm - self.land_ref_cm
            if d > _LANDED_BAND_CM or d < -_LANDED_BAND_CM:
                self.land_ref_cm = sc.alt_cm
                steady = False
        elif not baro_fresh and self.gnss_ok:
            # no baro: the GNSS height in its place, with its own reference
            # (a coarse baro on the ground comes and goes as "stuck"; an
            # impact can be missed between samples at 10 Hz). Under the main
            # only, a band for the GNSS height's noise (5 m an epoch: two
            # epochs differ by more than 15 m one time in 30, so 20 in a row
            # held +-15 m only half the time) and a run of LANDED_MAIN_MIN_MS
            # at least: +-25 m held 20 s is under 1.25 m/s, and a 3 m/s main
            # would need 35 m of noise (5 sigma) to hold it
            steady = True
            band = _LANDED_GNSS_MAIN_BAND_CM if self.phase == _MAIN else _LANDED_BAND_CM
            d = self.gnss_alt_cm - self.gnss_land_ref_cm
            if d > band or d < -band:
                self.gnss_land_ref_cm = self.gnss_alt_cm
                steady = False
        still = not (sc.accel_valid and _abs(sc.mag_mg - self.one_g_mg) > _LANDED_ACCEL_MG)
        if not still:
            steady = False
        if (
            self.baro_run_ms >= _SPEED_TRUST_MS
            and self.speed_trusted
            and _abs(kf.speed_cms) > _LANDED_SPEED_CMS
        ):
            # only a speed the baro carries without gaps: a coarse baro that
            # comes and goes on the ground (screened as stuck between counts)
            # leaves the filter's speed jumping by its steps
            steady = False
        if steady:
            self.land_run_ms += dt
        else:
            self.land_run_ms = 0
        avg_run = self.land_avg_run_ms
        if self.phase == _MAIN:
            # Under the main only: a baro too noisy for the band sample by
            # sample (whole-hPa steps, a noisy part: tens of metres apart)
            # holds it on its average over 2**LANDED_AVG_SHIFT samples, 1/16
            # of its noise (AltOS judges its landing on the same
            # ao_avg_height). It cannot hold under a descending main: the
            # average moves at the descent's speed once its seed is forgotten
            # (LANDED_AVG_SETTLE_N samples, counted in baro samples' time:
            # fresh from a seed it starts from rest, and from a seed below the
            # capsule it would climb and turn), and +-LANDED_BAND_CM held
            # LANDED_MAIN_MIN_MS is under 1.5 m/s, half the slowest main
            # (3 m/s): the other 45 m would be the average's noise, over 5
            # sigma for the envelope's noisiest baro (1000 Pa). No speed
            # check: the filter's speed carries the noise the average removes.
            # A screened height is below 50 km (baro_min_pa): times 2**7 it
            # stays below 2**30.
            settled = avg_run >= 0
            if sc.baro_valid and avg_run == -_RUN_MS_MAX:
                # no average yet (_enter, new_flight): this height seeds it
                self.land_avg_q7 = sc.alt_cm << _LANDED_AVG_SHIFT
                self.land_avg_ref_cm = sc.alt_cm
                avg_run = -self.cfg.sample_period_ms * _LANDED_AVG_SETTLE_N
            elif sc.baro_valid:
                self.land_avg_q7 += sc.alt_cm - (self.land_avg_q7 >> _LANDED_AVG_SHIFT)
                if not settled:
                    avg_run = avg_run + dt if avg_run + dt < 0 else 0
            if settled:
                avg = self.land_avg_q7 >> _LANDED_AVG_SHIFT
                d = avg - self.land_avg_ref_cm
                if not (baro_fresh and still) or d > _LANDED_BAND_CM or d < -_LANDED_BAND_CM:
                    self.land_avg_ref_cm = avg
                    avg_run = 0
                elif avg_run < _RUN_CAP_MS:
                    avg_run += dt
            self.land_avg_run_ms = avg_run
        last = self.main_ms if self.main_ms >= 0 else self.drogue_ms
        since_fire = self.flight_ms - last if last >= 0 else self.flight_ms
        need_ms = self.cfg.landed_ms
        if self.phase == _MAIN and not baro_fresh and need_ms < _LANDED_MAIN_MIN_MS:
            need_ms = _LANDED_MAIN_MIN_MS  # the GNSS height's wider band
        if self.land_run_ms >= need_ms:
            self._enter(_LANDED, "steady")
        elif avg_run >= _LANDED_MAIN_MIN_MS and avg_run >= self.cfg.landed_ms:
            self._enter(_LANDED, "steady_average")
        elif (
            sc.accel_valid
            and sc.mag_mg >= _IMPACT_MG
            and since_fire >= _MAIN_SETTLE_MS
            and not (baro_fresh and kf.alt_cm > _IMPACT_MAX_CM)
        ):
            self._enter(_LANDED, "impact")
        elif self.phase == _MAIN and since_fire >= _LANDED_TIMEOUT_MS:
            self._enter(_LANDED, "timeout")

    def _gnss_height(self, t_ms):
        """Take each new 3D GNSS epoch's height above the ground: the
        altitude rules' fallback when the barometer does not read."""
        f = self.gnss_fix
        if f.rx_ms != self.gnss_rx_ms:
            self.gnss_rx_ms = f.rx_ms
            if f.alt_ok and f.mode == _GNSS_3D:
                h = f.alt_cm - self.cfg.ground_elevation_cm
                self.gnss_down = self.gnss_have and h < self.gnss_alt_cm
                self.gnss_alt_cm = h
                self.gnss_have = True
                if h <= self.cfg.main_deploy_cm:
                    self.gnss_main_count += 1
                else:
                    self.gnss_main_count = 0
        age = self.clock.diff_ms(t_ms, self.gnss_rx_ms)
        self.gnss_ok = self.gnss_have and 0 <= age <= _GNSS_FRESH_MS

    # --- transitions, fires, events -------------------------------------------

    def _enter(self, phase, why, save=True):
        old = self.phase
        self.phase = phase
        self.fail_run_ms = 0
        self.land_run_ms = 0
        self.land_ref_cm = self.screen.alt_cm
        self.land_avg_run_ms = -_RUN_MS_MAX  # no average yet: the next baro height seeds it
        if phase == _DESCENT:
            self.flight_ms = 0
            self.pulse_seen = not self.cfg.reentry_mode  # drop: the release starts the timers
            self.baro_min_cm = _FLIGHT_MS_MAX
            if self.cfg.reentry_mode:
                # entry: the pulse is on (or about to be: a descent rate seen
                # at hypersonic speed is stagnation pressure rising), the
                # trajectory is not vertical, and what the filter knew in
                # orbit is worthless
                self.settled = False
                self.settle_run_ms = 0
                self.accel_dead_ms = 0
                self._accel_vertical = False
                if not (self.speed_trusted and self.baro_age_ms <= _BARO_FRESH_MS):
                    self.kf.reset(self.kf.alt_cm, 0, 0)
                    self.kf_ready = False
                    self.speed_trusted = False
            else:
                self.settled = True
                self._accel_vertical = True
        elif phase >= _DROGUE:
            self._accel_vertical = True
        if phase == _LANDED:
            self.landed_ms = self.flight_ms
            self.armed = False
            self.pyro.disarm()
        if save:
            self._save()
        f = [("from", phase_name(old)), ("to", phase_name(phase))]
        f.extend(self._values(why))
        self._event("phase", f)

    def _fire(self, ch, next_phase, why):
        """Record, then fire channel ch (allowed in the current phase), then
        move to next_phase. The record goes first: the igniter current is the
        likeliest cause of a brown-out, and after one the channel must read
        as fired."""
        if ch >= 0:
            self.rec.fired_bits = self.pyro.fired_bits | (1 << ch)
        if ch == self.ch_drogue:
            self.drogue_ms = self.flight_ms
        elif ch == self.ch_main:
            self.main_ms = self.flight_ms
        old = self.phase
        self.phase = next_phase  # recorded as already in the next phase
        self._save(self.rec.fired_bits if ch >= 0 else None)
        self.phase = old
        refused = self.pyro.fire(ch, old)
        name = self.pyro.names[ch] if 0 <= ch < len(self.pyro.names) else "?"
        f = [("channel", name)]
        if refused is not None:
            f.append(("refused", refused))
        f.extend(self._values(why))
        self._event("fire", f)
        self._enter(next_phase, why, save=False)

    def _values(self, why):
        """The readings behind a decision, for its event (allocates)."""
        sc = self.screen
        s = self.last_sample
        f = []
        if why is not None:
            f.append(("why", why))
        f.extend(
            (
                ("flight_ms", self.flight_ms),
                ("alt_m", self.kf.alt_cm // 100),
                ("speed_m_s", "%.1f" % (self.kf.speed_cms / 100)),
                ("accel_mg", sc.mag_mg if sc.accel_valid else "-"),
                ("baro_alt_m", sc.alt_cm // 100 if sc.baro_valid else "-"),
                ("press_pa", s.press_dpa // 10 if s is not None else "-"),
                ("baro", REASON_NAMES[sc.baro_reason]),
                ("accel", REASON_NAMES[sc.accel_reason]),
            )
        )
        return f

    def _event(self, name, fields):
        try:
            self.events.event(name, list(fields))
        except Exception:  # a logging failure must never stop the sequencer
            pass

    def _report_faults(self):
        sc = self.screen
        self._event(
            "sensor_faults",
            (
                ("baro_bus", sc.baro_bus),
                ("baro_range", sc.baro_range),
                ("baro_stuck", sc.baro_stuck),
                ("baro_jump", sc.baro_jump),
                ("accel_bus", sc.accel_bus),
                ("accel_range", sc.accel_range),
                ("accel_stuck", sc.accel_stuck),
                ("accel_zero", sc.accel_zero),
            ),
        )
        self._rep_rejects = sc.rejects
        self._fault_quiet_ms = 0

    # --- persistence ----------------------------------------------------------

    def _flags(self):
        f = 0
        if self.speed_trusted:
            f |= persist.FLAG_SPEED_TRUSTED
        if self.settled:
            f |= persist.FLAG_SETTLED
        if self.drogue_failed:
            f |= persist.FLAG_DROGUE_FAILED
        if self.orbit_seen:
            f |= persist.FLAG_ORBIT_SEEN
        if self.pulse_seen:
            f |= persist.FLAG_PULSE_SEEN
        return f

    def _save(self, fired_bits=None):
        r = self.rec
        r.phase = self.phase
        r.armed = 1 if self.armed else 0
        r.fired_bits = self.pyro.fired_bits if fired_bits is None else fired_bits
        r.flags = self._flags()
        r.boots = self.boots
        r.flight_ms = self.flight_ms
        r.drogue_ms = self.drogue_ms
        r.main_ms = self.main_ms
        r.landed_ms = self.landed_ms
        r.alt_cm = self.kf.alt_cm
        r.speed_cms = self.kf.speed_cms
        r.one_g_mg = self.one_g_mg
        self.persist_ms = 0
        ps = self.position_source
        if ps is not None:
            # aged to the next record's write: after a reset, never younger
            ps.record_position(
                r, (_PERSIST_PERIOD_MS if self.phase <= _MAIN else _BEACON_PERSIST_MS) // 1000
            )
        try:
            self.store.save(r)
        except Exception:  # a storage failure must not stop the descent
            pass

    def _restore(self):
        """Resume from the persisted record after a reset (or start SAFE);
        boot-only code, imported for the call (see flight_cmds)."""
        _cmd("restore", self)

    # --- commands (on the stand or from the console: the code lives in
    # flight_arm / flight_cmds, imported for the call and dropped)

    def arm(self, arm_input_ok=True, sample=None):
        """Arm for a new flight: None, or the reason it is refused."""
        return _cmd("arm", self, arm_input_ok, sample, module="flight_arm")

    def disarm(self, force=False):
        """Disarm: None, or the reason it is refused."""
        return _cmd("disarm", self, force, module="flight_arm")

    def reconfigure(self, cfg):
        """Take a changed configuration (only while disarmed): None or reason."""
        return _cmd("reconfigure", self, cfg, module="flight_arm")

    def status_fields(self):
        """[(key, value)] for the `status` command (allocates)."""
        return _cmd("status_fields", self)


def build(cfg, clock, outputs, events, store_path="flight.rec"):
    """The sequencer with its pyro bank and record store, from the board's
    pyro outputs (dict name -> object with set()/continuity())."""
    bank = pyro.PyroBank(outputs, clock, cfg.fire_pulse_ms)
    return FlightComputer(cfg, clock, bank, events, persist.Store(store_path))
