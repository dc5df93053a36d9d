"""Monte Carlo drop tests: N dispersed copies of a scenario, each flown on its
own virtual board, spread over a dask.distributed cluster.

Every copy draws its capsule drag, chute sizes and inflation, start state,
wind, and sensor bias and noise around the scenario's values
(`Scenario.dispersed`, spreads from the scenario's `[dispersion]` table), with
its own seed, so a campaign is reproducible from (scenario, N, seed). A task
ships only the scenario's TOML data and the seed; the worker builds the
physics and flies on its virtual board (flashed once, reset between
flights: board_pool.py). The campaign
reports the success rate, the main-deploy altitudes and the landing ellipse.

By default a LocalCluster of worker processes (one per CPU, one thread each:
every task also runs a MicroPython process) is started and stopped around the
campaign; `Fleet(scheduler=ADDRESS)` (campaign.py) uses an existing cluster
(`dask scheduler` / `dask worker` on other machines), whose workers need this
package installed.
"""

import functools
import json
import math
import os
import time
from pathlib import Path

import numpy as np

from host_tools.board.targets import DEFAULT_TARGET
from host_tools.sim.scenario import Scenario


class CampaignError(Exception):
    """The campaign could not run (no cluster, workers failing)."""


def dispersed_flight(sc, seed, index):
    """(scenario, sensor seed) of flight `index` of a campaign of `sc` with
    `seed`: a flight is fully set by (scenario, seed, index), so
    `capsule droptest SCENARIO --seed S --index I` flies it again."""
    rng = np.random.default_rng([seed, index])
    flown = sc.dispersed(rng)
    return flown, int(rng.integers(0, 2**31 - 1))


def run_dispersed(raw, name, path, seed, index, board=None, target=DEFAULT_TARGET):
    """One Monte Carlo flight (executes on a worker): its table row (flight_row.py).
    board: what to fly on (runner.run_scenario's factory; default this
    worker's kept virtual board of `target`, flashed once: board_pool.py)."""
    from host_tools.droptest import runner as droptest
    from host_tools.droptest.flight_row import Meter, error_row, row

    sc, run_seed = dispersed_flight(Scenario(name, path, raw), seed, index)
    meter = Meter()
    try:
        result = droptest.run_scenario(
            sc, seed=run_seed, board=board or worker_board(target), plots=False
        )
    except Exception as exc:  # noqa: BLE001 - a broken run is a failed run, not a broken campaign
        return error_row(index, seed, run_seed, name, exc, meter, sc.raw)
    return row(index, seed, run_seed, sc, result, meter, sc.raw)


def worker_board(target):
    """The board factory of a campaign's flight on a worker: the worker's
    kept virtual board of `target` (board_pool.py)."""
    from host_tools.droptest import board_pool

    return functools.partial(board_pool.reused_board, target=target)


def _client(scheduler, workers):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise CampaignError(
            "--monte-carlo needs dask[distributed] (pip install 'dask[distributed]')"
        ) from None
    if scheduler:
        try:
            return Client(scheduler, timeout="5s"), None
        except (OSError, TimeoutError) as exc:
            raise CampaignError(f"cannot reach the dask scheduler at {scheduler}: {exc}") from None
    n = workers or max(1, os.cpu_count() or 1)
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        worker_dashboard_address=None,
        silence_logs=40,
    )
    return Client(cluster), cluster


def run_campaign(sc, n, seed=0, out_dir=None, fleet=None, plots=True, progress=False):
    """Fly n dispersed copies on `fleet` (campaign.Fleet; default: a local
    cluster, virtual boards of the default target) into out_dir's flights
    table (resuming: flights already in it are not flown again); returns the
    summary dict (and writes the Markdown and JSON summaries and the landing
    KML)."""
    from host_tools.droptest import campaign, campaign_table

    fleet = fleet or campaign.Fleet()

    t0 = time.perf_counter()
    with campaign.table_dir(out_dir) as out:
        ident = campaign_table.identity("monte_carlo", sc.raw, seed, fleet.target)
        table = campaign_table.Table(out, ident)
        runs, flown_now = campaign.fly_into_table(
            run_dispersed,
            lambda i: (sc.raw, sc.name, sc.path, seed, i, fleet.board, fleet.target),
            n,
            lambda i: f"mc-{sc.name}-{seed}-{i}",
            table,
            fleet,
            progress,
            sc.name,
        )
        summary = summarise(sc, runs, seed)
        summary["wall_s"] = round(time.perf_counter() - t0, 2)
        summary["flown_now"] = flown_now
        summary["scheduler"] = fleet.describe()
        if out_dir is not None:
            write_campaign(summary, runs, sc, out, plots)
    return summary


