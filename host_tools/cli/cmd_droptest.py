"""`capsule droptest`: fly the firmware through simulated descents and judge it.

    capsule droptest SCENARIO.toml [--port PORT] [--out DIR] [--realtime] [--seed N]
    capsule droptest --all [DIR]                 every scenario, summary table
    capsule droptest SCENARIO --monte-carlo N    dispersed copies on a dask cluster
    capsule droptest --envelope N [--seed S]     N flights drawn over the flight envelope
    capsule droptest --replay FLIGHT.csv [SCENARIO]
    capsule droptest --demo                      the nominal LEO return, with plots
    capsule droptest --list                      the scenario library

Without --port each run starts its own virtual board and flashes the current
firmware. Every run is also judged against the flight-envelope invariants
(droptest/invariants.py). Exit status: 0 every expectation and invariant
held, 1 one failed (or the run could not finish), 2 bad input.
"""

import time
from pathlib import Path

from host_tools.board.targets import DEFAULT_TARGET, TARGETS
from host_tools.cli import UserError

DEFAULT_OUT = "build/droptest"


def register(subparsers):
    p = subparsers.add_parser(
        "droptest",
        help="fly the firmware through a simulated descent and judge it",
        description="Fly the firmware through simulated descents (physics and sensor models "
        "streamed over its serial link) and judge what it did against the scenario's "
        "expectations. Without --port each run starts its own virtual board and flashes "
        "the current firmware.",
        epilog="examples: capsule droptest nominal_leo | capsule droptest --all | "
        "capsule droptest drogue_fail --monte-carlo 50 | capsule droptest --replay flight.csv "
        "| capsule droptest --demo. Exit status: 0 all expectations passed, 1 one failed, "
        "2 bad input.",
    )
    p.add_argument("scenario", nargs="?", help="scenario file or library name (see --list)")
    p.add_argument("--port", help="serial port of a board already running the firmware")
    p.add_argument(
        "--target",
        default=DEFAULT_TARGET,
        choices=TARGETS,
        help="what the virtual board runs on without --port: unix64 (default), unix32"
        " (32-bit unix port) or qemu-m3 (emulated Cortex-M3, qemu-system-arm; checks"
        " behaviour, memory and integers, not speed)",
    )
    p.add_argument("--out", help=f"output directory (default {DEFAULT_OUT}/NAME)")
    p.add_argument("--realtime", action="store_true", help="pace the samples at wall-clock speed")
    p.add_argument(
        "--seed",
        type=int,
        help="random seed of the sensor noise (default: the scenario's [run] seed, else 0)",
    )
    p.add_argument(
        "--all",
        nargs="?",
        const="",
        metavar="DIR",
        help="run every scenario in DIR (default: the library) and print a summary",
    )
    p.add_argument("--monte-carlo", type=int, metavar="N", help="run N dispersed copies")
    p.add_argument(
        "--envelope",
        type=int,
        metavar="N",
        help="fly N flights drawn over the flight envelope; write the violating ones as scenarios",
    )
    p.add_argument(
        "--envelope-file",
        metavar="TOML",
        help="the envelope's ranges (default: scenarios/envelope.toml)",
    )
    p.add_argument("--scheduler", help="dask scheduler address (default: a local cluster)")
    p.add_argument("--workers", type=int, help="local cluster worker processes (default: CPUs)")
    p.add_argument("--replay", metavar="FLIGHT.csv", help="replay a recorded flight log")
    p.add_argument(
        "--columns",
        metavar="ROLE=HEADER,...",
        help="--replay: map the log's header names, e.g. 'time=Time,pressure_hpa=Baro_Pressure'",
    )
    p.add_argument("--demo", action="store_true", help="run the nominal LEO return with plots")
    p.add_argument("--list", action="store_true", help="list the scenario library")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--fake-board", action="store_true", help=argparse_suppress())
    p.set_defaults(func=run)


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS


def _load(name):
    from host_tools.sim.scenario import ScenarioError, load

    try:
        return load(name)
    except ScenarioError as exc:
        raise UserError(str(exc)) from None


def _board_kind(args):
    return "fake" if args.fake_board else None


def run(args):
    from host_tools.sim import scenario as scenario_mod

    modes = [
        bool(args.all is not None),
        bool(args.monte_carlo),
        args.envelope is not None,
        bool(args.replay),
        args.demo,
        args.list,
    ]
    if sum(modes) > 1:
        raise UserError("choose one of --all, --monte-carlo, --envelope, --replay, --demo, --list")
    if args.monte_carlo is not None and args.monte_carlo < 1:
        raise UserError(f"--monte-carlo N: N must be >= 1, got {args.monte_carlo}")
    if args.envelope is not None:
        if args.scenario:
            raise UserError("--envelope draws its own flights; do not also name a scenario")
        return _envelope(args)
    if args.list:
        return _list(scenario_mod)
    if args.demo:
        return _demo(args)
    if args.all is not None:
        if args.scenario:
            raise UserError("--all runs a directory; do not also name a scenario")
        return _all(args)
    if args.replay:
        return _replay(args)
    if not args.scenario:
        raise UserError(
            "name a scenario (file or one of: {}), or use --all / --demo / --list".format(
                ", ".join(scenario_mod.library_names())
            )
        )
    sc = _load(args.scenario)
    if args.monte_carlo:
        return _monte_carlo(args, sc)
    out = Path(args.out or Path(DEFAULT_OUT) / sc.name)
    result = _run_one(args, sc, out)
    _print_result(result, out)
    return 0 if result.passed else 1


