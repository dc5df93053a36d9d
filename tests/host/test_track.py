"""`capsule track` end to end: packets built by the firmware on MicroPython, put
in a capture file the way receivers print them (LoRa APRS lines, KISS frames,
UKHAS, SBD hex, board tx events) with bad lines mixed in, then GPX read back
by gpxpy and KML read back as XML."""

import binascii
import math
import os
import threading
import time
import xml.etree.ElementTree as ET

import gpxpy
import pytest
from beacon_cases import build_on_mpy, make_fix

from host_tools import cli
from host_tools.protocol.packets import (
    PHASE_NAMES,
    StreamSplitter,
    decode_kiss_frame,
    decode_line,
)
from host_tools.track import compass_point, distance_bearing

# A capsule drifting north-east off the coast, 1e-7 degree units
POSITIONS = [
    (-338_000_000, 1_515_000_000, 0),
    (-337_990_000, 1_515_012_000, 0),
    (-337_980_500, 1_515_023_500, 0),
    (-337_971_000, 1_515_035_000, 0),
]
TEAM = (-33.85, 151.45)
KML_NS = {"k": "http://www.opengis.net/kml/2.2"}


def fixes():
    return [make_fix(lat, lon, alt_cm=alt, sats=7) for lat, lon, alt in POSITIONS]


def xor(text: bytes) -> int:
    c = 0
    for b in text:
        c ^= b
    return c


def board_line(body: str) -> bytes:
    return b"%s*%02X\n" % (body.encode(), xor(body.encode()))


def ax25_address(name: str, last: bool, repeated: bool = False) -> bytes:
    call, _, ssid = name.partition("-")
    ssid_byte = 0x60 | (int(ssid or 0) << 1) | (0x80 if repeated else 0) | (1 if last else 0)
    return bytes(ord(c) << 1 for c in call.ljust(6)) + bytes([ssid_byte])


def kiss_frame(tnc2: bytes, digi_repeated=False) -> bytes:
    """TNC2 -> AX.25 UI frame -> KISS, written independently of the decoder."""
    head, info = tnc2.split(b":", 1)
    src, rest = head.decode().split(">")
    dest, *digis = rest.split(",")
    frame = ax25_address(dest, False) + ax25_address(src, not digis)
    for i, d in enumerate(digis):
        frame += ax25_address(d.rstrip("*"), i == len(digis) - 1, digi_repeated)
    frame += b"\x03\xf0" + info
    esc = frame.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc")
    return b"\xc0\x00" + esc + b"\xc0"


@pytest.fixture(scope="module")
def packets(mpy_port):
    f = fixes()
    aprs = build_on_mpy("aprs.AprsFormat(cfg)", f, age=1, phase=4, seq=10)[0]
    aprs_c = build_on_mpy("aprs.AprsFormat(cfg, compressed=True)", f, age=1, phase=5)[0]
    ukhas = build_on_mpy("ukhas.UkhasFormat(cfg)", f, age=2, phase=5, seq=20)[0]
    sbd = build_on_mpy("sbd.SbdFormat(cfg)", f, age=600, phase=6, vbatt=3600, seq=30)[0]
    return {"aprs": aprs, "aprs_c": aprs_c, "ukhas": ukhas, "sbd": sbd}


BAD_LINES = 5


def capture(packets) -> bytes:
    p = packets
    out = p["aprs"][0] + b"\r\n"  # LoRa APRS receiver printing the raw payload
    out += b"garbage from the receiver's boot \x01\x02\n"  # bad 1
    out += p["aprs"][1][3:] + b"\n"  # an iGate printing TNC2 without the prefix
    out += p["ukhas"][0] + p["ukhas"][1]
    out += board_line("TLM 5000 status vbatt=3900")  # other board traffic: ignored
    out += board_line("EVT 5100 phase name=MAIN")
    # KISS frame whose comment carries bytes that need escaping (FEND, FESC)
    out += kiss_frame(p["aprs"][2][3:] + b" \xc0\xdb", digi_repeated=True)
    out += p["ukhas"][2].replace(b",7,", b",8,")  # bad 2: CRC no longer matches
    out += binascii.hexlify(p["sbd"][1]) + b"\n"
    out += binascii.hexlify(p["sbd"][3]) + b"\n"
    out += binascii.hexlify(p["sbd"][3]) + b"\n"  # received twice (two gateways)
    out += binascii.hexlify(p["sbd"][3])[:60] + b"\n"  # bad 3: truncated
    out += p["ukhas"][2] + p["ukhas"][3]
    ev = f"EVT 9000 tx radio=lora n={len(p['aprs_c'][3])} hex={p['aprs_c'][3].hex()}"
    out += board_line(ev)
    out += board_line(ev)[:-6] + b"*00\n"  # bad 4: checksum wrong
    out += b"\xc0\x00\x01\x02\x03\xc0"  # bad 5: a KISS frame that is no AX.25
    return out


