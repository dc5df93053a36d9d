"""The drop-test physics against independent oracles: the `ambiance` package's
1976 standard atmosphere, textbook closed forms (free fall, terminal velocity,
circular orbit), and the standard's own tabulated values above 86 km."""

import itertools
import math

import ambiance
import numpy as np
import pytest

from host_tools.sim import atmosphere1976 as atm
from host_tools.sim import physics
from host_tools.sim.physics import Chute, Flight, Wind

GM = physics.G0_M_S2 * physics.EARTH_RADIUS_M**2


# -- atmosphere ---------------------------------------------------------------------
def test_atmosphere_matches_ambiance_from_minus_4_to_81_km():
    z = np.linspace(-4000.0, 81000.0, 400)
    ref = ambiance.Atmosphere(z)
    for i, zi in enumerate(z):
        t, p, rho, a = atm.properties(float(zi))
        assert p == pytest.approx(ref.pressure[i], rel=1e-4)
        assert rho == pytest.approx(ref.density[i], rel=1e-4)
        assert t == pytest.approx(ref.temperature[i], rel=1e-4)
        assert a == pytest.approx(ref.speed_of_sound[i], rel=1e-4)


@pytest.mark.parametrize(
    "z_m, p_pa, rho",
    [  # U.S. Standard Atmosphere 1976, Table I
        (0.0, 101325.0, 1.2250),
        (11000.0, 22699.9, 0.36480),
        (20000.0, 5529.3, 0.088910),
        (32000.0, 889.06, 0.013555),
        (50000.0, 79.779, 0.0010269),
    ],
)
def test_atmosphere_matches_the_1976_table(z_m, p_pa, rho):
    _, p, r, _ = atm.properties(z_m)
    assert p == pytest.approx(p_pa, rel=2e-4)
    assert r == pytest.approx(rho, rel=2e-4)


def test_atmosphere_is_continuous_and_decreasing_through_86_km_and_above():
    below = atm.properties(85999.0)
    above = atm.properties(86001.0)
    assert above[1] == pytest.approx(below[1], rel=2e-3)
    assert above[2] == pytest.approx(below[2], rel=2e-3)
    zs = np.linspace(0, 150000, 3001)
    p = [atm.pressure_pa(float(z)) for z in zs]
    rho = [atm.density_kg_m3(float(z)) for z in zs]
    assert all(b < a for a, b in itertools.pairwise(p))
    assert all(b < a for a, b in itertools.pairwise(rho))
    # table points above 86 km are reproduced exactly
    assert atm.pressure_pa(120000.0) == pytest.approx(2.5382e-3, rel=1e-6)
    assert atm.properties(120000.0)[0] == pytest.approx(360.0, abs=0.01)


def test_pressure_altitude_inverts_the_atmosphere():
    for z in (-300.0, 0.0, 1234.5, 11000.0, 25000.0, 47000.0, 80000.0, 90000.0, 115000.0):
        assert atm.altitude_from_pressure_m(atm.pressure_pa(z)) == pytest.approx(z, abs=0.05)
    with pytest.raises(ValueError):
        atm.altitude_from_pressure_m(0.0)


def test_density_table_of_the_integrator_agrees_with_the_formulas():
    dens = physics._density_fn()
    for z in np.linspace(-1500.0, 160000.0, 997):
        assert dens(float(z)) == pytest.approx(atm.density_kg_m3(float(z)), rel=1e-4)


# -- dynamics against closed forms ----------------------------------------------------
def test_free_fall_in_vacuum_conserves_energy_with_inverse_square_gravity():
    f = Flight(mass_kg=10.0, cd_area_m2=0.0, alt_m=200000.0, speed_m_s=0.0, flight_path_deg=-90.0)
    r0 = physics.EARTH_RADIUS_M + 200000.0
    f.advance_to(120.0)
    r = physics.EARTH_RADIUS_M + f.h
    v2 = f.ve**2 + f.vn**2 + f.vz**2
    assert v2 / 2 == pytest.approx(GM * (1 / r - 1 / r0), rel=1e-7)
    # and for a short fall near the ground, the schoolbook h0 - g t^2 / 2
    f = Flight(mass_kg=1.0, cd_area_m2=0.0, alt_m=1000.0, speed_m_s=0.0, flight_path_deg=-90.0)
    f.advance_to(10.0)
    g = physics.gravity_m_s2(1000.0)
    assert f.h == pytest.approx(1000.0 - g * 100.0 / 2, abs=0.05)
    assert f.vz == pytest.approx(-g * 10.0, abs=0.01)


