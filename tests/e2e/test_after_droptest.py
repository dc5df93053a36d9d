"""What the recovery team gets after a drop test on the virtual board: the
flight log pulled with `capsule log pull`, and the beacon packets a ground
station heard, turned into a track by `capsule track`."""

import math
import subprocess
import sys
from pathlib import Path

import aprslib
import gpxpy
import pytest

from host_tools.board.board import Board
from host_tools.board.flash import flash
from host_tools.board.vboard import VirtualBoard
from host_tools.droptest import runner as droptest
from host_tools.protocol.flightlog import decode_path
from host_tools.sim import scenario

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
CAPSULE = str(Path(sys.executable).with_name("capsule"))
CHANNELS = {0: "drogue", 1: "main"}


def distance_m(lat1, lon1, lat2, lon2):
    r = 6371000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


@pytest.fixture(scope="module")
def flown(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("after-droptest")
    with VirtualBoard(tmp / "flash") as vb:
        flash(vb.port, "sim", log=lambda *a: None)
        link = Board(vb.port, timeout=droptest.REPLY_TIMEOUT_S)
        try:
            result = droptest.run_scenario(scenario.load("drone_drop"), link=link, plots=False)
        finally:
            link.close()
        # the recovered board is beaconing: the recovery team disarms it (a
        # checksummed command) before its files are touched
        disarm = subprocess.run(
            [CAPSULE, "console", "--port", vb.port, "--cmd", "disarm"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert disarm.returncode == 0, disarm.stdout + disarm.stderr
        out = tmp / "flight"
        pull = subprocess.run(
            [CAPSULE, "log", "pull", "--port", vb.port, "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    return result, pull, out, tmp


def test_pulled_log_fire_events_match_the_drop_test_report(flown):
    result, pull, out, _ = flown
    assert result.passed, [e for e in result.expectations if not e["passed"]]
    assert pull.returncode == 0, pull.stderr
    log = decode_path(out)
    assert not log.damage
    logged = [(CHANNELS[e.a], e.t_ms) for e in log.fires()]
    reported = [(e.extra["channel"], e.t_s) for e in result.events if e.kind == "fire"]
    assert [c for c, _ in logged] == [c for c, _ in reported] == ["drogue", "main"]
    # the same interval between the fires, to a sample (10 ms at 100 Hz)
    log_gap_s = (logged[1][1] - logged[0][1]) / 1000.0
    report_gap_s = reported[1][1] - reported[0][1]
    assert abs(log_gap_s - report_gap_s) <= 0.011


def test_beacons_after_landing_decode_with_aprslib_within_20_m_and_track_to_gpx(flown):
    result, _, _, tmp = flown
    landing = result.landing
    after = [e for e in result.events if e.kind == "beacon" and e.t_s >= landing.t_s]
    assert len(after) >= 2, "beacon packets after landing"
    capture = tmp / "capture.txt"
    lines = []
    for e in after:
        raw = bytes.fromhex(e.fields["hex"])
        assert raw.startswith(b"<\xff\x01")  # the LoRa APRS prefix
        text = raw[3:].decode("latin-1")
        packet = aprslib.parse(text)
        d = distance_m(packet["latitude"], packet["longitude"], landing.lat, landing.lon)
        assert d <= 20.0, (text, d)
        lines.append(text)
    capture.write_text("\n".join(lines) + "\n")
    gpx_path = tmp / "capsule.gpx"
    r = subprocess.run(
        [CAPSULE, "track", str(capture), "--gpx", str(gpx_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    gpx = gpxpy.parse(gpx_path.read_text())
    points = [p for t in gpx.tracks for s in t.segments for p in s.points] + list(gpx.waypoints)
    assert points
    last = points[-1]
    assert distance_m(last.latitude, last.longitude, landing.lat, landing.lon) <= 20.0
