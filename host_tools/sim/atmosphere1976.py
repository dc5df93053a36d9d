"""The U.S. Standard Atmosphere 1976 in plain floats, fast enough to call four
times per integration step of a 20-minute descent.

Below 86 km (geometric) it is the standard's own closed form: seven layers of
constant lapse rate in geopotential altitude, pressure from the hydrostatic
equation, density from the ideal gas law with the molecular-scale temperature.
Above 86 km the standard integrates species diffusion equations; here the
temperature follows the standard's defining profile (isothermal to 91 km, the
elliptical segment to 110 km, linear to 120 km, exponential above) and pressure
and density are interpolated log-linearly between the standard's tabulated
values (NOAA/NASA/USAF, U.S. Standard Atmosphere 1976, Table I). That is within
a few per cent, which matters little: above 86 km drag decelerates an entering
capsule by well under 0.1 g.

`ambiance` implements the same standard to 81 km with numpy arrays; the tests
use it as an independent check. This module stays dependency-free because the
integrator calls it per step with one scalar, where numpy's per-call overhead
would dominate.
"""

import math
from bisect import bisect_right

from host_tools.paths import firmware_module

G0_M_S2 = 9.80665
R_AIR_J_KG_K = 287.05287  # R* / M0 = 8314.32 / 28.9644
GAMMA_AIR = 1.4
EARTH_RADIUS_GEOPOTENTIAL_M = 6356766.0  # r0 of the standard
SEA_LEVEL_PRESSURE_PA = 101325.0
SEA_LEVEL_TEMPERATURE_K = 288.15

# (geopotential base altitude m, base temperature K, lapse rate K/m): the
# standard's seven layers, one home for them (the firmware's own table)
_LAYERS = firmware_module("atmosphere").LAYERS
_H_TOP_M = 84852.0  # geopotential altitude of 86 km geometric
Z_HOMOSPHERE_TOP_M = 86000.0


def _base_pressures():
    pressures = [SEA_LEVEL_PRESSURE_PA]
    for i in range(len(_LAYERS) - 1):
        hb, tb, lapse = _LAYERS[i]
        h_next = _LAYERS[i + 1][0]
        pressures.append(_layer_pressure(pressures[-1], tb, lapse, h_next - hb))
    return tuple(pressures)


def _layer_pressure(pb, tb, lapse, dh):
    if lapse == 0.0:
        return pb * math.exp(-G0_M_S2 * dh / (R_AIR_J_KG_K * tb))
    return pb * ((tb + lapse * dh) / tb) ** (-G0_M_S2 / (R_AIR_J_KG_K * lapse))


_BASE_P = _base_pressures()
_LAYER_H = tuple(layer[0] for layer in _LAYERS)
# Precomputed per-layer constants for the hot path: (hb, tb, lapse, pb, exponent or coefficient)
_LAYER_FAST = tuple(
    (
        hb,
        tb,
        lapse,
        pb,
        (-G0_M_S2 / (R_AIR_J_KG_K * lapse)) if lapse else (-G0_M_S2 / (R_AIR_J_KG_K * tb)),
    )
    for (hb, tb, lapse), pb in zip(_LAYERS, _BASE_P)
)

# U.S. Standard Atmosphere 1976, Table I (geometric altitude):
# altitude m, kinetic temperature K, pressure Pa, density kg/m3
_UPPER = (
    (86000.0, 186.87, 3.7338e-1, 6.958e-6),
    (90000.0, 186.87, 1.8359e-1, 3.416e-6),
    (95000.0, 188.42, 7.5966e-2, 1.393e-6),
    (100000.0, 195.08, 3.2011e-2, 5.604e-7),
    (110000.0, 240.00, 7.1042e-3, 9.708e-8),
    (120000.0, 360.00, 2.5382e-3, 2.222e-8),
    (130000.0, 469.27, 1.2505e-3, 8.152e-9),
    (150000.0, 634.39, 4.5422e-4, 2.076e-9),
)
_UPPER_Z = tuple(row[0] for row in _UPPER)
_UPPER_LNP = tuple(math.log(row[2]) for row in _UPPER)
_UPPER_LNRHO = tuple(math.log(row[3]) for row in _UPPER)


def geopotential_m(z_m):
    """Geopotential altitude for a geometric altitude (both metres)."""
    return EARTH_RADIUS_GEOPOTENTIAL_M * z_m / (EARTH_RADIUS_GEOPOTENTIAL_M + z_m)


