"""Replaying a balloon tracker's log: time of day across midnight, pressure in
hPa, GNSS altitude, header names mapped by --columns, and errors that name
the line and column. The logs are synthetic, written by the tests."""

import numpy as np
import pytest

from host_tools.droptest import replay
from host_tools.sim import atmosphere1976 as atm
from host_tools.sim.physics import G0_M_S2


def tracker_log(path, start="23:59:50", n=30, header="Time,Baro_Pressure,GPS altitude,Lat,Lon"):
    h, m, s = (int(x) for x in start.split(":"))
    t0 = 3600 * h + 60 * m + s
    lines = [header]
    for k in range(n):
        c = (t0 + k) % 86400
        alt = 1500.0 + 5.0 * k
        hpa = round(atm.pressure_pa(alt) / 100)
        ft = round(alt / 0.3048)
        lines.append(f"{c // 3600:02d}:{c % 3600 // 60:02d}:{c % 60:02d},{hpa},{ft},39.6,-104.0")
    path.write_text("\n".join(lines) + "\n")
    return path


MAPPING = "time=Time,pressure_hpa=Baro_Pressure,altitude_ft=GPS altitude,lat=Lat,lon=Lon"


def test_tracker_log_reads_across_midnight_with_mapped_columns(tmp_path):
    log = replay.read_flight_csv(tracker_log(tmp_path / "hab.csv"), replay.parse_columns(MAPPING))
    assert np.allclose(log.t, np.arange(30.0))  # 23:59:50 .. 00:00:19
    assert log.pressure_pa[0] == 100.0 * round(atm.pressure_pa(1500.0) / 100)
    assert log.alt_msl_m[-1] == pytest.approx(1500.0 + 5.0 * 29, abs=0.5)
    assert np.all(log.accel_m_s2 == G0_M_S2)  # no accelerometer: hanging at 1 g
    assert log.lat[0] == 39.6 and log.lon[0] == -104.0


def test_tracker_log_with_known_header_names_needs_no_mapping(tmp_path):
    p = tracker_log(tmp_path / "hab.csv", header="utc,pressure_hpa,gps_alt_ft,lat,lon")
    log = replay.read_flight_csv(p)
    assert log.t[-1] == 29.0
    assert log.alt_msl_m[0] == pytest.approx(1500.0, abs=0.5)


@pytest.mark.parametrize(
    "edit, words",
    [
        (
            lambda lines: lines.__setitem__(5, "23:59:5x" + lines[5][8:]),
            "line 6, column time: not a time of day",
        ),
        (lambda lines: lines.__setitem__(7, lines[6]), "line 8, column time: times must increase"),
        (
            lambda lines: lines.__setitem__(9, lines[9].replace(",39.6", ",north")),
            "line 10, column lat: not a number",
        ),
    ],
    ids=["bad-clock", "repeated-time", "bad-number"],
)
def test_bad_tracker_lines_are_named(tmp_path, edit, words):
    p = tracker_log(tmp_path / "hab.csv")
    lines = p.read_text().splitlines()
    edit(lines)
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(replay.ReplayError, match=words):
        replay.read_flight_csv(p, replay.parse_columns(MAPPING))


def test_column_mapping_errors_name_the_role_and_the_header(tmp_path):
    with pytest.raises(replay.ReplayError, match="unknown role .*one of: time, pressure_pa"):
        replay.parse_columns("when=Time")
    with pytest.raises(replay.ReplayError, match="want ROLE=HEADER"):
        replay.parse_columns("time")
    p = tracker_log(tmp_path / "hab.csv")
    with pytest.raises(
        replay.ReplayError, match="pressure_hpa=pressure: no such column .*baro_pressure"
    ):
        replay.read_flight_csv(p, replay.parse_columns("time=Time,pressure_hpa=Pressure"))


def test_a_log_in_seconds_still_needs_an_accelerometer(tmp_path):
    p = tmp_path / "drop.csv"
    p.write_text("time_s,pressure_hpa\n0,1000\n1,999\n2,998\n")
    with pytest.raises(replay.ReplayError, match="no acceleration column"):
        replay.read_flight_csv(p)


@pytest.mark.parametrize("gap", ["nan", "NaN", "inf"])
def test_a_pressure_gap_is_named_never_sent_as_a_reading(tmp_path, gap):
    p = tracker_log(tmp_path / "hab.csv")
    lines = p.read_text().splitlines()
    f = lines[4].split(",")
    f[1] = gap
    lines[4] = ",".join(f)
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(replay.ReplayError, match=f"line 5, column baro_pressure: '{gap}' is not a"):
        replay.read_flight_csv(p, replay.parse_columns(MAPPING))


def test_a_log_without_a_position_gives_the_board_no_fix(tmp_path):
    p = tracker_log(tmp_path / "hab.csv", header="utc,pressure_hpa,gps_alt_ft,x,y")
    sc = replay.replay_scenario(replay.read_flight_csv(p))
    assert sc.faults.get("gnss_never_fix") is True  # no fix at 0 N 0 E
    p = tracker_log(tmp_path / "hab2.csv", header="utc,pressure_hpa,gps_alt_ft,lat,lon")
    sc = replay.replay_scenario(replay.read_flight_csv(p))
    assert not sc.faults.get("gnss_never_fix")
    assert (sc.start["lat"], sc.start["lon"]) == (39.6, -104.0)