@pytest.mark.parametrize("alt_m", [500.0, 3000.0, 8000.0])
def test_descent_settles_at_the_terminal_velocity_closed_form(alt_m):
    mass, cda = 45.0, 20.0
    f = Flight(
        mass_kg=mass, cd_area_m2=cda, alt_m=alt_m + 200.0, speed_m_s=0.0, flight_path_deg=-90
    )
    while f.h > alt_m:
        f.advance_to(f.t_s + 0.01)
    rho = float(ambiance.Atmosphere([f.h]).density[0])
    g = GM / (physics.EARTH_RADIUS_M + f.h) ** 2
    v_terminal = math.sqrt(2 * mass * g / (rho * cda))
    assert -f.vz == pytest.approx(v_terminal, rel=2e-3)
    assert physics.terminal_speed_m_s(mass, cda, f.h) == pytest.approx(v_terminal, rel=2e-4)


def test_circular_orbit_speed_keeps_a_vacuum_orbit_at_constant_altitude():
    alt = 400000.0
    v = math.sqrt(GM / (physics.EARTH_RADIUS_M + alt))
    f = Flight(mass_kg=10.0, cd_area_m2=0.0, alt_m=alt, speed_m_s=v, max_dt_s=0.1)
    f.advance_to(1500.0)  # a quarter of an orbit
    assert f.h == pytest.approx(alt, abs=5.0)
    assert math.hypot(f.ve, f.vn) == pytest.approx(v, rel=1e-6)
    # the ground track is an arc of (R / (R + h)) * v * t along the surface
    assert f.e == pytest.approx(
        v * 1500.0 * physics.EARTH_RADIUS_M / (physics.EARTH_RADIUS_M + alt), rel=1e-6
    )


def test_leo_entry_decelerates_a_few_g_and_stays_subsonic_below_20_km():
    f = Flight(mass_kg=45.0, cd_area_m2=0.6, alt_m=120000.0, speed_m_s=7800.0, flight_path_deg=-1.5)
    peak = 0.0
    t = 0.0
    while f.h > 20000.0:
        t += 0.05
        f.advance_to(t)
        peak = max(peak, f.truth().aero_accel_m_s2 / physics.G0_M_S2)
    assert 5.0 < peak < 12.0
    assert f.truth().mach < 1.0


# -- chutes and the board's decisions ---------------------------------------------------
def test_chute_adds_nothing_before_line_stretch_then_grows_linearly():
    c = Chute("main", cd_area_m2=20.0, inflation_s=2.0, deploy_delay_s=0.5)
    assert c.cd_area_at(10.0) == 0.0
    c.fired_at_s = 10.0
    assert c.cd_area_at(10.4) == 0.0
    assert c.cd_area_at(11.5) == pytest.approx(10.0)
    assert c.cd_area_at(13.0) == 20.0
    c.fails = True
    assert c.cd_area_at(13.0) == 0.0


def _drop(fire_main_at=None, main_fails=False, max_speed=math.inf):
    f = Flight(
        mass_kg=45.0,
        cd_area_m2=0.6,
        alt_m=3000.0,
        chutes=[Chute("main", 18.0, 3.0, 0.8, fails=main_fails, max_deploy_speed_m_s=max_speed)],
    )
    t = 0.0
    while f.landing is None:
        t += 0.01
        if fire_main_at is not None and t >= fire_main_at:
            f.fire("main", t)
        f.advance_to(t)
    return f


def test_a_fired_main_slows_the_landing_and_a_late_one_does_not():
    early = _drop(fire_main_at=5.0)
    never = _drop()
    late = _drop(fire_main_at=never.landing.t_s - 1.2)  # opens 0.4 s before the ground
    v_main = physics.terminal_speed_m_s(45.0, 18.6, 0.0)
    v_free = physics.terminal_speed_m_s(45.0, 0.6, 0.0)
    assert early.landing.vertical_speed_m_s == pytest.approx(v_main, rel=0.01)
    assert never.landing.vertical_speed_m_s == pytest.approx(v_free, rel=0.01)
    assert late.landing.vertical_speed_m_s > 2 * v_main
    assert early.landing.t_s > late.landing.t_s > never.landing.t_s


def test_a_failed_or_shredded_main_adds_no_drag():
    failed = _drop(fire_main_at=5.0, main_fails=True)
    shredded = _drop(fire_main_at=20.0, max_speed=30.0)
    never = _drop()
    assert failed.landing.vertical_speed_m_s == pytest.approx(never.landing.vertical_speed_m_s)
    assert shredded.chute("main").shredded
    assert shredded.landing.vertical_speed_m_s == pytest.approx(never.landing.vertical_speed_m_s)


