"""Resets (brown-out, watchdog) at any point of the flight, on MicroPython.

A reset is simulated the way it happens: the board is dead for 1.5 s (the
capsule keeps falling, pyro outputs drop), then a new FlightComputer is built
from the same persisted store with a fresh clock at a random tick. Whatever
the moment, each channel must fire exactly once and the main must be out
before the ground.
"""

import json

import pytest
from mpy import SCRIPTS, SUPPORT, run_mpy

SAFE_IMPACT_M_S = 10.0

# Capsule times (s) of the reference flight (FAST config): entry detected at
# ~29.5, drogue ~314, main ~546, splashdown ~675, beacon ~686. The sweep
# covers orbit, the entry pulse, both fire pulses, every phase and the beacon.
SWEEP = [
    1.0, 10.0, 29.8, 45.0, 80.0, 112.0, 150.0, 220.0, 280.0, 313.8, 314.2,
    340.0, 420.0, 500.0, 546.0, 546.4, 600.0, 676.0, 682.0, 700.0,
]  # fmt: skip


def _fly_with_resets(resets, cfg="None", faults="None", prelude="", store="None"):
    code = "import json\nfrom flight_helpers import *\nimport random\nrandom.seed(5)\n" + prelude
    code += "\n"
    for r in resets:  # one flight per line of output, one process for all
        code += f"print(json.dumps(fly({cfg}, None, {faults}, {json.dumps(r)}, {store})))\n"
    out = run_mpy(code, extra_path=[SUPPORT], timeout=300, heap="1M")
    return [json.loads(line) for line in out.strip().splitlines()[-len(resets) :]]


def _check(s, resets):
    boots = [d for n, d in s["events"] if n == "resume"]
    assert len(boots) == len(resets), (resets, boots)
    assert s["rises"] == {"drogue": 1, "main": 1}, (resets, s["rises"], s["fires"])
    main_t, main_h, _ = s["fires"]["main"][0]
    assert main_h > 0.0 and main_t < s["landed_t"], (resets, s["fires"])
    assert s["impact_speed"] < SAFE_IMPACT_M_S, (resets, s["impact_speed"])
    assert s["phase"] == 6, (resets, s["phase"])


@pytest.mark.parametrize("chunk", range(4))
def test_one_reset_anywhere_in_the_flight_never_fires_twice_and_the_main_is_out(chunk):
    points = SWEEP[chunk::4]
    for s, t in zip(_fly_with_resets([[t] for t in points]), points):
        _check(s, [t])


def test_repeated_resets_during_the_descent_still_recover_the_capsule():
    storms = [
        [300.0, 305.0, 310.0, 315.0, 320.0],  # a reset loop around the drogue
        list(range(40, 680, 40)),  # a watchdog every 40 s, all the way down
    ]
    for s, r in zip(_fly_with_resets(storms), storms):
        _check(s, r)


def test_resets_with_the_file_store_resume_from_flash(tmp_path):
    points = [[100.0], [314.0], [560.0]]
    out = _fly_with_resets(points, store=repr(str(tmp_path / "flight.rec")))
    for s, r in zip(out, points):
        _check(s, r)


def test_timers_resume_after_a_reset_and_run_early_rather_than_late():
    # dead baro: both chutes on their timers; a reset 100 s after the drogue
    dead = "def faults(c, s):\n    if not c.stand:\n        s.baro_ok = False\n"
    (s,) = _fly_with_resets(
        [[420.0]],
        cfg="{'drogue_backup_s': 290, 'main_backup_s': 200}",
        faults="faults",
        prelude=dead,
    )
    _check(s, [420.0])
    drogue_t = s["fires"]["drogue"][0][0]
    main_t = s["fires"]["main"][0][0]
    # the record may be a second old and the boot takes time: at most the
    # resume margin (3 s) early, never late
    assert 200.0 - 3.2 <= main_t - drogue_t <= 200.0 + 0.2, main_t - drogue_t


def test_a_board_reset_before_arming_stays_safe_and_after_landing_stays_beaconing():
    code = """
import json
from flight_helpers import *
a = fly(None, None, None, [5.0, 50.0], None, 3.0, 400.0, False)
b = fly(None, None, None, [720.0, 730.0])
print(json.dumps([a['phase'], a['rises'], b['phase'], b['rises'],
                  [d['phase'] for n, d in b['events'] if n == 'resume']]))
"""
    out = json.loads(run_mpy(code, extra_path=[SUPPORT], timeout=120).strip().splitlines()[-1])
    assert out[0] == 0 and out[1] == {"drogue": 0, "main": 0}
    assert out[2] == 6 and out[3] == {"drogue": 1, "main": 1}
    assert out[4] == ["BEACON", "BEACON"]


def test_a_record_that_says_fired_is_never_fired_again_even_if_the_phase_allows_it():
    # a record written by the fire itself: DESCENT, drogue bit set (the phase
    # change was not recorded yet); the latch alone must hold the channel
    out = run_mpy(file=SCRIPTS / "flight_fired_latch.py", extra_path=[SUPPORT], timeout=120)
    rises, phase, fires, impact, refused = json.loads(out.strip().splitlines()[-1])
    assert rises == {"drogue": 0, "main": 1} and phase == 6
    assert refused[0] == "already fired" and refused[1] is None
    assert fires["main"][0][1] > 0.0 and impact < SAFE_IMPACT_M_S
