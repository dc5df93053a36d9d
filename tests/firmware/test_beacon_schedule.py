"""The beacon scheduler on MicroPython: rates by phase, battery, duty cycle,
choice of position, robustness, allocation; and the LoRa time-on-air formula
against the datasheet's (computed here in floating point)."""

import binascii
import itertools
import json
import math
from pathlib import Path

import aprslib
import pytest
from mpy import FIRMWARE, SCRIPTS, SUPPORT, run_mpy

FAKES = Path(__file__).resolve().parents[1] / "support" / "beacon_fakes"

# the scheduler of tests/support/beacon_rig.py, its names as the test bodies use them
SETUP = """
import clock, fix, beacon, ukhas, aprs, sbd, beacon_params as P
from fake_radio import FakeRadio, FakeRadioNoAirtime
from beacon_rig import start
rig = start(T0, lambda clk: RADIO, lambda cfg: FORMATS)
cfg, clk, fx, lg, radio, bcn = rig.cfg, rig.clk, rig.fx, rig.lg, rig.radio, rig.bcn
run, report = rig.run, rig.report
"""


def mpy(body, t0=1000, radio="FakeRadio(clk, tx_ms=200)", formats="[ukhas.UkhasFormat(cfg)]"):
    code = SETUP.replace("T0", str(t0)).replace("RADIO", radio).replace("FORMATS", formats)
    out = run_mpy(code + body, extra_path=[FAKES, SUPPORT], timeout=120)
    r = json.loads(out.strip().splitlines()[-1])
    r["packets"] = [(t, binascii.unhexlify(h)) for t, h in r["log"]]
    return r


def times(r):
    return [t for t, _ in r["packets"]]


def gaps(ts):
    return [b - a for a, b in itertools.pairwise(ts)]


def ukhas_fields(pkt):
    body = pkt.decode().strip()
    assert body.startswith("$$")
    text, crc = body[2:].split("*")
    assert int(crc, 16) == binascii.crc_hqx(text.encode(), 0xFFFF)
    f = text.split(",")
    return {
        "call": f[0], "seq": int(f[1]), "time": f[2], "lat": float(f[3]), "lon": float(f[4]),
        "alt": int(f[5]), "sats": int(f[6]), "age": int(f[7]), "phase": f[8], "batt": int(f[9]),
    }  # fmt: skip


def test_silent_before_the_main_then_every_descent_interval_under_it():
    r = mpy(
        """
run(60000, P.SAFE)
run(60000, P.ARMED)
run(30000, P.DESCENT)
run(30000, P.DROGUE)
run(65000, P.MAIN)
report()
"""
    )
    ts = times(r)
    assert ts and min(ts) >= 180000  # nothing before the main chute
    assert ts[0] <= 180000 + 200  # the main opening is announced at once
    assert gaps(ts) == [10000] * (len(ts) - 1)
    assert len(ts) == 7
    assert {ukhas_fields(p)["phase"] for _, p in r["packets"]} == {"MAIN"}


def test_after_landing_the_landed_rate_then_the_slow_rate():
    r = mpy(
        """
run(20000, P.MAIN)
run(300000, P.LANDED)
run(1200000, P.BEACON)   # the long-term beacon phase keeps the landing clock
report()
"""
    )
    landed = [t for t, p in r["packets"] if ukhas_fields(p)["phase"] != "MAIN"]
    assert landed[0] <= 20000 + 200  # landing announced at once
    g = gaps(landed)
    before = [d for t, d in zip(landed[1:], g) if t <= 20000 + 600000]
    after = [d for t, d in zip(landed[1:], g) if t > 20000 + 600000]
    assert before and all(d == 30000 for d in before)
    assert after and all(d == 300000 for d in after)


