"""Pre-arm self-test: is this board fit to fly, as it sits on the stand?

Why: the cheapest failure to fix is the one found before arming. Genesis
(2004) hit the Utah desert at about 86 m/s because its deceleration sensors
were mounted upside down, a drawing error no test caught; here the gravity
vector the accelerometer reads on the stand must point along the capsule's
+z (up) through the configured mounting, or the board refuses to arm.

`check(cfg, sample, bank)` returns a list of failures, each a sentence naming
what is wrong and the expected value ([] = fit to arm):
  * config: no load/validation errors left (cfg.errors);
  * sensors: the stand window complete (see flight.py's SAFE branch: a
    baro jumping by more than STAND_PRESS_TOL_DPA within it breaks it) and
    the last reading at most STAND_GAP_MS old;
  * baro: read without bus error, pressure plausible on the ground
    (STAND_MIN_DPA..STAND_MAX_DPA, 300..1100 mbar);
  * accelerometer: read without bus error, |a| within ONE_G_TOL_MG of 1 g, and
    capsule-frame z >= UPRIGHT_MG (within about 30 deg of vertical, +z up),
    both judged on the stand window's averages once it is complete;
    a z reading near -1 g is reported as an inverted mounting;
  * pyro: drogue and main channels exist; no channel's continuity reads open
    (None = no sense on this board, accepted);
  * battery: at or above batt_low_mv when the board measures it (0 = cannot).
Allocates (strings), runs only on `arm`.
"""

from flight import STAND_GAP_MS, STAND_JUMP, STAND_LIMITS, STAND_NONE
from flight_sense import REASON_NAMES, capsule_axis, magnitude_mg

# what every sample of the stand window must read (the sequencer keeps it)
(STAND_MIN_DPA, STAND_MAX_DPA, STAND_TOL_MG, STAND_Z_MG, STAND_WINDOW_MS,
 STAND_PRESS_TOL_DPA) = STAND_LIMITS  # fmt: skip
ONE_G_MG = 1000
ONE_G_TOL_MG = 150  # the window's average |a| (the 1 g calibration)
UPRIGHT_MG = 866  # cos(30 deg): capsule standing roughly upright, +z up


# why the sensor screen rejected an accelerometer reading, by its reason
# name (flight_sense.REASON_NAMES), for a crew on the stand
ACCEL_REJECTED = {
    "bus": "bus error",
    "range": "an axis out of range",
    "stuck": "stuck: the same x, y, z for seconds, a frozen part or a coarse one perfectly still",
    "zero": "zero on every axis, a part without power",
}


