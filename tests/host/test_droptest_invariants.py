"""The flight-envelope invariants on synthetic drop-test results (no board):
each rule is shown to pass on a flight that keeps it, to fail on one that
breaks it, and to say "not applicable" where it means nothing."""

from types import SimpleNamespace

import pytest
from fake_board import FakeBoard
from scenario_variants import drone, shipped

from host_tools.droptest import invariants as inv
from host_tools.droptest import runner as droptest
from host_tools.sim import physics, scenario

OK = SimpleNamespace(kind="OK", fields={})
REFUSED = SimpleNamespace(kind="ERR", fields={"msg": "upside down"})


def leo(**changes):
    """nominal_leo with table overrides {table: {key: value}}."""
    return shipped("nominal_leo", **changes)


def flight(
    sc=None,
    fires=(),
    landing_t_s=600.0,
    landing_vz_m_s=6.0,
    arm=OK,
    phases=(),
    beacons=(),
    end_s=None,
    rows=None,
    ground_m=0.0,
):
    """A Result of a made-up flight. `fires`: (channel, t_s, why, truth) with
    truth = (alt_m, vz_m_s, air_speed_m_s) at the fire; `rows` the rest of the
    trace as (t_s, alt_m, vz_m_s, air_speed_m_s)."""
    sc = sc or leo()
    rows = list(rows or [(-1.0, ground_m, 0.0, 0.0), (0.0, 120000.0, -200.0, 7800.0)])
    events = []
    for channel, t, why, truth in fires:
        rows.append((t, *truth))
        fields = {"channel": channel, "why": why} if why else {"channel": channel}
        events.append(droptest.Event(t, "fire", "fire", fields, {"channel": channel}))
    for t, name in phases:
        events.append(droptest.Event(t, "phase", "phase", {"to": name}))
    for b in beacons:  # a time, or (time, True) for a packet with a position
        t, located = b if isinstance(b, tuple) else (b, False)
        extra = {"lat": -29.9, "lon": 128.3} if located else {}
        events.append(droptest.Event(t, "beacon", "tx", {}, extra))
    rows.sort()
    trace = {k: [] for k in ("t_s", "alt_m", "agl_m", "vz_m_s", "air_speed_m_s")}
    for t, alt, vz, air in rows:
        for k, v in zip(trace, (t, alt, alt - ground_m, vz, air)):
            trace[k].append(v)
    trace["mach"] = [inv.mach(a, h) for a, h in zip(trace["air_speed_m_s"], trace["alt_m"])]
    trace["aero_accel_m_s2"] = [0.0] * len(rows)
    landing = None
    if landing_t_s is not None:
        landing = physics.Landing(landing_t_s, landing_vz_m_s, landing_vz_m_s, 0.0, 0, 0, 0, 0)
    if end_s is None:
        end_s = (landing_t_s or 600.0) + 90.0
    result = droptest.Result(
        scenario=sc,
        seed=0,
        events=events,
        expectations=[],
        landing=landing,
        sim_s=end_s,
        wall_s=0.0,
        samples=len(rows),
        trace=trace,
        arm_reply=arm,
    )
    result.invariants = inv.check(result)
    return result


def entry(result, name):
    return next(e for e in result.invariants if e["name"] == name)


def status(result, name):
    return inv.status_text(entry(result, name))


# a healthy flight: drogue at 10 km subsonic, main at 2.5 km, landed, beacons
DROGUE_OK = ("drogue", 300.0, "altitude", (10000.0, -150.0, 150.0))
MAIN_OK = ("main", 400.0, "altitude", (2500.0, -25.0, 25.0))
GOOD = {
    "fires": (DROGUE_OK, MAIN_OK),
    "phases": ((610.0, "LANDED"), (620.0, "BEACON")),
    "beacons": (615.0,),
}


def test_a_healthy_flight_keeps_every_invariant_and_passes():
    result = flight(**GOOD)
    assert result.violations == []
    assert {status(result, n) for n in inv.NAMES} == {"pass", "n/a"}
    assert status(result, "refused_arm_fires_nothing") == "n/a"
    assert result.passed
    doc = result.report()
    assert doc["outcome"] == "landed" and doc["violations"] == []
    assert [e["name"] for e in doc["invariants"]] == list(inv.NAMES)


def test_a_violated_invariant_fails_the_run_whatever_expect_says():
    fast = ("drogue", 200.0, "altitude", (40000.0, -2000.0, 2500.0))
    result = flight(**dict(GOOD, fires=(fast, MAIN_OK)))
    assert result.expectations == [] and not result.passed
    assert result.violations == ["drogue_mach"]
    assert "VIOLATED" in droptest.markdown_report(result.report())


