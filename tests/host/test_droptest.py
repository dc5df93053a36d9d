"""The drop-test runner against the in-process fake board: the board's fires
change the physics at the board's time, faults reach the board, the
expectations judge what happened, and the report and exit codes say so."""

import json
import math
import time

import pytest
from fake_board import FakeBoard, fly_cli_on_fake_boards
from scenario_variants import drone

from host_tools.cli import main as cli_main
from host_tools.droptest import runner as droptest
from host_tools.protocol import packets
from host_tools.sim import scenario


def fly(sc, board=None, seed=1, **kw):
    test = droptest.DropTest(sc, board or FakeBoard(), seed=seed, **kw)
    return test, test.run()


def check(result, name):
    return next(e for e in result.expectations if e["name"] == name)


class NeverFires(FakeBoard):
    def _fire(self, channel):
        pass


class ForgetsAfterReset(FakeBoard):
    """A board that persists only that it was armed, not its phase or fires."""

    def _boot(self):
        armed = self.persist.get("phase", "SAFE") != "SAFE"
        self.persist = {"phase": "ARMED" if armed else "SAFE", "fired": []}
        super()._boot()


class GoesSilent(FakeBoard):
    def __init__(self, after_frames, **kw):
        self.after_frames = after_frames
        self.frames = 0
        super().__init__(**kw)

    def _emit(self, kind, name, fields=()):
        if self.frames < self.after_frames:
            super()._emit(kind, name, fields)


def test_nominal_drop_passes_and_fire_altitudes_are_the_true_height_above_ground():
    test, result = fly(drone())
    assert result.passed, result.expectations
    main = result.fires("main")[0]
    i = test.trace.index_at(main.t_s)
    assert main.extra["altitude_m"] == pytest.approx(test.trace.data["agl_m"][i], abs=0.1)
    # the fake fires on its barometric altitude: the truth is near the set 400 m
    assert main.extra["altitude_m"] == pytest.approx(400.0, abs=40.0)
    assert result.landing.vertical_speed_m_s < 6.5


def test_a_fire_acts_on_the_physics_at_the_boards_reported_time():
    test, result = fly(drone())
    for channel in ("drogue", "main"):
        event = result.fires(channel)[0]
        assert test.flight.chute(channel).fired_at_s == pytest.approx(event.t_s, abs=1e-6)
    assert result.link_stats["late_fires"] == 0
    # the runner never runs further ahead of the board than the deploy delay
    assert 2 * test.batch / test.rate_hz <= 0.4


def test_the_boards_decisions_change_the_trajectory():
    _, nominal = fly(drone())
    _, silent = fly(drone(), NeverFires())
    _, late = fly(drone(config={"main_deploy_m": 15}))
    assert nominal.landing.vertical_speed_m_s < 6.5
    assert silent.landing.vertical_speed_m_s > 20.0
    assert not silent.passed and not check(silent, "main_fired")["passed"]
    assert late.landing.vertical_speed_m_s > 2 * nominal.landing.vertical_speed_m_s
    assert silent.landing.t_s < nominal.landing.t_s


def test_a_board_that_refuses_to_arm_passes_the_inverted_accelerometer_scenario():
    sc = drone(faults={"accel_mounting": "+x-y-z"}, expect={})
    sc.raw["expect"] = {"refuses_arm": True, "no_fire": True}
    _test, result = fly(sc)
    assert result.arm_reply.kind == "ERR"
    assert result.passed, result.expectations
    assert not result.fires()
    # the same board with the accelerometer the right way up arms and fires
    _, upright = fly(drone(expect={"refuses_arm": True}))
    assert not check(upright, "refuses_arm")["passed"]


def test_power_cut_mid_descent_resumes_without_a_second_fire():
    sc = drone(faults={"power_loss_at_s": [40.0], "power_off_s": 0.5})
    _test, result = fly(sc)
    boots = [e for e in result.events if e.kind == "boot" and e.name == "boot"]
    assert len(boots) == 2  # power-on and the restart
    cut = [e for e in result.events if e.kind == "injected"]
    assert cut and cut[0].t_s == pytest.approx(40.0, abs=0.011)
    assert result.passed, result.expectations
    assert len(result.fires("main")) == 1 and len(result.fires("drogue")) == 1


def test_a_board_that_forgets_its_fires_after_a_reset_fails_no_double_fire():
    # the cut comes under the main, after both fires; a forgetful board fires again
    sc = drone(faults={"power_loss_at_s": [60.0]})
    _, result = fly(sc, ForgetsAfterReset())
    assert not check(result, "no_double_fire")["passed"]
    assert not result.passed


def test_serial_noise_reaches_the_board_and_the_flight_survives_it():
    sc = drone(faults={"serial_garbage_per_s": 5.0, "serial_corrupt_fraction": 0.02})
    board = FakeBoard()
    _, result = fly(sc, board)
    assert result.link_stats["garbage_bursts"] > 100
    assert result.link_stats["corrupted_frames"] > 100
    # a corrupted frame is dropped by its checksum, or, right after junk
    # without a line end, swallowed into a junk command line the board refuses
    assert board.bad_frames > result.link_stats["corrupted_frames"] // 2
    assert result.link_stats["unsolicited_errors"] > 0
    assert result.passed, result.expectations


