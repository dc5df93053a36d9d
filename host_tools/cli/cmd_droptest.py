"""`capsule droptest`: fly the firmware through simulated descents and judge it.

    capsule droptest SCENARIO.toml [--port PORT] [--out DIR] [--realtime] [--seed N]
    capsule droptest SCENARIO --ground-station [RECEIVER]   the packets a receiver hears
                                                 through a second board running the ground
                                                 station, then `capsule track` on its lines
    capsule droptest SCENARIO --capture FILE     what a ground receiver printed, for
                                                 `capsule track FILE`
    capsule droptest --all [DIR]                 every scenario, summary table
    capsule droptest SCENARIO --monte-carlo N    dispersed copies on a dask cluster
    capsule droptest --envelope N [--seed S]     N flights drawn over the flight envelope
    capsule droptest SCENARIO --seed S --index I one Monte Carlo flight again, with plots
    capsule droptest --seed S --index I          one envelope flight again, with plots
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
from host_tools.cli import UserError, user_errors

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
        help="what the virtual boards (every flight of a campaign too) run on without"
        " --port: unix64 (default), unix32"
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
    p.add_argument(
        "--index",
        type=int,
        metavar="I",
        help="fly flight I of the campaign with --seed again (with a scenario: its Monte Carlo "
        "campaign; without: the envelope campaign), with plots",
    )
    p.add_argument("--scheduler", help="dask scheduler address (default: a local cluster)")
    p.add_argument("--workers", type=int, help="local cluster worker processes (default: CPUs)")
    p.add_argument("--replay", metavar="FLIGHT.csv", help="replay a recorded flight log")
    p.add_argument(
        "--columns",
        metavar="ROLE=HEADER,...",
        help="--replay: map the log's header names, e.g. 'time=Time,pressure_hpa=Baro_Pressure'",
    )
    p.add_argument(
        "--ground-station",
        nargs="?",
        const="",
        metavar="RECEIVER",
        help="hand the packets the link model lets through to RECEIVER (default: the "
        "scenario's first [[receivers]]) to a second virtual board running the ground "
        "station, and track what it prints",
    )
    p.add_argument(
        "--capture",
        metavar="FILE",
        help="write what a ground receiver would have printed (time-stamped lines "
        "`capsule track FILE` reads): the RX lines of the scenario's receiver (or "
        "--ground-station's), else every packet the capsule sent",
    )
    p.add_argument("--demo", action="store_true", help="run the nominal LEO return with plots")
    p.add_argument("--list", action="store_true", help="list the scenario library")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.set_defaults(func=run)


def _load(name):
    from host_tools.sim.scenario import ScenarioError, load

    with user_errors(ScenarioError):
        return load(name)


def run(args):
    chosen = [flag for flag, (is_chosen, _, _) in _modes().items() if is_chosen(args)]
    if len(chosen) > 1:
        raise UserError("choose one of " + ", ".join(_modes()))
    if args.monte_carlo is not None and args.monte_carlo < 1:
        raise UserError(f"--monte-carlo N: N must be >= 1, got {args.monte_carlo}")
    if args.index is not None and args.index < 0:
        raise UserError(f"--index I: I must be >= 0, got {args.index}")
    if not chosen:
        return _one(args)
    _, handler, alone = _modes()[chosen[0]]
    if alone and args.scenario:
        raise UserError(f"{alone}; do not also name a scenario")
    return handler(args)


def _modes():
    """The command table of the modes besides flying one scenario:
    flag -> (chosen in args, what runs it, why no scenario name goes with it)."""
    return {
        "--index": (lambda a: a.index is not None, _campaign_flight, None),
        "--all": (lambda a: a.all is not None, _all, "--all runs a directory"),
        "--monte-carlo": (lambda a: bool(a.monte_carlo), _monte_carlo, None),
        "--envelope": (
            lambda a: a.envelope is not None,
            _envelope,
            "--envelope draws its own flights",
        ),
        "--replay": (lambda a: bool(a.replay), _replay, None),
        "--demo": (lambda a: a.demo, _demo, None),
        "--list": (lambda a: a.list, _list, None),
    }


def _scenario(args):
    """The scenario the arguments name (a user error when they name none)."""
    from host_tools.sim import scenario as scenario_mod

    if not args.scenario:
        raise UserError(
            "name a scenario (file or one of: {}), or use --all / --demo / --list".format(
                ", ".join(scenario_mod.library_names())
            )
        )
    return _load(args.scenario)


def _one(args):
    sc = _scenario(args)
    out = Path(args.out or Path(DEFAULT_OUT) / sc.name)
    capture = Path(args.capture) if args.capture else None
    if capture is not None and not capture.parent.resolve().is_dir():
        raise UserError(f"--capture {capture}: directory {capture.parent} does not exist")
    if args.ground_station is None and capture is not None and sc.receivers:
        args.ground_station = ""  # a capture of what the scenario's receiver heard
    if args.ground_station is not None:  # a receiver that is not there: say so before flying
        from host_tools.droptest import ground_station

        try:
            ground_station.pick_receiver(sc, args.ground_station or None)
        except ground_station.GroundStationError as exc:
            raise UserError(str(exc)) from None
    if args.port:
        print(f"{args.port}: its config is saved now and restored after the test")
    result = _run_one(args, sc, out)
    _print_result(result, out)
    run = None
    if args.ground_station is not None:
        run = _ground_station(result, args.ground_station or None, out)
    if capture is not None:
        _write_capture(result, run, capture)
    return 0 if result.passed else 1


def _write_capture(result, run, capture):
    from host_tools.droptest import ground_station

    lines = ground_station.capture_lines(result, run)
    capture.write_text("".join(line + "\n" for line in lines))
    who = (
        f"as receiver {run.receiver} printed them"
        if run
        else "every packet the capsule sent (the scenario has no [[receivers]])"
    )
    _console().print(
        f"capture {capture}: {len(lines)} packets, {who}; read it with `capsule track {capture}`",
        markup=False,
    )


def _ground_station(result, receiver, out):
    """The two-board chain (droptest/ground_station.py) and what `capsule track`
    makes of what the station printed."""
    import json

    from host_tools.droptest import ground_station

    try:
        run = ground_station.relay(result, receiver)
    except ground_station.GroundStationError as exc:
        raise UserError(str(exc), status=1) from None
    out.mkdir(parents=True, exist_ok=True)
    capture = out / f"ground_{run.receiver}.txt"
    capture.write_text(run.capture_text())
    doc, table = _track_capture(run, result.landing)
    console = _console()
    console.print(table)
    status = run.status
    console.print(
        f"ground station {run.receiver}: {run.heard} packets handed over, {len(run.lines)} RX "
        f"lines, received={status.get('received', '?')} crc_bad={status.get('crc_bad', '?')}; "
        f"capture {capture}"
    )
    if "last_from_touchdown_m" in doc:
        console.print(
            "track: last position {:.6f}, {:.6f}, {:.1f} m from the touchdown".format(
                *doc["last"], doc["last_from_touchdown_m"]
            )
        )
    (out / f"ground_{run.receiver}.json").write_text(json.dumps(doc, indent=2) + "\n")
    return run


def _track_capture(run, landing):
    """The station's lines through `capsule track`'s tracker: the last position,
    its distance from touchdown, and distance and bearing from the station's fix."""
    from host_tools.protocol.packets import StreamSplitter
    from host_tools.sim.radio_link import haversine_m
    from host_tools.track import Tracker, distance_bearing

    tracker = Tracker()
    splitter = StreamSplitter()
    for kind, item in splitter.feed(run.capture_text().encode("latin-1")) + splitter.flush():
        tracker.feed(kind, item)
    doc = {"receiver": run.receiver, "packets": tracker.reports, "bad": tracker.bad}
    for source in sorted(tracker.tracks):
        last = tracker.last_position(source)
        doc["source"] = source
        doc["last"] = [last.lat, last.lon]
        if landing is not None:
            d = haversine_m(last.lat, last.lon, landing.lat, landing.lon)
            doc["last_from_touchdown_m"] = round(d, 1)
        if tracker.team:
            d, b = distance_bearing(tracker.team[0], tracker.team[1], last.lat, last.lon)
            doc["team"] = list(tracker.team)
            doc["team_to_capsule_m"] = round(d, 1)
            doc["team_to_capsule_deg"] = round(b, 1)
    return doc, tracker.table()


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


