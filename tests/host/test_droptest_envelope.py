"""Envelope campaigns: the envelope file is validated key by key, a flight
is fully set by (seed, index), its scenario file flies it again, and a
campaign counts violations per invariant (fake board: no MicroPython)."""

import copy
import json

import pytest
import tomllib
from fake_board import FakeBoard

from host_tools.cli import main as cli_main
from host_tools.droptest import envelope
from host_tools.droptest import invariants as inv
from host_tools.droptest.campaign import Fleet
from host_tools.sim import scenario


@pytest.fixture(scope="module")
def env():
    return envelope.load_envelope()


def broken(env, table, key, value):
    data = copy.deepcopy(env)
    if value is None:
        del data[table][key]
    else:
        data[table][key] = value
    return data


@pytest.mark.parametrize(
    ("table", "key", "value", "message"),
    [
        ("reentry", "speed_ms", [1.0, 2.0], "[reentry] speed_ms: unknown key"),
        ("reentry", "speed_m_s", None, "[reentry] speed_m_s: missing"),
        ("drop", "mass_kg", [5.0, 1.0], "[drop] mass_kg: must be [min, max]"),
        ("faults", "kinds", ["baro_dead", "gremlins"], "[faults] kinds: must be a non-empty list"),
        ("mix", "reentry_fraction", 1.5, "[mix] reentry_fraction: must be a number in [0, 1]"),
        ("config", "main_deploy_m", [500.0, 6000.0], "[config] main_deploy_m: its max"),
        ("config", "drogue_deploy_m", [5000.0, 40000.0], "firmware's drogue_deploy_m range"),
        ("mix", "balloon_fraction", None, "[mix] balloon_fraction: missing"),
        (
            "mix",
            "balloon_fraction",
            0.5,
            "[mix] balloon_fraction: reentry_fraction . balloon_fraction must be at most 1",
        ),
        ("balloon", "release_s", [10.0, 20.0], "[balloon] release_s: unknown key"),
        ("balloon", "ascent_rate_m_s", [0.1, 8.0], "[balloon] ascent_rate_m_s: a scenario's"),
        # 49 km above a 2 km ground is beyond a scenario's release_altitude_m
        ("balloon", "release_agl_m", [18000.0, 49000.0], "[balloon] release_agl_m: a scenario's"),
        # below the firmware's default drogue_deploy_m (10 km)
        ("balloon", "release_agl_m", [8000.0, 32000.0], "[balloon] release_agl_m: its min"),
        ("balloon", "releases", ["cutdown", "pop"], "[balloon] releases: must be a non-empty"),
        ("balloon", "baro_parts", [], "[balloon] baro_parts: must be a non-empty list of ms5611"),
    ],
)
def test_a_bad_envelope_key_is_an_error_that_names_it(env, table, key, value, message):
    with pytest.raises(envelope.EnvelopeError, match=message.replace("[", r"\[")):
        envelope.validate_envelope(broken(env, table, key, value), "envelope.toml")
    with pytest.raises(envelope.EnvelopeError, match="unknown table"):
        envelope.validate_envelope(dict(env, weather={}), "envelope.toml")


def test_the_envelope_file_is_not_a_library_scenario():
    assert "envelope" not in scenario.library_names()
    assert scenario.find("envelope") is None


def test_a_flight_is_set_by_seed_and_index_and_never_sets_a_backup_timer(env):
    assert envelope.draw(env, 3, 5) == envelope.draw(env, 3, 5)
    assert envelope.draw(env, 3, 5) != envelope.draw(env, 3, 6)
    docs = [envelope.draw(env, 3, i) for i in range(40)]
    kinds = {d["description"].split(": ")[1].split(",")[0] for d in docs}
    assert kinds == {"reentry", "drop from rest", "drop climbing", "balloon"}
    for d in docs:
        assert not {"drogue_backup_s", "main_backup_s"} & set(d["config"])
        assert d["config"]["ground_elevation_m"] == d["ground"]["elevation_m"]
        cfg = d["config"]
        if "main_deploy_m" in cfg:
            assert cfg["main_deploy_m"] < cfg["drogue_deploy_m"]
    assert any(d["faults"] for d in docs) and any(not d["faults"] for d in docs)


def test_chutes_are_sized_for_the_drawn_descent_rates(env):
    from host_tools.sim import physics

    doc = envelope.draw(env, 1, 0)
    m = doc["capsule"]["mass_kg"]
    cda = doc["capsule"]["cd_area_m2"] + doc["chutes"]["main"]["cd_area_m2"]
    v = physics.terminal_speed_m_s(m, cda, doc["ground"]["elevation_m"])
    assert 4.9 <= v <= 8.1


