"""Pressure -> altitude by the U.S. Standard Atmosphere 1976, in integers.

Why: the sequencer turns every baro sample into an altitude, at up to 200 Hz,
on a port where a float is a heap object and a small int has 31 bits. This
module promises that `altitude_cm(press, frac_bits)` allocates nothing and
keeps every intermediate below 2**30.

How: log2 of the pressure in Q16 (a 257-entry mantissa table, linear
interpolation), then linear interpolation of geopotential altitude in a table
of log2(pressure) at 250 m geopotential steps from -2 km to 85 km. In log
space altitude is exactly linear in isothermal layers and nearly linear in the
others (the worst interpolation error is 0.2 m, in the troposphere, where the
lapse rate bends the curve most). Geopotential H becomes geometric z by
z = r0*H/(r0 - H) with r0 = 6 356 766 m, in split integer products.

Layers (geopotential base m, base K, lapse K/m) are those of the 1976
standard up to 84 852 m geopotential (86 km geometric); above it the table's
last layer is continued to 85 000 m and altitudes saturate there.

The tables are built once at import from the standard's formulas (floats at
import only; float32 on rp2 is precise enough, see `_build`). They take
about 2.5 KB of RAM (two `array('i')`).

Pressure resolution: the flight path takes integer decipascal, which resolves
altitude to better than 1 m up to the MS5611's 10 mbar floor (about 31 km).
`altitude_cm(mant, frac_bits)` takes a pressure of mant / 2**frac_bits dPa:
finer steps, for the tests of the whole 0-86 km range.
"""

import math
import micropython
from array import array
from micropython import const

STEP_M = const(250)  # geopotential table step
STEP_CM = const(25000)
TABLE_BASE_M = const(-2000)  # lowest table node (about 128 kPa)
TABLE_TOP_M = const(85000)  # highest node; the standard ends at 84 852 m
N_NODES = const(349)  # (TABLE_TOP_M - TABLE_BASE_M) // STEP_M + 1
EARTH_R0_M = const(6356766)  # effective Earth radius of the 1976 standard
SEA_LEVEL_PA = const(101325)
Q16 = const(65536)

# 1976 standard constants: g0 (m/s2), R* (J/(mol K)), M0 (kg/mol).
_G0 = 9.80665
_R_STAR = 8.31432
_M0 = 0.0289644

# (base geopotential altitude m, base temperature K, lapse rate K/m)
LAYERS = (
    (0, 288.15, -0.0065),
    (11000, 216.65, 0.0),
    (20000, 216.65, 0.001),
    (32000, 228.65, 0.0028),
    (47000, 270.65, 0.0),
    (51000, 270.65, -0.0028),
    (71000, 214.65, -0.002),
)

_LOG2_MANT = array("i", bytes(4 * 257))  # log2(1 + i/256) in Q16
_LOG2P = array("i", bytes(4 * N_NODES))  # log2(pressure in dPa) in Q16 per node
_HINT = array("i", [0])  # last node found: pressure changes little between samples


def _ln_pressure_pa(h_m):
    """ln(pressure / Pa) at geopotential h_m, straight from the standard (floats).

    Integrates the hydrostatic equation layer by layer from sea level:
    isothermal layers decay exponentially, the others follow (T/Tb)**(-g0 M0/(R* L))."""
    gmr = _G0 * _M0 / _R_STAR  # K/m
    ln_p = math.log(SEA_LEVEL_PA)
    n = len(LAYERS)
    for i in range(n):
        hb, tb, lapse = LAYERS[i]
        last = i + 1 == n or h_m <= LAYERS[i + 1][0]
        dh = (h_m if last else LAYERS[i + 1][0]) - hb
        if lapse == 0.0:
            ln_p -= gmr * dh / tb
        else:
            ln_p -= gmr / lapse * math.log((tb + lapse * dh) / tb)
        if last:
            break
    return ln_p


def _build(ln_pressure_pa):
    # float32 (rp2) keeps about 7 digits: ln(p) < 15, so the table entries are
    # within 1e-6 of exact, far below the Q16 step of 1.5e-5.
    ln2 = math.log(2.0)
    for i in range(257):
        _LOG2_MANT[i] = int(math.log(1.0 + i / 256.0) / ln2 * Q16 + 0.5)
    for i in range(N_NODES):
        h = TABLE_BASE_M + i * STEP_M
        # log2(p_dPa) = (ln p_Pa + ln 10) / ln 2
        _LOG2P[i] = int((ln_pressure_pa(h) + math.log(10.0)) / ln2 * Q16 + 0.5)


_build(_ln_pressure_pa)
del _build, _ln_pressure_pa  # import-time only: free their RAM


@micropython.viper
def altitude_cm(press: int, frac_bits: int) -> int:
    """Geometric altitude above mean sea level (cm) for a pressure of
    press / 2**frac_bits dPa (the flight loop: whole dPa, frac_bits 0).

    Native code (viper: machine-word integers, the tables read through
    pointers), every intermediate below 2**30 so 32-bit words suffice; press
    must be below 2**30 (a small int on a 32-bit port). Three steps:
    log2(press) in Q16 (the mantissa normalised to 23 bits, its top 8 bits
    index _LOG2_MANT and the next 14 interpolate: products < 2**23), less
    frac_bits; the geopotential altitude from the node table, walking from the
    last node found; then geometric z - H = H*H / (r0 - H), with H in metres
    split so every product < 2**29. (viper takes no default arguments.)"""
    mant = ptr32(_LOG2_MANT)
    nodes = ptr32(_LOG2P)
    hint = ptr32(_HINT)
    x = press
    if x <= 0:
        h_cm = TABLE_TOP_M * 100  # no pressure at all: the table's ceiling
    else:
        e = 22
        while x >= 0x800000:
            x >>= 1
            e += 1
        while x < 0x400000:
            x <<= 1
            e -= 1
        i = (x >> 14) - 256
        lo = int(mant[i])
        lp = (e << 16) + lo + (((int(mant[i + 1]) - lo) * (x & 0x3FFF)) >> 14)
        lp -= frac_bits << 16
        if lp >= int(nodes[0]):
            hint[0] = 0
            h_cm = TABLE_BASE_M * 100
        elif lp <= int(nodes[N_NODES - 1]):
            hint[0] = N_NODES - 2
            h_cm = TABLE_TOP_M * 100
        else:
            # walk from the last node found: one or two steps between samples
            i = int(hint[0])
            while int(nodes[i]) < lp:
                i -= 1
            while int(nodes[i + 1]) >= lp:
                i += 1
            hint[0] = i
            top = int(nodes[i])
            h_cm = (TABLE_BASE_M + i * STEP_M) * 100 + (STEP_CM * (top - lp)) // (
                top - int(nodes[i + 1])
            )
    h_m = h_cm // 100
    t = (h_m << 12) // ((EARTH_R0_M - h_m) >> 10)
    return h_cm + (((h_cm >> 10) * t) >> 12)


class Altimeter:
    """Height above the configured ground for a pressure, in cm, for the flight loop.

    `sea_level_pa` (QNH) shifts the standard's scale to the day's sea-level
    pressure by subtracting the standard altitude of that pressure, the usual
    altimeter-setting approximation; `ground_elevation_m` is the elevation of
    the landing site (0 over the ocean). `agl_cm` allocates nothing."""

    def __init__(self, ground_elevation_m=0, sea_level_pa=SEA_LEVEL_PA):
        self.offset_cm = altitude_cm(sea_level_pa * 10, 0) + ground_elevation_m * 100

    def agl_cm(self, press_dpa):
        return altitude_cm(press_dpa, 0) - self.offset_cm
