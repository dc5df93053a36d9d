"""`capsule config check`, `flash --config` and `--dry-run`, and a drop-test
scenario's [config]: a file the firmware's schema rejects is refused on the
host, every bad key named at once, exit 2, before anything reaches a board."""

import json
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from host_tools.sim import scenario

BIN = Path(sys.executable).parent
SCENARIOS = Path(__file__).resolve().parents[2] / "host_tools" / "scenarios"


def capsule(*args, timeout=60):
    return subprocess.run(
        [str(BIN / "capsule"), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


BAD = {
    "out of range": ({"main_deploy_m": 12000}, ["main_deploy_m"]),
    "string for an integer": ({"main_deploy_m": "400"}, ["main_deploy_m"]),
    "unknown key": ({"main_deploy_feet": 1300}, ["main_deploy_feet"]),
    # 0.1 %: 3.6 s on air an hour, less than one SF12 packet
    "duty cycle too short for a beacon packet": (
        {"duty_cycle_permille": 1},
        ["duty_cycle_permille"],
    ),
    "several at once": (
        {"main_deploy_m": 12000, "drogue_deploy_m": "400", "colour": "red", "callsign": "a b"},
        ["main_deploy_m", "drogue_deploy_m", "colour", "callsign"],
    ),
}


def write(tmp_path, data):
    path = tmp_path / "my.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("case", sorted(BAD))
def test_config_check_names_every_bad_key_and_exits_2(tmp_path, case):
    data, keys = BAD[case]
    r = capsule("config", "check", str(write(tmp_path, data)))
    assert r.returncode == 2, r.stdout + r.stderr
    for key in keys:
        assert f"\n  {key}:" in r.stderr, (key, r.stderr)
    assert f"{len(keys)} problem" in r.stderr


def test_config_check_passes_a_good_file_and_knows_the_board(tmp_path):
    path = write(tmp_path, {"main_deploy_m": 400, "start_mode": "drop", "callsign": "VK2ABC"})
    r = capsule("config", "check", str(path), "--board", "pico")
    assert r.returncode == 0, r.stderr
    assert "ok for board pico" in r.stdout
    r = capsule("config", "check", str(path), "--board", "no_such_board")
    assert r.returncode == 2 and "board 'no_such_board' unknown" in r.stderr


def test_config_check_refuses_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "my.json"
    path.write_text("{main_deploy_m: 400")
    r = capsule("config", "check", str(path))
    assert r.returncode == 2 and "not valid JSON" in r.stderr


@pytest.mark.parametrize("case", sorted(BAD))
def test_flash_dry_run_refuses_a_bad_config_naming_every_key(tmp_path, case):
    data, keys = BAD[case]
    r = capsule("flash", "--board", "pico", "--dry-run", "--config", str(write(tmp_path, data)))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "would copy" not in r.stdout
    assert all(f"\n  {key}:" in r.stderr for key in keys), r.stderr
    good = write(tmp_path, {"main_deploy_m": 400})
    r = capsule("flash", "--board", "pico", "--dry-run", "--config", str(good))
    assert r.returncode == 0 and "config.json" in r.stdout, r.stderr


def test_flash_refuses_a_bad_config_before_touching_the_board(tmp_path):
    data, keys = BAD["several at once"]
    r = capsule(
        "flash", "--port", str(tmp_path / "no-port"), "--config", str(write(tmp_path, data))
    )
    assert r.returncode == 2
    assert all(f"\n  {key}:" in r.stderr for key in keys), r.stderr
    assert "no such port" not in r.stderr  # the file was refused first


def _scenario_with(tmp_path, **config):
    text = (SCENARIOS / "drone_drop.toml").read_text()
    body = "".join(f"{k} = {json.dumps(v)}\n" for k, v in config.items())
    if "[config]" in text:
        text = text.replace("[config]\n", "[config]\n" + body, 1)
        for k in config:  # the scenario's own line for the key goes
            lines = text.splitlines(keepends=True)
            first = next(i for i, line in enumerate(lines) if line.startswith(f"{k} ="))
            text = "".join(
                line
                for i, line in enumerate(lines)
                if not (line.startswith(f"{k} =") and i != first)
            )
    else:
        text += "\n[config]\n" + body
    path = tmp_path / "bad_config.toml"
    path.write_text(text)
    return path


def test_a_scenario_config_the_board_would_reject_is_bad_input(tmp_path):
    path = _scenario_with(tmp_path, main_deploy_m="400")
    with pytest.raises(scenario.ScenarioError) as exc:
        scenario.load(path)
    assert "main_deploy_m" in str(exc.value) and "not an integer" in str(exc.value)
    path = _scenario_with(tmp_path, main_deploy_m=12000, landed_s=0)
    msg = str(pytest.raises(scenario.ScenarioError, scenario.load, path).value)
    assert "main_deploy_m" in msg and "landed_s" in msg and "2 settings" in msg
    for path in sorted(SCENARIOS.glob("*.toml")):  # the library passes the same check
        if path.name not in scenario.NOT_SCENARIOS:
            scenario.load(path)


def test_droptest_with_a_rejected_scenario_config_exits_2_without_flying(tmp_path):
    path = _scenario_with(tmp_path, main_deploy_m="400")
    r = capsule("droptest", str(path), "--out", str(tmp_path / "out"), "--no-plots")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "main_deploy_m" in r.stderr
    assert not (tmp_path / "out" / "report.json").exists()


def test_diff_and_board_values_follow_the_schema_types():
    from host_tools import config_file

    board = config_file.from_board({"main_deploy_m": "400", "entry_g": "3.0", "callsign": "VK2X"})
    assert board == {"main_deploy_m": 400, "entry_g": 3.0, "callsign": "VK2X"}
    want = config_file.effective({"main_deploy_m": 400, "entry_g": 3})
    changes = config_file.diff({**config_file.defaults(), **board}, want)
    assert changes == [("callsign", "VK2X", "N0CALL")]


def test_the_host_times_beacon_packets_as_every_flight_boards_radio_does():
    """The host checks the beacon's duty cycle on the virtual board's radio,
    which times packets on the LoRa APRS channel (the beacon's fallback:
    SF12 / 125 kHz, CR 4/5, 8 preamble symbols). Every flight board's SX127x
    keeps the driver's defaults, which are that channel, for everything that
    sets a packet's time on air; a board that sets one of them needs the
    host check to learn its radio first."""
    from host_tools.paths import BOARDS_DIR

    airtime_keys = {"sf", "bw_hz", "cr", "preamble", "crc"}
    radios = {}
    for path in sorted(BOARDS_DIR.glob("*.py")):
        board = runpy.run_path(str(path))["BOARD"]
        radio = board.get("radio")
        ground = "take" in board or board.get("role") == "ground"  # they listen, never beacon
        if radio and not ground:
            radios[path.stem] = radio
            assert radio["driver"] in ("sim", "sx127x"), (path.name, radio)
            assert not airtime_keys & set(radio), (path.name, radio)
    assert sorted(radios) == ["pico", "sim", "tbeam"]


def test_preflight_says_no_go_when_the_beacon_cannot_fit_a_packet_in_the_duty_cycle():
    """A board that reports such settings (a firmware from before the check
    refused them) gets the firmware's own verdict and numbers."""
    from host_tools import config_file
    from host_tools.board import preflight

    def beacon_item(**cfg):
        items = preflight._radio_items(config_file.effective({"callsign": "VK2ABC", **cfg}))
        return next(i for i in items if i.name == "beacon")

    item = beacon_item(duty_cycle_permille=1)
    assert item.status == preflight.NO_GO and "duty_cycle_permille" in item.todo
    assert item.detail == config_file.beacon_duty_error(
        {"duty_cycle_permille": 1, "callsign": "VK2ABC"}
    )
    assert "ms on air, more than the 3600 ms an hour" in item.detail
    assert beacon_item(duty_cycle_permille=10).status == preflight.GO
