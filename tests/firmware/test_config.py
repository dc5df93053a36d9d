"""config.json schema and checks (firmware/config.py), run on MicroPython."""

import json
from pathlib import Path

import pytest
from mpy import SCRIPTS, run_mpy


def _mpy_json(code, **paths):
    """Run code after `import config, json`; $NAME is replaced by repr(str(path))."""
    for name, path in paths.items():
        code = code.replace("$" + name, repr(str(path)))
    return json.loads(run_mpy("import config, json\n" + code).strip().splitlines()[-1])


SCHEMA = _mpy_json(
    "print(json.dumps([[r[0], r[1], r[2], r[3] if r[1] != 'enum' else list(r[3]), r[4]]"
    " for r in config.SCHEMA]))"
)
KEYS = [row[0] for row in SCHEMA]
REQUIRED = [
    "start_mode",
    "entry_g",
    "entry_ms",
    "drop_speed_m_s",
    "drogue_deploy_m",
    "drogue_max_speed_m_s",
    "drogue_backup_s",
    "main_deploy_m",
    "main_backup_s",
    "main_debounce_n",
    "drogue_fail_speed_m_s",
    "drogue_fail_s",
    "landed_s",
    "fire_pulse_ms",
    "ground_elevation_m",
    "accel_axes",
    "sample_hz",
    "callsign",
    "ssid",
    "lora_freq_khz",
    "duty_cycle_permille",
    "beacon_descent_s",
    "beacon_landed_s",
    "beacon_slow_s",
    "beacon_slow_after_s",
    "batt_low_mv",
]


def test_schema_has_every_key_the_firmware_relies_on_with_the_agreed_beacon_defaults():
    by_key = {row[0]: row for row in SCHEMA}
    for key in REQUIRED:
        assert key in by_key, key
    assert by_key["callsign"][2] == "N0CALL" and by_key["callsign"][4] == 6
    assert by_key["ssid"][2] == 11 and (by_key["ssid"][3], by_key["ssid"][4]) == (0, 15)
    assert by_key["lora_freq_khz"][2] == 433775
    assert by_key["duty_cycle_permille"][2] == 100  # 10 % in the EU 433 MHz band
    assert (by_key["beacon_descent_s"][2], by_key["beacon_landed_s"][2]) == (5, 30)
    assert (by_key["beacon_slow_s"][2], by_key["beacon_slow_after_s"][2]) == (120, 3600)
    assert by_key["batt_low_mv"][2] == 3500
    assert by_key["start_mode"][3] == ["reentry", "drop"]


def test_missing_file_gives_valid_defaults_and_no_errors(tmp_path):
    out = _mpy_json(
        "cfg, errors = config.load($P)\n"
        "print(json.dumps([errors, config.validate(config.to_dict(cfg)), cfg.main_deploy_cm,"
        " cfg.drogue_deploy_cm, cfg.entry_mg, cfg.fire_pulse_ms]))",
        P=tmp_path / "none.json",
    )
    errors, revalidated, main_cm, drogue_cm, entry_mg, pulse = out
    assert errors == [] and revalidated == []
    assert 0 < main_cm < drogue_cm
    assert entry_mg == 3000 and pulse > 0


def _bad_values(row):
    _, kind, _, lo, hi = row
    if kind in ("int", "float"):
        bad = [lo - 1, hi + 1, "12", None, True]
        return bad + [lo + 0.5] if kind == "int" else bad
    if kind == "enum":
        return ["nonsense", None, 3.5]
    if kind == "str":
        return ["", "X" * (hi + 1), "ab c", 7]
    return ["+x+x+z", "xyz", "+x+y+w", "", 1]  # axes


def test_out_of_range_and_wrong_type_values_are_rejected_naming_the_key():
    cases = [{row[0]: v} for row in SCHEMA for v in _bad_values(row)]
    cases += [{row[0]: row[2]} for row in SCHEMA]  # each default alone is valid
    results = _mpy_json(
        f"print(json.dumps([config.validate(d) for d in json.loads({json.dumps(cases)!r})]))"
    )
    by_key = {row[0]: row for row in SCHEMA}
    for case, errors in zip(cases, results):
        ((key, value),) = case.items()
        _, kind, default, lo, hi = by_key[key]
        if value == default and type(value) is type(default):
            assert errors == [], (key, value, errors)
            continue
        assert len(errors) == 1, (key, value, errors)
        assert errors[0].startswith(key + ":"), errors
        if kind in ("int", "float"):
            assert f"{lo}..{hi}" in errors[0], errors  # the allowed range is named