@pytest.mark.parametrize(
    ("air_m_s", "alt_m", "verdict"),
    [(450.0, 15000.0, "pass"), (600.0, 15000.0, "VIOLATED"), (3000.0, 150000.0, "VIOLATED")],
)
def test_drogue_fires_at_mach_1_6_or_below(air_m_s, alt_m, verdict):
    drogue = ("drogue", 300.0, "altitude", (alt_m, -100.0, air_m_s))
    assert status(flight(**dict(GOOD, fires=(drogue, MAIN_OK))), "drogue_mach") == verdict


def test_above_86_km_the_speed_of_sound_stays_the_86_km_value_so_vacuum_is_hypersonic():
    top = inv.sound_speed_m_s(86000.0)
    assert 270.0 < top < 280.0
    assert inv.sound_speed_m_s(150000.0) == top
    assert inv.mach(7000.0, 500000.0) > 25.0


@pytest.mark.parametrize(("air_m_s", "verdict"), [(150.0, "pass"), (250.0, "VIOLATED")])
def test_main_fires_at_mach_0_6_or_below(air_m_s, verdict):
    main = ("main", 400.0, "altitude", (2500.0, -air_m_s, air_m_s))
    assert status(flight(**dict(GOOD, fires=(DROGUE_OK, main))), "main_mach") == verdict


@pytest.mark.parametrize(("vz_m_s", "verdict"), [(10.0, "pass"), (20.0, "VIOLATED")])
def test_no_chute_fires_while_climbing_faster_than_15_m_s(vz_m_s, verdict):
    drogue = ("drogue", 300.0, "altitude", (10000.0, vz_m_s, 100.0))
    assert status(flight(**dict(GOOD, fires=(drogue, MAIN_OK))), "no_fire_climbing") == verdict


def test_nothing_fires_after_touchdown_nor_on_the_stand():
    late = ("main", 605.0, "altitude", (0.0, 0.0, 0.0))
    result = flight(**dict(GOOD, fires=(DROGUE_OK, late)))
    assert status(result, "no_fire_after_touchdown") == "VIOLATED"
    assert status(flight(**GOOD), "no_fire_after_touchdown") == "pass"
    early = ("drogue", -2.0, "altitude", (0.0, 0.0, 0.0))
    result = flight(**dict(GOOD, fires=(early, MAIN_OK)))
    assert status(result, "no_fire_before_flight") == "VIOLATED"
    assert status(flight(**GOOD), "no_fire_before_flight") == "pass"


def test_a_balloon_board_stays_quiet_until_the_release_and_other_flights_have_none():
    sc = scenario.load("balloon_cutdown")
    release_s = sc.balloon.release_s
    climb = [(-1.0, 1300.0, 0.0, 0.0), (0.0, 1300.0, 4.5, 4.5), (release_s, 24000.0, 5.0, 5.0)]
    drogue_after = ("drogue", release_s + 30.0, "altitude", (23000.0, -60.0, 60.0))
    quiet = flight(sc, fires=(drogue_after,), phases=((release_s + 2.0, "DESCENT"),), rows=climb)
    assert status(quiet, "quiet_until_release") == "pass"
    woke = flight(sc, phases=((release_s - 600.0, "DESCENT"),), rows=climb)
    assert status(woke, "quiet_until_release") == "VIOLATED"
    assert "phase DESCENT" in entry(woke, "quiet_until_release")["detail"]
    under_balloon = ("drogue", release_s - 60.0, "altitude", (23700.0, 5.0, 5.0))
    fired = flight(sc, fires=(under_balloon,), rows=climb)
    assert "quiet_until_release" in fired.violations
    assert status(flight(**GOOD), "quiet_until_release") == "n/a"


def test_no_channel_fires_twice():
    again = ("drogue", 350.0, "altitude", (8000.0, -60.0, 60.0))
    result = flight(**dict(GOOD, fires=(DROGUE_OK, again, MAIN_OK)))
    assert status(result, "each_channel_fires_once") == "VIOLATED"
    assert status(flight(**GOOD), "each_channel_fires_once") == "pass"


def test_a_backup_timer_must_not_lead_a_healthy_barometer_but_may_back_up_a_failed_one():
    timer = ("drogue", 300.0, "backup_timer", (10000.0, -150.0, 150.0))
    result = flight(**dict(GOOD, fires=(timer, MAIN_OK)))
    assert status(result, "no_backup_timer_leads") == "VIOLATED"
    assert "backup_timer" in entry(result, "no_backup_timer_leads")["detail"]
    for fault in ({"baro_dead_at_s": 100.0}, {"baro_stuck_at_s": 100.0}, {"baro_noise_pa": 300.0}):
        sc = leo(faults=fault)
        assert status(
            flight(sc, **dict(GOOD, fires=(timer, MAIN_OK))), "no_backup_timer_leads"
        ) == ("n/a")
    assert status(flight(**GOOD), "no_backup_timer_leads") == "pass"


