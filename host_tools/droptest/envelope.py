"""Envelope campaigns: fly the firmware over the whole flight envelope and
keep every flight that breaks a flight-envelope invariant.

`capsule droptest --envelope N [--seed S]` draws N flights from the ranges in
`scenarios/envelope.toml` (re-entries from LEO to beyond lunar-return speed,
shallow to steep; drone and balloon drops from rest or climbing; balloon
flights armed on the ground, carried up for hours and released by a cut-down
or a burst; chutes sized for the capsule; any consistent deploy heights, or
the firmware's defaults; one fault in a third of the flights), flies each on
its own virtual board on
a dask cluster (mc.fly_on_cluster), and judges each with
invariants.py. Every violating flight is written as a standalone
scenario file (`envelope_S_I.toml`, every drawn value explicit, with its
sensor-noise seed in [run] seed) that `capsule droptest FILE` flies again the
same way; `envelope.md` and `envelope.json` count the violations per
invariant and list the worst flights.

A flight is fully set by (seed, index): `draw(envelope, seed, index)` uses
only `numpy.random.default_rng([seed, index])` and the envelope file.
"""

import json
import math
import time
from pathlib import Path

import numpy as np
import tomllib

from host_tools.board.targets import DEFAULT_TARGET
from host_tools.droptest.invariants import NAMES as INVARIANT_NAMES
from host_tools.droptest.invariants import firmware, firmware_defaults
from host_tools.sim import atmosphere1976 as atm
from host_tools.sim import balloon, physics, sensors
from host_tools.sim.scenario import (
    BALLOON_KEYS,
    RELEASE_MIN_AGL_M,
    SCENARIO_DIR,
    TABLES,
    TOP_KEYS,
    validate,
)

ENVELOPE_PATH = SCENARIO_DIR / "envelope.toml"
FAULT_KINDS = (
    "drogue_fails",
    "main_fails",
    "power_loss",
    "baro_noisy",
    "baro_stuck",
    "baro_dead",
    "accel_dead",
    "gnss_none",
    "gnss_dead_reset",
    "serial_noise",
)
# the envelope file's tables and keys: "range" [min, max], "fraction" in
# [0, 1], "number" > 0, a tuple: a non-empty list of its names
ENVELOPE_KEYS = {
    "mix": {"reentry_fraction": "fraction", "balloon_fraction": "fraction"},
    "reentry": {
        "altitude_m": "range",
        "speed_m_s": "range",
        "flight_path_deg": "range",
        "mass_kg": "range",
        "ballistic_coefficient_kg_m2": "range",
    },
    "drop": {
        "height_agl_m": "range",
        "from_rest_fraction": "fraction",
        "climb_speed_m_s": "range",
        "flight_path_deg": "range",
        "mass_kg": "range",
        "cd_area_m2": "range",
    },
    "balloon": {
        "ascent_rate_m_s": "range",
        "release_agl_m": "range",
        "releases": tuple(balloon.RELEASE_KINDS),
        "baro_parts": tuple(sensors.BARO_PARTS),
        "mass_kg": "range",
        "cd_area_m2": "range",
    },
    "chutes": {"drogue_speed_at_3km_m_s": "range", "main_speed_at_ground_m_s": "range"},
    "ground": {"elevation_m": "range", "wind_scale": "range"},
    "config": {
        "defaults_fraction": "fraction",
        "drogue_deploy_m": "range",
        "main_deploy_m": "range",
    },
    "faults": {
        "fraction": "fraction",
        "kinds": FAULT_KINDS,
        "double_fault_fraction": "fraction",
        "baro_noise_pa": "range",
        "power_off_s": "range",
        "serial_garbage_per_s": "range",
        "serial_corrupt_fraction": "range",
    },
    "run": {"after_landing_s": "number", "max_flight_s": "number"},
}
# config keys drawn from the envelope, checked against the firmware's schema
SCHEMA_CHECKED = {
    ("config", "drogue_deploy_m"): "drogue_deploy_m",
    ("config", "main_deploy_m"): "main_deploy_m",
    ("ground", "elevation_m"): "ground_elevation_m",
}
DROGUE_SIZING_ALT_M = 3000.0
# where every drawn flight starts (the shipped scenarios' sites and wind)
REENTRY_SITE = {"lat": -29.5, "lon": 128.0, "utc": "2026-03-01T02:00:00Z"}
DROP_SITE = {"lat": 32.99, "lon": -106.97, "utc": "2026-06-20T14:00:00Z"}
BALLOON_SITE = {"lat": 32.99, "lon": -106.97, "utc": "2026-06-20T13:00:00Z"}
# A balloon flight samples at 10 Hz, as the shipped balloon scenarios do: a
# payload's dynamics are slow (a 5 m/s climb, tens of m/s under the drogue)
# and hours on a battery favour a low rate, which still resolves the
# drogue's opening and the touchdown. At the default 100 Hz a 3-hour climb
# is a million samples, half a minute and more per flight on the dask workers.
BALLOON_SAMPLE_HZ = 10
WIND_ALT_M = [0.0, 1000.0, 5000.0, 12000.0, 20000.0, 40000.0]
WIND_SPEED_M_S = [6.0, 9.0, 18.0, 35.0, 12.0, 5.0]
WIND_FROM_DEG = [250.0, 260.0, 270.0, 275.0, 90.0, 90.0]
# chutes as in the shipped scenarios: (inflation_s, deploy_delay_s, max_deploy_speed_m_s)
REENTRY_CHUTES = {"drogue": (1.0, 0.5, 350.0), "main": (3.0, 0.8, 120.0)}
DROP_CHUTES = {"drogue": (0.6, 0.4, 350.0), "main": (1.5, 0.5, 120.0)}
WORST_LISTED = 10


