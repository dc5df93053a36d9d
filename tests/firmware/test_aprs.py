"""LoRa APRS packets built on MicroPython, judged by aprslib (an independent
APRS parser): every packet must parse, with the position within the format's
resolution, the altitude and the symbol we sent."""

import aprslib
import pytest
from beacon_cases import alloc_per_201_packets, build_on_mpy, fix_cases, lat_of, lon_of, make_fix
from cpython_firmware import import_firmware
from hypothesis import given, settings
from hypothesis import strategies as st

from host_tools.protocol.packets import decode_aprs

PREFIX = b"<\xff\x01"
CASES = fix_cases()

# Resolution: uncompressed = 1/100 minute (rounded: half of it); compressed =
# 1/380926 degree of latitude and 1/190463 of longitude (rounded: half).
UNCOMPRESSED_TOL = 0.5 / 6000 + 1e-9
COMPRESSED_LAT_TOL = 0.5 / 380926 + 1e-7
COMPRESSED_LON_TOL = 0.5 / 190463 + 1e-7
FEET = 0.3048


def expected_lat_lon(c):
    lat, lon = lat_of(c), lon_of(c)
    return max(-90.0, min(90.0, lat)), max(-180.0, min(180.0, lon))


def parse(packet):
    assert packet.startswith(PREFIX)
    return aprslib.parse(packet[len(PREFIX) :])


@pytest.fixture(scope="module")
def uncompressed(mpy_port):
    return build_on_mpy("aprs.AprsFormat(cfg)", CASES)[0]


@pytest.fixture(scope="module")
def compressed(mpy_port):
    return build_on_mpy("aprs.AprsFormat(cfg, compressed=True)", CASES)[0]


def check_altitude(p, c):
    if c["alt_ok"]:
        assert p["altitude"] == pytest.approx(c["alt_cm"] / 100, abs=FEET / 2 + 1e-6)
    else:
        assert "altitude" not in p


def test_every_uncompressed_packet_parses_with_our_position_altitude_and_symbol(uncompressed):
    assert len(uncompressed) == len(CASES)
    for pkt, c in zip(uncompressed, CASES):
        p = parse(pkt)
        assert p["format"] == "uncompressed"
        assert p["from"] == "N0CALL-11" and p["to"] == "APZCAP" and p["path"] == ["WIDE1-1"]
        assert (p["symbol_table"], p["symbol"]) == ("/", "O")
        lat, lon = expected_lat_lon(c)
        # APRS has two latitude degree digits: 90 deg is sent as 89 deg 59.99 min
        lat_tol = UNCOMPRESSED_TOL if abs(lat) < 89.9999 else 0.01 / 60 + 1e-9
        lon_tol = UNCOMPRESSED_TOL if abs(lon) < 179.9999 else 0.01 / 60 + 1e-9
        assert p["latitude"] == pytest.approx(lat, abs=lat_tol), pkt
        assert p["longitude"] == pytest.approx(lon, abs=lon_tol), pkt
        check_altitude(p, c)


def test_every_compressed_packet_parses_with_our_position_altitude_and_symbol(compressed):
    for pkt, c in zip(compressed, CASES):
        p = parse(pkt)
        assert p["format"] == "compressed"
        assert (p["symbol_table"], p["symbol"]) == ("/", "O")
        lat, lon = expected_lat_lon(c)
        assert p["latitude"] == pytest.approx(lat, abs=COMPRESSED_LAT_TOL), pkt
        assert p["longitude"] == pytest.approx(lon, abs=COMPRESSED_LON_TOL), pkt
        check_altitude(p, c)
        assert p["gpsfixstatus"] == 1  # age 3 s: a current fix


def test_compressed_is_shorter_and_more_precise_than_uncompressed(uncompressed, compressed):
    assert all(len(c) < len(u) for u, c in zip(uncompressed, compressed))
    err_u = max(
        abs(parse(p)["latitude"] - lat_of(c)) for p, c in zip(uncompressed[11:], CASES[11:])
    )
    err_c = max(abs(parse(p)["latitude"] - lat_of(c)) for p, c in zip(compressed[11:], CASES[11:]))
    assert err_c < err_u / 10


def test_hemispheres_and_the_exact_text_of_a_known_position(uncompressed):
    # 49 deg 3.50 min N, 72 deg 1.75 min W: the APRS spec's own example position
    pk, _ = build_on_mpy(
        "aprs.AprsFormat(cfg)", [make_fix(490_583_333, -720_291_667, alt_cm=37612)]
    )
    assert pk[0] == (
        b"<\xff\x01N0CALL-11>APZCAP,WIDE1-1:!4903.50N/07201.75WO/A=001234"
        b" MAIN sat=9 age=3s bat=3712mV #42"
    )
    south_west = parse(uncompressed[1])
    assert south_west["latitude"] <= 0 and south_west["longitude"] <= 0
    assert b"0000.00S" in uncompressed[1] and b"00000.00W" in uncompressed[1]


def test_below_sea_level_altitude_uses_the_negative_form(uncompressed):
    pkt = uncompressed[7]
    assert b"/A=-00040" in pkt  # -12.34 m = -40.5 ft
    assert parse(pkt)["altitude"] == pytest.approx(-40 * FEET)


