"""Envelope campaign: how much of the flight envelope the firmware flies
without breaking a flight-envelope invariant.

FLIGHTS flights are drawn from host_tools/scenarios/envelope.toml with a fixed
seed (re-entries and drops, default and drawn deploy heights, one fault in a
third of them) and flown on virtual boards on a local dask cluster, one
worker per CPU (host_tools/droptest/envelope.py).

Figures:
  envelope_flights              flights flown (drawn, seed SEED)
  envelope_violations           flights that violated at least one invariant
  envelope_errors               flights that could not be flown (board set-up)
  envelope_violations_<name>    flights violating invariant <name> (every
                                invariant of droptest_invariants, 0 included)
  envelope_outcomes             landed / skipped_out / did_not_land counts
  envelope_wall_s               wall time of the campaign

BENCH_ENVELOPE_FLIGHTS=N in the environment flies N instead (a quick check).
"""

import os
import shutil
from pathlib import Path

from host_tools.droptest import envelope as droptest_envelope

FLIGHTS = 200
SEED = 1


def run():
    n = int(os.environ.get("BENCH_ENVELOPE_FLIGHTS", FLIGHTS))
    # kept in build/: each violating flight is a scenario file that flies it again
    out = Path(__file__).resolve().parent.parent / "build" / "bench-envelope"
    shutil.rmtree(out, ignore_errors=True)
    summary = droptest_envelope.run_envelope(n, seed=SEED, out_dir=out)
    figures = {
        "envelope_flights": summary["flights"],
        "envelope_violations": summary["violating_flights"],
        "envelope_errors": summary["errors"],
    }
    for name, count in summary["per_invariant"].items():
        figures[f"envelope_violations_{name}"] = count
    figures["envelope_outcomes"] = summary["outcomes"]
    figures["envelope_wall_s"] = summary["wall_s"]
    print(
        f"  {summary['flights']} envelope flights (seed {SEED}) in {summary['wall_s']:.0f} s: "
        f"{summary['violating_flights']} violate an invariant"
    )
    for w in summary["worst"]:
        print(f"  violating: {out / w['file']} ({', '.join(w['violations'])})")
    return figures
