"""Scenario files: the shipped library loads, and every mistake in a file is
an error that names the table and the key (and exits 2 from the CLI)."""

import copy

import numpy as np
import pytest
import tomllib

from host_tools.cli import main as cli_main
from host_tools.sim import scenario
from host_tools.sim.scenario import ScenarioError, validate

REQUIRED_LIBRARY = {
    "nominal_leo",
    "lunar_return",
    "drone_drop",
    "balloon_drop",
    "drogue_fail",
    "main_fail",
    "baro_stuck",
    "baro_dead",
    "baro_noisy",
    "accel_dead",
    "accel_inverted",
    "gnss_none",
    "power_loss",
    "reset_at_sea",
    "serial_noise",
}


def nominal():
    return tomllib.loads(scenario.find("nominal_leo").read_text())


def error_of(data):
    with pytest.raises(ScenarioError) as exc:
        validate(data, "test.toml")
    return str(exc.value)


def test_library_has_every_required_scenario_and_each_loads():
    names = set(scenario.library_names())
    assert REQUIRED_LIBRARY <= names
    for path in scenario.library():
        sc = scenario.load(path)
        assert sc.name == path.stem
        assert sc.description
        assert sc.expect, f"{path.name} has no expectations"
        for key in ("mass_kg", "cd_area_m2"):
            assert sc.capsule[key] > 0


def test_fault_scenarios_inject_their_fault():
    faults = {name: scenario.load(name).faults for name in REQUIRED_LIBRARY}
    assert faults["drogue_fail"]["drogue_fails"]
    assert faults["main_fail"]["main_fails"]
    assert "baro_stuck_at_s" in faults["baro_stuck"]
    assert "baro_dead_at_s" in faults["baro_dead"]
    assert faults["baro_noisy"]["baro_noise_pa"] > 0
    assert "accel_dead_at_s" in faults["accel_dead"]
    assert faults["accel_inverted"]["accel_mounting"] != "+x+y+z"
    assert faults["gnss_none"]["gnss_never_fix"]
    assert faults["power_loss"]["power_loss_at_s"]
    assert faults["reset_at_sea"]["gnss_dead_at_s"] < faults["reset_at_sea"]["power_loss_at_s"][0]
    assert faults["serial_noise"]["serial_garbage_per_s"] > 0
    inverted = scenario.load("accel_inverted").expect
    assert inverted["refuses_arm"] and inverted["no_fire"]
    power = scenario.load("power_loss").expect
    assert power["no_double_fire"] and power["main_fired"]


def test_load_accepts_a_bare_library_name_and_rejects_an_unknown_one():
    assert scenario.load("nominal_leo").name == "nominal_leo"
    assert scenario.load("nominal_leo.toml").name == "nominal_leo"
    with pytest.raises(ScenarioError, match="no_such_thing.*library"):
        scenario.load("no_such_thing")


@pytest.mark.parametrize(
    "table, key, value, words",
    [
        ("capsule", "mass_kg", -3.0, "[capsule] mass_kg: must be a number in (0, 100000], got -3"),
        ("capsule", "mass_kg", "heavy", "[capsule] mass_kg: must be a number"),
        ("capsule", "cd_area_m2", True, "[capsule] cd_area_m2"),
        ("start", "lat", 91.0, "[start] lat: must be a number in [-90, 90]"),
        ("start", "flight_path_deg", -120.0, "[start] flight_path_deg"),
        ("start", "utc", "yesterday", "[start] utc: must be an ISO 8601 time"),
        ("ground", "surface", "lava", "[ground] surface: must be one of 'sea', 'land'"),
        ("faults", "power_loss_at_s", "soon", "[faults] power_loss_at_s"),
        ("faults", "serial_corrupt_fraction", 2.0, "[faults] serial_corrupt_fraction"),
        ("faults", "accel_mounting", "+x+x+z", "[faults] accel_mounting"),
        ("faults", "drogue_fails", "yes", "[faults] drogue_fails: must be true or false"),
        ("expect", "main_fire_altitude_m", [3000.0, 2000.0], "[expect] main_fire_altitude_m"),
        (
            "expect",
            "main_fire_altitude_m",
            3000.0,
            "[expect] main_fire_altitude_m: must be [min, max]",
        ),
        ("run", "sample_hz", 0, "[run] sample_hz"),
    ],
)
def test_bad_values_are_errors_that_name_the_key(table, key, value, words):
    data = nominal()
    data.setdefault(table, {})[key] = value
    msg = error_of(data)
    assert msg.startswith("test.toml: ")
    assert words in msg