@pytest.mark.parametrize(
    ("agl_m", "verdict"),
    [
        (2250.0, "pass"),
        (2750.0, "pass"),
        (2850.0, "VIOLATED"),
        (6000.0, "VIOLATED"),
        (2100.0, "VIOLATED"),
    ],
)
def test_main_fires_at_main_deploy_m_within_300_m_with_a_healthy_baro(agl_m, verdict):
    # nominal_leo sets main_deploy_m = 2500
    main = ("main", 400.0, "drogue_failed", (agl_m, -60.0, 60.0))
    result = flight(**dict(GOOD, fires=(DROGUE_OK, main)))
    assert status(result, "main_at_deploy_height") == verdict


def test_main_height_comes_from_the_firmware_default_when_the_scenario_sets_none():
    default_m = inv.firmware("config_schema").SCHEMA
    default_m = next(row[2] for row in default_m if row[0] == "main_deploy_m")
    sc = leo()
    del sc.raw["config"]["main_deploy_m"]
    main = ("main", 400.0, "altitude", (float(default_m), -30.0, 30.0))
    assert status(flight(sc, **dict(GOOD, fires=(DROGUE_OK, main))), "main_at_deploy_height") == (
        "pass"
    )
    main = ("main", 400.0, "altitude", (2500.0 + 400.0 + default_m, -30.0, 30.0))
    assert status(flight(sc, **dict(GOOD, fires=(DROGUE_OK, main))), "main_at_deploy_height") == (
        "VIOLATED"
    )


def test_main_height_rule_where_it_means_nothing_and_where_the_main_never_fired():
    result = flight(**dict(GOOD, fires=(DROGUE_OK,)))
    assert status(result, "main_at_deploy_height") == "VIOLATED"  # landed without a main
    high = ("main", 400.0, "altitude", (6000.0, -60.0, 60.0))
    for sc in (leo(faults={"baro_dead_at_s": 10.0}), leo(config={"ground_elevation_m": 1300})):
        result = flight(sc, **dict(GOOD, fires=(DROGUE_OK, high)))
        assert status(result, "main_at_deploy_height") == "n/a"
    result = flight(**dict(GOOD, fires=(DROGUE_OK,), landing_t_s=None))
    assert status(result, "main_at_deploy_height") == "n/a"


def test_a_drop_from_below_main_deploy_m_may_fire_the_main_at_once():
    sc = drone(config={"main_deploy_m": 1000})
    rows = [(-1.0, 300.0, 0.0, 0.0), (0.0, 300.0, 0.0, 0.0)]
    main = ("main", 2.0, "altitude", (280.0, -15.0, 15.0))
    kw = dict(GOOD, fires=(main,), rows=rows, landing_t_s=60.0)
    assert status(flight(sc, **kw), "main_at_deploy_height") == "pass"


@pytest.mark.parametrize(
    ("phases", "verdict"),
    [
        (((610.0, "LANDED"),), "pass"),
        (((620.0, "BEACON"),), "pass"),
        (((670.0, "LANDED"),), "VIOLATED"),
        ((), "VIOLATED"),
        (((500.0, "LANDED"),), "VIOLATED"),  # declared in the air
    ],
)
def test_landing_is_detected_within_60_s_of_touchdown_and_never_before(phases, verdict):
    assert status(flight(**dict(GOOD, phases=phases)), "landing_detected") == verdict


@pytest.mark.parametrize(
    ("beacons", "verdict"), [((615.0,), "pass"), ((300.0, 665.0), "VIOLATED"), ((), "VIOLATED")]
)
def test_the_beacon_starts_within_60_s_of_touchdown(beacons, verdict):
    assert status(flight(**dict(GOOD, beacons=beacons)), "beacon_after_touchdown") == verdict


def test_landing_and_beacon_rules_do_not_apply_without_a_touchdown_or_an_armed_board():
    for kw in ({"landing_t_s": None}, {"arm": REFUSED, "fires": ()}, {"end_s": 630.0}):
        result = flight(**dict(GOOD, phases=(), beacons=(), **kw))
        assert status(result, "landing_detected") == "n/a"
        assert status(result, "beacon_after_touchdown") == "n/a"


@pytest.mark.parametrize(("vz_m_s", "verdict"), [(8.9, "pass"), (12.0, "VIOLATED")])
def test_touchdown_is_at_9_m_s_or_slower(vz_m_s, verdict):
    assert status(flight(**dict(GOOD, landing_vz_m_s=vz_m_s)), "touchdown_speed") == verdict