def _last_unsteady(fc):
    """What broke the stand window before this one ("" if nothing did since
    boot, a disarm or a config change): what each sensor read, or why its
    reading was rejected."""
    if fc.stand_bad_mg == STAND_NONE:
        return ""
    accel = "|a| %d mg, capsule z %d mg" % (fc.stand_bad_mg, fc.stand_bad_z)
    if fc.stand_bad_why > 0:
        name = REASON_NAMES[fc.stand_bad_why]
        why = "accelerometer rejected (%s)" % ACCEL_REJECTED.get(name, name)
        accel = why + ", " + accel if fc.stand_bad_mg >= 0 else why
    if fc.stand_bad_dpa < 0:
        return "last unsteady sample: %s, baro not read" % accel
    if fc.stand_bad_why == STAND_JUMP:
        return (
            "last unsteady sample: %s, pressure %d Pa, more than %d Pa from the window's first"
            " reading (a baro returning garbage)"
            % (accel, fc.stand_bad_dpa // 10, STAND_PRESS_TOL_DPA // 10)
        )
    return "last unsteady sample: %s, pressure %d Pa" % (accel, fc.stand_bad_dpa // 10)


def check(cfg, sample, bank, fc=None):
    failures = []
    if fc is not None and fc.last_sample is None:
        sample = None  # nothing read yet: no reading to judge (status: baro=none)
    if sample is not None and fc is not None:
        # the window and the sample are the last the sequencer stepped: a
        # loop that no longer reads its sensors (each iteration failing
        # before the step) would otherwise arm on how the stand once was
        age_ms = fc.clock.diff_ms(fc.clock.now_ms(), fc._last_t)
        if age_ms > STAND_GAP_MS:
            failures.append(
                "no sensor sample for %d ms (the loop is not reading its sensors:"
                " see loop_faults in status)" % age_ms
            )
    if sample is not None and fc is not None and fc.stand_ms < STAND_WINDOW_MS:
        # one good sample proves nothing: the window the sequencer kept in
        # SAFE must be clean for STAND_WINDOW_MS (garbage frames, a capsule
        # being handled, a part that reads 1 g only now and then)
        if fc.stand_ms == STAND_NONE:
            failures.append(
                "sensors: no stand window since the last disarm or config change"
                " (arming needs %d ms of clean readings)" % STAND_WINDOW_MS
            )
        elif fc.stand_ms < 0:
            failures.append(
                "sensors: not a steady stand (%s;"
                " expected 1000 +- %d mg, z >= %d mg, pressure %d..%d Pa and within %d Pa,"
                " for %d s)"
                % (
                    _last_unsteady(fc),
                    STAND_TOL_MG,
                    STAND_Z_MG,
                    STAND_MIN_DPA // 10,
                    STAND_MAX_DPA // 10,
                    STAND_PRESS_TOL_DPA // 10,
                    STAND_WINDOW_MS // 1000,
                )
            )
        else:
            last = _last_unsteady(fc)
            failures.append(
                "sensors: steady for %d ms only, arming needs %d ms of clean readings%s"
                % (fc.stand_ms, STAND_WINDOW_MS, " (%s)" % last if last else "")
            )
    if cfg.errors:
        failures.append("config invalid (%d): %s" % (len(cfg.errors), "; ".join(cfg.errors)))
    if sample is None:
        failures.append("no sensor sample yet (baro and accelerometer not read since boot)")
        return failures
    if not sample.baro_ok:
        failures.append("baro: no reading (bus error)")
    elif not STAND_MIN_DPA <= sample.press_dpa <= STAND_MAX_DPA:
        failures.append(
            "baro: %d Pa is not a ground pressure (expected %d..%d Pa)"
            % (sample.press_dpa // 10, STAND_MIN_DPA // 10, STAND_MAX_DPA // 10)
        )
    if not sample.accel_ok:
        failures.append("accel: no reading (bus error)")
    else:
        if fc is not None and fc.stand_ms >= STAND_WINDOW_MS:
            # the clean window's averages, not one noisy sample: a part with
            # 50 mg of noise reads below UPRIGHT_MG now and then when upright
            mag = fc._g_sum_q4 >> 4
            z = fc._z_sum_q4 >> 4
        else:
            mag = magnitude_mg(sample.ax_mg, sample.ay_mg, sample.az_mg)
            z = capsule_axis(cfg, sample, 2)
        if not ONE_G_MG - ONE_G_TOL_MG <= mag <= ONE_G_MG + ONE_G_TOL_MG:
            failures.append(
                "accel: reads %d mg at rest (expected %d +- %d mg)" % (mag, ONE_G_MG, ONE_G_TOL_MG)
            )
        elif z <= -UPRIGHT_MG:
            failures.append(
                "accel: gravity reads along capsule -z (%d mg): accelerometer upside down "
                "or accel_axes %s wrong" % (z, cfg.accel_axes)
            )
        elif z < UPRIGHT_MG:
            failures.append(
                "accel: capsule z reads %d mg (expected >= %d mg upright): check accel_axes %s "
                "and stand the capsule up" % (z, UPRIGHT_MG, cfg.accel_axes)
            )
    for name in ("drogue", "main"):
        if bank.index(name) < 0:
            failures.append("pyro: this board has no %s channel" % name)
    for name in bank.continuity_failures():
        failures.append("pyro: %s continuity open (check the igniter and wiring)" % name)
    if sample.vbatt_mv and sample.vbatt_mv < cfg.batt_low_mv:
        failures.append(
            "battery: %d mV below batt_low_mv %d mV" % (sample.vbatt_mv, cfg.batt_low_mv)
        )
    return failures