def test_the_comment_carries_phase_satellites_age_battery_and_sequence(uncompressed):
    rep = decode_aprs(uncompressed[0])
    assert (rep.phase, rep.sats, rep.fix_age_s, rep.batt_mv, rep.seq) == ("MAIN", 9, 3, 3712, 42)
    assert rep.fresh is True


def test_a_stale_fix_is_marked_old_in_the_compressed_type_byte():
    pk, _ = build_on_mpy("aprs.AprsFormat(cfg, compressed=True)", [CASES[20]], age=3600)
    p = parse(pk[0])
    assert p["gpsfixstatus"] == 0
    assert decode_aprs(pk[0]).fix_age_s == 3600


def test_without_any_position_a_status_report_is_sent():
    pk, _ = build_on_mpy("aprs.AprsFormat(cfg)", [None], age=-1, phase=5)
    p = parse(pk[0])
    assert p["format"] == "status"
    assert p["status"] == "LANDED nofix bat=3712mV #42"


@pytest.mark.parametrize(
    "callsign,ssid,source,fault",
    [
        ("N0CALL", 0, "N0CALL", False),
        ("dl1abc", 9, "DL1ABC-9", False),  # upper-cased, not a fault
        ("VK2/ABC-7", 3, "VK2ABC-3", True),
        ("", 5, "N0CALL-5", True),
        ("N0CALL", 16, "N0CALL", True),  # SSID 16 does not exist
    ],
)
def test_the_source_address_is_sanitised_to_what_aprs_accepts(callsign, ssid, source, fault):
    pk, cfg_fault = build_on_mpy("aprs.AprsFormat(cfg)", [CASES[0]], callsign=callsign, ssid=ssid)
    assert parse(pk[0])["from"] == source
    assert cfg_fault is fault


def test_path_and_symbol_come_from_the_constructor():
    pk, _ = build_on_mpy('aprs.AprsFormat(cfg, path=b"WIDE2-1", symbol="/s")', [CASES[0]])
    p = parse(pk[0])
    assert p["path"] == ["WIDE2-1"] and p["symbol"] == "s"


def test_garbled_fix_values_still_give_a_parseable_packet():
    bad = [
        {"mode": 3, "lat_deg": 400, "lat_e7r": 99_999_999, "lon_deg": -999, "lon_e7r": -5,
         "alt_cm": 10**9, "alt_ok": True, "sats": 300, "hour": 99, "minute": 99, "second": 99},
        {"mode": 3, "lat_deg": -91, "lat_e7r": 0, "lon_deg": 181, "lon_e7r": 1,
         "alt_cm": -(10**9), "alt_ok": True, "sats": -1, "hour": 0, "minute": 0, "second": 0},
    ]  # fmt: skip
    for ctor in ("aprs.AprsFormat(cfg)", "aprs.AprsFormat(cfg, compressed=True)"):
        pk, _ = build_on_mpy(ctor, bad, age=10**10, vbatt=-5, seq=-3)
        for pkt in pk:
            p = parse(pkt)
            assert abs(p["latitude"]) <= 90 and abs(p["longitude"]) <= 180


@pytest.mark.parametrize(
    "ctor", ["aprs.AprsFormat(Cfg())", "aprs.AprsFormat(Cfg(), compressed=True)"]
)
def test_building_packets_allocates_nothing_after_warm_up(ctor):
    assert alloc_per_201_packets(ctor) == 0


# -- bonus: the same module imported on CPython, fuzzed by hypothesis ---------------


@pytest.fixture(scope="module")
def aprs_on_cpython():
    return import_firmware("aprs"), import_firmware("fix")


class _Cfg:
    callsign = "N0CALL"
    ssid = 11


@settings(max_examples=300, deadline=None)
@given(
    lat=st.integers(-900_000_000, 900_000_000),
    lon=st.integers(-1_800_000_000, 1_800_000_000),
    alt=st.integers(-100_000, 5_000_000),
    compressed=st.booleans(),
)
def test_fuzzed_positions_parse_back_within_resolution(aprs_on_cpython, lat, lon, alt, compressed):
    aprs, fix = aprs_on_cpython
    f = fix.Fix()
    for k, v in make_fix(lat, lon, alt_cm=alt).items():
        setattr(f, k, v)
    fmt = aprs.AprsFormat(_Cfg(), compressed=compressed)
    n = fmt.build(f, 1, 4, 3900, 1)
    p = parse(bytes(fmt.buf[:n]))
    want_lat, want_lon = lat / 1e7, lon / 1e7
    if compressed:
        assert p["latitude"] == pytest.approx(want_lat, abs=COMPRESSED_LAT_TOL)
        assert p["longitude"] == pytest.approx(want_lon, abs=COMPRESSED_LON_TOL)
    else:
        tol = 0.01 / 60 + 1e-9  # includes the 89 deg 59.99 min clamp
        assert p["latitude"] == pytest.approx(want_lat, abs=tol)
        assert p["longitude"] == pytest.approx(want_lon, abs=tol)
    assert p["altitude"] == pytest.approx(alt / 100, abs=FEET / 2 + 1e-6)