def test_fire_pulse_of_zero_and_main_above_drogue_are_rejected():
    errors = _mpy_json(
        "print(json.dumps(config.validate({'fire_pulse_ms': 0, 'main_deploy_m': 5000,"
        " 'drogue_deploy_m': 4000})))"
    )
    assert any(e.startswith("fire_pulse_ms:") and "10..5000" in e for e in errors), errors
    assert any(e.startswith("main_deploy_m:") and "drogue_deploy_m" in e for e in errors), errors
    # equal heights are inconsistent too: the main deploys below the drogue
    errors = _mpy_json(
        "print(json.dumps(config.validate({'main_deploy_m': 3000, 'drogue_deploy_m': 3000})))"
    )
    assert len(errors) == 1 and "main_deploy_m" in errors[0]


def test_unknown_keys_are_rejected():
    errors = _mpy_json("print(json.dumps(config.validate({'main_deploy': 300})))")
    assert errors == [errors[0]] and errors[0].startswith("main_deploy:") and "unknown" in errors[0]


def test_a_bad_file_keeps_defaults_for_the_bad_keys_and_reports_each(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(
        json.dumps(
            {
                "main_deploy_m": 800,  # valid: taken
                "drogue_backup_s": -3,  # out of range: default kept
                "callsign": "TOOLONGCALL",  # too long: default kept
                "colour": "red",  # unknown
            }
        )
    )
    out = _mpy_json(
        "cfg, errors = config.load($P)\n"
        "print(json.dumps([errors, cfg.main_deploy_m, cfg.drogue_backup_s, cfg.callsign,"
        " cfg.errors == errors]))",
        P=path,
    )
    errors, main_m, backup_s, callsign, same = out
    assert main_m == 800 and backup_s == 720 and callsign == "N0CALL" and same
    assert sorted(e.split(":")[0] for e in errors) == ["callsign", "colour", "drogue_backup_s"]


def test_an_inconsistent_file_falls_back_to_defaults_for_both_keys(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"main_deploy_m": 9000, "drogue_deploy_m": 5000}))
    errors, main_m, drogue_m = _mpy_json(
        "cfg, errors = config.load($P)\n"
        "print(json.dumps([errors, cfg.main_deploy_m, cfg.drogue_deploy_m]))",
        P=path,
    )
    assert len(errors) == 1 and "main_deploy_m" in errors[0] and "drogue_deploy_m" in errors[0]
    assert (main_m, drogue_m) == (2000, 10000)


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", ""])
def test_an_unreadable_file_gives_defaults_and_an_error(tmp_path, text):
    path = tmp_path / "config.json"
    path.write_text(text)
    errors, main_m = _mpy_json(
        "cfg, errors = config.load($P)\nprint(json.dumps([errors, cfg.main_deploy_m]))", P=path
    )
    assert len(errors) == 1 and errors[0].startswith("config:") and main_m == 2000


def test_set_value_parses_checks_and_leaves_the_config_unchanged_on_error():
    steps = [  # key, text, what to read afterwards
        ("main_deploy_m", "1500", ["main_deploy_cm"]),
        ("main_deploy_m", "high", None),
        ("main_deploy_m", "20000", None),
        ("main_deploy_m", "12000", None),
        ("drogue_deploy_m", "1000", ["main_deploy_m"]),
        ("entry_g", "4.5", ["entry_mg"]),
        ("sample_hz", "50", ["sample_hz"]),
        ("sample_hz", "60", None),
        ("start_mode", "drop", ["reentry_mode"]),
        ("callsign", "dl1abc", ["callsign"]),
        ("accel_axes", "-z+y+x", ["axis_x_src", "axis_x_sign", "axis_z_src", "axis_z_sign"]),
        ("nope", "1", None),
    ]
    out = json.loads(run_mpy(file=SCRIPTS / "config_set_values.py", stdin=json.dumps(steps)))
    assert out[0] is None and out[1] == 150000
    assert out[2].startswith("main_deploy_m:") and "50..10000" in out[2]
    assert out[3].startswith("main_deploy_m:") and "50..10000" in out[3]
    assert out[4].startswith("main_deploy_m:")  # 12000 > max
    assert out[5].startswith("drogue_deploy_m:") and "main_deploy_m" in out[5]
    assert out[6] == 1500  # unchanged by the refused values
    assert out[7] is None and out[8] == 4500
    assert out[9] is None and out[10] == 50
    assert out[11].startswith("sample_hz:")
    assert out[12] is None and out[13] is False
    assert out[14] is None and out[15] == "DL1ABC"
    assert out[16] is None and out[17] == [2, -1, 0, 1]
    assert out[18].startswith("nope:")


def test_set_value_clears_the_load_error_of_that_key(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"landed_s": 0}))
    before, after = _mpy_json(
        "cfg, errors = config.load($P)\nb = list(cfg.errors)\n"
        "config.set_value(cfg, 'landed_s', '15')\nprint(json.dumps([b, cfg.errors]))",
        P=path,
    )
    assert len(before) == 1 and after == []


