"""`capsule track` on a ground station's RX lines (firmware/rx_line.py, built on
MicroPython): positions decoded, RSSI/SNR kept, the station's own fix taken as
the team's position (unless --from says otherwise), a bad CRC never a position."""

import json

import pytest
from mpy import run_mpy
from rx_cases import APRS, STATION, station_fix_mpy

from host_tools import cli
from host_tools.protocol import packets
from host_tools.track import distance_bearing


def rx_lines():
    """Three lines from the firmware: a good packet with the station fix, a bad
    CRC, a good packet without a fix."""
    out = run_mpy(
        station_fix_mpy()
        + f"""
import json, rx_line
none = fix.Fix()
p = bytearray({APRS!r})
line = rx_line.RxLine()
out = []
for t, crc, gs in ((1000, rx_line.CRC_OK, f), (2000, rx_line.CRC_BAD, f), (3000, rx_line.CRC_OK, none)):
    m = line.build(t, -400, 34, crc, p, len(p), gs)
    out.append(bytes(line.buf[:m]).decode())
print(json.dumps(out))
"""
    )
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def lines():
    return rx_lines()


def test_rx_lines_decode_with_signal_and_station(lines):
    rep = packets.decode_line(lines[0])
    assert rep.source == "N0CALL-11" and rep.via == "rx:lora"
    assert rep.extra["rssi_dbm"] == -100.0 and rep.extra["snr_db"] == 8.5
    assert rep.extra["station"] == STATION
    with pytest.raises(packets.DecodeError, match="CRC bad"):
        packets.decode_line(lines[1])
    assert "station" not in packets.decode_line(lines[2]).extra


def test_track_measures_from_the_station_fix(tmp_path, capsys, lines):
    cap = tmp_path / "rx.txt"
    cap.write_text("\r\n".join(lines) + "\r\n")
    assert cli.main(["track", str(cap)]) == 0
    out = capsys.readouterr().out
    d, b = distance_bearing(*STATION, -(29 + 13.55 / 60), 151 + 9.43 / 60)
    assert f"{d:.0f} m" in out and f"{b:.0f}°" in out
    assert "2 packets decoded" in out and "1 bad lines skipped" in out


def test_from_overrides_the_station_fix(tmp_path, capsys, lines):
    cap = tmp_path / "rx.txt"
    cap.write_text("\n".join(lines) + "\n")
    team = (-29.3, 151.0)
    assert cli.main(["track", str(cap), f"--from={team[0]},{team[1]}"]) == 0
    out = capsys.readouterr().out
    d, _ = distance_bearing(*team, -(29 + 13.55 / 60), 151 + 9.43 / 60)
    assert f"{d / 1000:.1f} km" in out