def _campaign_flight(args):
    """Flight I of the campaign (SCENARIO or the envelope, --seed S): the same
    inputs and sensor seed the campaign flew it with (its flights.csv row)."""
    from host_tools.droptest import envelope, mc

    seed = _seed(args)
    if args.scenario:
        sc, run_seed = mc.dispersed_flight(_load(args.scenario), seed, args.index)
    else:
        try:
            env = envelope.load_envelope(args.envelope_file or envelope.ENVELOPE_PATH)
        except envelope.EnvelopeError as exc:
            raise UserError(str(exc)) from None
        doc = envelope.draw(env, seed, args.index)
        sc, run_seed = envelope.scenario_of(doc), doc["run"]["seed"]
    out = Path(args.out or Path(DEFAULT_OUT) / f"{sc.name}_{seed}_{args.index}")
    result = _run_one(args, sc, out, seed=run_seed)
    _print_result(result, out)
    return 0 if result.passed else 1


def _board_errors():
    """A board that cannot be reached or flashed: a one-line error, exit 2
    (no usable board)."""
    from host_tools.board.board import BoardError
    from host_tools.board.flash import FlashError

    return user_errors(BoardError, FlashError, FileNotFoundError, status=2)


def _check_port(port):
    """--port: the board answers `status` running this firmware, before any
    flight starts (a silent, foreign or unflashed board is named in seconds)."""
    from host_tools.board.board import Board

    with _board_errors(), Board(port) as target:
        target.command_starting("status")