def fly_on_cluster(fn, args_list, keys, scheduler, workers, lost_run, on_result=None, indices=None):
    """fn(*args) for each args on a dask cluster, in completion order; a run
    whose worker was lost becomes lost_run(exc, index), so a campaign always
    counts every flight it asked for. on_result(result) is called as each
    one comes in (the campaign table appends it then)."""
    import tempfile

    from dask.distributed import as_completed

    from host_tools.droptest.runner import SHARED_FLASH_ENV

    # a local cluster's workers flash the firmware once between them
    shared = None if scheduler else tempfile.TemporaryDirectory(prefix="campaign-flash-")
    if shared is not None:
        os.environ[SHARED_FLASH_ENV] = shared.name
    try:
        client, cluster = _client(scheduler, workers)
    except BaseException:
        if shared is not None:
            shared.cleanup()
        raise
    finally:
        os.environ.pop(SHARED_FLASH_ENV, None)
    runs = []
    indices = list(indices) if indices is not None else list(range(len(args_list)))
    try:
        futures = [
            client.submit(fn, *args, pure=False, key=key) for args, key in zip(args_list, keys)
        ]
        index_of = {f.key: i for f, i in zip(futures, indices)}
        for fut in as_completed(futures):
            try:
                out = fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker is a failed run
                out = lost_run(exc, index_of[fut.key])
            runs.append(out)
            if on_result is not None:
                on_result(out)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
        if shared is not None:
            shared.cleanup()
    return runs


def summarise(sc, runs, seed):
    """The campaign's figures from its table rows (campaign_stats has the
    failure bounds, deploy distribution and ellipse)."""
    from host_tools.droptest import campaign_stats

    n = len(runs)
    passed = sum(1 for r in runs if r.get("passed"))
    # runs whose board could not be set up say nothing about the firmware:
    # counted apart, and left out of the success rate
    errors = sum(1 for r in runs if r.get("error"))
    flown = n - errors
    mains = [r["main_fire_agl_m"] for r in runs if r.get("main_fire_agl_m") is not None]
    landed = [r for r in runs if r.get("landing_east_m") is not None]
    failures = {}
    for r in runs:
        for name in r.get("failed_checks") or []:
            failures[name] = failures.get(name, 0) + 1
    violated = {}
    for r in runs:
        for name in r.get("violations") or []:
            violated[name] = violated.get(name, 0) + 1
    out = {
        "scenario": sc.name,
        "runs": n,
        "seed": seed,
        "passed": passed,
        "failed": flown - passed,
        "errors": errors,
        "success_rate": round(passed / flown, 4) if flown else 0.0,
        "failed_checks": failures,
        "invariant_violations": violated,
        "main_fire_altitude_m": _stats(mains),
        "landing_speed_m_s": _stats([r["landing_speed_m_s"] for r in landed]),
        "table": campaign_stats.summary(runs),
    }
    if any(r.get("receivers") for r in runs):
        from host_tools.droptest import receivers

        out["receivers"] = receivers.campaign_summary(
            [r["receivers"] for r in runs if r.get("receivers")]
        )
    if len(landed) >= 3:
        from host_tools.droptest.plots import ellipse_axes

        east = [r["landing_east_m"] for r in landed]
        north = [r["landing_north_m"] for r in landed]
        centre, a, b, ang = ellipse_axes(east, north, 2.0)
        out["landing_ellipse_2sigma"] = {
            "centre_east_m": round(float(centre[0]), 1),
            "centre_north_m": round(float(centre[1]), 1),
            "semi_major_m": round(a, 1),
            "semi_minor_m": round(b, 1),
            "angle_deg": round(ang, 1),
        }
    return out


