"""Integer pressure -> altitude (firmware/atmosphere.py) on MicroPython, checked
against the `ambiance` package (ICAO 1993 = US Standard Atmosphere 1976 up to
80 km geopotential) on CPython.

Tolerance: 0.1 % of the altitude, with an absolute floor of 0.5 m so the
check stays meaningful near sea level (0.1 % of 0 m is 0). Above 81 km
`ambiance` is used with check_bounds=False: its last layer (lapse -2 K/km
from 80 km) is the 1976 standard's 71-84.852 km layer, so it stays the
reference up to 86 km geometric.
"""

import json
import random

import ambiance
import numpy as np
from mpy import SCRIPTS, run_mpy

REL_TOL = 1e-3
ABS_TOL_M = 0.5


def _tolerance(h_m):
    return max(REL_TOL * abs(h_m), ABS_TOL_M)


def _mant_bits(p_dpa):
    """p as mant / 2**bits with mant near 2**28 (fine resolution at 86 km)."""
    bits = 0
    while p_dpa * 2**bits < 2**28:
        bits += 1
    return round(p_dpa * 2**bits), bits


def _reference(heights):
    atm = ambiance.Atmosphere(np.array(heights, dtype=float), check_bounds=False)
    return atm.pressure, atm.H


def test_altitude_matches_ambiance_from_sea_level_to_86_km():
    rng = random.Random(4)
    heights = [0.0, 1.0, 5.0, 11000.0, 20000.0, 32000.0, 47000.0, 51000.0, 71000.0, 86000.0]
    heights += [float(h) for h in range(0, 86001, 500)]
    heights += [rng.uniform(0.0, 86000.0) for _ in range(300)]
    pressures, _ = _reference(heights)
    cases = [_mant_bits(p * 10.0) for p in pressures]
    out = run_mpy(
        "import atmosphere, json\n"
        f"cases = {json.dumps(cases)}\n"
        "print(json.dumps([atmosphere.altitude_cm(m, b) for m, b in cases]))"
    )
    got = json.loads(out)
    worst = 0.0
    for h, z_cm in zip(heights, got):
        assert abs(z_cm / 100 - h) <= _tolerance(h), (h, z_cm / 100)
        worst = max(worst, abs(z_cm / 100 - h) / max(h, 500.0))
    assert worst < REL_TOL


def test_decipascal_input_is_within_tolerance_over_the_baro_range():
    # the flight path: integer dPa, from 1200 mbar down to the MS5611's 10 mbar
    heights = [float(h) for h in range(-1500, 31001, 250)]
    pressures, _ = _reference(heights)
    press = [round(p * 10.0) for p in pressures]
    out = run_mpy(
        "import atmosphere, json\n"
        f"print(json.dumps([atmosphere.altitude_cm(p, 0) for p in {json.dumps(press)}]))"
    )
    for h, z_cm in zip(heights, json.loads(out)):
        assert abs(z_cm / 100 - h) <= _tolerance(h), (h, z_cm / 100)


def test_ground_elevation_and_sea_level_pressure_shift_the_height():
    # QNH 1020 hPa: the standard altitude of 1020 hPa (about -56 m) is the new zero
    p_qnh, _ = _reference([0.0])
    shift_h = ambiance.Atmosphere.from_pressure(102000.0).h[0]
    p500 = ambiance.Atmosphere(500.0).pressure[0]
    out = run_mpy(
        "import atmosphere\n"
        "a = atmosphere.Altimeter(ground_elevation_m=500)\n"
        "b = atmosphere.Altimeter(0, sea_level_pa=102000)\n"
        f"print(a.agl_cm({round(p500 * 10)}), b.agl_cm({round(p_qnh[0] * 10)}))"
    )
    agl_at_site, agl_qnh = (int(x) / 100 for x in out.split())
    assert abs(agl_at_site) <= ABS_TOL_M  # standing on a 500 m site reads 0 m AGL
    assert abs(agl_qnh - (0.0 - shift_h)) <= 1.0  # 1013.25 hPa is ~56 m above QNH 1020


def test_out_of_table_pressures_saturate_instead_of_failing():
    out = run_mpy(
        "import atmosphere\n"
        "A = atmosphere.altitude_cm\n"
        "print(A(0, 0), A(-5, 0), A(2**30 - 1, 0), A(1, 0))"
    )
    top, neg, huge, tiny = (int(x) for x in out.split())
    assert top == neg and 8600000 <= top <= 8700000  # no pressure: the ceiling, ~86.2 km
    assert -200000 <= huge <= -199000  # beyond the table floor: -2 km
    assert 8000000 <= tiny <= top  # 0.1 Pa: at or below the ceiling


def test_worst_case_products_stay_below_2_pow_30():
    out = run_mpy(file=SCRIPTS / "atmosphere_products.py")
    for value in (int(x) for x in out.split()):
        assert abs(value) < 2**30


def test_altitude_allocates_nothing_per_sample():
    out = run_mpy(file=SCRIPTS / "atmosphere_alloc.py")
    assert int(out) == 0