def test_touchdown_speed_does_not_apply_when_the_main_chute_itself_failed():
    result = flight(leo(faults={"main_fails": True}), **dict(GOOD, landing_vz_m_s=30.0))
    assert status(result, "touchdown_speed") == "n/a"


def test_touchdown_speed_does_not_apply_when_a_failed_drogue_leaves_the_capsule_too_fast_for_its_main():
    # 80 kg on 0.06 m2: ~155 m/s at half the main's height, over the main's
    # rating; the nominal capsule without its drogue is still judged
    dense = {"mass_kg": 80.0, "cd_area_m2": 0.06}
    result = flight(
        leo(faults={"drogue_fails": True}, capsule=dense), **dict(GOOD, landing_vz_m_s=120.0)
    )
    assert status(result, "touchdown_speed") == "n/a"
    assert "over the main's" in entry(result, "touchdown_speed")["detail"]
    result = flight(leo(faults={"drogue_fails": True}), **dict(GOOD, landing_vz_m_s=30.0))
    assert status(result, "touchdown_speed") == "VIOLATED"


@pytest.mark.parametrize(
    ("beacons", "verdict"),
    [
        (((615.0, True), (645.0, True)), "pass"),
        ((615.0, (645.0, True), (675.0, True)), "pass"),  # silent about a position until one
        (((615.0, True), 645.0, (675.0, True)), "VIOLATED"),  # a reset lost it
        ((615.0, 645.0), "n/a"),
    ],
)
def test_once_a_beacon_carried_a_position_every_later_one_does(beacons, verdict):
    assert status(flight(**dict(GOOD, beacons=beacons)), "beacon_keeps_position") == verdict


def test_a_board_that_refused_to_arm_fires_nothing():
    result = flight(**dict(GOOD, arm=REFUSED))
    assert status(result, "refused_arm_fires_nothing") == "VIOLATED"
    assert status(flight(**dict(GOOD, arm=REFUSED, fires=())), "refused_arm_fires_nothing") == (
        "pass"
    )
    for name in ("no_backup_timer_leads", "main_at_deploy_height", "touchdown_speed"):
        assert status(flight(**dict(GOOD, arm=REFUSED)), name) == "n/a"


def test_outcome_names_how_the_flight_ended():
    assert flight(**GOOD).outcome == "landed"
    up = [(0.0, 120000.0, -100.0, 7000.0), (900.0, 400000.0, 3000.0, 9000.0)]
    assert flight(landing_t_s=None, rows=up).outcome == "skipped_out"
    hanging = [(0.0, 3000.0, 0.0, 0.0), (900.0, 2500.0, 0.0, 0.0)]
    assert flight(landing_t_s=None, rows=hanging).outcome == "did_not_land"


# -- the edge of the envelope: a lunar-speed entry that skips out -------------------
SKIP = {"start": {"speed_m_s": 11750.0, "flight_path_deg": -2.35}}


def test_physics_survives_a_skip_out_to_where_the_density_underflows():
    f = leo(**SKIP).make_flight(max_dt_s=0.5)
    f.advance_to(2500.0)  # past 10 000 km, where the density is 0
    assert f.landing is None and f.h > 1e7


def test_a_skip_out_ends_with_a_verdict_not_a_traceback():
    sc = leo(**SKIP)
    sc.raw["expect"] = {}
    result = droptest.DropTest(sc, FakeBoard(), seed=1).run()
    assert result.outcome == "skipped_out"
    assert result.report()["outcome"] == "skipped_out"
    assert any(e.kind == "physics" and e.name == "skipped_out" for e in result.events)
    # flown on until the backup timers (firmware defaults here) have run out
    assert result.sim_s >= droptest.skip_out_watch_s(sc)
    assert status(result, "landing_detected") == "n/a"


class TimerLedBoard(FakeBoard):
    """Reports a firing as the firmware does: the pyro output first, then the
    sequencer's `fire` event with its reason, here a backup timer."""

    def _fire(self, channel):
        if channel in self.persist["fired"]:
            return
        self.persist["fired"].append(channel)
        self._emit("EVT", "pyro", [("channel", channel), ("on", "1")])
        self._emit("EVT", "fire", [("channel", channel), ("why", "backup_timer")])


def test_a_fire_reported_by_pyro_then_fire_keeps_the_sequencers_why():
    result = droptest.DropTest(drone(), TimerLedBoard(), seed=1).run()
    fires = result.fires()
    assert [f.extra["channel"] for f in fires] == ["drogue", "main"]
    assert all(f.fields.get("why") == "backup_timer" for f in fires)
    assert status(result, "no_backup_timer_leads") == "VIOLATED"