@pytest.mark.parametrize("vbatt,gap", [(3300, 40000), (3500, 10000), (0, 10000)])
def test_low_battery_stretches_the_interval_four_times(vbatt, gap):
    r = mpy(f"run(200000, P.MAIN, vbatt={vbatt})\nreport()")
    g = gaps(times(r))
    assert g and all(d == gap for d in g)  # 0 mV means "not measured", not "empty"
    assert {ukhas_fields(p)["batt"] for _, p in r["packets"]} == {vbatt}


def lora_airtime_ms(n, sf=12, bw=125000, cr=5, preamble=8, crc=True, explicit=True):
    """SX1276 datasheet 4.1.1.7, in floating point (independent of the firmware)."""
    tsym = 2**sf / bw
    de = 1 if tsym > 0.016 else 0
    ih = 0 if explicit else 1
    payload = 8 + max(
        math.ceil((8 * n - 4 * sf + 28 + 16 * crc - 20 * ih) / (4 * (sf - 2 * de))) * (cr - 4 + 4),
        0,
    )
    return ((preamble + 4.25) + payload) * tsym * 1000


def hourly_airtime_ok(pk, budget_ms):
    """Sliding one-hour windows starting at each packet (ETSI EN 300 220's definition)."""
    air = [lora_airtime_ms(len(p)) for _, p in pk]
    worst = 0
    for t0, _ in pk:
        worst = max(worst, sum(a for (t, _), a in zip(pk, air) if t0 <= t < t0 + 3600000))
    return worst <= budget_ms, worst


def test_duty_cycle_is_respected_over_any_hour_from_each_packets_time_on_air():
    r = mpy(
        """
cfg.duty_cycle_permille = 10
run(3 * 3600000, P.MAIN, step=500)
report()
""",
        radio="FakeRadioNoAirtime(clk, tx_ms=3000)",
    )
    pk = r["packets"]
    ok, worst = hourly_airtime_ok(pk, 36000)  # 1 % of an hour
    assert ok, worst
    assert worst > 0.85 * 36000  # and the budget is used, not wasted
    assert r["duty_deferred"] > 0


def test_duty_cycle_window_holds_across_phase_changes_and_fast_rates():
    r = mpy(
        """
cfg.duty_cycle_permille = 1
cfg.beacon_landed_s = 5
run(300000, P.MAIN, step=200)
run(7200000, P.LANDED, step=1000)
report()
""",
        radio="FakeRadioNoAirtime(clk, tx_ms=2000)",
    )
    ok, worst = hourly_airtime_ok(r["packets"], 3600)  # 0.1 %: one packet an hour
    assert ok, worst
    assert 2 <= len(r["packets"]) <= 4


def test_duty_cycle_spreads_packets_and_keeps_the_landing_packet_in_reserve():
    r = mpy(
        """
cfg.duty_cycle_permille = 10
cfg.beacon_descent_s = 5
run(1800000, P.MAIN, step=500)      # a long descent under the main at 1 %
run(1200000, P.LANDED, step=500)
report()
""",
        radio="FakeRadioNoAirtime(clk, tx_ms=3000)",
    )
    pk = r["packets"]
    ok, worst = hourly_airtime_ok(pk, 36000)
    assert ok, worst
    phases = [ukhas_fields(p)["phase"] for _, p in pk]
    main = [(t, p) for (t, p), ph in zip(pk, phases, strict=True) if ph == "MAIN"]
    # spread evenly under the chute (no burst then silence): T / 1 % apart
    for (t0, p0), (t1, _) in itertools.pairwise(main):
        assert t1 - t0 >= lora_airtime_ms(len(p0)) / 0.01
    assert main[-1][0] > 1800000 - 600000  # still reporting near the end of the descent
    # the touchdown packet goes at once
    landed = [t for t, ph in zip(times(r), phases, strict=True) if ph == "LANDED"]
    assert landed[0] <= 1800000 + 500  # built in one loop step, sent in the next


