"""Flight-envelope invariants: what must hold on every drop test, whatever the
scenario's `[expect]` table says.

A scenario's expectations say what one flight should look like; these rules
say what no flight may ever do (fire inside the entry pulse, fire while
climbing, let a timer lead a healthy barometer, land hard under a good main,
stay silent after touchdown...). The simulator knows the truth (true speed,
Mach, height and vertical speed at every sample, the touchdown), so each rule
is judged on the truth at the moment of the board's decision, not on what the
board believed.

`check(result)` returns one entry per invariant:
``{"name", "applies", "passed", "detail"}``. An invariant that does not apply
to a run (the board refused to arm, so landing detection means nothing; the
barometer was failed on purpose, so timers may lead) has ``applies: False``
and ``passed: None``: it is not counted as passed. `violations(entries)` lists
the names of the applicable invariants that failed; a drop test with any is a
failed run.

`outcome(result)` says how the flight ended: ``landed``, ``skipped_out``
(still above the atmosphere when the run ended: it left it again after
entry, or never came down), ``did_not_land`` (still in the air below it at
the run's time limit) or ``aborted`` (the board stopped answering).

The firmware's defaults and phase names come from the firmware's own data
modules (`firmware/config_schema.py`, `firmware/flight_phase.py`), loaded from
source, so this file never holds a copy of them.
"""

import bisect
import math

from host_tools.paths import firmware_module
from host_tools.sim import atmosphere1976 as atm
from host_tools.sim import balloon

# -- thresholds (each documented at the invariant that uses it) ------------------
DROGUE_MAX_MACH = 1.6
MAIN_MAX_MACH = 0.6
# The 1976 standard gives a speed of sound only up to 86 km (above it the air's
# molecular weight changes); higher up we keep the value at 86 km (~275 m/s),
# so a fire in near vacuum at orbital speed is Mach 25, never "subsonic".
SOUND_SPEED_TOP_M = atm.Z_HOMOSPHERE_TOP_M
MAX_CLIMB_AT_FIRE_M_S = 15.0
MAIN_HEIGHT_TOLERANCE_M = 300.0
LANDED_WITHIN_S = 60.0
BEACON_WITHIN_S = 60.0
# the board's clock is mapped onto simulation time to about one sample: an
# event this much before touchdown is still "at touchdown"
EVENT_TIME_SLACK_S = 1.0
MAX_TOUCHDOWN_SPEED_M_S = 9.0
# a flight still above this altitude at the end of the run has left the
# atmosphere (or never entered it): outcome "skipped_out"
SKIPPED_OUT_ALT_M = 100000.0
# faults that make the barometer unhealthy ([faults] keys)
BARO_FAULT_KEYS = ("baro_dead_at_s", "baro_stuck_at_s", "baro_noise_pa")
WHY_BACKUP = "backup_timer"  # the `why` of a fire event decided by a backup timer


firmware = firmware_module  # the firmware data module by name (host_tools.paths)


def firmware_defaults():
    """{key: default} of every firmware configuration key (config_schema.SCHEMA)."""
    return {row[0]: row[2] for row in firmware("config_schema").SCHEMA}


def effective_config(scenario):
    """What the board flies with: the firmware's defaults, overridden by what
    the drop test sends (the scenario's [config] and implied keys)."""
    cfg = firmware_defaults()
    cfg.update(scenario.effective_config())
    return cfg


def landed_phase_names():
    """The phases that mean "landing detected" (LANDED and what follows it)."""
    fp = firmware("flight_phase")
    return set(fp.PHASE_NAMES[fp.LANDED :])


def baro_faults(scenario):
    return [k for k in BARO_FAULT_KEYS if scenario.faults.get(k)]


def sound_speed_m_s(alt_m):
    return atm.properties(min(alt_m, SOUND_SPEED_TOP_M))[3]


def mach(air_speed_m_s, alt_m):
    return air_speed_m_s / sound_speed_m_s(alt_m)


def outcome(result):
    if result.aborted:
        return "aborted"
    if result.landing is not None:
        return "landed"
    alts = result.trace.get("alt_m") or [0.0]
    return "skipped_out" if alts[-1] >= SKIPPED_OUT_ALT_M else "did_not_land"