def test_a_board_that_stops_answering_aborts_the_run_with_a_reason():
    _, result = fly(drone(), GoesSilent(after_frames=2000), reply_timeout_s=0.5)
    assert result.aborted and "stopped answering" in result.aborted
    assert not result.passed
    assert check(result, "run completed")["passed"] is False


def test_expectations_fail_when_the_numbers_are_outside_their_ranges():
    sc = drone(expect={"main_fire_altitude_m": [600.0, 700.0], "max_landing_speed_m_s": 1.0})
    _, result = fly(sc)
    assert not check(result, "main_fire_altitude_m")["passed"]
    assert not check(result, "max_landing_speed_m_s")["passed"]
    assert check(result, "drogue_fired")["passed"]
    assert not result.passed


def test_beacon_packets_are_decoded_to_positions():
    """The runner reads beacon positions with the one packet decoder."""
    rep = packets.decode_packet(b"<\xff\x01N0CALL-11>APLRT1:!4903.50N/07201.75W>capsule")
    assert rep.raw.startswith("N0CALL-11>")
    assert (rep.lat, rep.lon) == pytest.approx((49.058333, -72.029167), abs=1e-5)
    with pytest.raises(packets.DecodeError):
        packets.decode_packet(b"no position here")


def test_report_files_and_json_schema(tmp_path):
    _, result = fly(drone())
    droptest.write_report(result, tmp_path)
    doc = json.loads((tmp_path / "report.json").read_text())
    for key in ("scenario", "passed", "sim_s", "wall_s", "events", "expectations", "landing"):
        assert key in doc
    assert doc["passed"] is True and doc["scenario"] == "drone_drop"
    assert doc["sim_s"] > 100 and doc["wall_s"] > 0
    kinds = {e["kind"] for e in doc["events"]}
    assert {"phase", "fire", "beacon"} <= kinds
    for e in doc["events"]:
        assert {"t_s", "kind", "fields"} <= set(e)
        if e["kind"] == "fire":
            assert e["channel"] in ("drogue", "main") and math.isfinite(e["altitude_m"])
        if e["kind"] == "beacon":
            assert e["packet"].startswith("N0CALL")
    for e in doc["expectations"]:
        assert set(e) == {"name", "passed", "detail"}
    assert {"lat", "lon", "speed_m_s", "t_s"} <= set(doc["landing"])
    md = (tmp_path / "report.md").read_text()
    assert "PASSED" in md and "| main_fired | pass |" in md
    for png in ("profile.png", "accel.png", "track.png"):
        assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"
    csv = (tmp_path / "trajectory.csv").read_text().splitlines()
    assert csv[0].startswith("t_s,alt_m,agl_m")
    assert len(csv) > 1000


def test_cli_exit_codes_follow_the_expectations(tmp_path, capsys, monkeypatch):
    fly_cli_on_fake_boards(monkeypatch)
    out = tmp_path / "ok"
    assert cli_main(["droptest", "drone_drop", "--no-plots", "--out", str(out)]) == 0
    assert json.loads((out / "report.json").read_text())["passed"]
    failing = tmp_path / "failing.toml"
    failing.write_text(
        scenario.find("drone_drop")
        .read_text()
        .replace("main_fire_altitude_m = [330.0, 450.0]", "main_fire_altitude_m = [800.0, 900.0]")
    )
    assert cli_main(["droptest", str(failing), "--no-plots", "--out", str(tmp_path / "f")]) == 1
    assert "FAIL" in capsys.readouterr().out
    capsys.readouterr()
    assert cli_main(["droptest", "--monte-carlo", "0", "drone_drop"]) == 2
    assert cli_main(["droptest"]) == 2
    assert cli_main(["droptest", "drone_drop", "--all"]) == 2
    assert "do not also name a scenario" in capsys.readouterr().err


def test_all_runs_a_directory_and_prints_a_summary(tmp_path, capsys, monkeypatch):
    fly_cli_on_fake_boards(monkeypatch)
    for name in ("drone_drop", "balloon_drop"):
        (tmp_path / (name + ".toml")).write_text(scenario.find(name).read_text())
    status = cli_main(
        [
            "droptest",
            "--all",
            str(tmp_path),
            "--no-plots",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "2 of 2 scenarios passed" in out
    assert (tmp_path / "out" / "balloon_drop" / "report.json").exists()


def test_realtime_paces_the_samples_at_wall_clock_speed():
    sc = drone(start={"stand_s": 0.5}, run={"max_flight_s": 1.0})
    test = droptest.DropTest(sc, FakeBoard(), seed=1, realtime=True)
    t0 = time.perf_counter()
    result = test.run()
    wall = time.perf_counter() - t0
    assert result.sim_s == pytest.approx(1.0, abs=0.2)  # to the end of the last batch
    assert 1.4 <= wall < 4.0  # 0.5 s stand + 1 s of flight, not as fast as possible