@pytest.mark.parametrize("air_ms,tx_ms", [(0, 15000), (50, 50)])  # Iridium; LoRa at SF7
def test_a_fast_rate_under_a_duty_limit_is_spread_over_the_hour_not_burst_then_silent(
    air_ms, tx_ms
):
    """Asked for more packets than the duty log holds per hour (128), the
    beacon spreads them instead of sending 128 and falling silent until the
    first of them is an hour old."""
    r = mpy(
        """
cfg.duty_cycle_permille = 100
cfg.beacon_landed_s = 5
cfg.beacon_slow_after_s = 100000
radio.record = False
run(2 * 3600000, P.LANDED, step=1000)
radio.record = True
run(3600000, P.LANDED, step=1000)
report()
""",
        radio=f"FakeRadio(clk, tx_ms={tx_ms}, airtime={air_ms})",
        formats="[sbd.SbdFormat(cfg)]",
    )
    ts = [t - 2 * 3600000 for t in times(r) if t >= 2 * 3600000]
    assert max(gaps([0, *ts, 3600000])) <= 225000
    assert 100 <= len(ts) < 128


def test_without_a_duty_limit_nothing_is_deferred():
    r = mpy("run(120000, P.MAIN)\nreport()", radio="FakeRadioNoAirtime(clk, tx_ms=3000)")
    assert r["duty_deferred"] == 0 and len(r["packets"]) == 12


def test_a_fresh_fix_is_preferred_and_the_last_one_is_sent_with_its_age():
    r = mpy(
        """
run(30000, P.LANDED)
last_lon_e7r = fx.lon_e7r
fx.clear()                 # receiver lost the fix (capsule rolled over)
fx.mode = fix.MODE_NO_FIX
run(200000, P.LANDED, gnss=False)
report(last_lon_e7r=last_lon_e7r)
"""
    )
    f = [(t, ukhas_fields(p)) for t, p in r["packets"]]
    fresh = [x for t, x in f if t < 30000]
    stale = [(t, x) for t, x in f if t >= 30000]
    assert fresh and all(x["age"] <= 4 for x in fresh)
    assert stale
    last_lon = 151 + r["last_lon_e7r"] / 1e7
    for t, x in stale:
        assert x["lat"] == pytest.approx(-33.8123456, abs=1e-6)
        assert x["lon"] == pytest.approx(last_lon, abs=1e-6)
        # last fix received at T = 29000 ms
        assert abs(x["age"] - (t - 29000) / 1000) <= 1
    assert stale[-1][1]["age"] > 150


def test_the_last_good_record_is_used_when_newer_than_anything_seen():
    r = mpy(
        """
# restored after a reboot: a position from an hour ago
lg.mode = 3; lg.lat_deg = 12; lg.lat_e7r = 3456789; lg.lon_deg = -45; lg.lon_e7r = -6789012
lg.alt_cm = 300; lg.alt_ok = True; lg.sats = 6; lg.rx_ms = clock.add_ms(clk.now_ms(), -3600000)
lg.has_position = True
run(95000, P.LANDED, gnss=False)
report()
"""
    )
    f = [(t, ukhas_fields(p)) for t, p in r["packets"]]
    assert len(f) == 4
    for t, x in f:
        assert x["lat"] == pytest.approx(12.345679, abs=1e-6)
        assert x["lon"] == pytest.approx(-45.678901, abs=1e-6)
        assert abs(x["age"] - (3600 + t / 1000)) <= 1


def test_with_no_position_ever_the_beacon_still_sends_aprs_status():
    r = mpy("run(25000, P.MAIN, gnss=False)\nreport()", formats="[aprs.AprsFormat(cfg)]")
    assert len(r["packets"]) == 3
    for _, p in r["packets"]:
        assert p.startswith(b"<\xff\x01")
        parsed = aprslib.parse(p[3:])
        assert parsed["format"] == "status" and "nofix" in parsed["status"]