def _seed(args, sc=None):
    """--seed, else the scenario's [run] seed (an envelope reproduction), else 0."""
    if args.seed is not None:
        return args.seed
    return int(sc.run.get("seed", 0)) if sc is not None else 0


# -- one run -------------------------------------------------------------------------
def _progress_bar(sc):
    """(callback, context manager) showing altitude and phase with rich."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn(
            "t={task.fields[t]:>7.1f} s  alt={task.fields[alt]:>8.0f} m  {task.fields[phase]}"
        ),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    start_agl = max(1.0, sc.start["altitude_m"] - sc.ground["elevation_m"])
    task = progress.add_task(sc.name, total=start_agl, t=0.0, alt=start_agl, phase="")

    def update(t_s, agl_m, phase):
        progress.update(
            task, completed=max(0.0, start_agl - max(0.0, agl_m)), t=t_s, alt=agl_m, phase=phase
        )

    return update, progress


def _run_one(args, sc, out, plots=None, reuse_flash=False):
    from host_tools.droptest import runner as droptest

    link = None
    if args.fake_board:
        from host_tools.droptest.fake import FakeBoard

        link = FakeBoard()
    update, progress = _progress_bar(sc)
    try:
        with progress:
            return droptest.run_scenario(
                sc,
                port=args.port,
                out_dir=out,
                seed=_seed(args, sc),
                realtime=args.realtime,
                progress=update,
                link=link,
                plots=not args.no_plots if plots is None else plots,
                target=args.target,
                reuse_flash=reuse_flash,
            )
    except Exception as exc:
        from host_tools.board.flash import FlashError
        from host_tools.board.link import LinkError

        if isinstance(exc, (LinkError, FlashError, FileNotFoundError)):
            raise UserError(str(exc), status=1) from None
        raise


def _console():
    """stdout console; wide enough for the tables when it is not a terminal."""
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    return console


def _print_result(result, out):
    from rich.table import Table

    console = _console()
    table = Table(
        title="{}: {}".format(result.scenario.name, "PASSED" if result.passed else "FAILED")
    )
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail")
    for e in result.expectations:
        table.add_row(e["name"], "[green]pass" if e["passed"] else "[red]FAIL", e["detail"])
    console.print(table)
    _print_invariants(console, result)
    fires = ", ".join(
        "{} at {:.0f} m".format(e.extra.get("channel"), e.extra.get("altitude_m", float("nan")))
        for e in result.fires()
    )
    console.print(
        "flight {:.0f} s simulated in {:.1f} s; fires: {}; landing {}".format(
            result.sim_s,
            result.wall_s,
            fires or "none",
            f"{result.landing.vertical_speed_m_s:.1f} m/s" if result.landing else "none",
        )
    )
    console.print("report: {}  ({})".format(out / "report.md", out / "report.json"))


def _print_invariants(console, result):
    from rich.table import Table

    from host_tools.droptest.invariants import status_text

    table = Table(title=f"{result.scenario.name}: invariants (outcome {result.outcome})")
    table.add_column("invariant")
    table.add_column("result")
    table.add_column("detail")
    style = {"pass": "[green]pass", "n/a": "[dim]n/a", "VIOLATED": "[red]VIOLATED"}
    for e in result.invariants:
        table.add_row(e["name"], style[status_text(e)], e["detail"])
    console.print(table)


# -- every scenario ------------------------------------------------------------------
def _all(args):
    from rich.table import Table

    from host_tools.sim import scenario as scenario_mod

    if args.all:
        folder = Path(args.all)
        if not folder.is_dir():
            raise UserError(f"--all {folder}: not a directory")
        paths = sorted(folder.glob("*.toml"))
    else:
        paths = scenario_mod.library()
    if not paths:
        raise UserError("no *.toml scenarios in %s" % (args.all or scenario_mod.SCENARIO_DIR))
    scenarios = [_load(str(p)) for p in paths]  # validate all before flying any
    base = Path(args.out or DEFAULT_OUT)
    table = Table(title="drop tests")
    for col in (
        "scenario",
        "result",
        "drogue",
        "main",
        "landing",
        "sim s",
        "wall s",
        "failed checks",
        "violated invariants",
    ):
        table.add_column(col)
    failures = 0
    for sc in scenarios:
        # flashed once: every scenario boots a fresh board from a copy of it
        result = _run_one(args, sc, base / sc.name, reuse_flash=not args.port)
        failures += not result.passed
        d = result.fires("drogue")
        m = result.fires("main")
        table.add_row(
            sc.name,
            "[green]pass" if result.passed else "[red]FAIL",
            "{:.0f} m".format(d[0].extra.get("altitude_m", float("nan"))) if d else "-",
            "{:.0f} m".format(m[0].extra.get("altitude_m", float("nan"))) if m else "-",
            f"{result.landing.vertical_speed_m_s:.1f} m/s" if result.landing else "-",
            f"{result.sim_s:.0f}",
            f"{result.wall_s:.1f}",
            ", ".join(e["name"] for e in result.expectations if not e["passed"]),
            ", ".join(result.violations),
        )
    _console().print(table)
    print(f"{len(scenarios) - failures} of {len(scenarios)} scenarios passed; reports in {base}")
    return 0 if failures == 0 else 1


# -- demo ----------------------------------------------------------------------------
def _demo(args):
    sc = _load("nominal_leo")
    out = Path(args.out or "build/demo")
    t0 = time.perf_counter()
    result = _run_one(args, sc, out, plots=True)
    _print_result(result, out)
    print(
        "plots: {}".format(
            ", ".join(str(out / n) for n in ("profile.png", "accel.png", "track.png"))
        )
    )
    print("demo finished in %.1f s" % (time.perf_counter() - t0))
    return 0 if result.passed else 1


def _list(scenario_mod):
    from rich.table import Table

    table = Table(title=f"scenario library ({scenario_mod.SCENARIO_DIR})")
    table.add_column("name")
    table.add_column("description")
    for p in scenario_mod.library():
        try:
            sc = scenario_mod.load(p)
            table.add_row(sc.name, sc.description)
        except scenario_mod.ScenarioError as exc:
            table.add_row(p.stem, f"[red]{exc}")
    _console().print(table)
    return 0


# -- Monte Carlo -----------------------------------------------------------------------
def _monte_carlo(args, sc):
    from host_tools.droptest import mc as droptest_mc

    out = Path(args.out or Path(DEFAULT_OUT) / (sc.name + "_mc"))
    try:
        summary = droptest_mc.run_campaign(
            sc,
            args.monte_carlo,
            seed=_seed(args),
            scheduler=args.scheduler,
            workers=args.workers,
            out_dir=out,
            board="fake" if args.fake_board else "virtual",
            plots=not args.no_plots,
            progress=True,
        )
    except droptest_mc.CampaignError as exc:
        raise UserError(str(exc)) from None
    droptest_mc.print_summary(summary, out)
    return 0 if summary["failed"] == 0 and summary["errors"] == 0 else 1


# -- envelope --------------------------------------------------------------------------
def _envelope(args):
    from host_tools.droptest import envelope

    if args.envelope < 1:
        raise UserError(f"--envelope N: N must be >= 1, got {args.envelope}")
    out = Path(args.out or Path(DEFAULT_OUT) / f"envelope_{_seed(args)}")
    try:
        summary = envelope.run_envelope(
            args.envelope,
            seed=_seed(args),
            scheduler=args.scheduler,
            workers=args.workers,
            out_dir=out,
            envelope_path=args.envelope_file or envelope.ENVELOPE_PATH,
            board="fake" if args.fake_board else "virtual",
            progress=True,
        )
    except envelope.EnvelopeError as exc:
        raise UserError(str(exc)) from None
    except Exception as exc:
        from host_tools.droptest.mc import CampaignError

        if isinstance(exc, CampaignError):
            raise UserError(str(exc)) from None
        raise
    envelope.print_summary(summary, out)
    return 0 if summary["violating_flights"] == 0 and summary["errors"] == 0 else 1


# -- replay ----------------------------------------------------------------------------
def _replay(args):
    from host_tools.droptest import replay as droptest_replay

    sc = _load(args.scenario) if args.scenario else None
    try:
        columns = droptest_replay.parse_columns(args.columns)
        log = droptest_replay.read_flight_csv(args.replay, columns)
    except droptest_replay.ReplayError as exc:
        raise UserError(str(exc)) from None
    sc = droptest_replay.replay_scenario(log, sc)
    out = Path(args.out or Path(DEFAULT_OUT) / ("replay_" + Path(args.replay).stem))
    link = None
    if args.fake_board:
        from host_tools.droptest.fake import FakeBoard

        link = FakeBoard()
    result = droptest_replay.run_replay(
        log,
        sc,
        port=args.port,
        out_dir=out,
        link=link,
        plots=not args.no_plots,
        seed=_seed(args, sc),
    )
    _print_result(result, out)
    return 0 if result.passed else 1
