"""Flights at the edge of the envelope that today's sequencer gets wrong,
each a shipped scenario with one change, flown on the virtual board with the
real firmware and judged by the flight-envelope invariants
(host_tools/droptest/invariants.py). They pin what the sequencer must do;
the last one checks the simulator itself at the envelope's edge.

The envelope sample at the end flies 24 flights drawn over the whole
envelope (fixed seed) and wants no violation at all.
"""

from pathlib import Path

import pytest
from scenario_variants import shipped

from host_tools.droptest import envelope as droptest_envelope
from host_tools.droptest import invariants as inv
from host_tools.droptest import runner as droptest
from host_tools.droptest.campaign import Fleet
from host_tools.sim import scenario

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

NO_TIMERS = {"drogue_backup_s": None, "main_backup_s": None}


def fly(sc, seed=5):
    sc.raw["expect"] = {}  # judged by the invariants only
    return droptest.run_scenario(sc, seed=seed, plots=False, reuse_flash=True)


def held(result, *names):
    """The named invariants applied and held (else their details)."""
    by_name = {e["name"]: e for e in result.invariants}
    bad = {n: by_name[n] for n in names if not (by_name[n]["applies"] and by_name[n]["passed"])}
    assert not bad, bad


# 1. nothing fires inside the entry pulse
@pytest.mark.parametrize("seed", [0, 5])
def test_a_heavier_lunar_return_capsule_does_not_fire_its_drogue_in_the_entry_pulse(seed):
    # whether the sensor noise lets the drogue out in the pulse depends on
    # the seed: flown with two
    sc = shipped("lunar_return", capsule={"mass_kg": 50.0})
    held(fly(sc, seed), "drogue_mach")


def test_a_drogue_set_for_30_km_does_not_fire_in_the_entry_pulse_of_a_leo_return():
    sc = shipped("nominal_leo", config={"drogue_deploy_m": 30000, "main_deploy_m": 2700})
    held(fly(sc), "drogue_mach", "main_mach")


# 2. backup timers only back up; nothing fires in vacuum
def test_a_leo_return_on_the_default_timers_fires_both_chutes_on_the_barometer():
    sc = shipped("nominal_leo", config=NO_TIMERS)
    held(fly(sc), "no_backup_timer_leads", "main_at_deploy_height", "drogue_mach")


def test_a_lunar_entry_that_skips_back_out_fires_nothing_in_vacuum():
    # 11.5 km/s at -5 deg: down to ~73 km, then out of the atmosphere for good
    sc = shipped("lunar_return", start={"speed_m_s": 11500.0, "flight_path_deg": -5.0})
    result = fly(sc)
    assert result.outcome == "skipped_out"
    held(result, "drogue_mach", "main_mach")
    assert result.fires() == []


# 3. a failed drogue does not bring the main out kilometres high
def test_after_a_drogue_failure_the_main_still_opens_at_main_deploy_m():
    held(fly(shipped("drogue_fail")), "main_at_deploy_height", "touchdown_speed")


# 4. landing detected and beacon on, whatever the phase
def test_a_dead_baro_after_a_failed_drogue_still_detects_landing_and_beacons():
    sc = shipped("drogue_fail", faults={"baro_dead_at_s": 100.0})
    held(fly(sc), "landing_detected", "beacon_after_touchdown")


def test_a_balloon_drop_configured_for_sea_level_ground_is_found_landed_and_beacons():
    # the real ground is at 1 300 m: the board is told 0. It lands under the
    # drogue (the main's height is below the real ground: nothing the board
    # can do about the touchdown speed, which is why that rule does not
    # apply), but it must know it is down, beacon, and never fire the main on
    # the ground
    sc = shipped("balloon_drop", config={"ground_elevation_m": 0})
    result = fly(sc)
    held(result, "landing_detected", "beacon_after_touchdown", "no_fire_after_touchdown")
    by_name = {e["name"]: e for e in result.invariants}
    assert by_name["touchdown_speed"]["applies"] is False
    assert [e.extra["channel"] for e in result.fires()] == ["drogue"]


# 5. no chute while climbing
def test_a_capsule_released_climbing_fires_no_chute_on_the_way_up():
    sc = shipped(
        "balloon_drop",
        capsule={"mass_kg": 90.0, "cd_area_m2": 0.3},
        start={"speed_m_s": 50.0, "flight_path_deg": 88.0, "stand_altitude_m": 4300.0},
    )
    held(fly(sc), "no_fire_climbing")


# Found by envelope campaigns, kept as flights
def test_a_light_draggy_capsule_dropped_from_rest_starts_its_descent():
    # 3 kg under 0.31 m2 falls at ~14 m/s: its free fall is shorter than
    # entry_ms and it never reached the old 20 m/s descent rate
    sc = shipped(
        "drone_drop",
        capsule={"mass_kg": 3.1, "cd_area_m2": 0.31},
        start={"altitude_m": 2590.0},
        ground={"elevation_m": 1930.0},
        config={"ground_elevation_m": 1930, "main_deploy_m": None},
        chutes={},
    )
    sc.raw["chutes"]["drogue"]["cd_area_m2"] = 0.01
    sc.raw["chutes"]["main"]["cd_area_m2"] = 0.8
    result = fly(sc)
    held(result, "landing_detected", "beacon_after_touchdown", "touchdown_speed")
    assert [e.extra["channel"] for e in result.fires()] == ["drogue", "main"]


