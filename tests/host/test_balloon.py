"""Balloon-carried drop tests: the climb, the release, what the sensors read
on the way up (swing, turbulence, the cold, a barometer in thin air) and the
scenario keys that describe them."""

import copy
import math
from types import SimpleNamespace

import numpy as np
import pytest

from host_tools.droptest.runner import Event, judge
from host_tools.sim import atmosphere1976 as atm
from host_tools.sim import balloon, physics, scenario, sensors
from host_tools.sim.physics import G0_M_S2


def climb(**kw):
    args = {"ascent_rate_m_s": 5.0, "release_altitude_m": 27000.0, "launch_elevation_m": 1300.0}
    args.update(kw)
    return balloon.Balloon(**args)


def flight_for(b, wind=None, **chute_kw):
    chutes = [physics.Chute("drogue", 0.5, 1.0, 1.0, **chute_kw), physics.Chute("main", 8.0, 2.0)]
    kwargs = {
        "mass_kg": 12.0,
        "cd_area_m2": 0.25,
        "alt_m": 0.0,
        "lat": 33.0,
        "lon": -107.0,
        "ground_elevation_m": b.launch_elevation_m,
        "chutes": chutes,
        "wind": wind,
    }
    return balloon.BalloonFlight(b, kwargs, wind)


def fill(flight, times):
    trace = {k: [] for k in physics.Flight.TRACE_KEYS}
    flight.fill(list(times), trace)
    return {k: np.array(v) for k, v in trace.items()}


# -- the climb ----------------------------------------------------------------------
def test_climb_reaches_the_release_altitude_at_the_release_time():
    b = climb()
    assert b.release_alt_m == pytest.approx(27000.0, abs=0.5)
    # 25.7 km at 5 m/s, gaining up to 10 % on the way: 80-90 minutes
    assert 4700.0 < b.release_s < 5200.0


def test_climb_rate_is_the_slope_of_the_altitude_and_swells_around_the_ascent_rate():
    b = climb()
    t = np.arange(0.0, b.release_s, 0.5)
    h = b.altitude_m(t)
    v = b.climb_rate_m_s(t)
    assert np.all(np.diff(h) > 0)
    assert np.allclose(np.gradient(h, t)[1:-1], v[1:-1], atol=0.01)
    assert 4.3 < v.min() < 5.0 < v.max() < 6.2
    assert h[0] == pytest.approx(1300.0)


def test_release_time_can_be_given_instead_of_altitude():
    b = climb(release_altitude_m=None, release_s=3600.0)
    assert b.release_s == 3600.0
    assert b.release_alt_m == pytest.approx(float(b.altitude_m(np.array([3600.0]))[0]))


def test_balloon_needs_a_release_point_and_a_known_kind():
    with pytest.raises(ValueError, match="release_altitude_m or release_s"):
        climb(release_altitude_m=None)
    with pytest.raises(ValueError, match="cutdown, burst"):
        climb(release="pop")


def test_on_the_line_the_capsule_climbs_with_one_g_and_drifts_with_the_wind():
    b = climb()
    wind = physics.Wind((0.0, 30000.0), (10.0, 10.0), (270.0, 270.0))  # from the west
    f = flight_for(b, wind)
    tr = fill(f, np.arange(0.0, 600.0, 0.1))
    assert np.all(~tr["landed"])
    assert np.allclose(tr["aero_accel_m_s2"], G0_M_S2, atol=0.05)
    assert np.all((tr["vz_m_s"] > 4.0) & (tr["vz_m_s"] < 6.0))
    assert tr["east_m"][-1] == pytest.approx(10.0 * 599.9, rel=0.01)
    assert tr["pressure_pa"][-1] == pytest.approx(atm.pressure_pa(tr["alt_m"][-1]))


def test_release_hands_over_to_the_descent_physics_at_the_release_state():
    b = climb(release="cutdown")
    f = flight_for(b)
    r = b.release_s
    tr = fill(f, np.arange(r - 1.0, r + 20.0, 0.1))
    after = tr["t_s"] >= r
    assert tr["alt_m"][after][0] == pytest.approx(b.release_alt_m, abs=1.0)
    # a cut-down: near free fall, the capsule turns from climbing to falling
    assert np.all(tr["aero_accel_m_s2"][after][:20] < 0.1 * G0_M_S2)
    assert tr["vz_m_s"][after][0] > 3.0 and tr["vz_m_s"][-1] < -100.0
    assert f.events[0][1].startswith("cutdown at")