def test_save_is_atomic_and_round_trips(tmp_path):
    path = tmp_path / "config.json"
    out = _mpy_json(
        "import os\n"
        "cfg, _ = config.load($P)\n"
        "config.set_value(cfg, 'main_deploy_m', '1234')\n"
        "config.set_value(cfg, 'callsign', 'AB1CD')\n"
        "config.save(cfg, $P)\n"
        "cfg2, errors = config.load($P)\n"
        "print(json.dumps([errors, config.as_items(cfg2) == config.as_items(cfg),"
        " sorted(os.listdir($D)), config.config_hash(cfg) == config.config_hash(cfg2)]))",
        P=path,
        D=tmp_path,
    )
    errors, same, files, same_hash = out
    assert errors == [] and same and same_hash
    assert files == ["config.json"]  # the temporary file was renamed over it
    assert json.loads(path.read_text())["main_deploy_m"] == 1234


def test_save_replaces_an_existing_file_and_clears_load_errors(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{broken")
    errors_before, errors_after, text_ok = _mpy_json(
        "cfg, e = config.load($P)\nb = list(e)\nconfig.save(cfg, $P)\n"
        "cfg2, e2 = config.load($P)\nprint(json.dumps([b, cfg.errors + e2, True]))",
        P=path,
    )
    assert len(errors_before) == 1 and errors_after == [] and text_ok


def test_config_hash_is_a_32_bit_int_that_follows_the_values():
    h1, h2, h3 = _mpy_json(
        "cfg, _ = config.load('/none.json')\nh1 = config.config_hash(cfg)\n"
        "config.set_value(cfg, 'landed_s', '21')\nh2 = config.config_hash(cfg)\n"
        "config.set_value(cfg, 'landed_s', '20')\nh3 = config.config_hash(cfg)\n"
        "print(json.dumps([h1, h2, h3]))"
    )
    assert all(isinstance(h, int) and 0 <= h < 2**32 for h in (h1, h2, h3))
    assert h1 == h3 != h2


def test_as_items_lists_every_key_in_schema_order():
    items = _mpy_json("cfg, _ = config.load('/none.json')\nprint(json.dumps(config.as_items(cfg)))")
    assert [k for k, _ in items] == KEYS


def test_the_sequencer_refuses_to_arm_on_an_invalid_config_and_names_the_key(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"main_backup_s": 0}))
    out = run_mpy(
        """
import config
from flight_helpers import Capsule, Rig
cfg, errors = config.load($P)
cap = Capsule(h=0.0)
cap.stand = True
rig = Rig(cfg, cap, $R)
rig.settle_on_stand(2.5)
print(rig.fc.arm())
print(rig.fc.phase, rig.bank.armed)
""".replace("$P", repr(str(path))).replace("$R", repr(str(tmp_path / "rec"))),
        extra_path=[str(Path(__file__).resolve().parents[1] / "support")],
    )
    reason, state = out.strip().splitlines()
    assert "main_backup_s" in reason and "1..3600" in reason
    assert state == "0 False"


# The beacon's radios as the firmware has them: the virtual board's (no
# airtime_ms: the beacon's LoRa APRS fallback, SF12 / 125 kHz), an Iridium
# modem (no duty-cycle rule) and an SX127x at SF7 (short packets).
RADIOS = """
import hw_sim, iridium, sx127x
class Pin:
    def value(self, v=None):
        return 1
RADIOS = {
    "sim": hw_sim.SimRadio(None),
    "iridium": iridium.Iridium(None, None),
    "sx127x_sf7": sx127x.SX127x(None, Pin(), Pin(), None, object(), sf=7),
}
"""


def _duty_errors(cases):
    """validate() of each (settings, radio name or None) case."""
    return _mpy_json(
        RADIOS + f"cases = json.loads({json.dumps(cases)!r})\n"
        "print(json.dumps([config.validate(d, RADIOS.get(r)) for d, r in cases]))"
    )


def test_a_duty_cycle_too_short_for_one_beacon_packet_is_rejected_with_the_numbers():
    cases = [
        ({"duty_cycle_permille": 1}, "sim"),  # 0.1 %: 3.6 s an hour, SF12 packets ~4 s
        ({"duty_cycle_permille": 2}, "sim"),  # 7.2 s an hour: the neighbour that fits
        ({"duty_cycle_permille": 10}, "sim"),  # 1 %, the EU 868 MHz g1 sub-band
        ({"duty_cycle_permille": 1}, "iridium"),  # no duty-cycle rule
        ({"duty_cycle_permille": 1}, "sx127x_sf7"),  # the board's radio, not the fallback
        ({"duty_cycle_permille": 1}, None),  # no radio: no beacon to check
    ]
    results = _duty_errors(cases)
    refused, *accepted = results
    assert accepted == [[]] * 5, accepted
    assert len(refused) == 1, refused
    msg = refused[0]
    assert msg.startswith("duty_cycle_permille:"), msg
    # the packet's time on air against the hour's budget, and the way out
    air_ms = int(msg.split(" ms on air")[0].split()[-1])
    assert 3600 < air_ms < 7200, msg
    assert "3600 ms an hour" in msg and "at least 2" in msg, msg
    assert "callsign N0CALL ssid 11" in msg, msg


