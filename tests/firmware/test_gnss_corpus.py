"""Every real receiver log in shared/data/gpsd, decoded by the firmware parser on
MicroPython, compared cycle by cycle with what gpsd decoded from the same bytes.

gpsd is the independent oracle: its TPV reports are grouped by time and the
last report of each time with mode >= 2 is that cycle's fix. For every cycle
the firmware publishes with a position, the time must match one of gpsd's
exactly, and lat/lon (1e-6 deg), altitude MSL (0.1 m), speed (0.01 m/s) and
mode must agree wherever gpsd reports them. Every place where the two
legitimately differ is listed below with the reason; a listed difference that
no longer occurs fails the test too, so the table cannot rot.
"""

import datetime
import json

import pytest
from mpy import SHARED, needs_corpus

from host_tools.protocol.gnss_log import decode_log

pytestmark = needs_corpus
GPSD = SHARED / "data" / "gpsd"
LOGS = sorted(p.stem for p in GPSD.glob("*.log")) if GPSD.is_dir() else []

LAT_LON_TOL_DEG = 1e-6
ALT_TOL_M = 0.1
SPEED_TOL_M_S = 0.01

FIRST_FIX_UNTIMED = (
    "first cycle with a fix after acquisition: gpsd reports it without a time "
    "(its TPV has no 'time'), the firmware stamps it with the sentence's UTC time"
)
NO_DATE_YET = (
    "cycle before the receiver sent any date (RMC/ZDA come later): gpsd reports it "
    "without a time, the firmware with the time of day only"
)
NO_LEAP_SECONDS_YET = (
    "first UBX cycle: gpsd reports UTC only after NAV-TIMEGPS has given it the leap "
    "seconds, and that frame follows this NAV-PVT"
)

# (log, cycle time as the firmware reports it) -> (what differs, why).
# "extra": the firmware has a fix for a cycle gpsd reports no timed fix for;
# "missing": the reverse; "speed", "alt", "position", "mode": that value differs.
DIFFERENCES = {
    ("gp-320fw-2019-04-07-coldboot", "00:03:43.030Z"): ("extra", NO_DATE_YET),
    ("haicom-305N", "2007-04-08T09:53:04.802Z"): ("extra", FIRST_FIX_UNTIMED),
    ("haicom-305N", "2007-04-08T09:53:07.801Z"): (
        "mode",
        (
            "GSA says 2-D (A,2) for this cycle; gpsd keeps 3-D because GGA carries an altitude, "
            "the firmware reports the receiver's own fix type"
        ),
    ),
    ("mtk-3301", "2008-08-23T08:14:36.000Z"): ("extra", FIRST_FIX_UNTIMED),
    ("mtk-3301", "2008-08-23T08:14:39.000Z"): (
        "mode",
        "GSA says 2-D (A,2) for this cycle; gpsd keeps 3-D from the previous cycle",
    ),
    ("neo-m8n", "17:19:25.000Z"): ("extra", NO_DATE_YET),
    ("neo-m8n", "2015-03-18T17:19:48.000Z"): (
        "extra",
        (
            "the log ends inside this cycle (after GGA; no GSA, GLL): gpsd, which has learnt "
            "that GLL closes this receiver's cycle, never reports it; the firmware's replay "
            "publishes the cycle it holds at the end of the log (flush)"
        ),
    ),
    ("ublox-lea-5h", "2010-08-21T08:37:36.000Z"): (
        "extra",
        (
            "the log was spliced right after this cycle's RMC (see its '# Sentences with fix "
            "begin here' lines): the cycle never ends, gpsd never reports it"
        ),
    ),
    ("ublox-lea-5h", "2010-08-21T08:55:15.000Z"): (
        "speed",
        (
            "splice: the VTG of this cycle arrives before any time-stamped sentence of it, "
            "right after the cut cycle, so the firmware files it there; this cycle has no "
            "speed of its own and gpsd derives 0.003 m/s from the 18-minute position change"
        ),
    ),
    ("ublox-lea-5h", "2010-08-21T08:55:20.000Z"): (
        "mode",
        (
            "the log ends after this cycle's RMC (no GGA/GSA): the firmware can only say 2-D, "
            "gpsd carries 3-D over from the previous cycle"
        ),
    ),
    ("ublox-neo-m8n", "2017-07-19T08:50:00.800Z"): ("extra", NO_LEAP_SECONDS_YET),
    ("ublox-neo-m8n", "2017-07-19T08:50:05.400Z"): (
        "extra",
        (
            "the log ends inside this cycle (its NAV-TIMEGPS frame is cut short, counted as a "
            "bad UBX frame); gpsd reports a u-blox cycle when it ends"
        ),
    ),
    ("ublox-zed-f9t-ubx_nmea_l5", "2025-07-31T19:33:34.000Z"): ("extra", NO_LEAP_SECONDS_YET),
}

