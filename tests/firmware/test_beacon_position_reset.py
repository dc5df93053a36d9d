"""The beacon's last known position survives a reset (flight record), on
MicroPython: after a reset with the receiver dead the beacon still sends
where the capsule was, with an age never younger than the truth."""

import binascii
import json
from pathlib import Path

import pytest
from mpy import SCRIPTS, SUPPORT, run_mpy

FAKES = Path(__file__).resolve().parents[1] / "support" / "beacon_fakes"
LAT, LON = -33.812346, 151.234568  # the script's fix, as UKHAS prints it


def _fly(gnss_dead_s, reset_s, end_s):
    out = run_mpy(
        file=SCRIPTS / "beacon_position_reset.py",
        args=[gnss_dead_s, reset_s, end_s],
        extra_path=[FAKES, SUPPORT],
        timeout=300,
        heap="1M",
    )
    d = json.loads(out.strip().splitlines()[-1])
    packets = []
    for t, last_fix_t, hx in d["packets"]:
        f = binascii.unhexlify(hx).decode().strip()[2:].split("*")[0].split(",")
        packets.append({"t": t, "true_age": t - last_fix_t, "lat": float(f[3]),
                        "lon": float(f[4]), "age": int(f[7]), "phase": f[8]})  # fmt: skip
    return packets, d["boots"]


@pytest.mark.parametrize(
    ("gnss_dead_s", "reset_s", "phase", "lag_s"),
    [
        (690.0, 720.0, "BEACON", 60 + 2),  # down, record written once a minute
        (560.0, 600.0, "MAIN", 1 + 2),  # under the main, once a second
    ],
)
def test_after_a_reset_with_the_receiver_dead_the_beacon_still_sends_the_position(
    gnss_dead_s, reset_s, phase, lag_s
):
    packets, boots = _fly(gnss_dead_s, reset_s, reset_s + 60.0)
    assert boots[0] == [0, False]  # first boot: SAFE, nothing restored
    assert boots[1][1] is True  # the resumed board holds the record's position
    after = [p for p in packets if p["t"] > reset_s]
    assert after and after[0]["phase"] == phase
    for p in after:
        assert (p["lat"], p["lon"]) == (LAT, LON), p
        # never younger than the truth; older by at most the record's period
        # and the boot (plus a second of rounding)
        assert p["true_age"] <= p["age"] <= p["true_age"] + lag_s + 1, p


def test_a_fix_after_the_reset_replaces_the_restored_position():
    packets, boots = _fly(10_000.0, 720.0, 800.0)
    assert boots[1][1] is True
    after = [p for p in packets if p["t"] > 720.0]
    assert after and all(p["age"] <= 1 and p["lat"] == LAT for p in after), after


def test_without_a_restored_position_the_beacon_says_no_position():
    # the receiver dead from the start: nothing to keep, nothing restored
    packets, boots = _fly(0.0, 720.0, 780.0)
    assert boots[1][1] is False
    after = [p for p in packets if p["t"] > 720.0]
    assert after and all(p["age"] == -1 and p["lat"] == 0.0 for p in after), after


RECORD_ROUND_TRIP = """
import json, persist, beacon, fix, ukhas
from fake_radio import FakeRadio
from beacon_rig import start
from flight_records import rec
import struct
assert struct.calcsize(beacon._POS_FMT) <= persist.POS_SIZE
def through_the_store(r):
    s = persist.Store(PATH)
    s.save(r)
    return persist.Store(PATH).load()
def kept(edit, lag_s=60):
    rig = start(1000, lambda clk: FakeRadio(clk), lambda cfg: [ukhas.UkhasFormat(cfg)])
    rig.run(3000, 6)  # BEACON: fixes at 0, 1, 2 s
    edit(rig.lg)
    edit(rig.bcn._held)
    r = rec(6, 700000)
    rig.bcn.record_position(r, lag_s)
    back = start(5000, lambda clk: FakeRadio(clk), lambda cfg: [ukhas.UkhasFormat(cfg)]).bcn
    age = back.restore_position(through_the_store(r), 2)
    h = back._held
    return [age, back._held_ok, h.mode, h.sats, h.hdop_c, h.alt_ok, h.time_ok, h.hour, h.minute,
            h.second, h.lat_deg, h.lat_e7r, h.lon_deg, h.lon_e7r, h.alt_cm, rig.bcn.faults]
def nothing(f):
    pass
def garbage(f):
    f.lat_deg = 10**6
def no_alt(f):
    f.alt_ok = False
def two_d(f):
    f.mode = 2
print(json.dumps([kept(nothing), kept(no_alt, 1), kept(two_d), kept(garbage)]))
"""


def test_the_position_round_trips_through_the_record_with_its_age(tmp_path):
    code = RECORD_ROUND_TRIP.replace("PATH", repr(str(tmp_path / "f.rec")))
    out = run_mpy(code, extra_path=[FAKES, SUPPORT], timeout=120)
    full, no_alt, two_d, garbage = json.loads(out.strip().splitlines()[-1])
    # beacon_rig's fix (Sydney), last taken 0.9 s before the record: age 0 s
    # + the record's 60 s + the boot's 2 s
    assert full == [62, True, 3, 8, 90, True, False, 0, 0, 2,
                    -33, -8123456, 151, 2000020, 1250, 0]  # fmt: skip
    assert no_alt[:2] == [3, True] and no_alt[5] is False
    assert two_d[:3] == [62, True, 2]
    # not a position on Earth: nothing restored
    assert garbage[:2] == [-1, False]