def test_fire_is_latched_per_channel():
    f = Flight(mass_kg=10.0, cd_area_m2=0.1, alt_m=1000.0, chutes=[Chute("drogue", 1.0, 1.0)])
    assert f.fire("drogue", 1.0)
    assert not f.fire("drogue", 2.0)
    assert f.chute("drogue").fired_at_s == 1.0
    assert not f.fire("main", 1.0)  # no chute on that channel


def test_main_line_stretch_releases_the_drogue():
    f = Flight(
        mass_kg=45.0,
        cd_area_m2=0.6,
        alt_m=5000.0,
        chutes=[Chute("drogue", 1.6, 1.0, 0.5, released_by="main"), Chute("main", 18.0, 3.0, 0.8)],
    )
    f.fire("drogue", 0.0)
    f.advance_to(5.0)
    assert f.cd_area_at(5.0) == pytest.approx(0.6 + 1.6)
    f.fire("main", 5.0)
    f.advance_to(20.0)
    assert f.chute("drogue").released_at_s == pytest.approx(5.8, abs=0.011)
    assert f.cd_area_at(20.0) == pytest.approx(0.6 + 18.0)


def test_touchdown_is_interpolated_to_the_ground_and_then_the_capsule_rests():
    f = Flight(mass_kg=1.0, cd_area_m2=0.0, alt_m=1100.0, ground_elevation_m=1000.0)
    f.advance_to(30.0)
    g = physics.gravity_m_s2(1050.0)
    t_impact = math.sqrt(2 * 100.0 / g)
    assert f.landing.t_s == pytest.approx(t_impact, abs=1e-3)
    assert f.landing.vertical_speed_m_s == pytest.approx(g * t_impact, rel=1e-3)
    assert f.h == 1000.0 and f.vz == 0.0
    truth = f.truth()
    assert truth.landed and truth.agl_m == 0.0
    assert truth.aero_accel_m_s2 == pytest.approx(physics.G0_M_S2)


def test_capsule_under_a_chute_drifts_with_the_wind():
    wind = Wind(altitude_m=(0.0, 10000.0), speed_m_s=(8.0, 8.0), from_deg=(270.0, 270.0))
    f = Flight(
        mass_kg=45.0,
        cd_area_m2=0.6,
        alt_m=2000.0,
        wind=wind,
        chutes=[Chute("main", 18.0, 1.0, 0.0)],
    )
    f.fire("main", 0.0)
    f.advance_to(120.0)
    assert f.ve == pytest.approx(8.0, abs=0.05)  # from the west: drifts east
    assert f.vn == pytest.approx(0.0, abs=0.05)


def test_wind_interpolates_between_layers():
    w = Wind(altitude_m=(0.0, 1000.0), speed_m_s=(0.0, 10.0), from_deg=(0.0, 0.0))
    assert w.at(500.0) == pytest.approx((0.0, -5.0))
    assert w.at(-10.0) == pytest.approx((0.0, 0.0))
    assert w.at(5000.0) == pytest.approx((0.0, -10.0))


def test_ground_track_follows_the_great_circle():
    lat, lon = physics.destination(
        0.0, 0.0, 1000.0 * math.pi * physics.EARTH_RADIUS_M / 180.0 / 1000.0, 0.0
    )
    assert lat == pytest.approx(0.0, abs=1e-9)
    assert lon == pytest.approx(1.0, abs=1e-9)
    lat, lon = physics.destination(-29.5, 128.0, 0.0, 10000.0)
    east, north = physics.local_offset_m(-29.5, 128.0, lat, lon)
    assert north == pytest.approx(10000.0, rel=1e-4) and abs(east) < 0.01


def test_touchdown_is_a_pulse_that_stops_the_landing_speed_then_one_g():
    f = Flight(mass_kg=45.0, cd_area_m2=18.0, alt_m=50.0, impact_s=0.1)
    f.advance_to(60.0)
    land = f.landing
    ts = [land.t_s + i * 1e-4 for i in range(1000)]  # 0.1 s
    pulse = [f.ground_force_m_s2(t) - physics.G0_M_S2 for t in ts]
    assert sum(pulse) * 1e-4 == pytest.approx(land.speed_m_s, rel=1e-3)
    assert max(pulse) == pytest.approx(math.pi / 2 * land.speed_m_s / 0.1, rel=1e-3)
    assert f.ground_force_m_s2(land.t_s + 0.2) == physics.G0_M_S2
    assert f.ground_force_m_s2(land.t_s - 0.01) == physics.G0_M_S2