def _stats(values):
    vals = [v for v in values if v is not None and math.isfinite(v)]
    if not vals:
        return None
    arr = np.asarray(vals)
    return {
        "n": len(vals),
        "mean": round(float(arr.mean()), 2),
        "std": round(float(arr.std()), 2),
        "min": round(float(arr.min()), 2),
        "max": round(float(arr.max()), 2),
    }


def write_campaign(summary, runs, sc, out_dir, plots=True):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    images = []
    if plots and runs:
        from host_tools.droptest import plots as droptest_plots

        limits = sc.expect.get("main_fire_altitude_m")
        images.append(
            droptest_plots.histogram_plot(
                [r.get("main_fire_agl_m") for r in runs],
                out / "main_deploy_hist.png",
                f"{sc.name}: main deploy altitude ({len(runs)} runs)",
                "true altitude AGL at main fire (m)",
                limits,
            )
        )
        landed = [r for r in runs if r.get("landing_east_m") is not None]
        if landed:
            images.append(
                droptest_plots.landing_ellipse_plot(
                    [r["landing_east_m"] for r in landed],
                    [r["landing_north_m"] for r in landed],
                    [r.get("passed") for r in landed],
                    out / "landing_ellipse.png",
                    f"{sc.name}: landing points ({len(landed)} runs)",
                )
            )
    from host_tools.droptest.campaign_kml import write_landing_kml

    write_landing_kml(runs, out / "landing.kml", f"{sc.name}: landings, seed {summary['seed']}")
    summary["images"] = [p.name for p in images]
    doc = dict(summary)
    doc["run_results"] = [{k: v for k, v in r.items() if k != "inputs"} for r in runs]
    (out / "monte_carlo.json").write_text(json.dumps(doc, indent=2) + "\n")
    lines = [f"# Monte Carlo: {sc.name}", ""]
    lines += [f"- {line}" for line in summary_lines(summary)]
    lines += [
        (
            "- one row per flight: flights.csv (re-fly flight I: "
            f"`capsule droptest {sc.name} --seed {summary['seed']} --index I`)"
        ),
        "",
    ]
    from host_tools.droptest import campaign_stats

    lines.append(campaign_stats.markdown(summary["table"]))
    for img in images:
        lines.append(f"![{img.stem}]({img.name})")
    (out / "monte_carlo.md").write_text("\n".join(lines) + "\n")


def summary_lines(summary):
    """What a campaign came to, a line per fact: the Markdown report lists
    them and print_summary shows them on the terminal."""
    lines = [
        (
            f"{summary['runs']} runs, {summary['passed']} passed "
            f"({100 * summary['success_rate']:.1f} %), seed {summary['seed']}, "
            f"{summary.get('scheduler', '')}, {summary.get('wall_s', 0.0):.1f} s wall"
        )
    ]
    m = summary.get("main_fire_altitude_m")
    if m:
        lines.append(
            "main deploy altitude: mean {:.0f} m, sd {:.0f} m, range {:.0f}..{:.0f} m".format(
                m["mean"], m["std"], m["min"], m["max"]
            )
        )
    e = summary.get("landing_ellipse_2sigma")
    if e:
        lines.append(
            "landing ellipse (2 sigma): {:.0f} x {:.0f} m semi-axes, major axis at {:.0f} deg".format(
                e["semi_major_m"], e["semi_minor_m"], e["angle_deg"]
            )
        )
    if summary.get("errors"):
        lines.append(f"{summary['errors']} runs could not set up their board (not counted)")
    for what, key in (
        ("failed checks", "failed_checks"),
        ("violated invariants", "invariant_violations"),
    ):
        if summary.get(key):
            lines.append(
                f"{what}: " + ", ".join(f"{k} ({n})" for k, n in sorted(summary[key].items()))
            )
    for r in summary.get("receivers", ()):
        lines.append(
            "receiver {name}: hears the landing in {hears_landing} of {flights} flights "
            "({pct:.0f} %)".format(pct=100 * r["fraction_hears_landing"], **r)
        )
    return lines


def print_summary(summary, out):
    from rich.console import Console
    from rich.markup import escape

    console = Console()
    headline, *details = summary_lines(summary)
    console.print(f"[bold]{escape(summary['scenario'])}[/]: {escape(headline)}")
    for line in details:
        console.print(line, markup=False)
    if out is not None:
        console.print("report: %s" % (Path(out) / "monte_carlo.md"))
