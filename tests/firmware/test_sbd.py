"""The Iridium SBD beacon built on MicroPython: one credit (<= 50 bytes),
decoded here with struct from the documented layout and by the host decoder."""

import binascii
import struct

import pytest
from beacon_cases import alloc_per_201_packets, build_on_mpy, fix_cases, lat_of, lon_of

from host_tools.protocol.packets import PHASE_NAMES, DecodeError, decode_packet, decode_sbd

CASES = fix_cases()
LAYOUT = ">BHBBBBBBiiiIHBBH"  # firmware/sbd.py docstring, CRC included


@pytest.fixture(scope="module")
def messages(mpy_port):
    return build_on_mpy("sbd.SbdFormat(cfg)", CASES, age=3, phase=5, vbatt=3300, seq=70000)[0]


def test_every_message_fits_one_credit_and_has_a_valid_crc(messages):
    for m in messages:
        assert len(m) == struct.calcsize(LAYOUT) == 31
        assert len(m) <= 50  # one Iridium credit
        crc = struct.unpack(">H", m[29:])[0]
        assert crc == binascii.crc_hqx(m[:29], 0xFFFF)


def test_fields_follow_the_documented_layout(messages):
    for m, c in zip(messages, CASES):
        (ver, seq, phase, flags, day, hh, mm, ss, lat, lon, alt, age, batt, sats, hdop, _) = (
            struct.unpack(LAYOUT, m)
        )  # fmt: skip
        assert ver == 1 and seq == 70000 % 65536 and phase == 5
        assert (day, hh, mm, ss) == (c["day"], c["hour"], c["minute"], c["second"])
        assert lat / 1e5 == pytest.approx(lat_of(c), abs=5e-6 + 1e-12)
        assert lon / 1e5 == pytest.approx(lon_of(c), abs=5e-6 + 1e-12)
        assert alt == (round(c["alt_cm"] / 100 + 1e-9) if c["alt_ok"] else 0)
        assert age == 3 and batt == 3300 and sats == c["sats"] and hdop == 11
        assert flags & 1  # fresh
        assert bool(flags & 2) == (c["mode"] == 3)
        assert bool(flags & 4) == c["alt_ok"]
        assert flags & 8  # 3300 mV < batt_low_mv 3400
        assert not flags & 16


def test_the_host_decoder_reads_the_same_values(messages):
    for m, c in zip(messages[:50], CASES[:50]):
        rep = decode_sbd(m)
        assert rep.lat == pytest.approx(lat_of(c), abs=5e-6 + 1e-12)
        assert rep.lon == pytest.approx(lon_of(c), abs=5e-6 + 1e-12)
        assert rep.phase == "LANDED" and rep.batt_mv == 3300 and rep.fix_age_s == 3
        assert rep.extra["batt_low"] is True
        assert decode_packet(m).kind == "sbd"


def test_a_damaged_message_is_rejected(messages):
    m = bytearray(messages[3])
    m[10] ^= 0x01
    with pytest.raises(DecodeError, match="CRC"):
        decode_sbd(bytes(m))
    with pytest.raises(DecodeError, match="bytes"):
        decode_sbd(messages[3][:30])


def test_no_position_is_flagged_and_zeroed():
    m, _ = build_on_mpy("sbd.SbdFormat(cfg)", [None], age=-1, phase=6, vbatt=4100)
    f = struct.unpack(LAYOUT, m[0])
    assert f[3] == 16 and f[8:12] == (0, 0, 0, 0) and f[12] == 4100
    rep = decode_sbd(m[0])
    assert rep.lat is None and rep.phase == "BEACON"


def test_a_stale_position_is_not_flagged_fresh_and_keeps_its_age():
    m, _ = build_on_mpy("sbd.SbdFormat(cfg)", [CASES[30]], age=9 * 86400)
    f = struct.unpack(LAYOUT, m[0])
    assert not f[3] & 1 and f[11] == 9 * 86400


def test_host_phase_names_are_the_firmwares():
    from mpy import run_mpy

    out = run_mpy("import beacon_params as P\nprint(' '.join(n.decode() for n in P.PHASE_NAMES))")
    assert tuple(out.split()) == PHASE_NAMES


def test_building_messages_allocates_nothing_after_warm_up():
    assert alloc_per_201_packets("sbd.SbdFormat(Cfg())") == 0
