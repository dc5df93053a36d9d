"""The ground-station role on the virtual board (boards/sim_ground.py): packets
arrive as `#P` frames, each comes out as one checksummed RX line with the
RSSI/SNR the datasheet formulas give, a bad CRC never as a packet, and the
station's own GNSS fix rides along."""

import pytest
from gnss_cases import nmea
from rx_cases import APRS
from vboard_link import flashed_link

from host_tools.protocol import packets
from host_tools.protocol.frames import RX_FLAG_CRC_ERROR, gnss_frame, rx_frame, sync_frame


@pytest.fixture(scope="module")
def link(tmp_path_factory):
    with flashed_link(tmp_path_factory.mktemp("flash"), "sim_ground") as lk:
        yield lk


def rx_lines(link, data, seq):
    link.write(data + sync_frame(seq))
    out = []
    for line in link.lines(timeout=10):
        if line.kind == "OK" and line.name == "sync":
            return out
        if line.kind == "RX":
            out.append(line)
    raise AssertionError("no sync reply")


def test_the_ground_station_says_what_it_is(link):
    status = link.command("status")
    assert status.fields["role"] == "ground" and status.fields["received"] == "0"


def test_a_packet_comes_out_as_an_rx_line_with_rssi_and_snr(link):
    # LF port (433.775 MHz): -164 + 60 = -104 dBm, SNR +8.5 dB
    lines = rx_lines(link, rx_frame(12345, 60, 34, APRS), 1)
    assert len(lines) == 1
    line = lines[0]
    assert line.t_ms == 12345
    assert (line.fields["rssi"], line.fields["snr"], line.fields["crc"]) == (
        "-104.00",
        "8.50",
        "ok",
    )
    assert "gs" not in line.fields  # no fix yet
    rep = packets.decode_line(line.raw)
    assert rep.source == "N0CALL-11" and rep.lat == pytest.approx(-(29 + 13.55 / 60), abs=1e-6)
    assert rep.extra["rssi_dbm"] == -104.0


def test_a_bad_crc_is_printed_as_such_and_counted_never_a_position(link):
    lines = rx_lines(link, rx_frame(13000, 20, 0xF0, APRS, flags=RX_FLAG_CRC_ERROR), 2)
    assert [ln.fields["crc"] for ln in lines] == ["bad"]
    assert "hex" not in lines[0].fields
    with pytest.raises(packets.DecodeError, match="CRC"):
        packets.decode_line(lines[0].raw)
    assert link.command("status").fields["crc_bad"] == "1"


def test_a_corrupted_frame_is_dropped(link):
    good = rx_frame(14000, 60, 34, APRS)
    bad = good[:30] + (b"0" if good[30:31] != b"0" else b"1") + good[31:]
    assert rx_lines(link, bad, 3) == []
    assert int(link.command("status").fields["bad_frames"]) >= 1


def test_the_station_fix_rides_along(link):
    fix = gnss_frame(nmea("GPGGA,120000.00,2910.85544,S,15109.43514,E,1,09,0.9,12.0,M,0.0,M,,"))
    lines = rx_lines(link, fix + rx_frame(15000, 70, 40, APRS), 4)
    assert lines[0].fields["gs"] == "-29.1809240,151.1572523"
