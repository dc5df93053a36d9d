"""Pyro channel interlocks (firmware/pyro.py), run on MicroPython."""

import json

from mpy import SCRIPTS, SUPPORT, run_mpy

# The interlock table restated from the specification: the drogue may fire
# only in DESCENT, the main only in DROGUE, nothing else ever.
PHASES = ("SAFE", "ARMED", "DESCENT", "DROGUE", "MAIN", "LANDED", "BEACON")
ALLOWED = {("drogue", "DESCENT"), ("main", "DROGUE")}

PRELUDE = """
import json, clock, pyro
from pyro_bank import bank
"""


def _run(code):
    return json.loads(run_mpy(PRELUDE + code, extra_path=[SUPPORT]).strip().splitlines()[-1])


def _script(name):
    """A scenario of tests/firmware/mpy on tests/support/pyro_bank.py: its JSON line."""
    return json.loads(run_mpy(file=SCRIPTS / name, extra_path=[SUPPORT]).strip().splitlines()[-1])


def test_channels_are_numbered_drogue_main_then_extras():
    names, idx = _run("b, o, c = bank()\nprint(json.dumps([b.names, b.index('main')]))")
    assert names == ["drogue", "main", "cutter"] and idx == 1


def test_each_channel_fires_only_in_the_phase_the_table_allows():
    got = _run(
        """
res = []
for ph in range(7):
    for name in ("drogue", "main", "cutter"):
        b, o, c = bank()
        b.arm()
        why = b.fire(b.index(name), ph)
        res.append([ph, name, why, o[name].on])
print(json.dumps(res))
"""
    )
    for phase, name, why, on in got:
        allowed = (name, PHASES[phase]) in ALLOWED
        assert (why is None) == allowed, (phase, name, why)
        assert on == allowed


def test_nothing_fires_while_disarmed():
    got = _run(
        """
b, o, c = bank()
res = [b.fire(0, 2), b.fire(1, 3), o['drogue'].on, o['main'].on, b.fired_bits]
print(json.dumps(res))
"""
    )
    assert got[0] == got[1] == "not armed" and got[2:] == [False, False, 0]


def test_a_channel_fires_once_per_flight_for_exactly_the_pulse():
    got = _script("pyro_pulse_once.py")
    first, second, on, edges, bits = got
    assert first is None and second == "already fired"
    assert on.index(False) == 29  # high through 290 ms, low at 300 ms
    assert edges == [1, 0] and bits == 1


def test_disarm_cuts_a_pulse_and_restored_channels_never_fire_again():
    got = _script("pyro_disarm_restore.py")
    assert got == [False, "already fired", [], 2]


def test_continuity_is_reported_and_open_channels_are_listed():
    got = _run(
        """
b, o, c = bank(cont={'main': False, 'cutter': None})
print(json.dumps([b.continuity_failures(), b.status_fields()]))
"""
    )
    failures, status = got
    assert failures == ["main"]
    assert dict(status) == {"pyro_drogue": "ok", "pyro_main": "open", "pyro_cutter": "n/a"}


def test_poll_allocates_nothing():
    out = run_mpy(file=SCRIPTS / "pyro_poll_alloc.py", extra_path=[SUPPORT])
    assert int(out) == 0
