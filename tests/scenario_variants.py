"""Scenario variants for drop-test tests (CPython): a shipped scenario with
some of its tables changed, so each test states only what it varies."""

import copy

from host_tools import scenario


def drone(**changes):
    """The drone-drop scenario with table overrides {table: {key: value}}."""
    sc = scenario.load("drone_drop")
    raw = copy.deepcopy(sc.raw)
    for table, values in changes.items():
        raw.setdefault(table, {}).update(values)
    return scenario.Scenario(sc.name, sc.path, raw)