def _run_one(args, sc, out, plots=None, seed=None, reuse_flash=False):
    from host_tools.droptest import runner as droptest

    if args.port:
        _check_port(args.port)
    update, progress = _progress_bar(sc)
    with _board_errors(), progress:
        return droptest.run_scenario(
            sc,
            port=args.port,
            out_dir=out,
            seed=_seed(args, sc) if seed is None else seed,
            realtime=args.realtime,
            progress=update,
            plots=not args.no_plots if plots is None else plots,
            target=args.target,
            reuse_flash=reuse_flash,
        )


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
    if result.board_config:
        console.print(result.board_config)


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


def _list(args):
    from rich.table import Table

    from host_tools.sim import scenario as scenario_mod

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
def _monte_carlo(args):
    from host_tools.droptest import mc as droptest_mc
    from host_tools.droptest.campaign import Fleet
    from host_tools.droptest.campaign_table import TableMismatch

    sc = _scenario(args)
    out = Path(args.out or Path(DEFAULT_OUT) / (sc.name + "_mc"))
    with user_errors(droptest_mc.CampaignError, TableMismatch):
        summary = droptest_mc.run_campaign(
            sc,
            args.monte_carlo,
            seed=_seed(args),
            out_dir=out,
            fleet=Fleet(args.scheduler, args.workers, target=args.target),
            plots=not args.no_plots,
            progress=True,
        )
    droptest_mc.print_summary(summary, out)
    return 0 if summary["failed"] == 0 and summary["errors"] == 0 else 1


# -- envelope --------------------------------------------------------------------------
def _envelope(args):
    from host_tools.droptest import envelope
    from host_tools.droptest.campaign import Fleet
    from host_tools.droptest.campaign_table import TableMismatch
    from host_tools.droptest.mc import CampaignError

    if args.envelope < 1:
        raise UserError(f"--envelope N: N must be >= 1, got {args.envelope}")
    out = Path(args.out or Path(DEFAULT_OUT) / f"envelope_{_seed(args)}")
    with user_errors(envelope.EnvelopeError, CampaignError, TableMismatch):
        summary = envelope.run_envelope(
            args.envelope,
            seed=_seed(args),
            out_dir=out,
            fleet=Fleet(args.scheduler, args.workers, target=args.target),
            envelope_path=args.envelope_file or envelope.ENVELOPE_PATH,
            progress=True,
        )
    envelope.print_summary(summary, out)
    return 0 if summary["violating_flights"] == 0 and summary["errors"] == 0 else 1


# -- replay ----------------------------------------------------------------------------
def _replay(args):
    from host_tools.droptest import replay as droptest_replay

    sc = _load(args.scenario) if args.scenario else None
    with user_errors(droptest_replay.ReplayError):
        columns = droptest_replay.parse_columns(args.columns)
        log = droptest_replay.read_flight_csv(args.replay, columns)
    sc = droptest_replay.replay_scenario(log, sc)
    out = Path(args.out or Path(DEFAULT_OUT) / ("replay_" + Path(args.replay).stem))
    with _board_errors():
        result = droptest_replay.run_replay(
            log,
            sc,
            port=args.port,
            out_dir=out,
            plots=not args.no_plots,
            seed=_seed(args, sc),
        )
    _print_result(result, out)
    return 0 if result.passed else 1
