"""The Bosch barometers' polling machine (drv_wide.bosch_read) against a model
written from its docstring, over random scripts of chip answers and clock steps.

The machine is shared by the BMP280 and BMP3xx drivers, so this checks its
rules once, apart from either chip: reads at most once per period, counts a
bus error or a bad measurement, re-initialises the chip after five errors in a
row and a 100 ms wait, and never reports a reading older than 200 ms as good.
"""

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from mpy import SCRIPTS, run_mpy

RESET_AFTER_ERRORS = 5
RETRY_BACKOFF_MS = 100
STALE_MS = 200


def model(period_ms, script):
    """The documented machine in plain Python: the same lines the script prints."""
    state, t0, last_ok_ms, ok, consecutive = "init", 0, 0, False, 0
    now = press = readings = bus = data = inits = converts = 0
    lines = []
    for step_ms, init_answer, convert_answer in script:
        now += step_ms
        fresh = failed = False
        answer = None
        if state == "run" and now - t0 >= period_ms:
            t0 = now
            converts += 1
            answer = convert_answer
            if answer == "ok":
                fresh = True
            elif answer == "bad":
                data += 1
                failed = True
        elif state == "init":
            inits += 1
            answer = init_answer
            if answer == "ok":
                state = "run"
            elif answer == "bad":
                data += 1
                state, t0 = "backoff", now
        elif state == "backoff" and now - t0 >= RETRY_BACKOFF_MS:
            state = "init"
        if answer == "bus":
            bus += 1
            failed = True
        if fresh:
            consecutive, ok, last_ok_ms = 0, True, now
            readings += 1
            press = 1000 + converts
        elif failed:
            ok = False
            consecutive += 1
            if consecutive >= RESET_AFTER_ERRORS:
                consecutive, state, t0 = 0, "backoff", now
        if ok and now - last_ok_ms > STALE_MS:
            ok = False
        lines.append((int(fresh), press, int(ok), readings, bus, data, inits, converts))
    return lines


def on_mpy(period_ms, script):
    out = run_mpy(file=SCRIPTS / "bosch_poll_script.py", args=[period_ms], stdin=json.dumps(script))
    return [tuple(map(int, line.split())) for line in out.split("\n") if line]


answers = st.sampled_from(["ok", "ok", "ok", "bad", "bus"])
steps = st.lists(
    st.tuples(st.sampled_from([1, 1, 3, 10, 40, 250]), answers, answers), min_size=50, max_size=400
)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([10, 14, 500]), steps)
def test_the_machine_follows_its_documented_rules(period_ms, script):
    """500 ms is a BMP280 with a long standby: good readings go stale between them."""
    assert on_mpy(period_ms, script) == model(period_ms, script)


def test_five_errors_in_a_row_wait_then_initialise_the_chip_again():
    script = [[1, "ok", "ok"]] + [[10, "ok", "bus"]] * 5 + [[50, "ok", "ok"]] * 3
    lines = on_mpy(10, script)
    assert lines == model(10, script)
    inits = [line[6] for line in lines]
    # one init at start; after the fifth error, 50 ms waits: none, then the retry
    assert inits == [1, 1, 1, 1, 1, 1, 1, 1, 2]
    assert lines[-1][4] == 5  # five bus errors counted
