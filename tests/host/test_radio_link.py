"""The link model (sim/radio_link.py) against hand-computed cases, and the drop
test's receivers (droptest/receivers.py) on a flight: who hears the capsule."""

import copy
import json
import math

import pytest
import tomllib
from fake_board import FakeBoard, fly_cli_on_fake_boards
from scenario_variants import drone

from host_tools.droptest import receivers
from host_tools.droptest import runner as droptest
from host_tools.sim import physics, radio_link, scenario

# -- hand-computed references -------------------------------------------------------------


def test_radio_horizon_is_the_4_3_earth_rule_of_thumb():
    # d_km = 4.12 (sqrt(h1_m) + sqrt(h2_m)) is the textbook form of
    # sqrt(2 k R h) with k = 4/3: sqrt(2 * 4/3 * 6371.0088 km * 0.001 km) = 4.1217
    assert radio_link.horizon_m(2.0, 2.0) == pytest.approx(2 * 4121.7 * math.sqrt(2), rel=1e-4)
    # a capsule floating (0.3 m) and a team on a 2 m mast: about 8 km, ground to ground
    assert radio_link.horizon_m(0.3, 2.0) == pytest.approx(4121.7 * (0.5477 + 1.4142), rel=1e-3)
    # under the main at 2.5 km, the same mast: over 200 km
    assert radio_link.horizon_m(2500.0, 2.0) / 1000 == pytest.approx(206.09 + 5.83, abs=0.05)


@pytest.mark.parametrize(
    ("distance_m", "freq_hz", "loss_db"),
    [
        # FSPL = 20 log10(d_km) + 20 log10(f_MHz) + 32.448
        (1_000.0, 433_775_000.0, 0.0 + 52.7463 + 32.4478),
        (10_000.0, 433_775_000.0, 20.0 + 52.7463 + 32.4478),
        (10_000.0, 868_000_000.0, 20.0 + 58.7710 + 32.4478),
        (200_000.0, 868_000_000.0, 46.0206 + 58.7710 + 32.4478),
    ],
)
def test_free_space_loss_at_the_beacon_frequencies(distance_m, freq_hz, loss_db):
    assert radio_link.free_space_loss_db(distance_m, freq_hz) == pytest.approx(loss_db, abs=0.01)


@pytest.mark.parametrize(
    ("sf", "bw_hz", "freq_hz", "dbm"),
    [
        (12, 125000, 868e6, -136),  # datasheet RFS_L125_HF
        (7, 125000, 868e6, -123),
        (12, 125000, 433.775e6, -137),  # RFS_L125_LF
        (9, 250000, 868e6, -125),
        (10, 500000, 433.775e6, -128),
    ],
)
def test_sensitivity_per_spreading_factor_from_the_datasheet(sf, bw_hz, freq_hz, dbm):
    assert radio_link.sensitivity_dbm(sf, bw_hz, freq_hz) == dbm


def test_a_narrow_bandwidth_scales_from_125_khz_and_a_non_lora_one_is_a_clear_error():
    # UKHAS plan: SF11 at 20.8 kHz, 434 MHz: -135 + 10 log10(20.8 / 125) = -142.79
    assert radio_link.sensitivity_dbm(11, 20800, 434e6) == pytest.approx(-142.79, abs=0.01)
    with pytest.raises(radio_link.LinkError, match="SF11 at 100000 Hz"):
        radio_link.sensitivity_dbm(11, 100000, 434e6)
    with pytest.raises(radio_link.LinkError, match="SF13"):
        radio_link.sensitivity_dbm(13, 125000, 434e6)