class _Fire:
    """One pyro fire with the truth at its moment."""

    def __init__(self, event, trace):
        self.channel = event.extra.get("channel", "")
        self.t_s = event.t_s
        self.why = event.fields.get("why", "")
        ts = trace["t_s"]
        i = min(max(0, bisect.bisect_left(ts, event.t_s)), len(ts) - 1) if ts else None
        if i is None:
            self.alt_m = self.agl_m = self.vz_m_s = self.air_m_s = 0.0
        else:
            self.alt_m = trace["alt_m"][i]
            self.agl_m = trace["agl_m"][i]
            self.vz_m_s = trace["vz_m_s"][i]
            self.air_m_s = trace["air_speed_m_s"][i]
        self.mach = mach(self.air_m_s, self.alt_m)

    def text(self):
        why = f" ({self.why})" if self.why else ""
        return (
            f"{self.channel}{why} at t={self.t_s:.1f} s, {self.agl_m:.0f} m AGL, "
            f"Mach {self.mach:.2f}, vz {self.vz_m_s:+.0f} m/s"
        )


class _Run:
    """What the invariants read from a Result."""

    def __init__(self, result):
        self.result = result
        self.scenario = result.scenario
        self.fires = [_Fire(e, result.trace) for e in result.fires()]
        arm = result.arm_reply
        self.armed = arm is not None and arm.kind == "OK"
        self.landing = result.landing
        self.config = effective_config(self.scenario)
        self.baro_faults = baro_faults(self.scenario)
        self.end_s = result.sim_s
        agl = result.trace.get("agl_m") or [0.0]
        ts = result.trace.get("t_s") or [0.0]
        self.peak_agl_m = max((a for a, t in zip(agl, ts) if t >= 0.0), default=agl[0])

    def of(self, channel):
        return [f for f in self.fires if f.channel == channel]


def _na(detail):
    return None, detail


def _ok(passed, detail):
    return bool(passed), detail


# -- the invariants -----------------------------------------------------------------
def _mach_rule(run, channel, limit):
    fires = run.of(channel)
    if not fires:
        return _ok(True, f"{channel} did not fire")
    f = fires[0]
    return _ok(f.mach <= limit, f"{f.text()} (limit Mach {limit:g})")


def drogue_mach(run):
    """The drogue fires at true Mach <= 1.6. Drogues are qualified for
    supersonic but not hypersonic opening (Viking/MSL discs: Mach 1.1-2.2);
    earlier, inside the entry pulse, it shreds or tears the capsule. In near
    vacuum (a capsule that skipped out) the Mach number is in the tens."""
    return _mach_rule(run, "drogue", DROGUE_MAX_MACH)


def main_mach(run):
    """The main fires at true Mach <= 0.6: a main canopy is built for
    subsonic opening only (its max_deploy_speed is ~100 m/s)."""
    return _mach_rule(run, "main", MAIN_MAX_MACH)


def no_fire_climbing(run):
    """No chute fires while the capsule climbs faster than 15 m/s: a chute
    opened on the way up (balloon release, skip) tangles or is shredded and is
    gone when it is needed on the way down."""
    bad = [f for f in run.fires if f.vz_m_s > MAX_CLIMB_AT_FIRE_M_S]
    if bad:
        return _ok(False, "; ".join(f.text() for f in bad))
    return _ok(True, f"no fire while climbing faster than {MAX_CLIMB_AT_FIRE_M_S:g} m/s")


def no_fire_before_flight(run):
    """Nothing fires on the stand (on the pad, or hanging under the drone):
    the people arming the capsule are next to it."""
    bad = [f for f in run.fires if f.t_s < 0.0]
    return _ok(not bad, "; ".join(f.text() for f in bad) or "nothing fired on the stand")


def quiet_until_release(run):
    """A board carried up under a balloon neither fires nor leaves ARMED
    before the release: a chute fired on the line hangs under the balloon
    and is spent when the capsule falls, and a board that declares its
    descent (or its landing) at float sequences a flight that has not begun.
    The check is the one behind `[expect] quiet_until_release`
    (balloon.quiet_until_release), judged on every balloon-carried flight
    whether its scenario asks for it or not; other flights have no release."""
    if run.scenario.balloon is None:
        return _na("not a balloon-carried flight")
    entry = balloon.quiet_until_release(run.result, run.scenario)
    return _ok(entry["passed"], entry["detail"])


def no_fire_after_touchdown(run):
    """Nothing fires after touchdown: the recovery crew walks up to a capsule
    whose charges must be safe."""
    if run.landing is None:
        return _ok(True, "no touchdown")
    bad = [f for f in run.fires if f.t_s > run.landing.t_s]
    return _ok(
        not bad,
        "; ".join(f.text() for f in bad)
        or f"nothing fired after touchdown at {run.landing.t_s:.1f} s",
    )


def each_channel_fires_once(run):
    """No channel fires twice (latched outputs; a reset must not re-fire what
    the persisted record says has fired)."""
    counts = {}
    for f in run.fires:
        counts[f.channel] = counts.get(f.channel, 0) + 1
    twice = {c: n for c, n in counts.items() if n > 1}
    return _ok(not twice, f"fires per channel: {counts or 'none'}")


