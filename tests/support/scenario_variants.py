"""Scenario variants for drop-test tests (CPython): a shipped scenario with
some of its tables changed, so each test states only what it varies."""

import copy

from host_tools.sim import scenario


def shipped(name, **changes):
    """A shipped scenario with table overrides {table: {key: value}}; a value
    of None removes that key (e.g. a backup timer, to fly the defaults)."""
    sc = scenario.load(name)
    raw = copy.deepcopy(sc.raw)
    for table, values in changes.items():
        t = raw.setdefault(table, {})
        for key, value in values.items():
            if value is None:
                t.pop(key, None)
            else:
                t[key] = value
    return scenario.Scenario(sc.name, sc.path, raw)


def drone(**changes):
    """The drone-drop scenario with table overrides {table: {key: value}}."""
    return shipped("drone_drop", **changes)
