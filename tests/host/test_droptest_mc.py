"""Monte Carlo campaigns and flight-log replays (fake board): dispersed runs
are reproducible, spread over dask workers (a LocalCluster, and a scheduler
and worker started as separate processes with the `dask` CLI), and summarised
with a success rate, deploy-altitude histogram and landing ellipse."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from fake_board import FakeBoard, fly_cli_on_fake_boards

from host_tools.cli import main as cli_main
from host_tools.droptest import campaign_table
from host_tools.droptest import mc as droptest_mc
from host_tools.droptest import replay as droptest_replay
from host_tools.droptest.campaign import Fleet
from host_tools.droptest.plots import ellipse_axes
from host_tools.sim import atmosphere1976 as atm
from host_tools.sim import scenario

DASK = Path(sys.executable).with_name("dask")


def quick_drone():
    """The drone drop at 25 Hz: the fake board does not care, the tests run 4x faster."""
    sc = scenario.load("drone_drop")
    sc.raw["run"]["sample_hz"] = 25.0
    return sc


def test_a_dispersed_run_is_reproducible_from_seed_and_index():
    sc = quick_drone()
    a = droptest_mc.run_dispersed(sc.raw, sc.name, sc.path, 5, 0, board=FakeBoard)
    b = droptest_mc.run_dispersed(sc.raw, sc.name, sc.path, 5, 0, board=FakeBoard)
    c = droptest_mc.run_dispersed(sc.raw, sc.name, sc.path, 5, 1, board=FakeBoard)
    assert a["landing_east_m"] == b["landing_east_m"] and a["seed"] == b["seed"]
    assert a["landing_east_m"] != c["landing_east_m"]
    assert a["main_fire_agl_m"] is not None


def test_ellipse_of_points_on_a_known_distribution():
    rng = np.random.default_rng(1)
    east = rng.normal(0, 300.0, 4000)
    north = rng.normal(0, 100.0, 4000)
    _c, a, b, ang = ellipse_axes(east, north, 2.0)
    assert a == pytest.approx(600.0, rel=0.05) and b == pytest.approx(200.0, rel=0.05)
    assert abs(abs(ang) % 180.0) < 3.0 or abs(abs(ang) - 180.0) < 3.0


def test_campaign_on_a_local_cluster_writes_its_summary(tmp_path):
    sc = quick_drone()
    summary = droptest_mc.run_campaign(
        sc, 4, seed=2, out_dir=tmp_path, fleet=Fleet(workers=2, board=FakeBoard)
    )
    assert summary["runs"] == 4
    assert 0.0 <= summary["success_rate"] <= 1.0
    assert summary["passed"] + summary["failed"] + summary["errors"] == 4
    assert summary["main_fire_altitude_m"]["n"] == 4
    assert "landing_ellipse_2sigma" in summary
    doc = json.loads((tmp_path / "monte_carlo.json").read_text())
    assert len(doc["run_results"]) == 4
    assert len({r["worker_pid"] for r in doc["run_results"]}) >= 1
    assert all(r["worker_pid"] != os.getpid() for r in doc["run_results"])
    for png in ("main_deploy_hist.png", "landing_ellipse.png"):
        assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"
    assert "Monte Carlo" in (tmp_path / "monte_carlo.md").read_text()


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_campaign_on_a_separate_dask_scheduler_and_worker(tmp_path, capsys):
    if not DASK.exists():
        pytest.skip("dask CLI not installed")
    info = tmp_path / "scheduler.json"
    # scheduler and worker import the FakeBoard the tasks name from tests/support
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "support")}
    procs = []
    try:
        procs.append(
            subprocess.Popen(
                [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0",
                 "--no-dashboard", "--scheduler-file", str(info)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                env=env,
            )
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        procs.append(
            subprocess.Popen(
                [str(DASK), "worker", "--scheduler-file", str(info), "--nworkers", "2",
                 "--nthreads", "1", "--no-dashboard"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                env=env,
            )
        )  # fmt: skip
        out = tmp_path / "mc"
        summary = droptest_mc.run_campaign(
            scenario.load("drone_drop"), 3, out_dir=out, fleet=Fleet(address, board=FakeBoard),
            plots=False,
        )  # fmt: skip
        droptest_mc.print_summary(summary, out)
        doc = json.loads((out / "monte_carlo.json").read_text())
        assert doc["runs"] == 3 and doc["scheduler"] == address
        assert doc["errors"] == 0
        rows = campaign_table.read(out / campaign_table.TABLE_NAME)
        assert sorted(r["index"] for r in rows) == [0, 1, 2]
        assert all(r["worker_pid"] != os.getpid() for r in rows)
        assert "passed" in capsys.readouterr().out
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def test_unreachable_scheduler_is_a_user_error(capsys, tmp_path):
    status = cli_main(
        [
            "droptest",
            "drone_drop",
            "--monte-carlo",
            "2",
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--out",
            str(tmp_path / "mc"),
        ]
    )
    assert status == 2
    assert "cannot reach the dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err


# -- replay -------------------------------------------------------------------------------
def write_drop_log(path, ground_m=200.0, columns="pressure"):
    """Rest 10 s 1000 m above the ground, fall under a drogue, 5 m/s below 400 m."""
    rows = []
    t, h, v = 0.0, 1000.0, 0.0
    while t < 160.0:
        if t < 10.0:
            sf = 1.0
        elif h > 0.0:
            vt = 15.0 if h > 400.0 else 5.0
            acc = 9.81 * (1.0 - (v / vt) ** 2)
            v += acc * 0.01
            h = max(0.0, h - v * 0.01)
            sf = 1.0 - acc / 9.81
        else:
            sf = 1.0
        rows.append((t, h, sf))
        t += 0.01
    with open(path, "w") as f:
        f.write("# synthetic drop log\n")
        if columns == "pressure":
            f.write("time_s,pressure_pa,accel_g\n")
            for t, h, sf in rows:
                f.write(f"{t:.2f},{atm.pressure_pa(h + ground_m):.3f},{sf:.4f}\n")
        else:
            f.write("time,height_m,accel_kinematic_m_s2\n")
            for t, h, sf in rows:
                f.write(f"{t:.2f},{h:.3f},{(sf - 1.0) * 9.80665:.4f}\n")
    return path


def test_replay_reads_pressure_or_height_columns(tmp_path):
    a = droptest_replay.read_flight_csv(write_drop_log(tmp_path / "a.csv"))
    b = droptest_replay.read_flight_csv(write_drop_log(tmp_path / "b.csv", columns="height"))
    assert a.t[0] == 0.0 and a.duration_s == pytest.approx(159.99, abs=0.02)
    assert a.pressure_pa is not None and b.agl_m is not None
    assert b.accel_m_s2[0] == pytest.approx(9.80665)  # kinematic 0 at rest -> 1 g sensed
    sc_a = droptest_replay.replay_scenario(a)
    assert sc_a.ground["elevation_m"] == pytest.approx(200.0, abs=0.5)
    assert sc_a.start["altitude_m"] == pytest.approx(1200.0, abs=0.5)


@pytest.mark.parametrize(
    "text, words",
    [
        ("a,b\n1,2\n2,3\n", "no time column"),
        ("time_s,accel_g\n0,1\n1,1\n", "no pressure or altitude column"),
        ("time_s,pressure_pa\n0,100000\n1,99000\n", "no acceleration column"),
        (
            "time_s,pressure_pa,accel_g\n0,100000,1\n1,oops,1\n",
            "line 3, column pressure_pa: not a number",
        ),
        ("time_s,pressure_pa,accel_g\n1,100000,1\n0,99000,1\n", "times must increase"),
    ],
)
def test_replay_rejects_bad_logs_naming_the_column(tmp_path, text, words):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(droptest_replay.ReplayError, match=words):
        droptest_replay.read_flight_csv(p)


def test_replay_streams_the_log_and_reports_fires_at_the_logged_height(tmp_path):
    log = droptest_replay.read_flight_csv(write_drop_log(tmp_path / "drop.csv"))
    base = scenario.load("drone_drop")
    sc = droptest_replay.replay_scenario(log, base)
    sc.raw["ground"]["elevation_m"] = 200.0
    sc.raw["expect"] = {"main_fired": True, "main_fire_altitude_m": [330.0, 450.0]}
    result = droptest_replay.run_replay(
        log, sc, link=FakeBoard(), out_dir=tmp_path / "out", plots=False
    )
    assert result.passed, result.expectations
    main = result.fires("main")[0]
    assert main.extra["altitude_m"] == pytest.approx(400.0, abs=25.0)
    assert result.landing is not None and result.landing.vertical_speed_m_s == pytest.approx(
        5.0, abs=0.3
    )
    assert json.loads((tmp_path / "out" / "report.json").read_text())["passed"]


def test_replay_from_the_cli(tmp_path, monkeypatch):
    fly_cli_on_fake_boards(monkeypatch)
    csv = write_drop_log(tmp_path / "drop.csv", columns="height")
    status = cli_main(
        [
            "droptest",
            "--replay",
            str(csv),
            "--no-plots",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert status == 0
    doc = json.loads((tmp_path / "o" / "report.json").read_text())
    assert any(e["kind"] == "fire" for e in doc["events"])
    assert cli_main(["droptest", "--replay", str(tmp_path / "missing.csv")]) == 2