def _upper_temperature_k(z_m):
    """The standard's defining kinetic temperature above 86 km."""
    if z_m < 91000.0:
        return 186.8673
    if z_m < 110000.0:
        x = (z_m - 91000.0) / -19942.9
        return 263.1905 - 76.3232 * math.sqrt(max(0.0, 1.0 - x * x))
    if z_m < 120000.0:
        return 240.0 + 0.012 * (z_m - 110000.0)
    r0 = EARTH_RADIUS_GEOPOTENTIAL_M
    xi = (z_m - 120000.0) * (r0 + 120000.0) / (r0 + z_m)
    return 1000.0 - 640.0 * math.exp(-0.01875e-3 * xi)


def _upper_log_interp(z_m, table):
    i = bisect_right(_UPPER_Z, z_m) - 1
    if i >= len(_UPPER_Z) - 1:
        i = len(_UPPER_Z) - 2  # above the table: extend the last scale height
    z0, z1 = _UPPER_Z[i], _UPPER_Z[i + 1]
    f = (z_m - z0) / (z1 - z0)
    return math.exp(table[i] + f * (table[i + 1] - table[i]))


def properties(z_m):
    """(temperature K, pressure Pa, density kg/m3, speed of sound m/s) at a
    geometric altitude above mean sea level (m); valid from -5 km to ~200 km."""
    if z_m >= Z_HOMOSPHERE_TOP_M:
        t = _upper_temperature_k(z_m)
        p = _upper_log_interp(z_m, _UPPER_LNP)
        rho = _upper_log_interp(z_m, _UPPER_LNRHO)
        return t, p, rho, math.sqrt(GAMMA_AIR * R_AIR_J_KG_K * t)
    h = EARTH_RADIUS_GEOPOTENTIAL_M * z_m / (EARTH_RADIUS_GEOPOTENTIAL_M + z_m)
    i = bisect_right(_LAYER_H, h) - 1
    i = max(i, 0)
    hb, tb, lapse, pb, k = _LAYER_FAST[i]
    dh = h - hb
    if lapse:
        t = tb + lapse * dh
        p = pb * (t / tb) ** k
    else:
        t = tb
        p = pb * math.exp(k * dh)
    return t, p, p / (R_AIR_J_KG_K * t), math.sqrt(GAMMA_AIR * R_AIR_J_KG_K * t)


def pressure_pa(z_m):
    return properties(z_m)[1]


def density_kg_m3(z_m):
    """Density alone (the integrator's hot path: no tuple, no square root)."""
    if z_m >= Z_HOMOSPHERE_TOP_M:
        return _upper_log_interp(z_m, _UPPER_LNRHO)
    h = EARTH_RADIUS_GEOPOTENTIAL_M * z_m / (EARTH_RADIUS_GEOPOTENTIAL_M + z_m)
    i = bisect_right(_LAYER_H, h) - 1
    i = max(i, 0)
    hb, tb, lapse, pb, k = _LAYER_FAST[i]
    if lapse:
        t = tb + lapse * (h - hb)
        return pb * (t / tb) ** k / (R_AIR_J_KG_K * t)
    return pb * math.exp(k * (h - hb)) / (R_AIR_J_KG_K * tb)


def altitude_from_pressure_m(p_pa):
    """Geometric altitude (m) at which the standard atmosphere has pressure p_pa.

    The inverse of `properties` below 86 km (pressure altitude, as a flight
    computer computes it); log-interpolated above."""
    if p_pa <= 0:
        raise ValueError(f"pressure must be positive, got {p_pa!r}")
    if p_pa < _UPPER[0][2]:
        lnp = math.log(p_pa)
        for i in range(len(_UPPER) - 1):
            if lnp >= _UPPER_LNP[i + 1] or i == len(_UPPER) - 2:
                f = (lnp - _UPPER_LNP[i]) / (_UPPER_LNP[i + 1] - _UPPER_LNP[i])
                return _UPPER_Z[i] + f * (_UPPER_Z[i + 1] - _UPPER_Z[i])
    i = 0
    while i + 1 < len(_BASE_P) and p_pa < _BASE_P[i + 1]:
        i += 1
    hb, tb, lapse, pb, k = _LAYER_FAST[i]
    if lapse:
        h = hb + tb * ((p_pa / pb) ** (1.0 / k) - 1.0) / lapse
    else:
        h = hb + math.log(p_pa / pb) / k
    return EARTH_RADIUS_GEOPOTENTIAL_M * h / (EARTH_RADIUS_GEOPOTENTIAL_M - h)