def test_burst_remains_drag_the_first_part_of_the_fall():
    speeds = {}
    for kind in ("cutdown", "burst"):
        b = climb(release=kind, remains_s=60.0)
        f = flight_for(b)
        tr = fill(f, np.arange(b.release_s, b.release_s + 30.0, 0.1))
        speeds[kind] = -tr["vz_m_s"][-1]
    assert speeds["burst"] < 0.8 * speeds["cutdown"]


def test_a_pyro_fired_on_the_line_opens_its_chute_at_the_release():
    b = climb()
    f = flight_for(b)
    fill(f, np.arange(0.0, 100.0, 0.5))
    assert f.fire("drogue", 50.0)
    assert f.chute("drogue").open_from_s == pytest.approx(b.release_s + 1.0)
    assert not f.fire("drogue", 60.0)  # once


def test_landing_is_reported_in_launch_time_and_at_the_gnss_position():
    b = climb(release_altitude_m=3000.0)
    wind = physics.Wind((0.0, 5000.0), (8.0, 15.0), (250.0, 260.0))
    f = flight_for(b, wind)
    f.fire("drogue", b.release_s + 1.0)
    f.fire("main", b.release_s + 2.0)
    t = np.arange(0.0, b.release_s + 2000.0, 0.5)
    tr = fill(f, t)
    lg = f.landing
    assert lg is not None and lg.t_s > b.release_s
    i = int(np.searchsorted(tr["t_s"], lg.t_s))
    lat, lon = physics.destination(f.lat, f.lon, tr["east_m"][i], tr["north_m"][i])
    assert (lat, lon) == pytest.approx((lg.lat, lg.lon), abs=1e-6)


# -- what the accelerometer feels -------------------------------------------------------
def test_swing_on_the_line_reads_tens_of_mg_across_the_axis_at_a_pendulum_frequency():
    b = climb(swing_mg=80.0, line_m=2.0, turbulence_mg=0.0)
    motion = balloon.BodyMotion(b, seed=1)
    t = np.arange(1000.0, 1240.0, 0.05)
    a = np.full_like(t, G0_M_S2)
    x, y, z = motion.apply(t, a, (np.zeros_like(t), np.zeros_like(t), a * 1000 / G0_M_S2))
    lateral = np.hypot(x, y)
    assert 70.0 < lateral.max() < 90.0
    spectrum = np.abs(np.fft.rfft(x))
    freqs = np.fft.rfftfreq(len(t), 0.05)
    assert 0.3 <= freqs[np.argmax(spectrum)] <= 0.5
    assert abs(z.mean() - 1000.0) < 10.0 and z.std() > 0.5  # tension varies a little


def test_turbulence_near_the_tropopause_shakes_harder_than_above_or_below():
    b = climb(swing_mg=0.0, turbulence_mg=200.0)
    motion = balloon.BodyMotion(b, seed=2)

    def shake_at(alt_m):
        t0 = b._time_at_altitude(alt_m)
        t = np.arange(t0, t0 + 30.0, 0.05)
        a = np.full_like(t, G0_M_S2)
        x, _, _ = motion.apply(t, a, (np.zeros_like(t), np.zeros_like(t), a))
        return x.std()

    assert shake_at(11000.0) > 50.0
    assert shake_at(11000.0) > 10 * shake_at(5000.0)
    assert shake_at(11000.0) > 10 * shake_at(20000.0)


@pytest.mark.parametrize("kind", ["burst", "cutdown"])
def test_release_jolt_and_tumble_show_in_the_accelerometer(kind):
    b = climb(release=kind, board_offset_m=0.08)
    f = flight_for(b)
    t = np.arange(b.release_s - 1.0, b.release_s + 5.0, 0.01)
    tr = fill(f, t)
    motion = balloon.BodyMotion(b, seed=0)
    accel = sensors.Accel(noise_mg=0.0, resolution_mg=0.0, motion=motion)
    x, y, z = accel.specific_force_batch(tr["t_s"], tr["aero_accel_m_s2"], tr["landed"])
    mag = np.sqrt(x * x + y * y + z * z)
    after = tr["t_s"] >= b.release_s
    first = mag[after][:15]  # the first 0.15 s
    if kind == "burst":
        assert first.max() > 2000.0  # the line snaps: a few g
        # the tumble's centripetal term: omega^2 r at 1.2 rev/s and 8 cm is 0.46 g
        assert x[after][20:60].max() > 300.0
    else:
        assert first.max() < 300.0  # near free fall
    assert np.all(mag[~after] > 800.0)  # on the line: about 1 g