def test_the_driver_defaults_are_the_lora_aprs_plan():
    """sx127x.SX127x's defaults and beacon.py's fallbacks are the plan radio_plan.py holds."""
    from mpy import run_mpy

    out = run_mpy(
        "import json, sx127x, beacon\n"
        "r = sx127x.SX127x(None, type('P', (), {'value': lambda s, v=None: 0})(), None, None,"
        " clock=1)\n"
        "print(json.dumps([r.freq_hz // 1000, r.sf, r.bw_hz, r.cr, r.sync_word, r.preamble, r.crc,"
        " r.tx_dbm, beacon.DEFAULT_SF, beacon.DEFAULT_BW_HZ, beacon.DEFAULT_CR]))"
    )
    got = json.loads(out.strip().splitlines()[-1])
    plan = radio_link.firmware_module("radio_plan").PLANS["lora_aprs"]
    want = [plan[k] for k in ("freq_khz", "sf", "bw_hz", "cr", "sync_word", "preamble", "crc")]
    tx = radio_link.firmware_module("radio_plan").BEACON_TX_DBM
    assert got == [*want, tx, plan["sf"], plan["bw_hz"], plan["cr"]]


def test_under_the_main_a_receiver_200_km_away_hears_and_one_at_250_km_does_not():
    beacon = radio_link.beacon_from_plan(freq_khz=433775)
    assert (beacon.sf, beacon.bw_hz, beacon.tx_dbm) == (12, 125000, 17.0)
    lat0, lon0 = -30.0, 136.0
    rx = radio_link.Receiver("far", lat0, lon0, antenna_height_m=2.0, gain_dbi=2.15)
    lat, lon = physics.destination(lat0, lon0, 200_000.0, 0.0)
    p = radio_link.path(beacon, rx, lat, lon, 2500.0)
    # 17 dBm + 0 dBi - FSPL(200 km, 433.775 MHz) + 2.15 dBi
    fspl = 46.0206 + 52.7463 + 32.4478
    assert p.line_of_sight and not p.ground_case
    assert p.rx_dbm == pytest.approx(17 - fspl + 2.15, abs=0.05)
    assert p.heard
    lat, lon = physics.destination(lat0, lon0, 250_000.0, 0.0)
    far = radio_link.path(beacon, rx, lat, lon, 2500.0)
    assert not far.line_of_sight and not far.heard


def test_on_the_ground_the_margin_applies_and_the_horizon_closes():
    beacon = radio_link.beacon_from_plan()
    rx = radio_link.Receiver("team", 0.0, 0.0, antenna_height_m=2.0, gain_dbi=0.0)
    lat, lon = physics.destination(0.0, 0.0, 5000.0, 0.0)
    near = radio_link.path(beacon, rx, lat, lon, 0.0)
    assert near.ground_case and near.line_of_sight
    fspl = radio_link.free_space_loss_db(near.slant_m, beacon.freq_hz)
    assert near.rx_dbm == pytest.approx(17 - fspl - radio_link.DEFAULT_GROUND_MARGIN_DB)
    lat, lon = physics.destination(0.0, 0.0, 9000.0, 0.0)
    assert not radio_link.path(beacon, rx, lat, lon, 0.0).heard  # past ~8.1 km


def test_time_on_air_is_the_firmware_formula():
    # SF12 / 125 kHz / CR 4:5, 8 preamble, CRC, 50 bytes, LDRO on:
    # T_sym = 32.768 ms; payload symbols 8 + ceil((400-48+28+16)/(4*10))*5 = 58;
    # (8 + 4.25 + 58) * 32.768 = 2301.9 ms
    assert radio_link.beacon_from_plan().airtime_ms(50) == 2302


# -- scenarios ----------------------------------------------------------------------------


def _with_receivers(sc, tables):
    raw = copy.deepcopy(sc.raw)
    raw["receivers"] = radio_link.receivers_from_table(tables)
    return scenario.Scenario(sc.name, sc.path, raw)


def _drone_toml_with(extra):
    text = scenario.find("drone_drop").read_text() + "\n" + extra
    return scenario.validate(tomllib.loads(text), "drone_rx.toml")