def test_formats_take_turns_one_packet_per_slot():
    r = mpy(
        "run(45000, P.MAIN)\nreport()",
        formats="[aprs.AprsFormat(cfg), ukhas.UkhasFormat(cfg), sbd.SbdFormat(cfg)]",
    )
    kinds = [
        "aprs" if p.startswith(b"<\xff\x01") else "ukhas" if p.startswith(b"$$") else "sbd"
        for _, p in r["packets"]
    ]
    assert kinds == ["aprs", "ukhas", "sbd", "aprs", "ukhas"]
    assert r["seq"] == 5


def test_a_radio_that_raises_is_counted_and_the_loop_goes_on():
    r = mpy(
        """
radio.raise_on_send = True
run(30000, P.MAIN)
faults = bcn.faults
radio.raise_on_send = False
run(30000, P.MAIN)
report(faults_while_broken=faults)
"""
    )
    assert r["faults_while_broken"] >= 3
    assert len(r["packets"]) == 3


def test_a_radio_refusing_packets_is_counted_and_does_not_stall_the_schedule():
    r = mpy(
        """
radio.accept = False
run(30000, P.MAIN)
radio.accept = True
run(30000, P.MAIN)
report()
"""
    )
    assert r["refused"] == 3 and len(r["packets"]) == 3


@pytest.mark.parametrize("bad", ["'10'", "0", "-5", "None", "True", "10**9"])
def test_a_bad_interval_in_the_config_falls_back_to_a_safe_default(bad):
    r = mpy(f"cfg.beacon_descent_s = {bad}\nrun(60000, P.MAIN)\nreport()")
    assert r["cfg_fault"] is True
    assert gaps(times(r)) == [10000] * 5  # DEFAULT_DESCENT_S


def test_a_missing_config_key_falls_back_too():
    r = mpy(
        """
class Bare:
    callsign = "N0CALL"
    ssid = 0
rig.bcn = beacon.Beacon(Bare(), clk, fx, lg, radio, [ukhas.UkhasFormat(Bare())])
run(60000, P.MAIN)
report()
"""
    )
    # defaults: 10 s under the main, but 1 % duty cycle: 0.2 s on air -> 20 s apart
    assert r["cfg_fault"] is True
    g = gaps(times(r))
    assert len(g) == 2 and all(20000 <= d <= 20200 for d in g)


def test_polling_costs_no_allocation_in_any_phase():
    out = run_mpy(file=SCRIPTS / "beacon_poll_alloc.py", extra_path=[FAKES, SUPPORT])
    r = json.loads(out.strip().splitlines()[-1])
    assert r["alloc"] == 0
    assert r["count"] > 20 and r["faults"] == 0


def test_holding_packets_back_for_the_duty_cycle_costs_no_allocation():
    out = run_mpy(file=SCRIPTS / "beacon_duty_alloc.py", extra_path=[FAKES, SUPPORT])
    r = json.loads(out.strip().splitlines()[-1])
    assert r["alloc"] == 0
    assert r["duty_deferred"] > 0 and r["count"] > 20 and r["faults"] == 0


def test_rates_and_ages_survive_the_tick_wrap_over_eight_days():
    r = mpy(
        """
cfg.beacon_slow_s = 3600
cfg.beacon_slow_after_s = 600
run(3600000, P.LANDED, step=5000)
fx.clear()
run(8 * 86400000, P.BEACON, gnss=False, step=5000)
report()
""",
        t0=(1 << 30) - 7000,
    )
    f = [(t, ukhas_fields(p)) for t, p in r["packets"]]
    slow = [t for t, x in f if t > 600000 + 3600000]
    assert all(d == 3600000 for d in gaps(slow))
    assert len(slow) >= 8 * 24 - 2
    t_last, x_last = f[-1]
    # the last fix was received at T = 3595000 ms; ages keep counting past 6.2 days
    assert abs(x_last["age"] - (t_last - 3595000) / 1000) <= 5
    assert x_last["age"] > 7 * 86400


