"""Indicator patterns on MicroPython: decoded from the buzzer and LED pin
transitions the way a person hears and sees them (beeps per channel, long
tone for an open channel, steady LED when armed), driven only by poll() and
the clock, no allocation."""

from mpy import SCRIPTS, SUPPORT, run_mpy

PRELUDE = """
import indicator
from indicator_rig import buz, clk, ind, led, run
from timed_pin import pulses
"""


def mpy(body):
    return run_mpy(PRELUDE + body, extra_path=[SUPPORT])


def beep_groups(pulses, gap_ms=500):
    """Group beeps separated by less than gap_ms: [[length, ...], ...]."""
    groups = []
    last_end = None
    for start, length in pulses:
        if last_end is None or start - last_end >= gap_ms:
            groups.append([])
        groups[-1].append(length)
        last_end = start + length
    return groups


def test_armed_report_beeps_each_connected_channel_number_and_a_long_tone_when_open():
    out = mpy(
        """
ind.set_continuity(0, True)   # drogue connected
ind.set_continuity(1, False)  # main open
t0 = clk.now_ms()
run(indicator.MODE_ARMED, 12000)
print(pulses(buz, t0, t0 + 12000))
print(led.level)
"""
    )
    lines = out.strip().split("\n")
    groups = beep_groups(eval(lines[0]))
    # one cycle: drogue = 1 short beep, main = one long tone, then a pause
    assert groups[0] == [150] and groups[1] == [800]
    assert groups[2] == [150] and groups[3] == [800]  # and it repeats
    assert lines[1] == "1"  # LED steady while armed


def test_both_channels_connected_beep_one_then_two():
    out = mpy(
        """
ind.set_continuity(0, True)
ind.set_continuity(1, True)
t0 = clk.now_ms()
run(indicator.MODE_ARMED, 6000)
print(pulses(buz, t0, t0 + 6000))
"""
    )
    groups = beep_groups(eval(out))
    assert groups[:2] == [[150], [150, 150]]


def test_a_continuity_change_waits_for_the_end_of_the_current_report():
    out = mpy(
        """
ind.set_continuity(0, True)
ind.set_continuity(1, True)
t0 = clk.now_ms()
run(indicator.MODE_ARMED, 700)     # inside the report
ind.set_continuity(1, False)      # main goes open
run(indicator.MODE_ARMED, 8000)
print(pulses(buz, t0, t0 + 8700))
"""
    )
    groups = beep_groups(eval(out))
    assert groups[0] == [150] and groups[1] == [150, 150]  # first report finishes as it began
    assert groups[2] == [150] and groups[3] == [800]  # next report shows main open


def test_modes_sound_different_and_off_is_silent():
    out = mpy(
        """
for mode in (indicator.MODE_SAFE, indicator.MODE_FLIGHT, indicator.MODE_FAULT,
             indicator.MODE_BEACON, indicator.MODE_OFF):
    t0 = clk.now_ms()
    run(mode, 10000)
    print(indicator.MODE_NAMES[mode], pulses(buz, t0, t0 + 10000), len(pulses(led, t0, t0 + 10000)))
"""
    )
    rows = {}
    for line in out.strip().split("\n"):
        name, rest = line.split(" ", 1)
        beeps, leds = rest.rsplit(" ", 1)
        rows[name] = (eval(beeps), int(leds))
    assert rows["safe"] == ([], 5)  # LED blink every 2 s, silent
    assert rows["flight"][0] == [] and rows["flight"][1] == 20  # LED every 500 ms
    fault = beep_groups(rows["fault"][0], gap_ms=300)
    assert [len(g) for g in fault] == [5] * len(fault) and len(fault) == 5  # 5 fast beeps per 2 s
    beacon = beep_groups(rows["beacon"][0], gap_ms=1000)
    assert [g for g in beacon] == [[200, 200, 200], [200, 200, 200]]  # every 5 s
    assert rows["off"] == ([], 0)


def test_late_polls_never_block_and_outputs_follow_the_clock():
    out = mpy(
        """
t0 = clk.now_ms()
for _ in range(200):
    ind.poll(indicator.MODE_BEACON)
    clk.advance_ms(37)   # a slow loop: 37 ms between polls
print(len(pulses(buz, t0, clk.now_ms())) > 0, buz.level in (0, 1))
"""
    )
    assert out.split() == ["True", "True"]


def test_poll_and_mode_changes_allocate_nothing():
    out = run_mpy(file=SCRIPTS / "indicator_alloc.py", extra_path=[SUPPORT])
    assert out.strip() == "0"


def test_every_flight_phase_has_a_mode_and_faults_sound_only_on_the_ground():
    out = mpy(
        """
import flight_phase
for i, name in enumerate(flight_phase.PHASE_NAMES):
    print(name, indicator.MODE_NAMES[indicator.mode_for(i)],
          indicator.MODE_NAMES[indicator.mode_for(i, True)])
print(indicator.MODE_NAMES[indicator.mode_for(99)])
"""
    )
    rows = [line.split() for line in out.strip().split("\n")]
    assert rows[:-1] == [
        ["SAFE", "safe", "fault"],
        ["ARMED", "armed", "fault"],
        ["DESCENT", "flight", "flight"],
        ["DROGUE", "flight", "flight"],
        ["MAIN", "flight", "flight"],
        ["LANDED", "beacon", "beacon"],
        ["BEACON", "beacon", "beacon"],
    ]
    assert rows[-1] == ["fault"]