class EnvelopeError(ValueError):
    """An envelope file that cannot be used; the message names the key."""


# -- the envelope file ---------------------------------------------------------------
def load_envelope(path=ENVELOPE_PATH):
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise EnvelopeError(f"{p}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise EnvelopeError(f"{p.name}: not valid TOML: {exc}") from None
    return validate_envelope(data, p.name)


def validate_envelope(data, source="envelope"):
    """Check every table and key (unknown or missing ones are errors that
    name them) and the cross rules; returns the data."""
    for table in data:
        if table not in ENVELOPE_KEYS:
            raise EnvelopeError(
                f"{source}: [{table}]: unknown table (allowed: {', '.join(ENVELOPE_KEYS)})"
            )
    for table, keys in ENVELOPE_KEYS.items():
        values = data.get(table)
        if not isinstance(values, dict):
            raise EnvelopeError(f"{source}: [{table}]: missing table (required)")
        for key in values:
            if key not in keys:
                raise EnvelopeError(
                    f"{source}: [{table}] {key}: unknown key (allowed: {', '.join(keys)})"
                )
        for key, kind in keys.items():
            if key not in values:
                raise EnvelopeError(f"{source}: [{table}] {key}: missing (required)")
            _check_value(source, table, key, kind, values[key])
    schema = {row[0]: row for row in firmware("config_schema").SCHEMA}
    for (table, key), cfg_key in SCHEMA_CHECKED.items():
        lo, hi = data[table][key]
        row = schema[cfg_key]
        if lo < row[3] or hi > row[4]:
            raise EnvelopeError(
                f"{source}: [{table}] {key}: must stay within the firmware's "
                f"{cfg_key} range {row[3]}..{row[4]}, got [{lo:g}, {hi:g}]"
            )
    if data["config"]["main_deploy_m"][1] >= data["config"]["drogue_deploy_m"][0]:
        raise EnvelopeError(
            f"{source}: [config] main_deploy_m: its max must be below drogue_deploy_m's min "
            "(the main deploys below the drogue)"
        )
    mix = data["mix"]
    if mix["reentry_fraction"] + mix["balloon_fraction"] > 1.0:
        raise EnvelopeError(
            f"{source}: [mix] balloon_fraction: reentry_fraction + balloon_fraction must be "
            f"at most 1 (the rest are drops), got {mix['reentry_fraction']:g} + "
            f"{mix['balloon_fraction']:g}"
        )
    _validate_balloon(data, source)
    return data


def _validate_balloon(data, source):
    """[balloon] against what a scenario's [balloon] accepts (scenario.py)
    and the deploy heights: the drogue's height is drawn below the release,
    so the lowest release must not be below the lowest drogue height nor the
    firmware's default one (flights that keep the defaults)."""
    b = data["balloon"]
    ground = data["ground"]["elevation_m"]
    release_msl_m = (ground[0] + b["release_agl_m"][0], ground[1] + b["release_agl_m"][1])
    for key, scenario_key, values in (
        ("ascent_rate_m_s", "ascent_rate_m_s", b["ascent_rate_m_s"]),
        ("release_agl_m", "release_altitude_m", release_msl_m),
    ):
        for v in values:
            try:
                BALLOON_KEYS[scenario_key](v)
            except ValueError as exc:
                raise EnvelopeError(
                    f"{source}: [balloon] {key}: a scenario's [balloon] {scenario_key} {exc}, "
                    f"got {v:g} (release heights count from [ground] elevation_m)"
                ) from None
    lowest_m = b["release_agl_m"][0]
    floor_m = max(
        RELEASE_MIN_AGL_M,
        data["config"]["drogue_deploy_m"][0],
        firmware_defaults()["drogue_deploy_m"],
    )
    if lowest_m < floor_m:
        raise EnvelopeError(
            f"{source}: [balloon] release_agl_m: its min must be at least {floor_m:g} m (above "
            f"the scenario's minimum release height, [config] drogue_deploy_m's min and the "
            f"firmware's default drogue_deploy_m: the drogue deploys below the release), "
            f"got {lowest_m:g}"
        )


def _check_value(source, table, key, kind, v):
    where = f"{source}: [{table}] {key}"
    if kind == "range":
        ok = (
            isinstance(v, list)
            and len(v) == 2
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
            and v[0] <= v[1]
        )
        if not ok:
            raise EnvelopeError(f"{where}: must be [min, max] with min <= max, got {v!r}")
    elif kind == "fraction":
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
            raise EnvelopeError(f"{where}: must be a number in [0, 1], got {v!r}")
    elif kind == "number":
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
            raise EnvelopeError(f"{where}: must be a number > 0, got {v!r}")
    elif isinstance(kind, tuple) and (
        not isinstance(v, list) or not v or any(k not in kind for k in v)
    ):
        raise EnvelopeError(f"{where}: must be a non-empty list of {', '.join(kind)}, got {v!r}")


# -- drawing one flight ----------------------------------------------------------------
def _chute_cd_area_m2(mass_kg, capsule_cd_area_m2, speed_m_s, alt_m):
    """Cd·A of a chute that, with the capsule's own drag, gives speed_m_s
    steady descent at alt_m."""
    rho = atm.properties(alt_m)[2]
    total = 2.0 * mass_kg * physics.gravity_m_s2(alt_m) / (rho * speed_m_s**2)
    return max(0.05 * total, total - capsule_cd_area_m2)


# the keys of a drawn flight, in the order its scenario file lists them
DOC_ORDER = (*TOP_KEYS, *TABLES)


def draw(env, seed, index):
    """The scenario document (TOML-ready dict) of flight `index` of campaign `seed`."""
    rng = np.random.default_rng([seed, index])

    def u(pair, digits=3):
        return round(float(rng.uniform(pair[0], pair[1])), digits)

    ground_m = float(round(u(env["ground"]["elevation_m"])))
    mix = env["mix"]
    r = rng.random()
    if r < mix["reentry_fraction"]:
        flight = _draw_reentry(env["reentry"], u)
    elif r < mix["reentry_fraction"] + mix["balloon_fraction"]:
        flight = _draw_balloon(env["balloon"], rng, u, ground_m)
    else:
        flight = _draw_drop(env["drop"], rng, u, ground_m)
    capsule = flight["capsule"]
    c = env["chutes"]
    speeds = {
        "drogue": (u(c["drogue_speed_at_3km_m_s"]), DROGUE_SIZING_ALT_M),
        "main": (u(c["main_speed_at_ground_m_s"]), ground_m),
    }
    chutes = {}
    for channel, (inflation_s, delay_s, max_speed) in flight.pop("chute_timing").items():
        v, alt = speeds[channel]
        chutes[channel] = {
            "cd_area_m2": round(
                _chute_cd_area_m2(capsule["mass_kg"], capsule["cd_area_m2"], v, alt), 3
            ),
            "inflation_s": inflation_s,
            "deploy_delay_s": delay_s,
            "max_deploy_speed_m_s": max_speed,
        }
    chutes["drogue"]["released_by"] = "main"
    scale = u(env["ground"]["wind_scale"])
    wind = {
        "altitude_m": list(WIND_ALT_M),
        "speed_m_s": [round(v * scale, 2) for v in WIND_SPEED_M_S],
        "from_deg": list(WIND_FROM_DEG),
    }
    # the backup timers are never set: the firmware's defaults must be safe
    config = {"start_mode": flight.pop("mode"), "ground_elevation_m": int(ground_m)}
    config.update(flight.pop("config", {}))
    release_agl_m = flight.pop("release_agl_m", math.inf)
    if rng.random() >= env["config"]["defaults_fraction"]:
        lo, hi = env["config"]["drogue_deploy_m"]
        # never above a balloon's release (validate_envelope keeps lo below it)
        config["drogue_deploy_m"] = round(u([lo, min(hi, release_agl_m)]))
        config["main_deploy_m"] = round(u(env["config"]["main_deploy_m"]))
    parts = dict(
        flight,
        name=f"envelope_{seed}_{index}",
        description=f"Envelope flight {index} of seed {seed}: {flight.pop('kind')}",
        chutes=chutes,
        ground={"elevation_m": ground_m, "surface": "land" if ground_m > 0 else "sea"},
        wind=wind,
        config=config,
        faults={},
        run={
            "after_landing_s": float(env["run"]["after_landing_s"]),
            # a balloon's run limit counts from its release: its climb is added
            "max_flight_s": float(env["run"]["max_flight_s"] + flight.pop("climb_s", 0)),
            "seed": int(rng.integers(0, 2**31 - 1)),
        },
    )
    doc = {key: parts[key] for key in DOC_ORDER if key in parts}
    _draw_faults(env["faults"], doc, rng, u)
    return doc


def _draw_reentry(r, u):
    """From entry interface, at a drawn speed, angle and ballistic coefficient."""
    mass = u(r["mass_kg"])
    start = {
        "altitude_m": u(r["altitude_m"]),
        "speed_m_s": u(r["speed_m_s"]),
        "flight_path_deg": u(r["flight_path_deg"]),
        "heading_deg": u([0.0, 360.0]),
    }
    start.update(REENTRY_SITE)
    return {
        "kind": "reentry",
        "mode": "reentry",
        "capsule": {
            "mass_kg": mass,
            "cd_area_m2": round(mass / u(r["ballistic_coefficient_kg_m2"]), 4),
        },
        "start": start,
        "chute_timing": REENTRY_CHUTES,
    }


def _draw_drop(d, rng, u, ground_m):
    """Released at a height from a drone (or a balloon), from rest or climbing."""
    capsule = {"mass_kg": u(d["mass_kg"]), "cd_area_m2": u(d["cd_area_m2"], 4)}
    start = {"altitude_m": ground_m + u(d["height_agl_m"])}
    if rng.random() < d["from_rest_fraction"]:
        start.update(speed_m_s=0.0, flight_path_deg=-90.0)
        kind = "drop from rest"
    else:
        start.update(speed_m_s=u(d["climb_speed_m_s"]), flight_path_deg=u(d["flight_path_deg"]))
        kind = "drop climbing"
    start["heading_deg"] = u([0.0, 360.0])
    start.update(DROP_SITE)
    return {
        "kind": kind,
        "mode": "drop",
        "capsule": capsule,
        "start": start,
        "chute_timing": DROP_CHUTES,
    }


def _draw_balloon(b, rng, u, ground_m):
    """Armed on the ground under a balloon, carried up, released by a
    cut-down or a burst at a drawn height: the board must stay quiet until
    the release ([expect] quiet_until_release, also an invariant) and then
    fly the descent as a drop (start_mode drop)."""
    release_agl_m = u(b["release_agl_m"], 0)
    table = {
        "ascent_rate_m_s": u(b["ascent_rate_m_s"], 2),
        "release_altitude_m": ground_m + release_agl_m,
        "release": str(rng.choice(b["releases"])),
    }
    part = str(rng.choice(b["baro_parts"]))
    capsule = {"mass_kg": u(b["mass_kg"]), "cd_area_m2": u(b["cd_area_m2"], 4)}
    climb_s = balloon.Balloon(launch_elevation_m=ground_m, **table).release_s
    return {
        "kind": f"balloon, {table['release']} at {release_agl_m / 1000:.1f} km AGL, {part} baro",
        "mode": "drop",
        "capsule": capsule,
        "start": dict(BALLOON_SITE),
        "balloon": table,
        "chute_timing": DROP_CHUTES,
        "sensors": {"baro": {"part": part}},
        # the board is told its barometer's floor, as a team configures its part
        "config": {
            "sample_hz": BALLOON_SAMPLE_HZ,
            "baro_min_pa": max(
                firmware_defaults()["baro_min_pa"], int(sensors.BARO_PARTS[part]["min_pa"])
            ),
        },
        "expect": {"quiet_until_release": True},
        "release_agl_m": release_agl_m,
        "climb_s": math.ceil(climb_s),
    }


def _draw_faults(f, doc, rng, u):
    """At most one fault (or the double fault), at a random moment of the
    descent; a balloon flight's descent starts at its release."""
    r = rng.random()
    if r >= f["double_fault_fraction"] + f["fraction"]:
        return
    t0, t_end = _descent_window_s(doc)

    def when():
        return round(float(rng.uniform(t0, t_end)), 1)

    faults = doc["faults"]
    if r < f["double_fault_fraction"]:
        faults.update(baro_dead_at_s=when(), drogue_fails=True)
        doc["description"] += ", dead baro and failed drogue"
        return
    kind = str(rng.choice(f["kinds"]))
    doc["description"] += ", " + kind.replace("_", " ")
    if kind in ("drogue_fails", "main_fails"):
        faults[kind] = True
    elif kind == "power_loss":
        faults.update(power_loss_at_s=when(), power_off_s=u(f["power_off_s"]))
    elif kind == "baro_noisy":
        faults["baro_noise_pa"] = u(f["baro_noise_pa"])
    elif kind in ("baro_stuck", "baro_dead", "accel_dead"):
        faults[kind + "_at_s"] = when()
    elif kind == "gnss_none":
        faults["gnss_never_fix"] = True
    elif kind == "gnss_dead_reset":
        # the receiver dies (antenna awash, cable torn), then a brown-out
        # later in the descent or in the minute after touchdown: the beacon
        # must keep the last known position on the air
        dead = when()
        reset = round(float(rng.uniform(dead, t_end + 60.0)), 1)
        faults.update(gnss_dead_at_s=dead, power_loss_at_s=reset, power_off_s=u(f["power_off_s"]))
    elif kind == "serial_noise":
        faults.update(
            serial_garbage_per_s=u(f["serial_garbage_per_s"]),
            serial_corrupt_fraction=u(f["serial_corrupt_fraction"], 4),
        )


DESCENT_ESTIMATE_STEP_S = 1.0
SKIP_OUT_DESCENT_S = 600.0  # fault times for a flight that never comes down


def _descent_window_s(doc):
    """(start, touchdown) of the flight's descent with its chutes fired at
    the configured heights (a coarse physics run, ~0.2 s CPU): the span fault
    times are drawn over. A balloon flight's descent starts at its release:
    the faults drawn here model failures in the descent, and on the way up
    the board only has to stay quiet."""
    sc = validate(_without_faults(doc), doc["name"])
    cfg = firmware_defaults()
    cfg.update(doc["config"])
    f = sc.make_flight(max_dt_s=0.05)
    start_s = 0.0
    if sc.balloon is not None:  # the descent physics after the release, in its own time
        start_s, f = f.release_s, f.inner
    t = 0.0
    limit = doc["run"]["max_flight_s"] - start_s
    while f.landing is None and t < limit:
        t += DESCENT_ESTIMATE_STEP_S
        f.advance_to(t)
        agl = f.h - f.ground_elevation_m
        if agl < cfg["drogue_deploy_m"] and f.air_speed() < cfg["drogue_max_speed_m_s"]:
            f.fire("drogue", t)
        if agl < cfg["main_deploy_m"]:
            f.fire("main", t)
    end_s = f.landing.t_s if f.landing is not None else min(limit, SKIP_OUT_DESCENT_S)
    return start_s, start_s + end_s


def _without_faults(doc):
    return {k: v for k, v in doc.items() if k != "faults"}


def scenario_of(doc):
    return validate(doc, doc["name"] + ".toml")


# -- TOML out ----------------------------------------------------------------------------
def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"no TOML form for {v!r}")


