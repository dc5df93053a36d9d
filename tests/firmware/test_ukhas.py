"""UKHAS sentences built on MicroPython, checked field by field and with an
independent CRC (CPython's binascii.crc_hqx and a bitwise reference)."""

import binascii
import re

import pytest
from beacon_cases import alloc_per_201_packets, build_on_mpy, fix_cases, lat_of, lon_of
from mpy import run_mpy

from host_tools.protocol.packets import DecodeError, decode_ukhas

CASES = fix_cases()
SENTENCE = re.compile(rb"^\$\$([A-Z0-9_-]+),(.*)\*([0-9A-F]{4})\n$")


def crc_bitwise(data: bytes) -> int:
    """CRC16-CCITT, poly 0x1021, init 0xFFFF, MSB first, no final xor."""
    crc = 0xFFFF
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


@pytest.fixture(scope="module")
def sentences(mpy_port):
    return build_on_mpy("ukhas.UkhasFormat(cfg)", CASES)[0]


def test_every_sentence_has_the_ukhas_shape_and_a_correct_crc(sentences):
    for s in sentences:
        m = SENTENCE.match(s)
        assert m, s
        body = s[2 : s.index(b"*")]
        crc = int(m.group(3), 16)
        assert crc == binascii.crc_hqx(body, 0xFFFF) == crc_bitwise(body)


def test_fields_carry_the_fix_we_sent(sentences):
    for s, c in zip(sentences, CASES):
        f = s[2 : s.index(b"*")].decode().split(",")
        assert f[0] == "N0CALL" and f[1] == "42"
        assert f[2] == f"{c['hour']:02d}:{c['minute']:02d}:{c['second']:02d}"
        assert float(f[3]) == pytest.approx(lat_of(c), abs=5e-7 + 1e-12)
        assert float(f[4]) == pytest.approx(lon_of(c), abs=5e-7 + 1e-12)
        assert len(f[3].split(".")[1]) == 6 and len(f[4].split(".")[1]) == 6
        assert int(f[5]) == (round(c["alt_cm"] / 100 + 1e-9) if c["alt_ok"] else 0)
        assert f[6:] == [str(c["sats"]), "3", "MAIN", "3712"]


def test_the_firmware_crc_matches_the_standard_check_value():
    out = run_mpy("import beacon_fmt\nprint(hex(beacon_fmt.crc16_ccitt(b'123456789', 0, 9)))")
    assert int(out.strip(), 16) == 0x29B1 == crc_bitwise(b"123456789")  # CRC-16/CCITT-FALSE


def test_a_known_sentence_exactly():
    c = dict(CASES[7])  # -33.8123456, 151.2, -12.34 m
    s, _ = build_on_mpy("ukhas.UkhasFormat(cfg)", [c], phase=5, seq=7, vbatt=3950, age=0)
    body = b"N0CALL,7,12:34:56,-33.812346,151.200000,-12,9,0,LANDED,3950"
    assert s[0] == b"$$" + body + b"*%04X\n" % binascii.crc_hqx(body, 0xFFFF)


def test_without_any_position_zeros_and_age_minus_one_are_sent():
    s, _ = build_on_mpy("ukhas.UkhasFormat(cfg)", [None], age=-1, phase=6)
    rep = decode_ukhas(s[0])
    assert b",0.000000,0.000000,0,0,-1,BEACON,3712*" in s[0]
    assert rep.lat is None and rep.phase == "BEACON" and rep.batt_mv == 3712


def test_the_host_decoder_reads_it_back_and_rejects_a_damaged_sentence(sentences):
    rep = decode_ukhas(sentences[8])
    assert rep.lat == pytest.approx(lat_of(CASES[8]), abs=1e-6)
    assert rep.alt_m == 30000 and rep.seq == 42 and rep.fresh is True
    damaged = sentences[8].replace(b",30000,", b",30001,")
    with pytest.raises(DecodeError, match="CRC"):
        decode_ukhas(damaged)


def test_the_payload_name_keeps_only_what_ukhas_allows():
    s, fault = build_on_mpy("ukhas.UkhasFormat(cfg)", [CASES[0]], callsign="cap sule-1!")
    assert s[0].startswith(b"$$CAPSULE-1,") and not fault


def test_building_sentences_allocates_nothing_after_warm_up():
    assert alloc_per_201_packets("ukhas.UkhasFormat(Cfg())") == 0