def test_bad_receiver_entries_name_the_key():
    with pytest.raises(scenario.ScenarioError, match=r"\[\[receivers\]\] #1 lat: missing"):
        _drone_toml_with("[[receivers]]\nlon = 1.0\n")
    with pytest.raises(scenario.ScenarioError, match=r"#2 gain_dbi: must be a number"):
        _drone_toml_with(
            "[[receivers]]\nlat = 0\nlon = 0\n[[receivers]]\nlat = 0\nlon = 0\ngain_dbi = 'high'\n"
        )
    with pytest.raises(scenario.ScenarioError, match="antenna_heigth_m: unknown key"):
        _drone_toml_with("[[receivers]]\nlat = 0\nlon = 0\nantenna_heigth_m = 3\n")
    with pytest.raises(scenario.ScenarioError, match=r"\[radio\] plan: 'fast' unknown"):
        _drone_toml_with("[radio]\nplan = 'fast'\n")
    ok = _drone_toml_with("[[receivers]]\nname = 'hill'\nlat = -30.9\nlon = 136.5\n")
    assert ok.receivers == [{"name": "hill", "lat": -30.9, "lon": 136.5}]


def test_the_nominal_scenario_ships_two_receivers():
    sc = scenario.load("nominal_leo")
    assert [r["name"] for r in sc.receivers] == ["ship", "shore"]


def test_a_receiver_5_km_from_the_landing_hears_the_capsule_on_the_ground_one_at_50_km_does_not():
    sc = drone()
    result = droptest.DropTest(sc, FakeBoard(), seed=1).run()
    lg = result.landing
    assert lg is not None
    near = physics.destination(lg.lat, lg.lon, 0.0, 5000.0)
    far = physics.destination(lg.lat, lg.lon, -50_000.0, 0.0)
    result.scenario = _with_receivers(
        sc,
        [
            {"name": "near", "lat": near[0], "lon": near[1], "antenna_height_m": 3.0},
            {"name": "far", "lat": far[0], "lon": far[1], "antenna_height_m": 10.0},
        ],
    )
    doc = result.report()
    by = {r["name"]: r for r in doc["receivers"]}
    sent = sum(1 for e in result.events if e.kind == "beacon")
    assert sent > 0
    for r in by.values():
        assert r["heard"] + r["missed"] == sent
    assert by["near"]["distance_to_landing_m"] == pytest.approx(5000.0, rel=0.01)
    assert by["far"]["distance_to_landing_m"] == pytest.approx(50_000.0, rel=0.01)
    assert by["near"]["hears_landing"] and not by["far"]["hears_landing"]
    first = by["near"]["first_heard_after_touchdown"]
    assert first["t_s"] >= lg.t_s and first["agl_m"] == 0.0
    assert by["far"]["first_heard_after_touchdown"] is None
    md = droptest.markdown_report(doc)
    assert "## Receivers" in md and "| near | 5.0 km |" in md
    summary = receivers.campaign_summary([doc["receivers"], doc["receivers"]])
    assert {s["name"]: s["fraction_hears_landing"] for s in summary} == {"near": 1.0, "far": 0.0}


def test_packets_on_air_at_once_collide():
    a = [{"t_s": 10.0, "airtime_ms": 2000}, {"t_s": 50.0, "airtime_ms": 2000}]
    b = [{"t_s": 11.5, "airtime_ms": 1000}, {"t_s": 52.0, "airtime_ms": 100}]
    assert receivers.overlapping(a, b) == 1  # 52.0 starts as 50.0 ends: no overlap


@pytest.mark.parametrize(
    ("rx_dbm", "snr", "freq_hz"),
    [
        (-95.0, 9.5, 433.775e6),
        (-128.25, -7.25, 433.775e6),
        (-60.0, 31.0, 868e6),
        (-130.0, -3.0, 868e6),
    ],
)
def test_packet_registers_read_back_through_the_firmware_formulas(rx_dbm, snr, freq_hz):
    from host_tools.paths import firmware_module

    ls = firmware_module("lora_signal")
    rssi_reg, snr_reg = radio_link.packet_registers(rx_dbm, snr, freq_hz)
    assert ls.snr_q4(snr_reg) / 4 == snr
    assert ls.rssi_q4(rssi_reg, snr_reg, int(freq_hz)) / 4 == pytest.approx(rx_dbm, abs=0.5)