def no_backup_timer_leads(run):
    """With a healthy barometer no chute is fired by a backup timer: timers
    only back up the barometer, they never lead. A timer that leads fires at
    whatever altitude the trajectory happens to be at (in the entry pulse on a
    steep entry, kilometres high on a shallow one). Not applicable when the
    scenario fails the barometer (dead, stuck or noisy: then timers may have
    to decide) or the board refused to arm."""
    if not run.armed:
        return _na("board not armed")
    if run.baro_faults:
        return _na("barometer fault injected: " + ", ".join(run.baro_faults))
    bad = [f for f in run.fires if f.why == WHY_BACKUP]
    return _ok(not bad, "; ".join(f.text() for f in bad) or "no fire by a backup timer")


def main_at_deploy_height(run):
    """With a healthy barometer the main fires at main_deploy_m above the
    ground (effective config: the scenario's [config] over the firmware's
    defaults), true height within +-300 m, whether the drogue opened or not:
    a main opened kilometres high drifts for many kilometres and for many
    minutes on the battery (OSIRIS-REx 2023 fired its main at ~3 km after a
    failed drogue, as planned for that height).

    Applies to armed flights with a healthy barometer, a main chute, and a
    configured ground elevation within the tolerance of the true ground (the
    board measures height above the ground it is told about). A failed main
    still counts: the board cannot know before it fires. A flight that starts
    below main_deploy_m (a low drop) may fire as soon as it can: the window
    starts at min(main_deploy_m, highest true height) - 300 m. If the main
    never fired, a flight that landed violates it; one that never came down
    does not apply."""
    if not run.armed:
        return _na("board not armed")
    if run.baro_faults:
        return _na("barometer fault injected: " + ", ".join(run.baro_faults))
    if "main" not in run.scenario.chutes:
        return _na("no main chute")
    tol = MAIN_HEIGHT_TOLERANCE_M
    wrong = _ground_misconfigured(run)
    if wrong:
        return _na(wrong)
    target = float(run.config["main_deploy_m"])
    lo = min(target, run.peak_agl_m) - tol
    hi = target + tol
    fires = run.of("main")
    if not fires:
        if run.landing is None:
            return _na("main did not fire and the capsule did not land")
        return _ok(False, f"main never fired before touchdown (want {lo:.0f}..{hi:.0f} m AGL)")
    f = fires[0]
    return _ok(lo <= f.agl_m <= hi, f"{f.text()} (want {lo:.0f}..{hi:.0f} m AGL)")


def _after_touchdown(run, name, times, limit_s):
    if not run.armed:
        return _na("board not armed")
    if run.landing is None:
        return _na("no touchdown")
    t0 = run.landing.t_s
    after = [t for t in times if t >= t0 - EVENT_TIME_SLACK_S]
    if after:
        dt = after[0] - t0
        return _ok(dt <= limit_s, f"{name} {dt:.1f} s after touchdown (limit {limit_s:g} s)")
    if run.end_s < t0 + limit_s:
        return _na(f"run ended {run.end_s - t0:.0f} s after touchdown, before the limit")
    return _ok(False, f"no {name} within {run.end_s - t0:.0f} s after touchdown")


def landing_detected(run):
    """The board reports LANDED within 60 s of true touchdown, from whatever
    phase it was in (a capsule that landed on its drogue, or never saw its
    descent start, must still disarm and beacon); never before touchdown
    (LANDED disarms the pyro bank: declared in the air it loses the main)."""
    names = landed_phase_names()
    times = [
        e.t_s
        for e in run.result.events
        if e.kind == "phase" and str(e.fields.get("to", "")).upper() in names
    ]
    if run.landing is not None and times and times[0] < run.landing.t_s - EVENT_TIME_SLACK_S:
        return _ok(False, f"landing declared {run.landing.t_s - times[0]:.1f} s before touchdown")
    return _after_touchdown(run, "landed phase", times, LANDED_WITHIN_S)


def beacon_after_touchdown(run):
    """The beacon transmits within 60 s of touchdown whatever the phase and
    with or without a GNSS fix: the beacon is how the capsule is found
    (Hayabusa was found by direction finding on it)."""
    times = [e.t_s for e in run.result.events if e.kind == "beacon"]
    return _after_touchdown(run, "first beacon", times, BEACON_WITHIN_S)