# -- the barometer at altitude --------------------------------------------------------------
def baro_readings_pa(part, alt_m, n=4000, seed=0, **extra):
    cfg = {**sensors.BARO_PARTS[part], "lag_s": 0.0, **extra}
    baro = sensors.Baro(**cfg)
    noise = sensors.Noise(np.random.default_rng(seed))
    p = atm.pressure_pa(alt_m)
    t = np.arange(n) * 0.1
    dpa, _ok = baro.read_batch(t, np.full(n, p), np.zeros(n), noise)
    return dpa / 10.0


@pytest.mark.parametrize(
    "part, step_pa", [("ms5611", 1.0), ("coarse_1hpa", 100.0), ("bmp280", 0.16)]
)
def test_baro_readings_come_in_the_part_s_resolution_steps(part, step_pa):
    p = baro_readings_pa(part, 1000.0)
    # the frame carries 0.1 Pa: a reading is a step multiple rounded to that
    k = np.round(p / step_pa)
    assert np.all(np.abs(p - k * step_pa) <= 0.05 + 1e-9)
    assert len(np.unique(p)) > 1


def test_baro_part_ranges_clip_as_the_datasheets_say():
    assert baro_readings_pa("bmp280", 25000.0, n=50).min() == 30000.0  # 300 hPa floor
    assert baro_readings_pa("ms5611", 25000.0, n=50).min() < 3000.0


def test_coarse_baro_at_27_km_is_one_count_of_about_300_m():
    p = atm.pressure_pa(27000.0)
    up = atm.altitude_from_pressure_m(p - 100.0) - 27000.0
    assert 250.0 < up < 400.0
    readings = baro_readings_pa("coarse_1hpa", 27000.0)
    assert len(np.unique(readings)) <= 3  # whole hPa: a count or two either side


def test_baro_noise_in_metres_grows_as_the_air_thins():
    def alt_noise_m(alt_m):
        p = baro_readings_pa("ms5611", alt_m)
        return np.std([atm.altitude_from_pressure_m(x) for x in p])

    low, high = alt_noise_m(1000.0), alt_noise_m(25000.0)
    assert low < 0.3
    assert 2.0 < high < 6.0  # 1.2 Pa at ~0.4 Pa/m
    assert high > 10 * low


def test_baro_spikes_are_single_readings_of_the_configured_size():
    p = baro_readings_pa("ms5611", 1000.0, n=36000, spike_per_h=60.0, spike_pa=2000.0)
    base = atm.pressure_pa(1000.0)
    off = np.abs(p - base) > 1000.0
    assert 20 <= off.sum() <= 110  # 60 an hour over an hour
    assert np.allclose(np.abs(p[off] - base), 2000.0, atol=10.0)
    assert not np.any(off[1:] & off[:-1])


# -- the battery in the cold ------------------------------------------------------------------
def test_battery_sags_a_few_hundred_mv_in_the_stratosphere_cold():
    bat = sensors.Battery(noise_mv=0.0, drain_mv_per_h=0.0, cold_mv_per_c=5.0, thermal_tau_s=1800)
    noise = sensors.Noise(np.random.default_rng(0))
    warm = bat.read_batch(np.arange(0.0, 10.0, 1.0), noise, np.full(10, 101325.0))
    assert np.all(warm == 4100)
    cold_p = np.full(100, atm.pressure_pa(15000.0))
    v = None
    for k in range(72):  # two hours at 15 km (-56.5 C)
        v = bat.read_batch(100.0 * k + np.arange(10.0, 110.0, 1.0), noise, cold_p)
    assert bat.cell_c == pytest.approx(-56.5, abs=5.0)
    assert 4100 - 400 < v[-1] < 4100 - 250


def test_battery_without_the_cold_model_ignores_the_air():
    bat = sensors.Battery(noise_mv=0.0, drain_mv_per_h=0.0)
    noise = sensors.Noise(np.random.default_rng(0))
    v = bat.read_batch(np.arange(0.0, 10.0), noise, np.full(10, 1000.0))
    assert np.all(v == 4100)