@pytest.fixture()
def tracked(tmp_path, packets, capsys):
    cap = tmp_path / "capture.log"
    cap.write_bytes(capture(packets))
    gpx, kml = tmp_path / "track.gpx", tmp_path / "track.kml"
    status = cli.main(
        ["track", str(cap), "--gpx", str(gpx), "--kml", str(kml), f"--from={TEAM[0]},{TEAM[1]}"]
    )
    out = capsys.readouterr().out
    return status, out, gpx, kml


def test_capture_file_gives_a_gpx_track_per_source_with_our_positions(tracked):
    status, _, gpx_path, _ = tracked
    assert status == 0
    g = gpxpy.parse(gpx_path.read_text())
    tracks = {t.name: t.segments[0].points for t in g.tracks}
    assert set(tracks) == {"N0CALL-11", "N0CALL", "SBD"}
    want = [(lat / 1e7, lon / 1e7) for lat, lon, _ in POSITIONS]
    # APRS: P1, P2 as text, P3 over KISS, P4 compressed in a board tx event
    aprs = tracks["N0CALL-11"]
    assert len(aprs) == 4
    for pt, (lat, lon) in zip(aprs, want, strict=True):
        assert pt.latitude == pytest.approx(lat, abs=0.5 / 6000 + 1e-9)
        assert pt.longitude == pytest.approx(lon, abs=0.5 / 6000 + 1e-9)
        assert pt.elevation == pytest.approx(0, abs=0.2)
    ukhas = tracks["N0CALL"]
    assert [(round(p.latitude, 6), round(p.longitude, 6)) for p in ukhas] == [
        (round(lat, 6), round(lon, 6)) for lat, lon in want
    ]
    sbd = tracks["SBD"]  # P2, P4 (the duplicate reception adds no point)
    assert [(p.latitude, p.longitude) for p in sbd] == [
        (round(want[1][0], 5), round(want[1][1], 5)),
        (round(want[3][0], 5), round(want[3][1], 5)),
    ]
    names = {w.name for w in g.waypoints}
    assert names == {"N0CALL-11 last", "N0CALL last", "SBD last", "team"}


def test_bad_lines_are_counted_and_skipped(tracked):
    _, out, _, _ = tracked
    assert f"{BAD_LINES} bad lines skipped" in out
    assert "2 other lines ignored" in out
    assert "packets decoded" in out


def test_kml_holds_the_tracks_last_positions_and_the_team(tracked):
    _, _, _, kml_path = tracked
    root = ET.fromstring(kml_path.read_bytes())
    marks = {
        pm.findtext("k:name", namespaces=KML_NS): pm
        for pm in root.iter(f"{{{KML_NS['k']}}}Placemark")
    }
    assert {"N0CALL-11 track", "N0CALL track", "SBD track", "team"} <= set(marks)
    last = marks["N0CALL last"].find(".//k:Point/k:coordinates", KML_NS).text
    lon, lat, _ = (float(x) for x in last.strip().split(","))
    assert (lat, lon) == pytest.approx((POSITIONS[3][0] / 1e7, POSITIONS[3][1] / 1e7), abs=1e-6)
    line = marks["SBD track"].find(".//k:LineString/k:coordinates", KML_NS).text
    assert len(line.split()) == 2
    team = marks["team"].find(".//k:Point/k:coordinates", KML_NS).text
    assert [float(x) for x in team.strip().split(",")[:2]] == [TEAM[1], TEAM[0]]