def test_a_balloon_with_a_bmp388_above_its_range_opens_nothing_at_the_release():
    # above 300 hPa (~9 km) the part reads its floor, a "9 km" height below
    # a 10 km drogue: told its floor, the board takes the GNSS height up there
    sc = shipped("balloon_cutdown", sensors={"baro": {"part": "bmp388"}})
    sc.raw["config"]["baro_min_pa"] = 30000
    result = fly(sc)
    held(result, "quiet_until_release", "landing_detected", "main_at_deploy_height")
    (drogue,) = result.fires("drogue")
    want = sc.config["drogue_deploy_m"]
    assert want - 1500.0 < drogue.extra["altitude_m"] <= want + 300.0, drogue.extra


def test_a_balloon_flight_whose_baro_dies_after_the_release_still_finds_its_landing():
    # at 10 Hz the touchdown's impact can fall between two samples: without a
    # baro the GNSS height tells that the capsule is down
    sc = shipped("balloon_ascent", faults={"baro_dead_at_s": 5500.0})
    result = fly(sc)
    held(result, "landing_detected", "beacon_after_touchdown", "touchdown_speed")


def test_a_whole_hpa_baro_on_the_ground_still_lets_the_landing_be_found():
    # at 10 Hz the impact can fall between samples; on the ground a coarse
    # baro reads one count, then is screened as stuck, then flips a count:
    # the steady rule takes either height in a band a count wide
    sc = shipped("balloon_cutdown", sensors={"baro": {"part": "coarse_1hpa"}})
    held(fly(sc, seed=3), "landing_detected", "beacon_after_touchdown")


def test_a_baro_frozen_under_the_main_does_not_declare_landing_in_the_air():
    sc = shipped("drone_drop", faults={"baro_stuck_at_s": 20.0})
    held(fly(sc), "landing_detected", "beacon_after_touchdown")


def test_tropopause_turbulence_and_a_noisy_whole_hpa_baro_do_not_start_a_balloon_descent():
    # envelope flight 2/129 with sensor seed 0: a gust at 9.9 km dipped |a|
    # below 700 mg for a sample while the baro's noise read as a 16 m/s fall;
    # the descent started on the way up and the drogue fired under the balloon
    sc = scenario.load(Path(__file__).resolve().parent / "flights" / "envelope_2_129.toml")
    result = fly(sc, seed=0)
    held(result, "quiet_until_release", "landing_detected", "each_channel_fires_once")


# 6. the last known position stays on the air
def test_a_reset_after_splashdown_with_the_receiver_dead_keeps_the_position_on_the_air():
    # the antenna goes under 16 s after touchdown, then a brown-out: the
    # board must go on sending where the capsule came down
    result = fly(shipped("reset_at_sea"))
    held(result, "beacon_keeps_position", "landing_detected", "each_channel_fires_once")
    reset_s = shipped("reset_at_sea").faults["power_loss_at_s"][0]
    assert len([e for e in result.events if e.kind == "beacon" and e.t_s > reset_s + 1.0]) >= 2


# 7. the simulator at the envelope's edge
def test_an_entry_that_skips_out_to_escape_ends_with_a_verdict_not_a_traceback():
    sc = shipped("lunar_return", start={"speed_m_s": 11750.0, "flight_path_deg": -2.35})
    result = fly(sc)
    assert not result.aborted
    assert result.outcome == "skipped_out"
    assert result.report()["outcome"] == "skipped_out"
    assert [e["name"] for e in result.invariants] == list(inv.NAMES)


# the whole envelope
ENVELOPE_SAMPLE_FLIGHTS = 24
ENVELOPE_SAMPLE_SEED = 2026


def test_an_envelope_sample_of_24_flights_violates_no_invariant(tmp_path):
    summary = droptest_envelope.run_envelope(
        ENVELOPE_SAMPLE_FLIGHTS, seed=ENVELOPE_SAMPLE_SEED, out_dir=tmp_path, fleet=Fleet(workers=2)
    )
    assert summary["errors"] == 0
    assert summary["violating_flights"] == 0, (tmp_path / "envelope.md").read_text()


FLIGHTS = sorted((Path(__file__).resolve().parent / "flights").glob("*.toml"))


@pytest.mark.parametrize("path", FLIGHTS, ids=lambda p: p.stem)
def test_a_flight_an_envelope_campaign_once_failed_now_holds_every_invariant(path):
    # each file was written by `capsule droptest --envelope` for a flight that
    # violated an invariant; it flies again exactly (its [run] seed included)
    sc = scenario.load(path)
    seed = int(sc.run.get("seed", 0))  # as `capsule droptest FILE` flies it
    result = droptest.run_scenario(sc, seed=seed, plots=False, reuse_flash=True)
    bad = [(e["name"], e["detail"]) for e in result.invariants if e["passed"] is False]
    assert not bad, bad
