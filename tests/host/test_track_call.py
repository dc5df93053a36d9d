"""`capsule track` tells the capsule from other stations on the channel, times
every GPX point, and refuses captures that hold no capsule packet or are not
captures at all."""

import json

import gpxpy
import pytest

from host_tools import cli

CAPSULE = (
    "N0CALL-11>APZCAP,WIDE1-1:!2913.55S/15109.43EO/A=000262 LANDED sat=9 age=3s bat=3900mV #{seq}"
)
CAPSULE2 = (
    "N0CALL-11>APZCAP,WIDE1-1:!2913.60S/15109.50EO/A=000100 LANDED sat=9 age=1s bat=3900mV #{seq}"
)
OTHER_DL = "DL1ABC-9>APRS,WIDE1-1:!4903.50N/07201.75W>driving"
OTHER_VK = "VK5XYZ-7>APRS,WIDE1-1:!3455.00S/13835.00E-home"


def run_track(tmp_path, capsys, text, *extra):
    cap = tmp_path / "capture.txt"
    cap.write_bytes(text if isinstance(text, bytes) else text.encode())
    gpx = tmp_path / "track.gpx"
    status = cli.main(["track", str(cap), "--gpx", str(gpx), *extra])
    out, err = capsys.readouterr()
    return status, out, err, gpx


def test_other_stations_stay_off_the_map_and_are_listed_as_heard(tmp_path, capsys):
    text = "\n".join([OTHER_DL, CAPSULE.format(seq=1), OTHER_VK, CAPSULE2.format(seq=2), OTHER_DL])
    status, out, _, gpx = run_track(tmp_path, capsys, text)
    assert status == 0
    g = gpxpy.parse(gpx.read_text())
    assert [t.name for t in g.tracks] == ["N0CALL-11"]
    assert {w.name for w in g.waypoints} == {"N0CALL-11 last"}
    assert "Other stations heard" in out
    assert "DL1ABC-9" in out and "VK5XYZ-7" in out
    assert "2 packets from N0CALL-11" in out and "3 from other stations" in out


def test_call_picks_the_capsule_and_a_bare_call_matches_any_ssid(tmp_path, capsys):
    text = "\n".join([OTHER_DL, CAPSULE.format(seq=1)])
    status, _, _, gpx = run_track(tmp_path, capsys, text, "--call", "dl1abc")
    assert status == 0
    assert [t.name for t in gpxpy.parse(gpx.read_text()).tracks] == ["DL1ABC-9"]


def test_the_config_file_names_the_capsule(tmp_path, capsys):
    cfg = tmp_path / "flight.json"
    cfg.write_text(json.dumps({"callsign": "VK5XYZ", "ssid": 7}))
    text = "\n".join([OTHER_VK, CAPSULE.format(seq=1)])
    status, _, _, gpx = run_track(tmp_path, capsys, text, "--config", str(cfg))
    assert status == 0
    assert [t.name for t in gpxpy.parse(gpx.read_text()).tracks] == ["VK5XYZ-7"]


def test_no_capsule_packet_exits_1_naming_who_was_heard(tmp_path, capsys):
    status, _, err, gpx = run_track(tmp_path, capsys, f"{OTHER_DL}\n{OTHER_VK}")
    assert status == 1
    assert "no packet from the capsule N0CALL-11" in err
    assert "DL1ABC-9 (1)" in err and "--call" in err
    assert not gpx.exists()


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "is empty"),
        (b"\n \n", "is empty"),
        (bytes(range(256)) * 8, "binary data"),
        (b'{"scenario": "nominal_leo", "events": []}\n', "is JSON"),
    ],
)
def test_what_is_not_a_capture_is_bad_input(tmp_path, capsys, content, words):
    status, _, err, gpx = run_track(tmp_path, capsys, content)
    assert status == 2
    assert words in err and "Traceback" not in err
    assert not gpx.exists()


def test_a_bad_call_is_bad_input(tmp_path, capsys):
    status, _, err, _ = run_track(tmp_path, capsys, CAPSULE.format(seq=1), "--call", "N0-CALL-99")
    assert status == 2 and "--call" in err


def test_stamped_lines_time_every_gpx_point_and_say_when_last_heard(tmp_path, capsys):
    text = "\n".join(
        [
            "2026-03-01T12:20:00.000Z " + CAPSULE.format(seq=1),
            "2026-03-01T12:20:30.000Z " + CAPSULE2.format(seq=2),
            "2026-03-01T12:21:30.000Z " + OTHER_DL,
        ]
    )
    status, out, err, gpx = run_track(tmp_path, capsys, text)
    assert status == 0
    pts = gpxpy.parse(gpx.read_text()).tracks[0].segments[0].points
    assert [p.time.isoformat() for p in pts] == [
        "2026-03-01T12:20:00+00:00",
        "2026-03-01T12:20:30+00:00",
    ]
    assert "60 s" in out and "ago" in out  # heard 60 s before the capture's end
    assert "61 s" in out  # the fix was 1 s old when sent, 60 s before the end
    assert "no reception time" not in err


def test_unstamped_captures_say_their_points_have_no_time(tmp_path, capsys):
    status, _, err, _ = run_track(tmp_path, capsys, CAPSULE.format(seq=1))
    assert status == 0
    assert "1 packets carry no reception time" in err


def test_a_drop_test_without_receivers_captures_every_packet_sent(tmp_path, capsys):
    from types import SimpleNamespace

    from host_tools.droptest import ground_station

    aprs = b"<\xff\x01" + CAPSULE.format(seq=7).encode()
    ev = SimpleNamespace(
        kind="beacon", t_s=12.5, fields={"radio": "lora", "n": str(len(aprs)), "hex": aprs.hex()}
    )
    result = SimpleNamespace(scenario=SimpleNamespace(utc_start_s=1772366400), events=[ev])
    lines = ground_station.capture_lines(result)
    assert lines[0].startswith("2026-03-01T12:00:12.500Z EVT 12500 tx radio=lora")
    status, _, err, gpx = run_track(tmp_path, capsys, "\n".join(lines) + "\n")
    assert status == 0 and "no reception time" not in err
    (pt,) = gpxpy.parse(gpx.read_text()).tracks[0].segments[0].points
    assert pt.time.isoformat() == "2026-03-01T12:00:12.500000+00:00"


def test_a_live_port_shows_other_stations_and_no_capsule_exits_1(tmp_path, capsys):
    import os
    import threading
    import time

    master, slave = os.openpty()

    def receiver():
        time.sleep(0.5)
        os.write(master, (OTHER_DL + "\n" + OTHER_VK + "\n").encode())

    t = threading.Thread(target=receiver)
    t.start()
    try:
        status = cli.main(["track", "--port", os.ttyname(slave), "--duration", "2"])
    finally:
        t.join()
        os.close(master)
        os.close(slave)
    out, err = capsys.readouterr()
    assert status == 1
    assert "DL1ABC-9" in out and "Other stations heard" in out
    assert "no packet from the capsule N0CALL-11" in err