def to_toml(doc, header=""):
    """A scenario document as TOML text (scalars, lists and nested tables)."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]

    def table(path, values):
        scalars = {k: v for k, v in values.items() if not isinstance(v, dict)}
        if path and (scalars or not values):
            lines.extend(["", f"[{path}]"])
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in scalars.items())
        for k, v in values.items():
            if isinstance(v, dict):
                table(f"{path}.{k}" if path else k, v)

    table("", doc)
    return "\n".join(lines).lstrip("\n") + "\n"


# -- one flight (on a worker) and the campaign ------------------------------------------
def fly(env, seed, index, board=None, target=DEFAULT_TARGET):
    """Draw and fly one envelope flight: its table row (flight_row.py), the
    drawn scenario document in its `inputs`. board: what to fly on
    (runner.run_scenario's factory; default this worker's kept virtual
    board of `target`, board_pool.py)."""
    from host_tools.droptest import runner as droptest
    from host_tools.droptest.flight_row import Meter, error_row, row
    from host_tools.droptest.mc import worker_board

    doc = draw(env, seed, index)
    meter = Meter()
    run_seed = doc["run"]["seed"]
    try:
        sc = scenario_of(doc)
        result = droptest.run_scenario(
            sc, seed=run_seed, board=board or worker_board(target), plots=False
        )
    except Exception as exc:  # noqa: BLE001 - a broken run is counted, not fatal
        out = error_row(index, seed, run_seed, doc["name"], exc, meter, doc)
        out["description"] = doc["description"]
        return out
    return row(index, seed, run_seed, sc, result, meter, doc)


def run_envelope(n, seed=0, out_dir=None, fleet=None, envelope_path=ENVELOPE_PATH, progress=False):
    """Fly n envelope flights on `fleet` (campaign.Fleet; default: a local
    cluster, virtual boards of the default target) into out_dir's flights
    table (resuming: flights already in it are not flown again); returns the
    summary (and writes envelope.md, envelope.json, landing.kml and one
    scenario file per violating flight to out_dir)."""
    from host_tools.droptest import campaign, campaign_table

    fleet = fleet or campaign.Fleet()

    env = load_envelope(envelope_path)
    t0 = time.perf_counter()
    with campaign.table_dir(out_dir) as out:
        table = campaign_table.Table(
            out, campaign_table.identity("envelope", env, seed, fleet.target)
        )
        runs, flown_now = campaign.fly_into_table(
            fly,
            lambda i: (env, seed, i, fleet.board, fleet.target),
            n,
            lambda i: f"envelope-{seed}-{i}",
            table,
            fleet,
            progress,
            "envelope",
        )
        summary = summarise(runs, seed, n)
        summary["wall_s"] = round(time.perf_counter() - t0, 1)
        summary["flown_now"] = flown_now
        summary["envelope"] = str(envelope_path)
        if out_dir is not None:
            write_envelope(summary, runs, out)
    return summary


def summarise(runs, seed, n):
    from host_tools.droptest import campaign_stats

    per_invariant = dict.fromkeys(INVARIANT_NAMES, 0)
    outcomes = {}
    for r in runs:
        for name in r.get("violations") or []:
            per_invariant[name] = per_invariant.get(name, 0) + 1
        if r.get("outcome"):
            outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    violating = [r for r in runs if r.get("violations")]
    worst = sorted(
        violating,
        key=lambda r: (-len(r["violations"]), -(r.get("landing_speed_m_s") or 0.0), r["index"]),
    )
    return {
        "seed": seed,
        "flights": n,
        "errors": sum(1 for r in runs if r.get("error")),
        "violating_flights": len(violating),
        "violations": sum(len(r.get("violations") or []) for r in runs),
        "per_invariant": per_invariant,
        "outcomes": outcomes,
        "worst": [_row(r) for r in worst[:WORST_LISTED]],
        "table": campaign_stats.summary(runs),
    }


def _row(r):
    return {
        "index": r["index"],
        "file": r["inputs"]["name"] + ".toml",
        "description": r["description"],
        "violations": r["violations"],
        "landing_speed_m_s": None
        if r.get("landing_speed_m_s") is None
        else round(r["landing_speed_m_s"], 1),
        "main_fire_agl_m": r.get("main_fire_agl_m"),
    }


def write_envelope(summary, runs, out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for r in runs:
        if r.get("violations"):
            header = "{}\nViolated: {}\nRe-fly: capsule droptest {}.toml".format(
                r["description"],
                "; ".join(f"{v['name']}: {v['detail']}" for v in r["violation_details"]),
                r["inputs"]["name"],
            )
            (out / (r["inputs"]["name"] + ".toml")).write_text(to_toml(r["inputs"], header))
    from host_tools.droptest.campaign_kml import write_landing_kml

    write_landing_kml(runs, out / "landing.kml", f"envelope: landings, seed {summary['seed']}")
    doc = dict(summary)
    doc["runs"] = [{k: v for k, v in r.items() if k != "inputs"} for r in runs]
    (out / "envelope.json").write_text(json.dumps(doc, indent=2) + "\n")
    (out / "envelope.md").write_text(markdown(summary))


def markdown(summary):
    lines = [
        "# Envelope campaign",
        "",
        (
            f"- {summary['flights']} flights (seed {summary['seed']}), "
            f"{summary['violating_flights']} violating, {summary['violations']} violations, "
            f"{summary['errors']} could not be flown, {summary.get('wall_s', 0.0):.0f} s wall"
        ),
        "- outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(summary["outcomes"].items())),
        "",
        "| invariant | flights violating |",
        "|---|---:|",
    ]
    lines += [f"| {k} | {v} |" for k, v in summary["per_invariant"].items()]
    if summary["worst"]:
        lines += [
            "",
            "## Worst flights",
            "",
            "| flight | scenario file | violations | touchdown (m/s) | main fired (m AGL) |",
            "|---:|---|---|---:|---:|",
        ]
        for w in summary["worst"]:
            lines.append(
                "| {} | {} | {} | {} | {} |".format(
                    w["index"],
                    w["file"],
                    ", ".join(w["violations"]),
                    "-" if w["landing_speed_m_s"] is None else w["landing_speed_m_s"],
                    "-" if w["main_fire_agl_m"] is None else w["main_fire_agl_m"],
                )
            )
    lines += [
        "",
        (
            "One row per flight: flights.csv (re-fly flight I: "
            f"`capsule droptest --seed {summary['seed']} --index I`)"
        ),
        "",
    ]
    if summary.get("table"):
        from host_tools.droptest import campaign_stats

        lines.append(campaign_stats.markdown(summary["table"]))
    return "\n".join(lines) + "\n"


def print_summary(summary, out):
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"envelope: {summary['flights']} flights, seed {summary['seed']}")
    table.add_column("invariant")
    table.add_column("flights violating", justify="right")
    for k, v in summary["per_invariant"].items():
        table.add_row(k, f"[red]{v}" if v else "0")
    console.print(table)
    console.print(
        f"{summary['violating_flights']} of {summary['flights']} flights violate an invariant; "
        f"{summary['errors']} could not be flown; outcomes {summary['outcomes']}"
    )
    if out is not None:
        console.print(f"report: {Path(out) / 'envelope.md'} (violating flights as scenario files)")
