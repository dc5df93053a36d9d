"""The firmware's own loop on the virtual board, driven over the serial link
the way a drop test drives it: sample frames, sync points, GNSS bytes."""

import pytest
from gnss_cases import nmea
from vboard_link import flashed_link

from host_tools.protocol.frames import gnss_frame, sample_frame, sync_frame

GROUND_DPA = 1013250  # 101 325 Pa
ONE_G_UP = (0, 0, 1000)  # board z up on the stand, milli-g


@pytest.fixture(scope="module")
def link(tmp_path_factory):
    with flashed_link(tmp_path_factory.mktemp("flash"), "sim") as lk:
        yield lk


def stream(link, t0_ms, n, step_ms=10, press=GROUND_DPA, accel=ONE_G_UP, seq=1):
    data = b"".join(sample_frame(t0_ms + i * step_ms, press, accel) for i in range(n))
    link.write(data + sync_frame(seq))
    for line in link.lines(timeout=10):
        if line.kind == "OK" and line.name == "sync":
            return line
    raise AssertionError("no sync reply")


def test_sync_reply_comes_after_every_sample_before_it(link):
    reply = stream(link, 1000, 200, seq=7)
    assert reply.fields["seq"] == "7"
    assert reply.t_ms == 1000 + 199 * 10  # the virtual clock is the last sample's time
    status = link.command("status")
    assert status.fields["bad_frames"] == "0"


def test_board_on_the_stand_stays_safe_and_fires_nothing(link):
    stream(link, 5000, 500, seq=8)
    status = link.command("status")
    assert status.fields["phase"] == "SAFE"
    assert not [e for e in link.events if e.name in ("fire", "pyro")]


def test_corrupted_sample_frame_is_counted_and_dropped(link):
    good = sample_frame(20000, GROUND_DPA, ONE_G_UP)
    bad = good[:10] + (b"0" if good[10:11] != b"0" else b"1") + good[11:]
    link.write(bad + sync_frame(9))
    for line in link.lines(timeout=5):
        if line.name == "sync":
            break
    assert int(link.command("status").fields["bad_frames"]) >= 1


def test_gnss_bytes_reach_the_firmware_parser(link):
    link.write(gnss_frame(nmea("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,")))
    link.write(gnss_frame(nmea("GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W")))
    link.write(gnss_frame(nmea("GPGGA,123520,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,")))
    reply = link.command("gnss")
    assert int(reply.fields["good"]) >= 2
    assert abs(float(reply.fields["lat"]) - 48.1173) < 1e-4


def test_a_frame_split_by_a_slow_link_is_still_one_frame(link):
    import time

    link.write(b"#")
    time.sleep(0.3)  # a busy host or relay delivers the rest late
    link.write(sync_frame(41)[1:])
    for line in link.lines(timeout=5):
        if line.kind == "OK" and line.name == "sync":
            assert line.fields["seq"] == "41"
            break
    else:
        raise AssertionError("the split sync frame was lost")
    assert not [n for n in link.noise if b"unknown command" in n]