# Logs whose dates gpsd changes: log -> (days added by gpsd, why).
DATE_SHIFT = {
    "neo-m8n": (
        1024 * 7,
        (
            "gpsd takes the receiver's 2015-03-18 for a date before the GPS week rollover and "
            "moves it 1024 weeks forward (2034-11-01); the firmware reports the date sent"
        ),
    ),
}

# Logs with no cycle to compare: log -> why.
NOTHING_TO_COMPARE = {
    "GPSmap-76S": (
        "receiver in simulator mode (GGA quality 8, RMC mode S): gpsd reports the "
        "simulated position without a time, the firmware does not take it for a fix"
    ),
}


def gpsd_cycles(name):
    """gpsd's fix per cycle: last TPV of each time with mode >= 2."""
    cycles = {}
    for line in (GPSD / f"{name}.tpv.jsonl").read_text().splitlines():
        tpv = json.loads(line)
        if tpv.get("class") == "TPV" and tpv.get("mode", 0) >= 2 and "time" in tpv:
            cycles[tpv["time"]] = tpv
    return cycles


def shifted(time, days):
    if not days or "T" not in time:
        return time
    stamp = datetime.datetime.fromisoformat(time.replace("Z", "+00:00"))
    stamp += datetime.timedelta(days=days)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def compare(name, fixes):
    """Differences between the firmware's cycles and gpsd's: {(log, time): kinds}."""
    days = DATE_SHIFT.get(name, (0, ""))[0]
    theirs = gpsd_cycles(name)
    ours = {}
    for f in fixes:
        if f["mode"] >= 2 and f["time"]:
            assert f["time"] not in ours, f"{name}: two fixes published for cycle {f['time']}"
            ours[f["time"]] = f
    found = {}
    by_gpsd_time = {shifted(t, days): t for t in ours}
    for t in ours:
        if shifted(t, days) not in theirs:
            found.setdefault((name, t), set()).add("extra")
    for t in theirs:
        if t not in by_gpsd_time:
            found.setdefault((name, t), set()).add("missing")
    compared = 0
    for gt, tpv in theirs.items():
        t = by_gpsd_time.get(gt)
        if t is None:
            continue
        compared += 1
        f = ours[t]
        kinds = set()
        if (
            abs(f["lat"] - tpv["lat"]) > LAT_LON_TOL_DEG
            or abs(f["lon"] - tpv["lon"]) > LAT_LON_TOL_DEG
        ):
            kinds.add("position")
        alt = tpv.get("altMSL", tpv.get("alt"))
        if alt is not None and (f["alt_m"] is None or abs(f["alt_m"] - alt) > ALT_TOL_M):
            kinds.add("alt")
        speed = tpv.get("speed")
        if speed is not None and (
            f["speed_m_s"] is None or abs(f["speed_m_s"] - speed) > SPEED_TOL_M_S
        ):
            kinds.add("speed")
        if f["mode"] != tpv["mode"]:
            kinds.add("mode")
        if kinds:
            found[(name, t)] = kinds
    return found, compared


def test_the_corpus_is_there():
    assert len(LOGS) == 22, f"expected the 22 gpsd logs in {GPSD}"


@pytest.mark.parametrize("name", LOGS)
def test_firmware_fixes_match_gpsd_for_every_cycle(name):
    fixes, counts = decode_log(GPSD / f"{name}.log")
    found, compared = compare(name, fixes)
    expected = {key: {kind} for key, (kind, _why) in DIFFERENCES.items() if key[0] == name}
    unexplained = {k: v for k, v in found.items() if expected.get(k) != v}
    assert not unexplained, f"{name}: differences from gpsd not in the table: {unexplained}"
    stale = {k: v for k, v in expected.items() if found.get(k) != v}
    assert not stale, f"{name}: table lists differences that no longer occur: {stale}"
    if name in NOTHING_TO_COMPARE:
        assert compared == 0
        assert not [f for f in fixes if f["mode"] >= 2]
    else:
        assert compared >= 1, f"{name}: no cycle compared"
        assert compared == len(gpsd_cycles(name)) - sum(
            1 for k, (kind, _) in DIFFERENCES.items() if k[0] == name and kind == "missing"
        )
    # The decoder saw the stream: sentences or frames decoded, cycles published.
    assert counts["good"] + counts["ubx_frames"] > 0
    assert counts["epochs"] >= compared


def test_difference_table_entries_name_known_logs_and_kinds():
    kinds = {"extra", "missing", "speed", "alt", "position", "mode"}
    for (log, _time), (kind, why) in DIFFERENCES.items():
        assert log in LOGS and kind in kinds and len(why) > 20
    for log in list(DATE_SHIFT) + list(NOTHING_TO_COMPARE):
        assert log in LOGS


def test_ubx_only_log_is_decoded_from_nav_pvt():
    fixes, counts = decode_log(GPSD / "ublox-neo-m8n.log")
    assert counts["good"] == 0 and counts["unknown"] == 0  # no NMEA at all
    assert counts["ubx_frames"] == 52 and counts["ubx_bad"] == 1  # the log ends mid-frame
    assert len([f for f in fixes if f["mode"] == 3]) == 24
