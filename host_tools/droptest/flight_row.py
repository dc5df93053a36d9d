"""One campaign flight as one flat row: what went in, what the board did,
how it was judged, where it landed and what it cost.

A campaign keeps these rows in its table (campaign_table.py) so it can be
summarised, resumed and re-flown without the flights' traces; `row()` runs
on the worker that flew the flight, so only the row travels back.
"""

import json
import os
import resource
import time

# events kept in the row: enough to compare a re-flight with the campaign's
# flight and to read the timeline; beacons and status lines are counted
ROW_EVENT_KINDS = ("phase", "fire", "arm", "boot", "error", "injected")


def events_of(result):
    """[[t_s, kind, name, detail], ...] of the row's event kinds, times as in
    report.json (3 decimals); detail is a fire's channel or a phase's target."""
    out = []
    for e in result.events:
        if e.kind not in ROW_EVENT_KINDS:
            continue
        detail = e.extra.get("channel") if e.kind == "fire" else e.fields.get("to", "")
        out.append([round(e.t_s, 3), e.kind, e.name, str(detail or "")])
    return out


def _first_fire(result, channel):
    fires = result.fires(channel)
    if not fires:
        return None, None
    return round(fires[0].t_s, 3), fires[0].extra.get("altitude_m")


def _children_cpu_s():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


class Meter:
    """Wall and CPU time of one flight on its worker: this process (physics,
    sensors, frames, the virtual board's relay thread) and the board's
    interpreter (a child process, counted once it has been reaped)."""

    def __init__(self):
        self.wall0 = time.perf_counter()
        self.cpu0 = time.process_time()
        self.children0 = _children_cpu_s()

    def figures(self):
        return {
            "wall_s": round(time.perf_counter() - self.wall0, 3),
            "host_cpu_s": round(time.process_time() - self.cpu0, 3),
            "board_cpu_s": round(_children_cpu_s() - self.children0, 3),
            "worker_pid": os.getpid(),
        }


def _receivers(scenario, result):
    """Who heard this flight, per receiver the scenario lists (droptest/receivers.py)."""
    if not scenario.receivers:
        return None
    from host_tools.droptest import receivers

    return receivers.flight_summary(result)


def row(index, seed, run_seed, scenario, result, meter, inputs):
    """The table row of a flown flight (result: runner.Result)."""
    lg = result.landing
    drogue_t, drogue_agl = _first_fire(result, "drogue")
    main_t, main_agl = _first_fire(result, "main")
    out = {
        "index": index,
        "seed": seed,
        "run_seed": run_seed,
        "scenario": scenario.name,
        "description": scenario.description,
        "inputs": inputs,
        "error": "",
        "passed": result.passed,
        "outcome": result.outcome,
        "aborted": result.aborted or "",
        "checks_passed": [e["name"] for e in result.expectations if e["passed"]],
        "failed_checks": [e["name"] for e in result.expectations if not e["passed"]],
        "invariants_held": [e["name"] for e in result.invariants if e["applies"] and e["passed"]],
        "violations": result.violations,
        "violation_details": [
            {"name": e["name"], "detail": e["detail"]}
            for e in result.invariants
            if e["name"] in result.violations
        ],
        "phases": [e.fields.get("to", "") for e in result.events if e.kind == "phase"],
        "events": events_of(result),
        "drogue_fire_t_s": drogue_t,
        "drogue_fire_agl_m": drogue_agl,
        "main_fire_t_s": main_t,
        "main_fire_agl_m": main_agl,
        "landing_t_s": None if lg is None else round(lg.t_s, 3),
        "landing_lat": None if lg is None else round(lg.lat, 7),
        "landing_lon": None if lg is None else round(lg.lon, 7),
        "landing_east_m": None if lg is None else round(lg.east_m, 1),
        "landing_north_m": None if lg is None else round(lg.north_m, 1),
        "landing_speed_m_s": None if lg is None else round(lg.vertical_speed_m_s, 2),
        "landing_drift_m_s": None if lg is None else round(lg.horizontal_speed_m_s, 2),
        "sim_s": round(result.sim_s, 1),
        "samples": result.samples,
        "receivers": _receivers(scenario, result),
        "target": result.target,
        "interpreter": result.interpreter,
    }
    out.update(meter.figures())
    return out


def error_row(index, seed, run_seed, scenario_name, exc, meter, inputs=None):
    """The row of a flight that could not be flown (its board could not be
    set up, or its worker was lost): counted apart, flown again on resume."""
    out = {
        "index": index,
        "seed": seed,
        "run_seed": run_seed,
        "scenario": scenario_name,
        "inputs": inputs,
        "error": f"{type(exc).__name__}: {exc}",
        "passed": False,
        "failed_checks": [],
        "violations": [],
    }
    if meter is not None:
        out.update(meter.figures())
    return out


def compact_json(value):
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