@pytest.mark.parametrize(
    "table, key",
    [
        ("capsule", "masss_kg"),
        ("start", "altitude_ft"),
        ("faults", "drogue_fail"),
        ("expect", "lands_softly"),
        ("run", "turbo"),
    ],
)
def test_unknown_keys_are_errors_that_name_the_key(table, key):
    data = nominal()
    data.setdefault(table, {})[key] = 1.0
    msg = error_of(data)
    assert f"[{table}] {key}: unknown key" in msg
    assert "allowed:" in msg


def test_unknown_tables_chutes_and_sensors_are_named():
    data = nominal()
    data["weather"] = {}
    assert "weather: unknown key or table" in error_of(data)
    data = nominal()
    data["chutes"]["pilot"] = {"cd_area_m2": 1.0, "inflation_s": 1.0}
    assert "[chutes.pilot]: unknown chute" in error_of(data)
    data = nominal()
    data["sensors"] = {"magnetometer": {}}
    assert "[sensors.magnetometer]: unknown sensor" in error_of(data)
    data = nominal()
    data["sensors"] = {"baro": {"noise_mbar": 1.0}}
    assert "[sensors.baro] noise_mbar: unknown key" in error_of(data)


def test_missing_required_keys_and_tables_are_named():
    data = nominal()
    del data["capsule"]["mass_kg"]
    assert "[capsule] mass_kg: missing (required)" in error_of(data)
    data = nominal()
    del data["start"]
    assert "[start]: missing table" in error_of(data)
    data = nominal()
    del data["chutes"]["main"]["inflation_s"]
    assert "[chutes.main] inflation_s: missing" in error_of(data)


def test_firmware_config_keys_come_from_the_firmware_and_unknown_ones_are_named():
    keys = scenario.firmware_config_keys()
    assert keys is not None and {"main_deploy_m", "start_mode", "accel_axes"} <= keys
    data = nominal()
    data["config"]["main_deploy_feet"] = 1000
    msg = error_of(data)
    assert "[config] main_deploy_feet: unknown firmware config key" in msg
    data = nominal()
    data["config"]["callsign"] = "A B\nC"
    assert "[config] callsign" in error_of(data)


def test_cross_field_rules():
    data = nominal()
    data["start"]["altitude_m"] = -10.0
    assert "[start] altitude_m: must be above [ground] elevation_m" in error_of(data)
    data = nominal()
    data["wind"]["speed_m_s"] = [1.0]
    assert "[wind] speed_m_s: must have as many values as altitude_m" in error_of(data)
    data = nominal()
    data["wind"]["altitude_m"] = [0.0, 0.0, 1.0, 2.0, 3.0, 4.0]
    assert "[wind] altitude_m: must be strictly increasing" in error_of(data)
    data = nominal()
    del data["chutes"]["drogue"]
    assert "[expect] drogue_fired: the scenario has no [chutes.drogue]" in error_of(data)


def test_config_commands_carry_the_ground_elevation_then_the_file_order():
    sc = scenario.load("balloon_drop")
    cmds = sc.config_commands()
    assert cmds[0] == "config set ground_elevation_m 1300"
    assert cmds[1:] == [
        "config set start_mode drop",
        "config set main_deploy_m 1000",
        "config set landed_s 10",
    ]
    assert scenario.config_value_text(True) == "1"
    assert scenario.config_value_text(2500.0) == "2500"
    assert scenario.config_value_text(2.5) == "2.5"


def test_stand_is_at_the_start_for_a_drop_and_on_the_ground_for_an_entry():
    assert scenario.load("drone_drop").stand_altitude_m == 1150.0
    assert scenario.load("nominal_leo").stand_altitude_m == 0.0


def test_dispersed_copies_are_reproducible_different_and_valid():
    sc = scenario.load("nominal_leo")
    raw_before = copy.deepcopy(sc.raw)
    a = sc.dispersed(np.random.default_rng(7))
    b = sc.dispersed(np.random.default_rng(7))
    c = sc.dispersed(np.random.default_rng(8))
    assert sc.raw == raw_before  # the original is untouched
    assert a.raw == b.raw
    assert a.raw != c.raw
    assert a.capsule["mass_kg"] != sc.capsule["mass_kg"]
    assert a.raw["wind"]["speed_m_s"] != sc.raw["wind"]["speed_m_s"]
    a.make_flight()
    a.make_sensors(1)


def test_cli_exits_2_naming_the_key_for_a_bad_file(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        scenario.find("drone_drop").read_text().replace("mass_kg = 12.0", "mass_kg = -1")
    )
    assert cli_main(["droptest", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml: [capsule] mass_kg: must be a number in (0, 100000], got -1" in err
    bad.write_text("[capsule\n")
    assert cli_main(["droptest", str(bad)]) == 2
    assert "not valid TOML" in capsys.readouterr().err
    assert cli_main(["droptest", str(tmp_path / "missing.toml")]) == 2