def test_the_written_scenario_is_the_drawn_flight(env, tmp_path):
    doc = envelope.draw(env, 9, 4)
    path = tmp_path / "f.toml"
    path.write_text(envelope.to_toml(doc, "a header\nover two lines"))
    assert tomllib.loads(path.read_text()) == doc
    sc = scenario.load(str(path))
    assert sc.run["seed"] == doc["run"]["seed"]
    assert sc.capsule == doc["capsule"]


def test_a_campaign_counts_violations_per_invariant_and_writes_each_violating_flight(tmp_path):
    summary = envelope.run_envelope(
        6, seed=4, out_dir=tmp_path, fleet=Fleet(workers=2, board=FakeBoard)
    )
    assert summary["flights"] == 6 and summary["errors"] == 0
    assert set(summary["per_invariant"]) == set(inv.NAMES)
    written = sorted(p.name for p in tmp_path.glob("envelope_4_*.toml"))
    assert len(written) == summary["violating_flights"]
    assert (tmp_path / "envelope.md").exists() and (tmp_path / "envelope.json").exists()
    for name in written:
        scenario.load(str(tmp_path / name))


def test_the_cli_rejects_a_bad_envelope_count(capsys):
    assert cli_main(["droptest", "--envelope", "0"]) == 2
    assert "--envelope N" in capsys.readouterr().err


# -- balloon-carried flights ---------------------------------------------------------------
def balloon_flights(env, seed=3, n=40):
    return [(i, d) for i in range(n) if "balloon" in (d := envelope.draw(env, seed, i))]


def test_balloon_flights_are_drawn_armed_on_the_ground_and_set_by_seed_and_index(env):
    flights = balloon_flights(env)
    assert flights
    b = env["balloon"]
    for i, doc in flights:
        assert envelope.draw(env, 3, i) == doc
        sc = envelope.scenario_of(doc)
        assert sc.balloon is not None and sc.expect["quiet_until_release"]
        assert sc.config["start_mode"] == "drop" and sc.sample_hz == envelope.BALLOON_SAMPLE_HZ
        assert b["ascent_rate_m_s"][0] <= sc.balloon.ascent_rate_m_s <= b["ascent_rate_m_s"][1]
        release_agl_m = sc.balloon.release_altitude_m - sc.ground["elevation_m"]
        assert b["release_agl_m"][0] <= release_agl_m <= b["release_agl_m"][1]
        assert doc["sensors"]["baro"]["part"] in b["baro_parts"]
        assert doc["balloon"]["release"] in b["releases"]
        # the board knows its ground, and its drogue deploys below the release
        assert doc["config"]["ground_elevation_m"] == sc.ground["elevation_m"]
        assert inv.effective_config(sc)["drogue_deploy_m"] <= release_agl_m
        # the run outlasts the climb by the envelope's descent limit
        assert sc.run["max_flight_s"] >= sc.balloon.release_s + env["run"]["max_flight_s"]


def test_a_balloon_flight_round_trips_through_its_scenario_file(env, tmp_path):
    _, doc = balloon_flights(env)[0]
    path = tmp_path / "b.toml"
    path.write_text(envelope.to_toml(doc, "a balloon flight"))
    assert tomllib.loads(path.read_text()) == doc
    sc = scenario.load(str(path))
    assert sc.balloon.release_s == envelope.scenario_of(doc).balloon.release_s
    assert sc.raw["sensors"]["baro"]["part"] == doc["sensors"]["baro"]["part"]


@pytest.mark.parametrize("kind", ["baro_dead", "baro_stuck", "accel_dead", "power_loss"])
def test_a_balloon_flights_timed_fault_falls_in_its_descent_after_the_release(env, kind):
    data = copy.deepcopy(env)
    data["mix"].update(reentry_fraction=0.0, balloon_fraction=1.0)
    data["faults"].update(fraction=1.0, double_fault_fraction=0.0, kinds=[kind])
    key = "power_loss_at_s" if kind == "power_loss" else kind + "_at_s"
    for i in range(3):
        doc = envelope.draw(data, 5, i)
        release_s = envelope.scenario_of(doc).balloon.release_s
        assert release_s <= doc["faults"][key] <= doc["run"]["max_flight_s"]


def test_a_campaign_of_balloon_flights_flies_them_and_counts_quiet_until_release(env, tmp_path):
    data = copy.deepcopy(env)
    data["mix"].update(reentry_fraction=0.0, balloon_fraction=1.0)
    path = tmp_path / "balloons.toml"
    path.write_text(envelope.to_toml(data))
    summary = envelope.run_envelope(
        2, seed=3, out_dir=tmp_path, fleet=Fleet(workers=1, board=FakeBoard), envelope_path=path
    )
    assert summary["errors"] == 0 and summary["outcomes"] == {"landed": 2}
    runs = json.loads((tmp_path / "envelope.json").read_text())["runs"]
    assert all("balloon" in r["description"] for r in runs)
    woke = sum("quiet_until_release" in r["violations"] for r in runs)
    assert summary["per_invariant"]["quiet_until_release"] == woke