def beacon_keeps_position(run):
    """Once a beacon packet has carried a position, every later one does: a
    reset (brown-out, watchdog) or a receiver gone quiet (antenna awash, dead)
    must not take the last known position off the air; the packet's age says
    how old it is. A packet the ground cannot decode counts as one without."""
    beacons = [e for e in run.result.events if e.kind == "beacon"]
    first = next((i for i, e in enumerate(beacons) if "lat" in e.extra), None)
    if first is None:
        return _na("no beacon with a position")
    lost = [e for e in beacons[first:] if "lat" not in e.extra]
    if lost:
        return _ok(
            False,
            f"{len(lost)} of {len(beacons) - first} beacons after the first with a position "
            f"carried none, the first at t={lost[0].t_s:.1f} s",
        )
    return _ok(True, f"{len(beacons) - first} beacons, each with a position")


def _ground_misconfigured(run):
    """Why the board cannot know its height above the real ground (its
    configured ground elevation is off by more than the main's tolerance),
    or ''."""
    true_ground = run.scenario.ground["elevation_m"]
    cfg_ground = float(run.config.get("ground_elevation_m", 0))
    if abs(cfg_ground - true_ground) > MAIN_HEIGHT_TOLERANCE_M:
        return f"configured ground {cfg_ground:.0f} m, true ground {true_ground:.0f} m"
    return ""


def _main_overspeed_without_drogue(run):
    """Why no board could open the main within its rating ('' if one could):
    the scenario failed the drogue, and the capsule alone falls faster at the
    configured main height than the main may open at (its terminal speed
    there; lower down it is slower, but the main's height is where the board
    is told to fire, and half of it is the lowest it waits to)."""
    main = run.scenario.chutes.get("main")
    if not run.scenario.faults.get("drogue_fails") or not main:
        return ""
    cap = run.scenario.capsule
    low_m = run.scenario.ground["elevation_m"] + float(run.config["main_deploy_m"]) / 2
    rho = atm.properties(low_m)[2]
    v = math.sqrt(2.0 * cap["mass_kg"] * atm.G0_M_S2 / (rho * cap["cd_area_m2"]))
    limit = main["max_deploy_speed_m_s"]
    if v <= limit:
        return ""
    return (
        f"drogue failed by the scenario: the capsule alone falls at {v:.0f} m/s at half the "
        f"main's height, over the main's {limit:g} m/s rating"
    )


def touchdown_speed(run):
    """Touchdown vertical speed <= 9 m/s unless the scenario failed the main
    chute itself, or failed the drogue of a capsule that then falls too fast
    for its main, or told the board a ground elevation off by more than the
    main's tolerance (nothing the board does then can slow it enough): a
    main opened too low, or never, breaks the capsule and its samples."""
    if not run.armed:
        return _na("board not armed")
    if run.scenario.faults.get("main_fails"):
        return _na("main chute failed by the scenario")
    wrong = _ground_misconfigured(run) or _main_overspeed_without_drogue(run)
    if wrong:
        return _na(wrong)
    if run.landing is None:
        return _na("no touchdown")
    v = run.landing.vertical_speed_m_s
    return _ok(
        v <= MAX_TOUCHDOWN_SPEED_M_S,
        f"{v:.1f} m/s vertical (limit {MAX_TOUCHDOWN_SPEED_M_S:g})",
    )


def refused_arm_fires_nothing(run):
    """A board whose self-test refuses to arm fires nothing: the self-test is
    the last word on a board that is wired or mounted wrong (Genesis 2004)."""
    if run.armed:
        return _na("board armed")
    return _ok(not run.fires, "; ".join(f.text() for f in run.fires) or "nothing fired")


INVARIANTS = (
    ("drogue_mach", drogue_mach),
    ("main_mach", main_mach),
    ("no_fire_climbing", no_fire_climbing),
    ("no_fire_before_flight", no_fire_before_flight),
    ("quiet_until_release", quiet_until_release),
    ("no_fire_after_touchdown", no_fire_after_touchdown),
    ("each_channel_fires_once", each_channel_fires_once),
    ("no_backup_timer_leads", no_backup_timer_leads),
    ("main_at_deploy_height", main_at_deploy_height),
    ("landing_detected", landing_detected),
    ("beacon_after_touchdown", beacon_after_touchdown),
    ("beacon_keeps_position", beacon_keeps_position),
    ("touchdown_speed", touchdown_speed),
    ("refused_arm_fires_nothing", refused_arm_fires_nothing),
)
NAMES = tuple(name for name, _ in INVARIANTS)


def check(result):
    """Every invariant on one drop-test Result."""
    run = _Run(result)
    out = []
    for name, rule in INVARIANTS:
        passed, detail = rule(run)
        out.append(
            {"name": name, "applies": passed is not None, "passed": passed, "detail": detail}
        )
    return out


def violations(entries):
    """Names of the applicable invariants that failed."""
    return [e["name"] for e in entries if e["applies"] and not e["passed"]]


def status_text(entry):
    if not entry["applies"]:
        return "n/a"
    return "pass" if entry["passed"] else "VIOLATED"
