"""The whole chain with two virtual boards: the capsule's firmware beacons
through a drop test, the link model lets through what a receiver 3 km away
hears, a second board running the ground-station role prints RX lines, and
`capsule track` reading them puts the capsule within 20 m of the simulated
touchdown, measured from the station's own GNSS fix."""

import json
import math

import pytest

from host_tools import cli
from host_tools.droptest import ground_station
from host_tools.protocol.lines import parse_line
from host_tools.sim import physics, scenario

RANGE_RX = (-30.92, 136.5)  # 3.3 km north of the drone drop's release point


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("chain")
    toml = tmp / "drone_rx.toml"
    toml.write_text(
        scenario.find("drone_drop").read_text()
        + '\n[[receivers]]\nname = "range"\nlat = {}\nlon = {}\nantenna_height_m = 3.0\n'.format(
            *RANGE_RX
        )
        + '\n[[receivers]]\nname = "far"\nlat = -31.4\nlon = 136.5\nantenna_height_m = 3.0\n'
    )
    out = tmp / "out"
    status = cli.main(
        [
            "droptest",
            str(toml),
            "--out",
            str(out),
            "--no-plots",
            "--ground-station",
            "--capture",
            str(tmp / "capture.txt"),
        ]
    )
    return status, out


def test_the_flight_passes_and_the_station_prints_every_packet_the_model_lets_through(chain):
    status, out = chain
    assert status == 0
    report = json.loads((out / "report.json").read_text())
    by = {r["name"]: r for r in report["receivers"]}
    lines = (out / "ground_range.txt").read_text().splitlines()
    parsed = [parse_line(ln) for ln in lines]
    assert all(p is not None and p.kind == "RX" for p in parsed)  # every checksum holds
    assert len(parsed) == by["range"]["heard"] > 0
    assert all(p.fields["crc"] == "ok" for p in parsed)
    # RSSI as the station printed it is the link model's received power
    heard = [s for s in by["range"]["series"] if s[2]]
    for p, s in zip(parsed, heard, strict=True):
        assert float(p.fields["rssi"]) == pytest.approx(s[1], abs=0.5)
    assert by["range"]["hears_landing"] and not by["far"]["hears_landing"]


def test_track_puts_the_capsule_within_20_m_of_the_touchdown_from_the_station(chain):
    _, out = chain
    doc = json.loads((out / "ground_range.json").read_text())
    assert doc["bad"] == 0 and doc["packets"] > 0
    assert doc["last_from_touchdown_m"] < 20.0
    assert doc["team"] == pytest.approx(list(RANGE_RX), abs=1e-6)
    report = json.loads((out / "report.json").read_text())
    lg = report["landing"]
    # the distance by the spherical law of cosines, independent of radio_link and track
    p1, p2 = math.radians(RANGE_RX[0]), math.radians(lg["lat"])
    dl = math.radians(lg["lon"] - RANGE_RX[1])
    dist = physics.EARTH_RADIUS_M * math.acos(
        math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    )
    assert doc["team_to_capsule_m"] == pytest.approx(dist, abs=25.0)


def test_an_unknown_receiver_is_named():
    sc = scenario.load("nominal_leo")
    with pytest.raises(ground_station.GroundStationError, match="no receiver 'boat'.*ship, shore"):
        ground_station.pick_receiver(sc, "boat")


def test_capsule_track_on_the_station_capture_shows_distance_from_the_station(chain, capsys):
    _, out = chain
    doc = json.loads((out / "ground_range.json").read_text())
    capsys.readouterr()
    assert cli.main(["track", str(out / "ground_range.txt")]) == 0
    text = capsys.readouterr().out
    assert f"{doc['team_to_capsule_m']:.0f} m" in text
    assert f"{doc['packets']} packets from" in text and "0 bad lines skipped" in text


def test_the_drop_tests_capture_tracks_with_a_time_on_every_gpx_point(chain, capsys, tmp_path):
    import gpxpy

    _, out = chain
    cap = out.parent / "capture.txt"
    lines = cap.read_text().splitlines()
    rx = (out / "ground_range.txt").read_text().splitlines()
    assert len(lines) == len(rx) > 0
    assert all(line.split(" ", 1)[1] == r for line, r in zip(lines, rx, strict=True))
    gpx = tmp_path / "c.gpx"
    assert cli.main(["track", str(cap), "--gpx", str(gpx)]) == 0
    err = capsys.readouterr().err
    assert "no reception time" not in err
    pts = [p for t in gpxpy.parse(gpx.read_text()).tracks for p in t.segments[0].points]
    assert pts and all(p.time is not None and p.time.year == 2026 for p in pts)
    times = [p.time for p in pts]
    assert times == sorted(times)