# -- scenarios ---------------------------------------------------------------------------------
def base_raw():
    return copy.deepcopy(
        {
            "name": "b",
            "capsule": {"mass_kg": 12.0, "cd_area_m2": 0.25},
            "start": {"lat": 33.0, "lon": -107.0},
            "ground": {"elevation_m": 1300.0},
            "chutes": {"drogue": {"cd_area_m2": 0.5, "inflation_s": 1.0}},
            "balloon": {"release_altitude_m": 27000.0},
            "expect": {"quiet_until_release": True},
        }
    )


def test_balloon_scenario_starts_on_the_ground_and_fills_in_the_release():
    sc = scenario.validate(base_raw(), "b.toml", config_keys={"start_mode"})
    assert sc.stand_altitude_m == 1300.0
    assert sc.start["altitude_m"] == pytest.approx(27000.0, abs=0.5)
    assert isinstance(sc.make_flight(), balloon.BalloonFlight)
    assert isinstance(sc.make_sensors().accel.motion, balloon.BodyMotion)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"balloon": {"release": "pop", "release_s": 10.0}}, "release: must be one of 'cutdown'"),
        ({"balloon": {"release_s": 100.0, "release_altitude_m": 9000.0}}, "exactly one of"),
        ({"balloon": {"ascent_rate_m_s": 5.0}}, "exactly one of"),
        ({"balloon": {"release_altitude_m": 1350.0}}, "above the ground"),
        ({"balloon": {"release_s": 10.0, "lift_kg": 2.0}}, "lift_kg: unknown key"),
        ({"start": {"lat": 33.0, "lon": -107.0, "altitude_m": 5000.0}}, "set by \\[balloon\\]"),
        ({"sensors": {"baro": {"part": "bmp180"}}}, "'ms5611', 'ms5611_osr256', 'bmp280'"),
        (
            {
                "balloon": None,
                "start": {"lat": 33.0, "lon": -107.0, "altitude_m": 5000.0},
                "_start": {"speed_m_s": 0.0, "flight_path_deg": -90.0},
            },
            "quiet_until_release: the scenario has no \\[balloon\\]",
        ),
    ],
)
def test_balloon_scenario_keys_are_checked(change, message):
    raw = base_raw()
    for table, value in change.items():
        if value is None:
            raw.pop(table)
        elif table == "_start":
            raw["start"].update(value)
        else:
            raw[table] = value
    with pytest.raises(scenario.ScenarioError, match=message):
        scenario.validate(raw, "b.toml", config_keys={"start_mode"})


def test_a_baro_part_sets_its_numbers_and_explicit_keys_win():
    raw = base_raw()
    raw["sensors"] = {"baro": {"part": "coarse_1hpa", "noise_pa": 5.0}}
    baro = scenario.validate(raw, "b.toml", config_keys={"start_mode"}).make_sensors().baro
    assert baro.resolution_pa == 100.0 and baro.noise_pa == 5.0


@pytest.mark.parametrize("name", ["balloon_ascent", "balloon_cutdown", "balloon_coarse_baro"])
def test_library_balloon_scenarios_load_and_climb_for_over_an_hour(name):
    sc = scenario.load(name)
    assert sc.balloon.release_s > 3600.0
    assert sc.expect["quiet_until_release"]
    assert sc.sample_hz == 10.0


# -- the judge ---------------------------------------------------------------------------------
def judged(events):
    sc = scenario.validate(base_raw(), "b.toml", config_keys={"start_mode"})
    release = sc.balloon.release_s
    result = SimpleNamespace(
        aborted="",
        landing=None,
        arm_reply=None,
        events=[
            Event(release + dt, kind, name, fields, extra)
            for dt, kind, name, fields, extra in events
        ],
        trace={"t_s": [0.0, release], "agl_m": [0.0, 25700.0]},
        fires=lambda channel=None: [],
    )
    return next(e for e in judge(result, sc) if e["name"] == "quiet_until_release")


def test_judge_passes_a_board_that_stays_armed_until_the_release():
    check = judged(
        [(-5000.0, "arm", "arm", {}, {}), (3.0, "phase", "phase", {"to": "DESCENT"}, {})]
    )
    assert check["passed"]


def test_judge_fails_a_descent_or_fire_on_the_way_up_and_says_when():
    check = judged(
        [
            (-1000.0, "phase", "phase", {"to": "DESCENT"}, {}),
            (-700.0, "fire", "fire", {"channel": "drogue"}, {"channel": "drogue"}),
        ]
    )
    assert not check["passed"]
    assert "phase DESCENT" in check["detail"] and "fire drogue" in check["detail"]
    assert math.isfinite(float(check["detail"].split("t=")[2].split(" ")[0]))