def test_the_table_shows_phase_battery_age_distance_and_bearing(tracked):
    _, out, _, _ = tracked
    d, b = distance_bearing(TEAM[0], TEAM[1], POSITIONS[3][0] / 1e7, POSITIONS[3][1] / 1e7)
    assert 7000 < d < 8000  # 0.053 deg north, 0.047 deg east of the team
    assert f"{d:.0f} m" in out
    assert f"{b:.0f}°" in out and compass_point(b) == "NE"
    for text in ("-33.79710", "151.50350", "BEACON", "3.60 V", "10 min", "(old)", "LANDED"):
        assert text in out


def test_distance_and_bearing_against_known_geometry():
    d, b = distance_bearing(0, 0, 1, 0)
    assert d == pytest.approx(2 * math.pi * 6_371_008.8 / 360, rel=1e-9) and b == pytest.approx(0)
    d, b = distance_bearing(0, 0, 0, -1)
    assert b == pytest.approx(270) and compass_point(b) == "W"
    d, b = distance_bearing(-33.8568, 151.2153, -33.8523, 151.2108)  # Opera House -> bridge
    assert 550 < d < 700 and compass_point(b) == "NW"


def test_kiss_digipeated_path_and_escapes_decode(packets):
    frame = kiss_frame(packets["aprs"][0][3:], digi_repeated=True)
    rep = decode_kiss_frame(frame[1:-1])
    assert rep.source == "N0CALL-11" and rep.via == "kiss"
    assert "WIDE1-1*" in rep.raw
    split = StreamSplitter().feed(b"line one\n" + frame + b"$$X,1*0000\n")
    assert [k for k, _ in split] == ["line", "kiss", "line"]


def test_host_decoder_names_match_firmware_phase_numbers(packets):
    rep = decode_line(binascii.hexlify(packets["sbd"][0]))
    assert rep.phase == PHASE_NAMES[6] == "BEACON"


def test_live_port_is_read_and_files_are_written_as_positions_arrive(
    tmp_path, packets, capsys, monkeypatch
):
    import serial

    master, slave = os.openpty()
    gpx = tmp_path / "live.gpx"
    opened = threading.Event()
    serial_for_url = serial.serial_for_url

    def open_and_tell(*args, **kwargs):
        port = serial_for_url(*args, **kwargs)
        opened.set()
        return port

    # the receiver talks once the tool has the port open (a loaded machine can
    # take longer than any fixed delay to get there)
    monkeypatch.setattr(serial, "serial_for_url", open_and_tell)

    def receiver():
        opened.wait(timeout=20.0)
        time.sleep(0.1)
        for pkt in packets["ukhas"]:
            os.write(master, pkt)
            time.sleep(0.05)

    t = threading.Thread(target=receiver)
    t.start()
    try:
        status = cli.main(
            ["track", "--port", os.ttyname(slave), "--duration", "2.5", "--gpx", str(gpx)]
        )
    finally:
        t.join()
        os.close(master)
        os.close(slave)
    assert status == 0
    pts = gpxpy.parse(gpx.read_text()).tracks[0].segments[0].points
    assert len(pts) == 4
    assert all(p.time is not None for p in pts)  # live points carry their reception time


def test_a_missing_capture_file_is_a_user_error(tmp_path, capsys):
    status = cli.main(["track", str(tmp_path / "nope.log")])
    err = capsys.readouterr().err
    assert status == 2 and "nope.log" in err and "not found" in err


@pytest.mark.parametrize("bad", ["33.8", "north,east", "95,10", "10,200"])
def test_a_bad_team_position_is_a_user_error(tmp_path, capsys, bad):
    cap = tmp_path / "c.log"
    cap.write_bytes(b"")
    status = cli.main(["track", str(cap), "--from=" + bad])
    assert status == 2 and "--from" in capsys.readouterr().err


def test_an_unopenable_port_is_a_user_error(capsys):
    status = cli.main(["track", "--port", "/dev/does-not-exist-capsule", "--duration", "0.1"])
    err = capsys.readouterr().err
    assert status == 2 and "/dev/does-not-exist-capsule" in err
