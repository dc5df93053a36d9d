"""Envelope campaigns: the envelope file is validated key by key, a flight
is fully set by (seed, index), its scenario file flies it again, and a
campaign counts violations per invariant (fake board: no MicroPython)."""

import copy

import pytest
import tomllib

from host_tools import droptest_envelope as envelope
from host_tools import droptest_invariants as inv
from host_tools import scenario
from host_tools.cli import main as cli_main


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
    kinds = {d["config"]["start_mode"] for d in docs}
    assert kinds == {"reentry", "drop"}
    for d in docs:
        assert not {"drogue_backup_s", "main_backup_s"} & set(d["config"])
        assert d["config"]["ground_elevation_m"] == d["ground"]["elevation_m"]
        cfg = d["config"]
        if "main_deploy_m" in cfg:
            assert cfg["main_deploy_m"] < cfg["drogue_deploy_m"]
    assert any(d["faults"] for d in docs) and any(not d["faults"] for d in docs)


def test_chutes_are_sized_for_the_drawn_descent_rates(env):
    from host_tools import physics

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
    summary = envelope.run_envelope(6, seed=4, workers=2, out_dir=tmp_path, board="fake")
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
