"""Every integer the beacon code forms stays a small int on a 32-bit board (< 2**30).

The unix port has 63-bit small ints, so an overflow there would go unnoticed.
Here the firmware modules are imported on CPython (they fall back to a plain
`const`) and fed `Guarded` integers: an int subclass whose every arithmetic
result is checked and stays Guarded, so each intermediate derived from an input
is checked, with the most extreme inputs the code accepts."""

import operator

import pytest
from cpython_firmware import import_firmware
from mpy import DRIVERS

LIMIT = 1 << 30


class Guarded(int):
    pass


def _wrap(op):
    def fwd(self, other):
        r = op(int(self), int(other))
        assert abs(r) < LIMIT, f"{op.__name__}({int(self)}, {int(other)}) = {r} >= 2**30"
        return Guarded(r)

    def rev(self, other):
        r = op(int(other), int(self))
        assert abs(r) < LIMIT, f"{op.__name__}({int(other)}, {int(self)}) = {r} >= 2**30"
        return Guarded(r)

    return fwd, rev


for _name, _op in [
    ("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
    ("floordiv", operator.floordiv), ("mod", operator.mod), ("lshift", operator.lshift),
    ("rshift", operator.rshift), ("and", operator.and_), ("or", operator.or_),
    ("xor", operator.xor),
]:  # fmt: skip
    _f, _r = _wrap(_op)
    setattr(Guarded, f"__{_name}__", _f)
    setattr(Guarded, f"__r{_name}__", _r)
Guarded.__neg__ = lambda self: Guarded(-int(self))
Guarded.__abs__ = lambda self: Guarded(abs(int(self)))


@pytest.fixture(scope="module")
def fw():
    names = {"aprs": "aprs", "ukhas": "ukhas", "sbd": "sbd", "fix": "fix"}
    names |= {"airtime": "beacon_airtime", "fmt": "beacon_fmt"}
    return {key: import_firmware(name) for key, name in names.items()}


class Cfg:
    callsign = "N0CALL"
    ssid = 11
    batt_low_mv = 3400


EXTREMES = [
    (90, 0, 180, 0),
    (-90, 0, -180, 0),
    (89, 9_999_999, 179, 9_999_999),
    (-89, -9_999_999, -179, -9_999_999),
    (0, -1, 0, -1),
    (1000, 99_999_999, -1000, -99_999_999),  # garbage from a broken parser
]


def guarded_fix(fw, lat_deg, lat_e7r, lon_deg, lon_e7r, alt_cm):
    f = fw["fix"].Fix()
    f.mode = 3
    f.lat_deg, f.lat_e7r = Guarded(lat_deg), Guarded(lat_e7r)
    f.lon_deg, f.lon_e7r = Guarded(lon_deg), Guarded(lon_e7r)
    f.alt_cm, f.alt_ok = Guarded(alt_cm), True
    f.sats, f.hdop_c = Guarded(99), Guarded(9999)
    f.hour, f.minute, f.second, f.day = Guarded(23), Guarded(59), Guarded(60), Guarded(31)
    return f


@pytest.mark.parametrize("lat_deg,lat_e7r,lon_deg,lon_e7r", EXTREMES)
@pytest.mark.parametrize("alt_cm", [-(10**9), -1234, 0, 1_073_741_823])
def test_packet_builders_keep_every_intermediate_below_2_30(
    fw, lat_deg, lat_e7r, lon_deg, lon_e7r, alt_cm
):
    f = guarded_fix(fw, lat_deg, lat_e7r, lon_deg, lon_e7r, alt_cm)
    builders = [
        fw["aprs"].AprsFormat(Cfg()),
        fw["aprs"].AprsFormat(Cfg(), compressed=True),
        fw["ukhas"].UkhasFormat(Cfg()),
        fw["sbd"].SbdFormat(Cfg()),
    ]
    for b in builders:
        for age in (Guarded(0), Guarded(LIMIT - 1)):
            n = b.build(f, age, Guarded(4), Guarded(65535), Guarded(LIMIT - 1))
            assert 0 < n <= len(b.buf)


def test_the_guard_does_catch_an_overflow():
    with pytest.raises(AssertionError, match="2\\*\\*30"):
        Guarded(180) * 10_000_000


@pytest.mark.parametrize("k", [380926, 190463])
def test_compressed_fraction_is_exact_and_small(fw, k):
    frac = fw["fmt"].frac_units
    for e7r in (0, 1, 4_999_999, 5_000_000, 9_999_999, 1234567):
        got = frac(Guarded(e7r), k)
        want = (e7r * k + 5_000_000) // 10_000_000  # exact, in CPython's big ints
        assert abs(got - want) <= 1


@pytest.mark.parametrize("sf", range(6, 13))
@pytest.mark.parametrize("bw", [7800, 10400, 62500, 125000, 500000])
def test_time_on_air_stays_small_for_the_longest_packets(fw, sf, bw):
    for cr in (5, 8):
        t = fw["airtime"].airtime_ms(Guarded(255), sf, bw, cr, preamble=Guarded(1000))
        assert t > 0


def test_frequency_register_math_stays_small(fw):
    sx127x = import_firmware("sx127x", DRIVERS)  # its beacon_airtime is imported by fw

    class Null:
        def write(self, b):
            pass

        def write_readinto(self, w, r):
            pass

        def value(self, v=None):
            return 0

    r = sx127x.SX127x(Null(), Null(), Null(), None, clock=object())
    for f_hz in (137_000_000, 433_775_000, 868_100_000, 1_020_000_000):
        assert r.set_frequency_hz(Guarded(f_hz))