def test_a_receiver_silent_for_the_whole_tick_period_is_not_taken_for_a_fresh_fix():
    """A receiver that goes silent keeps its last fix (mode and tick); 2**30 ms
    (12.4 days) later that tick is again a few seconds behind the clock."""
    r = mpy(
        """
cfg.beacon_landed_s = 1
cfg.beacon_slow_s = 1
run(20000, P.LANDED, step=1000)   # last fix at T = 19000 ms
radio.record = False
run((1 << 30) - 60000, P.BEACON, gnss=False, step=60000)
radio.record = True
run(120000, P.BEACON, gnss=False, step=1000)   # the tick wrap passes here
report()
"""
    )
    late = [(t, ukhas_fields(p)) for t, p in r["packets"] if t > 20000]
    assert len(late) > 30
    for t, x in late:
        assert abs(x["age"] - (t - 19000) / 1000) <= 1, (t, x["age"])


PHASES = ["SAFE", "ARMED", "DESCENT", "DROGUE", "MAIN", "LANDED", "BEACON"]


def test_phase_table_is_the_sequencers_and_the_fallback_agrees(tmp_path):
    """beacon_params takes the numbers from flight_phase.py; its literal fallback
    (used when that module is absent) must say the same."""
    probe = """
import json, beacon_params as P
print(json.dumps([[getattr(P, n) for n in @PHASES@], [x.decode() for x in P.PHASE_NAMES],
                  list(P.RATE_BY_PHASE)]))
""".replace("@PHASES@", repr(PHASES))
    ours = json.loads(run_mpy(probe).strip().splitlines()[-1])
    # the fallback alone: beacon_params.py without the rest of the firmware
    (tmp_path / "beacon_params.py").write_bytes((FIRMWARE / "beacon_params.py").read_bytes())
    import os
    import subprocess

    from mpy import micropython_path

    env = dict(os.environ, MICROPYPATH=str(tmp_path))
    proc = subprocess.run(
        [micropython_path(), "-c", probe],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    fallback = json.loads(proc.stdout.strip().splitlines()[-1])
    assert fallback == ours
    numbers, names, rates = ours
    assert [names[i] for i in numbers] == PHASES
    # beacons under the main and after landing only
    assert [rates[numbers[i]] > 0 for i in range(7)] == [False] * 4 + [True] * 3
    for module in ("flight_phase.py", "flight.py"):
        if not (FIRMWARE / module).exists():
            continue
        out = run_mpy(
            f"import json, {module[:-3]} as F\n"
            "print(json.dumps([getattr(F, n, getattr(F, 'PHASE_' + n, None))"
            f" for n in {PHASES!r}]))"
        )
        theirs = json.loads(out.strip().splitlines()[-1])
        assert [t for t in theirs if t is not None] == [
            n for t, n in zip(theirs, numbers) if t is not None
        ], module


def test_the_default_format_follows_the_radio_kind():
    out = run_mpy(file=SCRIPTS / "beacon_default_format.py")
    assert out.split() == ["AprsFormat", "SbdFormat", "1"]


@pytest.mark.parametrize("n", [1, 13, 31, 64, 100, 255])
@pytest.mark.parametrize(
    "sf,bw,cr", [(7, 125000, 5), (9, 125000, 5), (12, 125000, 5), (11, 125000, 8), (10, 62500, 6)]
)
def test_time_on_air_matches_the_datasheet_formula(n, sf, bw, cr):
    out = run_mpy(f"import beacon_airtime\nprint(beacon_airtime.airtime_ms({n}, {sf}, {bw}, {cr}))")
    got = int(out.strip())
    want = lora_airtime_ms(n, sf, bw, cr)
    assert want <= got < want + 1


def test_time_on_air_of_known_lorawan_frames():
    # 13-byte frames: 46.3 ms at SF7 and 1155.1 ms at SF12 (LoRaWAN air-time tables)
    out = run_mpy(
        "import beacon_airtime as a\n"
        "print(a.airtime_ms(13, 7, 125000, 5), a.airtime_ms(13, 12, 125000, 5))"
    )
    assert out.split() == ["47", "1156"]