def test_snr_is_over_the_noise_floor_of_the_bandwidth():
    # -174 + 10 log10(125 000) + 6 = -117.03 dBm
    assert radio_link.snr_db(-100.0, 125000) == pytest.approx(17.03, abs=0.01)


def test_a_campaign_says_for_each_receiver_how_many_landings_it_hears(tmp_path):
    from host_tools.droptest import mc

    sc = scenario.load("drone_drop")
    sc.raw["run"]["sample_hz"] = 25.0
    near = physics.destination(sc.start["lat"], sc.start["lon"], 0.0, 3000.0)
    far = physics.destination(sc.start["lat"], sc.start["lon"], 0.0, 200_000.0)
    sc.raw["receivers"] = radio_link.receivers_from_table(
        [
            {"name": "near", "lat": near[0], "lon": near[1]},
            {"name": "far", "lat": far[0], "lon": far[1], "antenna_height_m": 30.0},
        ]
    )
    runs = [mc.run_dispersed(sc.raw, sc.name, sc.path, 3, i, board=FakeBoard) for i in range(3)]
    summary = mc.summarise(sc, runs, 3)
    by = {r["name"]: r for r in summary["receivers"]}
    assert by["near"] == {
        "name": "near",
        "flights": 3,
        "hears_landing": 3,
        "fraction_hears_landing": 1.0,
    }
    assert by["far"]["hears_landing"] == 0 and by["far"]["fraction_hears_landing"] == 0.0
    mc.write_campaign(summary, runs, sc, tmp_path, plots=False)
    assert (
        "receiver near: hears the landing in 3 of 3 flights (100 %)"
        in (tmp_path / "monte_carlo.md").read_text()
    )


def test_the_ukhas_plan_is_assessed_with_its_own_sensitivity_and_time_on_air():
    sc = drone()
    result = droptest.DropTest(sc, FakeBoard(), seed=1).run()
    lg = result.landing
    near = physics.destination(lg.lat, lg.lon, 0.0, 2000.0)
    sc = _with_receivers(sc, [{"name": "near", "lat": near[0], "lon": near[1]}])
    sc.raw["radio"] = radio_link.radio_from_table({"plan": "ukhas", "tx_dbm": 10})
    result.scenario = sc
    doc = result.report()
    r = doc["receivers"][0]
    assert r["sensitivity_dbm"] == pytest.approx(-142.79, abs=0.01)
    assert doc["radio_link"]["bw_hz"] == 20800 and doc["radio_link"]["tx_dbm"] == 10.0
    assert r["hears_landing"]
    packets = receivers.sent_packets(result, receivers.beacon_of(sc))
    n = packets[0]["n_bytes"]
    # SF11, 20.8 kHz (d = 24), CR 4/8, LDRO on: T_sym = 2048 / 20 833 Hz = 98.3 ms
    sym = 8 + math.ceil((8 * n - 44 + 28 + 16) / (4 * (11 - 2))) * 8
    assert packets[0]["airtime_ms"] == math.ceil((8 + 4.25 + sym) * 2048 * 24 / 500)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["drone_drop", "--ground-station"], "needs a [[receivers]] entry"),
        (["nominal_leo", "--ground-station", "boat"], "no receiver 'boat' (have ship, shore)"),
    ],
)
def test_ground_station_input_errors_come_before_the_flight(argv, words, capsys, monkeypatch):
    from host_tools.cli import main as cli_main

    fly_cli_on_fake_boards(monkeypatch)
    assert cli_main(["droptest", *argv]) == 2
    assert words in capsys.readouterr().err