def test_the_rejected_packet_time_is_the_beacon_airtime_of_the_longest_packet():
    """The bytes and milliseconds the message names are the beacon's own
    formula's for the longest packet its format builds (a sequence number,
    age and battery at their widest, a negative position and altitude)."""
    out = _mpy_json(
        RADIOS
        + """
import beacon, beacon_airtime, beacon_duty
n, air = beacon_duty.longest_packet(config.Config(), RADIOS["sim"])
print(json.dumps([n, air, beacon_airtime.airtime_ms(n, 12, 125000, 5),
                  config.validate({"duty_cycle_permille": 1}, RADIOS["sim"])]))
"""
    )
    n, air, formula, (msg,) = out
    assert air == formula and f"({n} bytes" in msg and f"is {air} ms on air" in msg
    # N0CALL-11 with every field at its widest: header 28 + body 79 bytes
    assert n == 107


def test_a_file_whose_beacon_cannot_fit_its_duty_cycle_loads_with_the_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"duty_cycle_permille": 1, "callsign": "VK2ABC"}))
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"duty_cycle_permille": 10, "callsign": "VK2ABC"}))
    out = _mpy_json(
        RADIOS + "out = []\n"
        "for p in ($B, $G):\n"
        "    cfg, errors = config.load(p, RADIOS['sim'])\n"
        "    out.append([errors, cfg.duty_cycle_permille, cfg.callsign])\n"
        "print(json.dumps(out))",
        B=bad,
        G=good,
    )
    (errors, permille, call), good_load = out
    assert len(errors) == 1 and errors[0].startswith("duty_cycle_permille:"), errors
    assert "callsign VK2ABC" in errors[0]
    assert permille == 100 and call == "VK2ABC"  # the rejected key at its default, never flown
    assert good_load == [[], 10, "VK2ABC"]
    # no file: the defaults (10 %) are checked too, here on a radio with
    # packets of minutes
    (error,) = _mpy_json(
        """
class Slow:
    kind = "lora"
    def airtime_ms(self, n):
        return 4000 * n
cfg, errors = config.load("/none.json", Slow())
print(json.dumps(errors))
"""
    )
    assert error.startswith("duty_cycle_permille:") and "360000 ms an hour" in error, error


def test_config_set_refuses_a_duty_cycle_or_callsign_the_beacon_cannot_fit_naming_the_key():
    """With a radio whose packets just fit 0.1 % with a short source
    address, a longer callsign or SSID is refused (the message starts with
    the key typed and names duty_cycle_permille), as is 0.1 % with the longer
    one; the refused value is never taken."""
    out = _mpy_json(
        """
class Radio:  # 34 ms a byte: the longest N0CALL-11 packet (107 bytes) is 3638 ms
    kind = "lora"
    def airtime_ms(self, n):
        return 34 * n
r = Radio()
cfg, _ = config.load("/none.json", r)
out = []
for key, text in (("callsign", "AB"), ("duty_cycle_permille", "1"), ("callsign", "N0CALL"),
                  ("ssid", "0"), ("callsign", "N0CALL"), ("ssid", "11"),
                  ("duty_cycle_permille", "2"), ("ssid", "11"), ("duty_cycle_permille", "1"),
                  ("main_deploy_m", "1500")):
    out.append([config.set_value(cfg, key, text, r), cfg.callsign, cfg.ssid,
                cfg.duty_cycle_permille])
print(json.dumps(out))
"""
    )
    assert [row[1:] for row in out] == [
        ["AB", 11, 100],
        ["AB", 11, 1],  # AB-11: 103 bytes, 3502 ms of the 3600
        ["AB", 11, 1],  # refused
        ["AB", 0, 1],
        ["N0CALL", 0, 1],  # N0CALL: 104 bytes, 3536 ms
        ["N0CALL", 0, 1],  # refused
        ["N0CALL", 0, 2],
        ["N0CALL", 11, 2],
        ["N0CALL", 11, 2],  # refused
        ["N0CALL", 11, 2],
    ]
    errors = [row[0] for row in out]
    refused = {2: "callsign", 5: "ssid", 8: "duty_cycle_permille"}
    for i, err in enumerate(errors):
        if i not in refused:
            assert err is None, (i, err)
            continue
        assert err.startswith(refused[i] + ":"), err
        assert "3638 ms on air" in err and "3600 ms an hour" in err, err
        assert "duty_cycle_permille 1" in err and "callsign N0CALL ssid 11" in err, err
